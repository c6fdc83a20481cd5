package encoder

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// TestEncodeConcurrent runs Encode from several goroutines on one Encoder:
// each must get the vectors a lone call gets.
func TestEncodeConcurrent(t *testing.T) {
	e := miniLM(t)
	ref := readEmbeddingRef(t, "testdata/embeddings_minilm.json.gz")
	texts := ref.Texts[:24]
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < len(texts); i += 4 {
				v, err := e.Encode(context.Background(), texts[i:min(i+3, len(texts))])
				if err != nil {
					errs <- err
					return
				}
				if d, c := compareVec(v[0], ref.Embeddings[i]); d > maxAbsDiff || c < minCosine {
					t.Errorf("goroutine %d, %q: max abs diff %.3g, cosine %.7f", g, texts[i], d, c)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestEncodeCanceled(t *testing.T) {
	e := miniLM(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Encode(ctx, []string{"hello"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Encode on a canceled context: %v, want context.Canceled", err)
	}
	v, err := e.Encode(context.Background(), nil)
	if err != nil || len(v) != 0 {
		t.Fatalf("Encode(nil) = %v, %v", v, err)
	}
}
