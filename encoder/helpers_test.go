package encoder

import (
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// modelDir returns the directory of a fetched model: $envVar, else
// ../models/name. A missing model skips the test, except under CI=true,
// where `make model` must have fetched it and its absence fails.
func modelDir(t testing.TB, envVar, name string) string {
	t.Helper()
	dir := os.Getenv(envVar)
	if dir == "" {
		dir = filepath.Join("..", "models", name)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("model %s not found under CI (run make model): %v", name, err)
		}
		t.Skipf("model %s not fetched (make model): %v", name, err)
	}
	return dir
}

var (
	miniOnce sync.Once
	miniEnc  *Encoder
	miniErr  error
)

// miniLM loads all-MiniLM-L6-v2 once for all tests.
func miniLM(t testing.TB) *Encoder {
	t.Helper()
	dir := modelDir(t, "QUIVER_MODEL_DIR", "all-MiniLM-L6-v2")
	miniOnce.Do(func() { miniEnc, miniErr = Load(dir, Options{}) })
	if miniErr != nil {
		t.Fatal(miniErr)
	}
	return miniEnc
}

// compareVec returns the largest absolute difference and the cosine
// similarity of two vectors.
func compareVec(a, b []float32) (maxDiff, cos float64) {
	var dot, na, nb float64
	for i := range a {
		maxDiff = math.Max(maxDiff, math.Abs(float64(a[i])-float64(b[i])))
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return maxDiff, dot / math.Sqrt(na*nb)
}
