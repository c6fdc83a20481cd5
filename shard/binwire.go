package shard

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

// The search calls' binary forms, chosen by content type: a scatter
// pays for a remote shard's call at both ends, and JSON was most of what
// the call cost beside the shard's own search (docs/cluster.md). A search
// request is its fields in turn and its query vector's float32 bytes
// (searchwire.go); an answer of scored points carries ids, scores and
// vectors as fixed-width bytes and only payloads (and the rare fields) as
// JSON. A decoder refuses any input it did not make with
// an error, and sizes nothing by a count it has not bounded by the bytes
// left (invariant 3 still holds: the bytes are the values' bits).

// Content types of the binary forms.
const (
	searchContentType = "application/x-quiver-search"
	scoredContentType = "application/x-quiver-scored"
)

// Magic prefixes, a version each: a form that changes takes a new one.
var (
	searchMagic = []byte("QSR1")
	scoredMagic = []byte("QSC1")
)

// errCorrupt marks a binary body that does not parse.
var errCorrupt = errors.New("corrupt binary body")

// Flags of a scored point's optional fields, in the order they follow.
const (
	flagPayload = 1 << iota
	flagVector
	flagExtra
	flagsKnown = flagPayload | flagVector | flagExtra
)

// minScoredBytes is the least a scored point takes: an integer id's key
// (9 bytes), its score and its flags.
const minScoredBytes = 9 + 4 + 1

// scoredExtra holds a scored point's rarely set fields, as JSON.
type scoredExtra struct {
	Vectors     map[string][]float32     `json:",omitempty"`
	Sparse      map[string]sparse.Vector `json:",omitempty"`
	Explanation []index.Contribution     `json:",omitempty"`
	OrderInt    *int64                   `json:",omitempty"`
	OrderFloat  *float64                 `json:",omitempty"`
	// EmptyVectors and EmptySparse tell an absent map from an empty one,
	// which omitempty cannot.
	EmptyVectors, EmptySparse bool `json:",omitempty"`
}

func extraOf(p *index.ScoredPoint) (scoredExtra, bool) {
	x := scoredExtra{Vectors: p.Vectors, Sparse: p.Sparse, Explanation: p.Explanation,
		EmptyVectors: p.Vectors != nil && len(p.Vectors) == 0, EmptySparse: p.Sparse != nil && len(p.Sparse) == 0}
	switch v := p.OrderValue.(type) {
	case int64:
		x.OrderInt = &v
	case float64:
		x.OrderFloat = &v
	}
	return x, p.Vectors != nil || p.Sparse != nil || p.Explanation != nil || x.OrderInt != nil || x.OrderFloat != nil
}

// appendScored appends ps in the binary form.
func appendScored(dst []byte, ps []index.ScoredPoint) ([]byte, error) {
	dst = append(dst, scoredMagic...)
	dst = binary.AppendUvarint(dst, uint64(len(ps)))
	for i := range ps {
		p := &ps[i]
		dst = p.ID.AppendKey(dst)
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(p.Score))
		extra, hasExtra := extraOf(p)
		var flags byte
		if p.Payload != nil {
			flags |= flagPayload
		}
		if p.Vector != nil {
			flags |= flagVector
		}
		if hasExtra {
			flags |= flagExtra
		}
		dst = append(dst, flags)
		if p.Payload != nil {
			raw, err := json.Marshal(p.Payload)
			if err != nil {
				return nil, fmt.Errorf("point %s: payload: %w", p.ID, err)
			}
			dst = appendBytes(dst, raw)
		}
		if p.Vector != nil {
			dst = binary.AppendUvarint(dst, uint64(len(p.Vector)))
			for _, x := range p.Vector {
				dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
			}
		}
		if hasExtra {
			raw, err := json.Marshal(extra)
			if err != nil {
				return nil, fmt.Errorf("point %s: %w", p.ID, err)
			}
			dst = appendBytes(dst, raw)
		}
	}
	return dst, nil
}

// parseScored reverses appendScored. What it returns shares no bytes
// with b.
func parseScored(b []byte) ([]index.ScoredPoint, error) {
	if !bytes.HasPrefix(b, scoredMagic) {
		return nil, fmt.Errorf("%w: scored points: no %q prefix", errCorrupt, scoredMagic)
	}
	r := reader{b: b[len(scoredMagic):]}
	n := r.count(minScoredBytes)
	out := make([]index.ScoredPoint, 0, n)
	for range n {
		if r.err != nil {
			break
		}
		out = append(out, index.ScoredPoint{})
		p := &out[len(out)-1] // not a local: decoding into it would move it to the heap
		p.ID = r.id()
		p.Score = math.Float32frombits(r.uint32())
		flags := r.byte()
		if flags&^flagsKnown != 0 {
			r.fail("flags %#x", flags)
		}
		if flags&flagPayload != 0 {
			r.json(&p.Payload)
			if r.err == nil && p.Payload == nil {
				r.fail("null payload")
			}
		}
		if flags&flagVector != 0 {
			p.Vector = r.float32s()
		}
		if flags&flagExtra != 0 {
			var x scoredExtra
			r.json(&x)
			p.Vectors, p.Sparse, p.Explanation = x.Vectors, x.Sparse, x.Explanation
			if x.EmptyVectors {
				p.Vectors = map[string][]float32{}
			}
			if x.EmptySparse {
				p.Sparse = map[string]sparse.Vector{}
			}
			switch {
			case x.OrderInt != nil:
				p.OrderValue = *x.OrderInt
			case x.OrderFloat != nil:
				p.OrderValue = *x.OrderFloat
			}
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d bytes after the last point", len(r.b))
	}
	if r.err != nil {
		return nil, fmt.Errorf("scored points: %w", r.err)
	}
	return out, nil
}

// appendBytes appends b with its length before it.
func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// reader reads a binary body; its first error sticks (err), and every
// read after it returns zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{errCorrupt}, args...)...)
	}
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.fail("%d bytes wanted, %d left", n, len(r.b))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) byte() byte {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) uint32() uint32 {
	if b := r.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// count reads a count of items of at least size bytes each, refused when
// the bytes left cannot hold them (so that no count from the wire sizes
// an allocation beyond the body).
func (r *reader) count(size int) int {
	if r.err != nil {
		return 0
	}
	n, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.fail("bad count")
		return 0
	}
	r.b = r.b[k:]
	if n > uint64(len(r.b)/size) {
		r.fail("count %d: only %d bytes left", n, len(r.b))
		return 0
	}
	return int(n)
}

// bytes reads a length-prefixed slice of b (not a copy).
func (r *reader) bytes() []byte {
	n := r.count(1)
	if b := r.take(n); b != nil {
		return b
	}
	return []byte{} // n is 0, or r.err is set
}

func (r *reader) id() pointid.ID {
	if r.err != nil {
		return pointid.ID{}
	}
	id, rest, err := pointid.DecodeKey(r.b)
	if err != nil {
		r.fail("point id: %v", err)
		return pointid.ID{}
	}
	r.b = rest
	return id
}

func (r *reader) float32s() []float32 {
	n := r.count(4)
	raw := r.take(4 * n)
	if r.err != nil {
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

// json decodes a length-prefixed JSON value into v, numbers as
// json.Number (invariant 3), refusing anything after the value.
func (r *reader) json(v any) {
	raw := r.bytes()
	if r.err != nil {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		r.fail("JSON: %v", err)
		return
	}
	if len(bytes.TrimSpace(raw[dec.InputOffset():])) > 0 {
		r.fail("JSON: data after the value")
	}
}
