package recommend

import "github.com/viterin/vek/vek32"

// dot is the inner product of equal-length vectors.
func dot(a, b []float32) float32 { return vek32.Dot(a, b) }

// scoreDot writes <q, row_i> for every row of the row-major factors.
func scoreDot(dst, q, rows []float32) {
	f := len(q)
	for i := range dst {
		dst[i] = vek32.Dot(q, rows[i*f:i*f+f])
	}
}
