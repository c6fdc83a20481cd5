package bench

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/quiver-db/quiver/encoder"
)

// EncoderConfig configures RunEncoder: the text encoder's throughput and
// latency on MovieLens titles at several batch sizes.
type EncoderConfig struct {
	// ModelDir is the model directory. Required.
	ModelDir string
	// DataPath is MovieLens' movies.csv; its titles are the texts. Required.
	DataPath string
	// Texts is how many titles each batch size encodes. Zero means 512.
	Texts int
	// BatchSizes are the numbers of texts per Encode call. Nil means 1, 8,
	// 32, 128.
	BatchSizes []int
	// Threads is the encoder's thread count. Zero means GOMAXPROCS.
	Threads int
	// MatmulTime is how long each matmul rate is timed. Zero means 1s;
	// negative skips the matmul measurement.
	MatmulTime time.Duration
	// Progress receives status lines. Nil means none.
	Progress io.Writer
}

// EncoderResult is what RunEncoder measured.
type EncoderResult struct {
	Model      string
	Threads    int
	Texts      int
	MeanTokens float64 // tokens per text, [CLS] and [SEP] included
	Rows       []EncoderRow
	// Matmul rates in GFLOP/s on a 512×384 by 384×1536 product (the
	// feed-forward up-projection of all-MiniLM-L6-v2 over 512 tokens), by
	// wall time and per CPU-second of the process (which other load on the
	// machine does not lower).
	MatmulGFLOPS        float64 // with Threads goroutines
	MatmulGFLOPSPerCPU  float64
	MatmulGFLOPS1       float64 // on one goroutine
	Matmul1GFLOPSPerCPU float64
	VekMatMulGFLOPS     float64 // vek32.MatMul_Into, the unblocked baseline
	MatmulShape         [3]int  // m, k, n
}

// EncoderRow is the measurement at one batch size.
type EncoderRow struct {
	BatchSize       int
	Sentences       int
	Elapsed         time.Duration
	SentencesPerSec float64
	MsPerSentence   float64
	MsPerBatch      float64
	// CPU is the process's user+system CPU time over the run: on a loaded
	// machine, sentences per CPU-second is the steadier figure.
	CPU                   time.Duration
	SentencesPerCPUSecond float64
}

// RunEncoder loads the model, reads the titles and times Encode over them
// at each batch size, after one warm-up batch.
func RunEncoder(ctx context.Context, cfg EncoderConfig) (EncoderResult, error) {
	if cfg.ModelDir == "" || cfg.DataPath == "" {
		return EncoderResult{}, fmt.Errorf("bench encoder: ModelDir and DataPath are required")
	}
	if cfg.Texts == 0 {
		cfg.Texts = 512
	}
	if cfg.BatchSizes == nil {
		cfg.BatchSizes = []int{1, 8, 32, 128}
	}
	if cfg.Threads == 0 {
		cfg.Threads = runtime.GOMAXPROCS(0)
	}
	if cfg.MatmulTime == 0 {
		cfg.MatmulTime = time.Second
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	enc, err := encoder.Load(cfg.ModelDir, encoder.Options{Threads: cfg.Threads})
	if err != nil {
		return EncoderResult{}, err
	}
	texts, err := ReadMovieTitles(cfg.DataPath, cfg.Texts)
	if err != nil {
		return EncoderResult{}, err
	}
	res := EncoderResult{Model: enc.Name(), Threads: cfg.Threads, Texts: len(texts)}
	tokens := 0
	for _, t := range texts {
		tokens += len(enc.Tokenize(t))
	}
	res.MeanTokens = float64(tokens) / float64(len(texts))
	if _, err := enc.Encode(ctx, texts[:min(len(texts), 32)]); err != nil {
		return res, err
	}
	for _, bs := range cfg.BatchSizes {
		if bs <= 0 {
			return res, fmt.Errorf("bench encoder: batch size %d", bs)
		}
		start, cpu0 := time.Now(), processCPU()
		for lo := 0; lo < len(texts); lo += bs {
			if _, err := enc.Encode(ctx, texts[lo:min(lo+bs, len(texts))]); err != nil {
				return res, err
			}
		}
		el, cpu := time.Since(start), processCPU()-cpu0
		batches := (len(texts) + bs - 1) / bs
		row := EncoderRow{
			BatchSize: bs, Sentences: len(texts), Elapsed: el,
			SentencesPerSec: float64(len(texts)) / el.Seconds(),
			MsPerSentence:   el.Seconds() * 1e3 / float64(len(texts)),
			MsPerBatch:      el.Seconds() * 1e3 / float64(batches),
			CPU:             cpu, SentencesPerCPUSecond: float64(len(texts)) / cpu.Seconds(),
		}
		res.Rows = append(res.Rows, row)
		fmt.Fprintf(progress, "batch %d: %.1f sentences/s\n", bs, row.SentencesPerSec)
	}
	if cfg.MatmulTime > 0 {
		m, k, n := 512, 384, 1536
		res.MatmulShape = [3]int{m, k, n}
		cpu0 := processCPU()
		flops, el := encoder.TimeMatmul(m, k, n, cfg.Threads, cfg.MatmulTime)
		res.MatmulGFLOPS, res.MatmulGFLOPSPerCPU = flops/el.Seconds()/1e9, flops/(processCPU()-cpu0).Seconds()/1e9
		cpu0 = processCPU()
		flops, el = encoder.TimeMatmul(m, k, n, 1, cfg.MatmulTime)
		res.MatmulGFLOPS1, res.Matmul1GFLOPSPerCPU = flops/el.Seconds()/1e9, flops/(processCPU()-cpu0).Seconds()/1e9
		flops, el = encoder.TimeVekMatMul(m, k, n, cfg.MatmulTime)
		res.VekMatMulGFLOPS = flops / el.Seconds() / 1e9
	}
	return res, nil
}

// ReadMovieTitles returns the first n titles of MovieLens' movies.csv
// (all of them when n <= 0).
func ReadMovieTitles(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if len(rows) < 2 || len(rows[0]) < 2 || rows[0][1] != "title" {
		return nil, fmt.Errorf("%s: want a header that starts movieId,title", path)
	}
	var titles []string
	for _, r := range rows[1:] {
		if n > 0 && len(titles) == n {
			break
		}
		titles = append(titles, r[1])
	}
	return titles, nil
}

// processCPU returns the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
