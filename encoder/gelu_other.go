//go:build !amd64

package encoder

// gelu applies the exact GELU, x·Φ(x) = x/2·(1 + erf(x/√2)), in place.
func gelu(x []float32) { geluGo(x) }
