package shard

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/quiver-db/quiver/index"
)

// A search request's binary form (searchContentType): searchMagic, then
// each field of index.SearchRequest in the order appendSearch writes
// them, the filter in Qdrant's JSON form, and the query vector's
// little-endian float32 bytes to the end. A list that may be nil is
// written as its length plus one, 0 for nil. TestSearchFormCoversTheRequest
// fails when index.SearchRequest gains a field this form does not carry.

// Bits of the request's flag byte.
const (
	reqExact = 1 << iota
	reqQuantIgnore
	reqQuantNoRescore
	reqIVFIgnore
	reqWithPayload
	reqWithVector
	reqHasVector
	reqFlagsKnown = reqHasVector<<1 - 1
)

// appendSearch appends req, its filter in its wire form (marshalFilter;
// req.Filter itself is not read), in the binary form.
func appendSearch(dst []byte, req index.SearchRequest, filter json.RawMessage) []byte {
	dst = append(dst, searchMagic...)
	dst = appendBytes(dst, []byte(req.Using))
	for _, n := range []int{req.Limit, req.Offset, req.Ef, req.IVF.Probe, req.IVF.Reorder} {
		dst = binary.AppendVarint(dst, int64(n))
	}
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(req.Quantization.Oversampling))
	flags := flag(req.Exact, reqExact) | flag(req.Quantization.Ignore, reqQuantIgnore) | flag(req.Quantization.NoRescore, reqQuantNoRescore) |
		flag(req.IVF.Ignore, reqIVFIgnore) | flag(req.WithPayload, reqWithPayload) | flag(req.WithVector, reqWithVector) | flag(req.Vector != nil, reqHasVector)
	dst = append(dst, flags)
	for _, list := range [][]string{req.Include, req.Exclude, req.VectorNames} {
		dst = appendStrings(dst, list)
	}
	dst = appendOptional(dst, filter)
	for _, x := range req.Vector {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
	}
	return dst
}

// parseSearch reverses appendSearch and parses the filter. Its errors
// are index.ErrBadRequest ones: the caller sent the body.
func parseSearch(b []byte) (index.SearchRequest, error) {
	var req index.SearchRequest
	if len(b) < len(searchMagic) || string(b[:len(searchMagic)]) != string(searchMagic) {
		return req, fmt.Errorf("%w: search request: %w: no %q prefix", index.ErrBadRequest, errCorrupt, searchMagic)
	}
	r := reader{b: b[len(searchMagic):]}
	req.Using = string(r.bytes())
	for _, n := range []*int{&req.Limit, &req.Offset, &req.Ef, &req.IVF.Probe, &req.IVF.Reorder} {
		*n = r.int()
	}
	req.Quantization.Oversampling = math.Float64frombits(r.uint64())
	flags := r.byte()
	if flags&^reqFlagsKnown != 0 {
		r.fail("flags %#x", flags)
	}
	req.Exact, req.Quantization.Ignore, req.Quantization.NoRescore = flags&reqExact != 0, flags&reqQuantIgnore != 0, flags&reqQuantNoRescore != 0
	req.IVF.Ignore, req.WithPayload, req.WithVector = flags&reqIVFIgnore != 0, flags&reqWithPayload != 0, flags&reqWithVector != 0
	for _, list := range []*[]string{&req.Include, &req.Exclude, &req.VectorNames} {
		*list = r.strings()
	}
	filter := r.optional()
	if r.err == nil && len(r.b)%4 != 0 {
		r.fail("vector of %d bytes: want a multiple of 4", len(r.b))
	}
	if r.err == nil && flags&reqHasVector == 0 && len(r.b) > 0 {
		r.fail("vector bytes without a vector")
	}
	if r.err != nil {
		return index.SearchRequest{}, fmt.Errorf("%w: search request: %w", index.ErrBadRequest, r.err)
	}
	if flags&reqHasVector != 0 {
		req.Vector = make([]float32, len(r.b)/4)
		for i := range req.Vector {
			req.Vector[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.b[4*i:]))
		}
	}
	var err error
	req.Filter, err = parseFilter(filter)
	return req, err
}

func flag(on bool, bit byte) byte {
	if on {
		return bit
	}
	return 0
}

// appendStrings appends a list that may be nil.
func appendStrings(dst []byte, list []string) []byte {
	if list == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(list))+1)
	for _, s := range list {
		dst = appendBytes(dst, []byte(s))
	}
	return dst
}

// appendOptional appends bytes that may be nil.
func appendOptional(dst, b []byte) []byte {
	if b == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(b))+1)
	return append(dst, b...)
}

func (r *reader) int() int {
	if r.err != nil {
		return 0
	}
	n, k := binary.Varint(r.b)
	if k <= 0 || n != int64(int(n)) {
		r.fail("bad integer")
		return 0
	}
	r.b = r.b[k:]
	return int(n)
}

func (r *reader) uint64() uint64 {
	if b := r.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// strings reads what appendStrings wrote.
func (r *reader) strings() []string {
	n := r.count(1) // each string takes its length's byte at least
	if n == 0 || r.err != nil {
		return nil
	}
	out := make([]string, n-1)
	for i := range out {
		out[i] = string(r.bytes())
	}
	return out
}

// optional reads what appendOptional wrote (not a copy).
func (r *reader) optional() []byte {
	n := r.count(1)
	if n == 0 || r.err != nil {
		return nil
	}
	return r.take(n - 1)
}
