package encoder

import (
	"context"
	"fmt"
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
		ids = e.tok.Encode(ids[:0], ref.Texts[i%len(ref.Texts)], e.maxSeqLen)
	}
}
