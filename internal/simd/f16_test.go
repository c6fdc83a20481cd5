package simd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every half but the NaNs survives the trip to float32 and back, and
// float32 agrees with float64 arithmetic on its value.
func TestF16RoundTripsEveryHalf(t *testing.T) {
	for h := range 1 << 16 {
		f := FromF16(uint16(h))
		if math.IsNaN(float64(f)) {
			require.True(t, h&0x7c00 == 0x7c00 && h&0x3ff != 0, "NaN from %#04x", h)
			require.True(t, math.IsNaN(float64(FromF16(toF16(f)))))
			continue
		}
		require.Equal(t, uint16(h), toF16(f), "half %#04x = %v", h, f)
	}
	assert.Equal(t, float32(1), FromF16(0x3c00))
	assert.Equal(t, float32(-2), FromF16(0xc000))
	assert.Equal(t, float32(65504), FromF16(0x7bff))
	assert.Equal(t, float32(math.Ldexp(1, -24)), FromF16(0x0001))
}

// A float32 rounds to the nearer of the two halves around it, ties to the
// even one, past the largest half to infinity.
func TestToF16RoundsToNearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for range 200000 {
		f := float32(rng.NormFloat64() * math.Pow(2, float64(rng.IntN(40)-26)))
		h := toF16(f)
		got := float64(FromF16(h))
		if math.IsInf(got, 0) {
			require.Greater(t, math.Abs(float64(f)), 65504.0)
			continue
		}
		// Neighbours of h in the direction of f and away from it.
		for _, nb := range []uint16{h + 1, h - 1} {
			other := float64(FromF16(nb))
			if math.IsNaN(other) || (nb^h)&0x8000 != 0 {
				continue
			}
			require.LessOrEqual(t, math.Abs(got-float64(f)), math.Abs(other-float64(f)), "f %v → %#04x", f, h)
		}
	}
	assert.Equal(t, uint16(0x7c00), toF16(1e6))
	// Halves near 1 are 2^-10 apart: 1 + 2^-11 is a tie, and so is 1 + 3·2^-11.
	assert.Equal(t, uint16(0x3c00), toF16(1+1.0/2048), "a tie goes to the even half")
	assert.Equal(t, uint16(0x3c02), toF16(1+3.0/2048), "a tie goes to the even half")
	assert.Equal(t, uint16(0x3c01), toF16(1+1.001/2048))
}

func TestDotF16MatchesItsHalves(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, n := range awkwardLengths() {
		a, f := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], f[i] = rng.Float32()*2-1, rng.Float32()*2-1
		}
		b := make([]uint16, n+3)
		ToF16(b[:n], f)
		var want float64
		for i := range a {
			want += float64(a[i]) * float64(FromF16(b[i]))
		}
		tol := 1e-5 * math.Max(1, float64(n))
		assert.InDelta(t, want, float64(DotF16(a, b)), tol, "n=%d level=%s", n, Level())
		for _, k := range available() {
			m := n &^ 7
			got := k.dotF16(a[:m], b[:m]) + dotF16Generic(a[m:], b[m:n])
			assert.InDelta(t, want, float64(got), tol, "n=%d set=%s", n, k.name)
		}
	}
	assert.Panics(t, func() { DotF16(make([]float32, 9), make([]uint16, 8)) })
}
