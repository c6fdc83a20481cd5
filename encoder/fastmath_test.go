package encoder

import (
	"math"
	"testing"
)

func TestErf32(t *testing.T) {
	worst := 0.0
	for x := -8.0; x <= 8; x += 1e-4 {
		x32 := float32(x)
		d := math.Abs(float64(erf32(x32)) - math.Erf(float64(x32)))
		worst = max(worst, d)
	}
	t.Logf("erf32: max abs error %.3g on [-8, 8]", worst)
	if worst > 2e-6 {
		t.Errorf("erf32: max abs error %.3g, want <= 2e-6", worst)
	}
}

func TestExp32(t *testing.T) {
	worst := 0.0
	for x := -100.0; x <= 0; x += 1e-4 {
		x32 := float32(x)
		want := math.Exp(float64(x32))
		got := float64(exp32(x32))
		if want < 1e-37 {
			if got > 1e-37 {
				t.Fatalf("exp32(%g) = %g, want about 0", x, got)
			}
			continue
		}
		worst = max(worst, math.Abs(got-want)/want)
	}
	t.Logf("exp32: max relative error %.3g on [-100, 0]", worst)
	if worst > 1e-6 {
		t.Errorf("exp32: max relative error %.3g, want <= 1e-6", worst)
	}
}

// TestGELU checks the vector GELU against the float64 definition over
// awkward lengths.
func TestGELU(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 384, 777} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i-n/2) * 12 / float32(n) // [-6, 6)
		}
		want := make([]float64, n)
		for i, v := range x {
			want[i] = 0.5 * float64(v) * (1 + math.Erf(float64(v)/math.Sqrt2))
		}
		gelu(x)
		for i := range x {
			if d := math.Abs(float64(x[i]) - want[i]); d > 2e-6*max(1, math.Abs(want[i])) {
				t.Fatalf("n=%d: gelu[%d] = %g, want %g", n, i, x[i], want[i])
			}
		}
	}
}
