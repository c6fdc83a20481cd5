package recommend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The saved form of a DotHybrid's item side, little-endian:
//
//	"QDHY" version(4) factors(4) contentDim(4) items(4)
//	ContentWeight PopularityWeight (float32) RecencyBeta RecencyHalfLife (float64)
//	Centroid: RatingWeight(1) RatingShift(float32) RecencyHalfLife(float64)
//	counts (items uint32) content (items×contentDim float32)
//
// The iALS model is not in it (its owner saves it once; LoadDotHybrid
// takes it back). Covariances, scales and item vectors are recomputed on
// load by the code that built them, so they come back bit for bit. Trained
// users are not kept: a loaded DotHybrid folds users in.
const (
	dotHybridMagic   = "QDHY"
	dotHybridVersion = 1
	dotHybridHeader  = 4 + 4*4 + 2*4 + 2*8 + 1 + 4 + 8
)

// MarshalBinary returns the saved form of the item side.
func (h *DotHybrid) MarshalBinary() ([]byte, error) {
	d := h.dim - 1 - h.f
	out := make([]byte, 0, dotHybridHeader+4*len(h.counts)*(1+d))
	out = append(out, dotHybridMagic...)
	for _, v := range []int{dotHybridVersion, h.f, d, len(h.counts)} {
		out = binary.LittleEndian.AppendUint32(out, uint32(v))
	}
	o := h.opts
	out = binary.LittleEndian.AppendUint32(out, math.Float32bits(o.ContentWeight))
	out = binary.LittleEndian.AppendUint32(out, math.Float32bits(o.PopularityWeight))
	out = binary.LittleEndian.AppendUint64(out, math.Float64bits(o.RecencyBeta))
	out = binary.LittleEndian.AppendUint64(out, math.Float64bits(o.RecencyHalfLife))
	var rw byte
	if o.Centroid.RatingWeight {
		rw = 1
	}
	out = append(out, rw)
	out = binary.LittleEndian.AppendUint32(out, math.Float32bits(o.Centroid.RatingShift))
	out = binary.LittleEndian.AppendUint64(out, math.Float64bits(o.Centroid.RecencyHalfLife))
	for _, c := range h.counts {
		out = binary.LittleEndian.AppendUint32(out, uint32(c))
	}
	for _, v := range h.content.Vectors {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out, nil
}

// LoadDotHybrid reads an item side saved by MarshalBinary over the iALS
// model it was built from. Sizes are checked against the bytes present
// before anything is allocated from them, and the values must be finite.
func LoadDotHybrid(b []byte, ials *IALS) (*DotHybrid, error) {
	if len(b) < dotHybridHeader || string(b[:4]) != dotHybridMagic {
		return nil, errors.New("dot hybrid: not a saved item side")
	}
	u32 := func(off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
	f32 := func(off int) float32 { return math.Float32frombits(u32(off)) }
	f64 := func(off int) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b[off:])) }
	if v := u32(4); v != dotHybridVersion {
		return nil, fmt.Errorf("dot hybrid: version %d, want %d", v, dotHybridVersion)
	}
	f, d, items := uint64(u32(8)), uint64(u32(12)), uint64(u32(16))
	if d < 1 || d > 1<<16 || items*4*(1+d) != uint64(len(b)-dotHybridHeader) {
		return nil, fmt.Errorf("dot hybrid: %d items of content dimension %d do not fit %d bytes", items, d, len(b))
	}
	if f != uint64(ials.Factors()) || items != uint64(ials.Items()) {
		return nil, fmt.Errorf("dot hybrid: %d factors and %d items, iALS model %d and %d: %w", f, items, ials.Factors(), ials.Items(), ErrDimension)
	}
	opts := DotHybridOptions{ContentWeight: f32(20), PopularityWeight: f32(24), RecencyBeta: f64(28), RecencyHalfLife: f64(36),
		Centroid: CentroidOptions{RatingWeight: b[44] == 1, RatingShift: f32(45), RecencyHalfLife: f64(49)}}
	if !finite(opts.Centroid.RatingShift) || math.IsNaN(opts.Centroid.RecencyHalfLife) || math.IsInf(opts.Centroid.RecencyHalfLife, 0) {
		return nil, fmt.Errorf("dot hybrid: centroid options %+v: %w", opts.Centroid, ErrValue)
	}
	rest := b[dotHybridHeader:]
	counts := make([]int, items)
	for i := range counts {
		counts[i] = int(binary.LittleEndian.Uint32(rest[4*i:]))
	}
	rest = rest[4*items:]
	content := Content{Dim: int(d), Vectors: make([]float32, items*d)}
	for k := range content.Vectors {
		v := math.Float32frombits(binary.LittleEndian.Uint32(rest[4*k:]))
		if !finite(v) {
			return nil, fmt.Errorf("dot hybrid: content value %d is %g: %w", k, v, ErrValue)
		}
		content.Vectors[k] = v
	}
	return NewDotHybridItems(ials, counts, content, opts)
}
