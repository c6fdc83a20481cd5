package simd

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// awkwardLengths covers empty, shorter than one register, every tail length
// around the 8-, 16- and 64-lane widths, and the dimensions users pick.
func awkwardLengths() []int {
	var ns []int
	for n := 0; n <= 70; n++ {
		ns = append(ns, n)
	}
	return append(ns, 96, 100, 127, 128, 129, 255, 256, 300, 384, 768, 1023, 1536)
}

func TestFloatKernelsMatchFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range awkwardLengths() {
		a, b := make([]float32, n), make([]float32, n+3) // b longer than a is allowed
		for i := range a {
			a[i] = rng.Float32()*2 - 1
		}
		for i := range b {
			b[i] = rng.Float32()*2 - 1
		}
		var dot, l2 float64
		for i := range a {
			dot += float64(a[i]) * float64(b[i])
			d := float64(a[i]) - float64(b[i])
			l2 += d * d
		}
		tol := 1e-5 * math.Max(1, float64(n))
		assert.InDelta(t, dot, float64(Dot(a, b)), tol, "Dot n=%d level=%s", n, Level())
		assert.InDelta(t, l2, float64(SquaredL2(a, b)), tol, "SquaredL2 n=%d level=%s", n, Level())
		for _, k := range available() {
			assert.InDelta(t, dot, float64(k.dot(a, b)), tol, "dot n=%d set=%s", n, k.name)
			assert.InDelta(t, l2, float64(k.squaredL2(a, b)), tol, "squaredL2 n=%d set=%s", n, k.name)
		}
	}
}

func TestDotU8I8Exact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range awkwardLengths() {
		a, b := make([]uint8, n), make([]int8, n+5)
		for i := range a {
			a[i] = uint8(rng.IntN(256))
		}
		for i := range b {
			b[i] = int8(rng.IntN(255) - 127)
		}
		var want int32
		for i := range a {
			want += int32(a[i]) * int32(b[i])
		}
		require.Equal(t, want, DotU8I8(a, b), "n=%d level=%s", n, Level())
		for _, k := range available() {
			require.Equal(t, want, k.dotU8I8(a, b), "n=%d set=%s", n, k.name)
		}
	}
	// The extremes: every code 255 against every query byte ±127.
	a, b := make([]uint8, 4096), make([]int8, 4096)
	for i := range a {
		a[i], b[i] = 255, -127
	}
	assert.Equal(t, int32(-255*127*4096), DotU8I8(a, b))
	for _, k := range available() {
		assert.Equal(t, int32(-255*127*4096), k.dotU8I8(a, b), "set=%s", k.name)
		for i := range b {
			b[i] = 127
		}
		assert.Equal(t, int32(255*127*4096), k.dotU8I8(a, b), "set=%s", k.name)
		for i := range b {
			b[i] = -127
		}
	}
}

// A b shorter than a panics in the exported wrappers instead of letting
// the assembly read past b.
func TestShortBPanics(t *testing.T) {
	assert.Panics(t, func() { Dot(make([]float32, 9), make([]float32, 8)) })
	assert.Panics(t, func() { SquaredL2(make([]float32, 9), make([]float32, 8)) })
	assert.Panics(t, func() { DotU8I8(make([]uint8, 9), make([]int8, 8)) })
}

// The chosen set follows the features: a CPU without them gets the generic
// set, and this one gets the best set it runs.
func TestChoose(t *testing.T) {
	assert.Equal(t, "generic", choose(features{}, asmKernels).name)
	assert.Equal(t, "generic", choose(features{avx2: true}, asmKernels).name, "AVX2 without FMA")
	assert.Equal(t, "generic", choose(features{fma: true}, asmKernels).name, "FMA without AVX2")
	if runtime.GOARCH == "amd64" {
		assert.Equal(t, "generic", choose(features{avx2: true, fma: true}, asmKernels).name, "AVX2 and FMA without F16C")
		assert.Equal(t, "avx2", choose(features{avx2: true, fma: true, f16c: true}, asmKernels).name)
	}
	assert.Equal(t, "generic", choose(features{avx2: true, fma: true}, nil).name)
	all := available()
	require.NotEmpty(t, all)
	assert.Equal(t, "generic", all[len(all)-1].name)
	assert.Equal(t, all[0].name, Level(), "the best available set is the one in use")
}
