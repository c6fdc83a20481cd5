package encoder

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkEncode encodes the reference texts (hard cases, MovieLens titles
// and tags) in batches of several sizes.
func BenchmarkEncode(b *testing.B) {
	e := miniLM(b)
	ref := readEmbeddingRef(&testing.T{}, "testdata/embeddings_minilm.json.gz")
	texts := ref.Texts[len(ref.Texts)-60:] // the titles and tags
	for _, bs := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("batch=%d", bs), func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; i < b.N; i++ {
				lo := (i * bs) % len(texts)
				batch := texts[lo:min(lo+bs, len(texts))]
				if _, err := e.Encode(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
				n += len(batch)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "texts/s")
		})
	}
}

// BenchmarkTokenize measures the tokenizer alone on the reference texts.
func BenchmarkTokenize(b *testing.B) {
	e := miniLM(b)
	ref := readEmbeddingRef(&testing.T{}, "testdata/embeddings_minilm.json.gz")
	b.ReportAllocs()
	var ids []int32
	for i := 0; i < b.N; i++ {
		ids = e.tok.encode(ids[:0], ref.Texts[i%len(ref.Texts)], e.maxSeqLen)
	}
}

// TestEncodeAllocsPerToken checks that a forward pass allocates nothing per
// token in the steady state: encoding 256 tokens allocates no more than
// encoding 128 (both large enough to run every step on all threads).
func TestEncodeAllocsPerToken(t *testing.T) {
	e := miniLM(t)
	ctx := context.Background()
	short := []string{strings.Repeat("many words in a long text ", 22)}
	long := []string{strings.Repeat("many words in a long text ", 60)}
	measure := func(texts []string) float64 {
		for i := 0; i < 3; i++ { // grow the scratch memory first
			if _, err := e.Encode(ctx, texts); err != nil {
				t.Fatal(err)
			}
		}
		return testing.AllocsPerRun(5, func() {
			if _, err := e.Encode(ctx, texts); err != nil {
				t.Fatal(err)
			}
		})
	}
	if n := len(e.Tokenize(long[0])); n != e.MaxSeqLen() {
		t.Fatalf("long text has %d tokens, want %d", n, e.MaxSeqLen())
	}
	a, b := measure(short), measure(long)
	t.Logf("allocations per Encode: %.0f for %d tokens, %.0f for %d", a, len(e.Tokenize(short[0])), b, e.MaxSeqLen())
	if b > a+8 {
		t.Errorf("%.0f allocations for 256 tokens, %.0f for %d: allocation grows with tokens", b, a, len(e.Tokenize(short[0])))
	}
}
