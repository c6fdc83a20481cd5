package encoder

import (
	"context"
	"math"
	"testing"
)

// TestPublishedValues checks the first components that the model card of
// all-MiniLM-L6-v2 and its users publish.
func TestPublishedValues(t *testing.T) {
	e := miniLM(t)
	cases := []struct {
		text string
		want []float64
	}{
		{"This is an example sentence", []float64{0.06765693, 0.06349593, 0.04871314, 0.07930495, 0.03744806, 0.00265273}},
		{"Hello World", []float64{-0.0344773, 0.0310232, 0.0067349, 0.0261090, -0.0393621}},
	}
	texts := []string{cases[0].text, cases[1].text}
	vecs, err := e.Encode(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if len(vecs[i]) != 384 {
			t.Fatalf("%q: got %d dims, want 384", c.text, len(vecs[i]))
		}
		for j, w := range c.want {
			if d := math.Abs(float64(vecs[i][j]) - w); d > 1e-4 {
				t.Errorf("%q[%d] = %.8f, want %.8f (diff %.2g)", c.text, j, vecs[i][j], w, d)
			}
		}
	}
}
