package encoder

import "math"

// layerNorm normalises each row of x (rows of len(g) floats) in place:
// (x−mean)/√(var+eps)·g + b.
func layerNorm(x, g, b []float32, eps float64) {
	n := len(g)
	for r := 0; r+n <= len(x); r += n {
		row := x[r : r+n]
		var sum float64
		for _, v := range row {
			sum += float64(v)
		}
		mean := sum / float64(n)
		var ss float64
		for _, v := range row {
			d := float64(v) - mean
			ss += d * d
		}
		inv := 1 / math.Sqrt(ss/float64(n)+eps)
		fm, fi := float32(mean), float32(inv)
		for i, v := range row {
			row[i] = (v-fm)*fi*g[i] + b[i]
		}
	}
}

// addLayerNorm sets x = LayerNorm(x + y), the residual connection.
func addLayerNorm(x, y, g, b []float32, eps float64) {
	for i := range x {
		x[i] += y[i]
	}
	layerNorm(x, g, b, eps)
}

// gelu applies the exact GELU, x·Φ(x) = x/2·(1 + erf(x/√2)), in place.
func gelu(x []float32) {
	for i, v := range x {
		x[i] = float32(0.5 * float64(v) * (1 + math.Erf(float64(v)*math.Sqrt2/2)))
	}
}
