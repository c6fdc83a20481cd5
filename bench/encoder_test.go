package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestReadMovieTitles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "movies.csv")
	body := "movieId,title,genres\n1,Toy Story (1995),Animation\n2,\"American President, The (1995)\",Comedy\n3,Heat (1995),Action\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMovieTitles(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "Toy Story (1995)" || got[1] != "American President, The (1995)" {
		t.Fatalf("got %q", got)
	}
	if _, err := ReadMovieTitles(filepath.Join(t.TempDir(), "none.csv"), 0); err == nil {
		t.Fatal("missing file: no error")
	}
}

// TestRunEncoder runs the workload on a few titles when the model is
// fetched (under CI=true it must be).
func TestRunEncoder(t *testing.T) {
	dir := os.Getenv("QUIVER_MODEL_DIR")
	if dir == "" {
		dir = filepath.Join("..", "models", "all-MiniLM-L6-v2")
	}
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("model not fetched under CI: %v", err)
		}
		t.Skipf("model not fetched: %v", err)
	}
	path := filepath.Join(t.TempDir(), "movies.csv")
	body := "movieId,title,genres\n1,Toy Story (1995),Animation\n2,Heat (1995),Action\n3,Sabrina (1995),Comedy\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := RunEncoder(context.Background(), EncoderConfig{
		ModelDir: dir, DataPath: path, BatchSizes: []int{1, 2}, MatmulTime: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Texts != 3 || len(res.Rows) != 2 || res.MeanTokens < 5 {
		t.Fatalf("result %+v", res)
	}
	for _, r := range res.Rows {
		if r.SentencesPerSec <= 0 || r.Sentences != 3 {
			t.Errorf("row %+v", r)
		}
	}
}
