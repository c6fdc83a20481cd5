package encoder

// geluAVX2 applies GELU with erf32's approximation to x[:len(x)&^7] with
// AVX2 and FMA, 8 floats at a time. Implemented in gelu_amd64.s.
//
//go:noescape
func geluAVX2(x []float32)

// gelu applies the exact GELU, x·Φ(x) = x/2·(1 + erf(x/√2)), in place.
func gelu(x []float32) {
	n := 0
	if useDot4x3 {
		geluAVX2(x)
		n = len(x) &^ 7
	}
	geluGo(x[n:])
}
