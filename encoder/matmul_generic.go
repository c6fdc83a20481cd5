package encoder

// dotRow sets dst[j] to the dot product of a with row j of b (k floats a row).
func dotRow(dst, a, b []float32, k int) { dotRowGo(dst, a, b, k) }
