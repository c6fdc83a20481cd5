package httpapi

import (
	"math"
	"strconv"
	"unsafe"
)

// Vectors arrive as decimal text, and strconv.ParseFloat spends about
// 80 ns on each of a query's hundreds of numbers, mostly on syntax JSON
// does not allow. parseFloat32 takes the common case itself: at most 15
// significant digits and a power of ten within ±22, where the float64
// quotient or product is exact-rounded. Rounding that float64 to float32
// again gives the exact float32 unless the float64 sits on a midpoint
// between two float32s; then, and in every other case, strconv decides.

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat32 converts a JSON number, already checked against the
// grammar, to the float32 strconv.ParseFloat(tok, 32) gives.
func parseFloat32(tok []byte) (float32, bool) {
	if f, ok := fastFloat32(tok); ok {
		return f, true
	}
	// The string does not outlive the call: on error the caller gives up
	// and the error is dropped.
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 32)
	return float32(f), err == nil
}

func fastFloat32(tok []byte) (float32, bool) {
	i, neg := 0, false
	if i < len(tok) && tok[i] == '-' {
		neg, i = true, 1
	}
	var mant uint64
	digits, exp := 0, 0
	sawDot := false
	for ; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= '0' && c <= '9':
			if mant == 0 && c == '0' {
				if sawDot {
					exp--
				}
				continue
			}
			if digits == 15 {
				return 0, false
			}
			mant = mant*10 + uint64(c-'0')
			digits++
			if sawDot {
				exp--
			}
		case c == '.':
			sawDot = true
		case c == 'e' || c == 'E':
			e, ok := smallExponent(tok[i+1:])
			if !ok {
				return 0, false
			}
			exp += e
			i = len(tok)
		default:
			return 0, false
		}
	}
	if mant == 0 {
		if neg {
			return float32(math.Copysign(0, -1)), true
		}
		return 0, true
	}
	if exp < -22 || exp > 22 {
		return 0, false
	}
	f := float64(mant)
	if exp < 0 {
		f /= pow10[-exp]
	} else {
		f *= pow10[exp]
	}
	// A float64 halfway between two normal float32s has exactly the top
	// bit set of the 29 mantissa bits float32 drops; tiny values have
	// fewer bits in float32 and are left to strconv too.
	if bits := math.Float64bits(f); bits&(1<<29-1) == 1<<28 || f < math.SmallestNonzeroFloat32*(1<<23) {
		return 0, false
	}
	f32 := float32(f)
	if math.IsInf(float64(f32), 0) {
		return 0, false
	}
	if neg {
		f32 = -f32
	}
	return f32, true
}

// smallExponent reads an exponent's digits, with their sign, when it is
// small enough to matter.
func smallExponent(b []byte) (int, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 || len(b) > 3 {
		return 0, false
	}
	e := 0
	for _, c := range b {
		e = e*10 + int(c-'0')
	}
	if neg {
		e = -e
	}
	return e, true
}
