package storage

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/quiver-db/quiver/pointid"
)

// Space tags: the first byte of every key (doc.go).
const (
	tagMeta       = 0x01
	tagCatalog    = 0x02
	tagCollection = 0x03
	tagAlias      = 0x04
)

// Sections of a collection's key range (doc.go).
const (
	secIDToNode = 'i'
	secNodeToID = 'n'
	secVector   = 'v'
	secPayload  = 'p'
	secTerms    = 't'
	secLog      = 'l'
	secGraph    = 'g'
	secSparse   = 's'

	// secRetiredIndex held format 1's inverted payload index ('x' term N);
	// upgradeFrom1 deletes it and no format after uses the tag.
	secRetiredIndex = 'x'
)

var (
	formatKey     = append([]byte{tagMeta}, "format"...)
	nextPrefixKey = append([]byte{tagMeta}, "next_prefix"...)
)

func catalogKey(name string) []byte { return append([]byte{tagCatalog}, name...) }

// key returns 0x03 C section followed by parts.
func (c *Collection) key(section byte, n int) []byte {
	k := make([]byte, 0, 6+n)
	k = append(k, tagCollection)
	k = binary.BigEndian.AppendUint32(k, c.prefix)
	return append(k, section)
}

// bounds returns the key range of one section, or of the whole collection
// when section is 0.
func (c *Collection) bounds(section byte) (lo, hi []byte) {
	lo = append([]byte{tagCollection}, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(lo[1:], c.prefix)
	if section == 0 {
		hi = append([]byte{tagCollection}, 0, 0, 0, 0)
		binary.BigEndian.PutUint32(hi[1:], c.prefix+1)
		return lo, hi
	}
	return append(lo, section), append(lo[:5:5], section+1)
}

func (c *Collection) idKey(id pointid.ID) []byte {
	return id.AppendKey(c.key(secIDToNode, pointid.MaxKeyLen))
}

func (c *Collection) nodeKey(section byte, node uint32) []byte {
	return binary.BigEndian.AppendUint32(c.key(section, 4), node)
}

func (c *Collection) vectorKey(space uint8, node uint32) []byte {
	return binary.BigEndian.AppendUint32(append(c.key(secVector, 5), space), node)
}

func (c *Collection) logKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(c.key(secLog, 8), seq)
}

func (c *Collection) graphHeaderKey(space uint8) []byte {
	return append(c.key(secGraph, 2), space, 'h')
}

// graphChunkKey is a chunk of the snapshot of generation gen. Generation 0
// is the layout before generations (…, space, 'c', chunk); later ones sort
// under (…, space, 'g', gen, chunk).
func (c *Collection) graphChunkKey(space uint8, gen, chunk uint32) []byte {
	if gen == 0 {
		return binary.BigEndian.AppendUint32(append(c.key(secGraph, 6), space, 'c'), chunk)
	}
	k := binary.BigEndian.AppendUint32(append(c.key(secGraph, 10), space, 'g'), gen)
	return binary.BigEndian.AppendUint32(k, chunk)
}

// graphGenBounds are the bounds of every chunk of generation gen.
func (c *Collection) graphGenBounds(space uint8, gen uint32) (lo, hi []byte) {
	lo = c.graphChunkKey(space, gen, 0)
	return lo, prefixEnd(lo[:len(lo)-4])
}

// TermKind says how a payload-index term's value is encoded.
type TermKind uint8

// Term kinds.
const (
	TermKeyword TermKind = 1 // exact string equality
	TermNumber  TermKind = 2 // float64, ordered
)

// Term is one payload-index entry's value: a field name and either a keyword
// or a number.
type Term struct {
	Field   string
	Kind    TermKind
	Keyword string
	Number  float64
}

// appendTerm appends a term's encoding: uint16 field length, field, kind
// byte, then for a keyword its uint16 length and bytes, for a number its
// order-preserving 8 bytes.
func appendTerm(dst []byte, t Term) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.Field)))
	dst = append(dst, t.Field...)
	dst = append(dst, byte(t.Kind))
	if t.Kind == TermKeyword {
		kw := t.Keyword
		if len(kw) > MaxTermLen {
			kw = kw[:MaxTermLen]
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(kw)))
		return append(dst, kw...)
	}
	return binary.BigEndian.AppendUint64(dst, orderedFloat(t.Number))
}

// MaxTermLen bounds the bytes of a field name or keyword in a payload index.
// Callers must not index longer field names; a longer keyword is indexed by
// its first MaxTermLen bytes, so a lookup of such a keyword returns a superset
// that the caller must verify against the payload.
const MaxTermLen = 1024

// orderedFloat maps a float64 to a uint64 whose unsigned order is the
// float's numeric order (-0 and +0 map apart; NaN is never indexed).
func orderedFloat(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func unorderedFloat(u uint64) float64 {
	if u>>63 == 1 {
		return math.Float64frombits(u &^ (1 << 63))
	}
	return math.Float64frombits(^u)
}

// encodeTerms encodes a point's term list for its 't' key: each term as
// uint16 length + appendTerm bytes.
func encodeTerms(terms []Term) []byte {
	var out, buf []byte
	for _, t := range terms {
		buf = appendTerm(buf[:0], t)
		out = binary.BigEndian.AppendUint16(out, uint16(len(buf)))
		out = append(out, buf...)
	}
	return out
}

// decodeTerm parses one encoded term (appendTerm's output); a keyword
// comes back as indexed, cut to MaxTermLen bytes.
func decodeTerm(k []byte) (Term, error) {
	bad := fmt.Errorf("%w: term %x", ErrCorrupt, k)
	if len(k) < 3 {
		return Term{}, bad
	}
	n := int(binary.BigEndian.Uint16(k))
	if len(k) < 2+n+1 {
		return Term{}, bad
	}
	t := Term{Field: string(k[2 : 2+n]), Kind: TermKind(k[2+n])}
	rest := k[3+n:]
	switch t.Kind {
	case TermKeyword:
		if len(rest) < 2 || len(rest) != 2+int(binary.BigEndian.Uint16(rest)) {
			return Term{}, bad
		}
		t.Keyword = string(rest[2:])
	case TermNumber:
		if len(rest) != 8 {
			return Term{}, bad
		}
		t.Number = unorderedFloat(binary.BigEndian.Uint64(rest))
	default:
		return Term{}, bad
	}
	return t, nil
}

// decodeTermKeys splits a 't' value into the encoded terms it lists.
func decodeTermKeys(v []byte) ([][]byte, error) {
	var out [][]byte
	for len(v) > 0 {
		if len(v) < 2 {
			return nil, fmt.Errorf("%w: truncated term list", ErrCorrupt)
		}
		n := int(binary.BigEndian.Uint16(v))
		if len(v) < 2+n {
			return nil, fmt.Errorf("%w: truncated term", ErrCorrupt)
		}
		out = append(out, v[2:2+n])
		v = v[2+n:]
	}
	return out, nil
}
