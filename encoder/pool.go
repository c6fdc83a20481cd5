package encoder

import "math"

// poolInto writes the text vector of one sequence, whose token vectors are
// the rows of h (hidden floats each), into dst.
func poolInto(dst, h []float32, p pooling, normalize bool) {
	n := len(dst)
	L := len(h) / n
	switch p {
	case poolCLS:
		copy(dst, h[:n])
	case poolMax:
		copy(dst, h[:n])
		for t := 1; t < L; t++ {
			for j, v := range h[t*n : (t+1)*n] {
				dst[j] = max(dst[j], v)
			}
		}
	default:
		clear(dst)
		for t := 0; t < L; t++ {
			for j, v := range h[t*n : (t+1)*n] {
				dst[j] += v
			}
		}
		div := float32(L)
		if p == poolMeanSqrtLen {
			div = float32(math.Sqrt(float64(L)))
		}
		for j := range dst {
			dst[j] /= div
		}
	}
	if normalize {
		var ss float64
		for _, v := range dst {
			ss += float64(v) * float64(v)
		}
		// torch.nn.functional.normalize divides by max(‖v‖, 1e-12).
		inv := float32(1 / max(math.Sqrt(ss), 1e-12))
		for j := range dst {
			dst[j] *= inv
		}
	}
}
