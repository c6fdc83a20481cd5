package simd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/viterin/vek/vek32"
)

var benchDims = []int{100, 384, 768}

func benchFloats(n int) ([]float32, []float32) {
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := make([]float32, n), make([]float32, n)
	for i := range a {
		a[i], b[i] = rng.Float32(), rng.Float32()
	}
	return a, b
}

var sinkF float32
var sinkI int32

// benchFloat runs f for each set and dimension; vek is what the graph used
// before these kernels.
func benchFloat(b *testing.B, pick func(kernels) func(a, b []float32) float32, vek func(a, b []float32) float32) {
	for _, n := range benchDims {
		x, y := benchFloats(n)
		run := func(name string, f func(a, b []float32) float32) {
			b.Run(fmt.Sprintf("set=%s/n=%d", name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					sinkF += f(x, y)
				}
			})
		}
		for _, k := range available() {
			run(k.name, pick(k))
		}
		run("vek", vek)
	}
}

func BenchmarkDot(b *testing.B) {
	benchFloat(b, func(k kernels) func(a, b []float32) float32 { return k.dot }, vek32.Dot)
}

func BenchmarkSquaredL2(b *testing.B) {
	benchFloat(b, func(k kernels) func(a, b []float32) float32 { return k.squaredL2 }, vek32.Distance)
}

func BenchmarkDotU8I8(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range benchDims {
		x, y := make([]uint8, n), make([]int8, n)
		for i := range x {
			x[i], y[i] = uint8(rng.IntN(256)), int8(rng.IntN(255)-127)
		}
		for _, k := range available() {
			b.Run(fmt.Sprintf("set=%s/n=%d", k.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					sinkI += k.dotU8I8(x, y)
				}
			})
		}
	}
}
