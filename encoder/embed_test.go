package encoder

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// embeddingRef is testdata/embeddings_*.json.gz, written by
// scripts/encoder/make_reference.py with sentence-transformers.
type embeddingRef struct {
	SentenceTransformers string      `json:"sentence_transformers"`
	Torch                string      `json:"torch"`
	Texts                []string    `json:"texts"`
	Embeddings           [][]float32 `json:"embeddings"`
}

func readEmbeddingRef(t *testing.T, path string) embeddingRef {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var ref embeddingRef
	if err := json.NewDecoder(zr).Decode(&ref); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(ref.Texts) != len(ref.Embeddings) || len(ref.Texts) == 0 {
		t.Fatalf("%s: %d texts, %d embeddings", path, len(ref.Texts), len(ref.Embeddings))
	}
	return ref
}

// Tolerances against sentence-transformers on PyTorch CPU.
const (
	maxAbsDiff = 1e-4
	minCosine  = 0.99999
)

// checkEmbeddings encodes ref's texts one at a time and all together, and
// compares both with the reference vectors.
func checkEmbeddings(t *testing.T, e *Encoder, ref embeddingRef) {
	t.Helper()
	ctx := context.Background()
	batch, err := e.Encode(ctx, ref.Texts)
	if err != nil {
		t.Fatal(err)
	}
	var worstDiff, worstCos float64 = 0, 1
	for i, text := range ref.Texts {
		single, err := e.Encode(ctx, []string{text})
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range []struct {
			how string
			v   []float32
		}{{"single", single[0]}, {"batch", batch[i]}} {
			if len(got.v) != len(ref.Embeddings[i]) {
				t.Fatalf("%q: %d dims, want %d", text, len(got.v), len(ref.Embeddings[i]))
			}
			d, c := compareVec(got.v, ref.Embeddings[i])
			worstDiff, worstCos = max(worstDiff, d), min(worstCos, c)
			if d > maxAbsDiff || c < minCosine {
				t.Errorf("%s %q: max abs diff %.3g, cosine %.7f", got.how, text, d, c)
			}
		}
	}
	t.Logf("%d texts (sentence-transformers %s, torch %s): max abs diff %.3g, min cosine %.8f",
		len(ref.Texts), ref.SentenceTransformers, ref.Torch, worstDiff, worstCos)
}

func TestEmbeddingsMatchSentenceTransformers(t *testing.T) {
	ref := readEmbeddingRef(t, "testdata/embeddings_minilm.json.gz")
	if len(ref.Texts) < 100 {
		t.Fatalf("only %d reference texts", len(ref.Texts))
	}
	checkEmbeddings(t, miniLM(t), ref)
}

// TestEmbeddingsSmallBatches packs the same texts into many small forward
// passes on one thread and on several: the vectors must not depend on how
// texts are grouped.
func TestEmbeddingsSmallBatches(t *testing.T) {
	ref := readEmbeddingRef(t, "testdata/embeddings_minilm.json.gz")
	dir := modelDir(t, "QUIVER_MODEL_DIR", "all-MiniLM-L6-v2")
	for _, opts := range []Options{{BatchTokens: 300, Threads: 1}, {BatchTokens: 600, Threads: 3}} {
		e, err := Load(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		vecs, err := e.Encode(context.Background(), ref.Texts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range vecs {
			if d, c := compareVec(vecs[i], ref.Embeddings[i]); d > maxAbsDiff || c < minCosine {
				t.Errorf("%+v %q: max abs diff %.3g, cosine %.7f", opts, ref.Texts[i], d, c)
			}
		}
	}
}

// TestCLSPooling loads a copy of all-MiniLM-L6-v2 whose sentence-transformers
// files say CLS pooling without normalisation (the shape of bge-small-en-v1.5)
// and compares it with sentence-transformers on the same files.
func TestCLSPooling(t *testing.T) {
	src := modelDir(t, "QUIVER_MODEL_DIR", "all-MiniLM-L6-v2")
	ref := readEmbeddingRef(t, "testdata/embeddings_minilm_cls.json.gz")
	dir := t.TempDir()
	abs, err := filepath.Abs(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "tokenizer.json", "model.safetensors", "sentence_bert_config.json"} {
		if err := os.Symlink(filepath.Join(abs, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "1_Pooling"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("modules.json", `[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
		{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]`)
	write("1_Pooling/config.json", `{"word_embedding_dimension":384,"pooling_mode_cls_token":true,"pooling_mode_mean_tokens":false}`)
	e, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p, norm := e.Pooling(); p != "cls" || norm {
		t.Fatalf("Pooling() = %s, %v; want cls, false", p, norm)
	}
	checkEmbeddings(t, e, ref)
}
