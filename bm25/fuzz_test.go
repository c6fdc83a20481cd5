package bm25

import (
	"math"
	"testing"

	"github.com/quiver-db/quiver/sparse"
)

// FuzzText feeds arbitrary text (request bodies carry it) to the tokenizer
// and the vectorizers in every language: they must not panic, and each
// vector must be valid: sorted, distinct ids, finite positive weights.
func FuzzText(f *testing.F) {
	for _, seed := range []string{"The quick brown foxes jumped", "Ça va? Überall schöne Grüße!",
		"", "\xff\xfe invalid utf-8 \xc3", "a-b_c d.e 42 ９９", "日本語のテキスト", "   \t\n"} {
		f.Add(seed)
	}
	langs := Languages()
	f.Fuzz(func(t *testing.T, text string) {
		for _, lang := range langs {
			if _, err := Tokens(text, lang); err != nil {
				t.Fatalf("tokens of %q in %s: %v", text, lang, err)
			}
			for _, fn := range []func(string, Options) (sparse.Vector, error){Document, Query} {
				v, err := fn(text, Options{Language: lang})
				if err != nil {
					t.Fatalf("vector of %q in %s: %v", text, lang, err)
				}
				if err := v.Validate(); err != nil {
					t.Fatalf("vector of %q in %s: %v", text, lang, err)
				}
				for _, w := range v.Values {
					if !(w > 0) || math.IsInf(float64(w), 0) {
						t.Fatalf("vector of %q in %s has weight %v", text, lang, w)
					}
				}
			}
		}
	})
}
