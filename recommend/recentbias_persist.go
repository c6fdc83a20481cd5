package recommend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The saved form of a Ratings model, little-endian:
//
//	"QRAT" version(4) users(4) items(4) iterations(4)
//	mean lo hi lambdaUser lambdaItem baseLambdaUser floor (float32 each)
//	halfLife (float64)
//	user biases (users float32) item biases (items float32)
const (
	ratingsMagic   = "QRAT"
	ratingsVersion = 1
	ratingsHeader  = 4 + 4*4 + 7*4 + 8
)

// MarshalBinary returns the model's saved form.
func (r *Ratings) MarshalBinary() ([]byte, error) {
	out := make([]byte, 0, ratingsHeader+4*(len(r.user)+len(r.item)))
	out = append(out, ratingsMagic...)
	for _, v := range []int{ratingsVersion, len(r.user), len(r.item), r.opts.Iterations} {
		out = binary.LittleEndian.AppendUint32(out, uint32(v))
	}
	o := r.opts
	for _, v := range []float32{r.mean, r.lo, r.hi, o.LambdaUser, o.LambdaItem, o.BaseLambdaUser, o.Floor} {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	out = binary.LittleEndian.AppendUint64(out, math.Float64bits(o.HalfLife))
	for _, s := range [][]float32{r.user, r.item} {
		for _, v := range s {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	return out, nil
}

// LoadRatings reads a model saved by MarshalBinary. The counts are checked
// against the bytes present before anything is allocated from them, and
// every value must be finite.
func LoadRatings(b []byte) (*Ratings, error) {
	if len(b) < ratingsHeader || string(b[:4]) != ratingsMagic {
		return nil, errors.New("ratings model: not a saved model")
	}
	u32 := func(off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
	f32 := func(off int) float32 { return math.Float32frombits(u32(off)) }
	if v := u32(4); v != ratingsVersion {
		return nil, fmt.Errorf("ratings model: version %d, want %d", v, ratingsVersion)
	}
	users, items := uint64(u32(8)), uint64(u32(12))
	if (users+items)*4 != uint64(len(b)-ratingsHeader) {
		return nil, fmt.Errorf("ratings model: %d users and %d items do not fit %d bytes", users, items, len(b))
	}
	r := &Ratings{mean: f32(20), lo: f32(24), hi: f32(28)}
	r.opts = RatingsOptions{Iterations: int(u32(16)), LambdaUser: f32(32), LambdaItem: f32(36), BaseLambdaUser: f32(40),
		Floor: f32(44), HalfLife: math.Float64frombits(binary.LittleEndian.Uint64(b[48:]))}
	if err := r.opts.Validate(); err != nil {
		return nil, fmt.Errorf("ratings model: %w", err)
	}
	if !finite(r.mean) || !finite(r.lo) || !finite(r.hi) || r.lo > r.hi {
		return nil, fmt.Errorf("ratings model: mean %g, range [%g, %g]: %w", r.mean, r.lo, r.hi, ErrValue)
	}
	vals := make([]float32, users+items)
	for k := range vals {
		if vals[k] = f32(ratingsHeader + 4*k); !finite(vals[k]) {
			return nil, fmt.Errorf("ratings model: bias %d is %g: %w", k, vals[k], ErrValue)
		}
	}
	r.user, r.item = vals[:users:users], vals[users:]
	return r, nil
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
