package simd

import "math"

// DotF16 returns the sum of a[i]·b[i] over a's length, with b's elements
// IEEE 754 half-precision bits (as ToF16 makes them). b must be at least as
// long as a. Half precision stores re-scoring vectors at half the memory
// of float32 with a relative error near 2^-11 per component.
func DotF16(a []float32, b []uint16) float32 {
	b = b[:len(a)]
	n := len(a) &^ 7
	var s float32
	if n > 0 {
		s = dotF16(a[:n], b[:n])
	}
	return s + dotF16Generic(a[n:], b[n:])
}

// ToF16 writes src rounded to half precision (to nearest, ties to even)
// into dst, which must be as long; magnitudes past the largest half
// (65,504) become infinities.
func ToF16(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		dst[i] = toF16(f)
	}
}

// FromF16 is the float32 value of half-precision bits h.
func FromF16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: frac·2^-24.
	v := float32(frac) / (1 << 24)
	if sign != 0 {
		return -v
	}
	return v
}

func toF16(f float32) uint16 {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int(bits>>23&0xff) - 127 + 15
	frac := bits & 0x7fffff
	switch {
	case bits&0x7fffffff > 0x7f800000: // NaN: keep it quiet
		return sign | 0x7e00
	case exp >= 0x1f:
		return sign | 0x7c00
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		// Subnormal half: shift the full significand into place.
		m := frac | 1<<23
		shift := uint(14 - exp)
		h := m >> shift
		rest := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || rest == half && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(exp)<<10 | frac>>13
	rest := frac & 0x1fff
	if rest > 0x1000 || rest == 0x1000 && h&1 == 1 {
		h++ // may carry into the exponent, up to infinity: still correct
	}
	return sign | uint16(h)
}

func dotF16Generic(a []float32, b []uint16) float32 {
	var s float32
	for i, x := range a {
		s += x * FromF16(b[i])
	}
	return s
}
