package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/quiver-db/quiver/recommend"
	"github.com/quiver-db/quiver/recommend/eval"
)

// RecConfig describes the recommendation benchmark of BENCHMARKS.md §2 on
// MovieLens ml-latest-small: every model tuned on the validation split,
// refitted on train and scored once on test.
type RecConfig struct {
	// Dir holds ratings.csv and movies.csv. Required.
	Dir string
	// Seed fixes every model's initialisation and sampling. Default 1.
	Seed uint64
	// Workers train and evaluate in parallel. Default GOMAXPROCS.
	Workers int
	// Quick replaces the iALS grid by its best point found earlier (see
	// DefaultIALSGrid), for a fast run.
	Quick bool
	// Content returns item vectors aligned to movieIDs (ascending). Nil
	// means GenreTitleContent.
	Content func(movieIDs []int64) (recommend.Content, error)
	// ContentName says what Content is, for the report; empty means
	// "supplied".
	ContentName string
	// Ef of the HNSW search over item factors. Default 400.
	Ef int
	// Progress receives one line per fit; nil means none.
	Progress io.Writer
}

// RecModel is one top-N model's result.
type RecModel struct {
	Model           string    `json:"model"`
	Settings        string    `json:"settings"`
	Validation      eval.TopN `json:"validation"`
	Test            eval.TopN `json:"test"`
	TrainSeconds    float64   `json:"train_seconds"`
	TrainCPUSeconds float64   `json:"train_cpu_seconds"`
}

// RecRating is one rating model's result.
type RecRating struct {
	Model        string      `json:"model"`
	Settings     string      `json:"settings"`
	Validation   eval.Errors `json:"validation"`
	Test         eval.Errors `json:"test"`
	TrainSeconds float64     `json:"train_seconds"`
}

// RecGridPoint is one iALS setting scored on validation.
type RecGridPoint struct {
	Settings     IALSSettings `json:"settings"`
	Validation   eval.TopN    `json:"validation"`
	TrainSeconds float64      `json:"train_seconds"`
}

// RecHNSW compares ranking by exact dot products with ranking through an
// HNSW graph (Dot metric) over the same item factors.
type RecHNSW struct {
	Model            string    `json:"model"`
	Ef               int       `json:"ef"`
	Exact            eval.TopN `json:"exact"`
	Graph            eval.TopN `json:"graph"`
	BuildSeconds     float64   `json:"build_seconds"`
	QueriesPerSecond float64   `json:"queries_per_second"`
}

// RecTiming is the cost of one iALS fit on the full train split.
type RecTiming struct {
	Factors    int     `json:"factors"`
	Iterations int     `json:"iterations"`
	Workers    int     `json:"workers"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
	NDCGAt10   float64 `json:"ndcg_at_10"`
}

// RecResult is what RunRec measured.
type RecResult struct {
	Users        int            `json:"users"`
	Items        int            `json:"items"`
	Train        int            `json:"train"`
	Test         int            `json:"test"`
	Catalogue    int            `json:"catalogue"`
	ValTrain     int            `json:"validation_train"`
	Validation   int            `json:"validation"`
	ValCatalogue int            `json:"validation_catalogue"`
	Models       []RecModel     `json:"models"`
	Ratings      []RecRating    `json:"ratings"`
	Grid         []RecGridPoint `json:"ials_grid"`
	HNSW         RecHNSW        `json:"hnsw"`
	DotGrid      []RecDotPoint  `json:"dot_hybrid_grid"`
	DotHNSW      RecHNSW        `json:"dot_hybrid_hnsw"`
	// DotFoldInMicros is the mean time to fold one test-split user into
	// the chosen DotHybrid, as the server does at query time.
	DotFoldInMicros    float64      `json:"dot_hybrid_fold_in_us"`
	DotFoldInMaxMicros float64      `json:"dot_hybrid_fold_in_max_us"`
	DotIALS            IALSSettings `json:"dot_hybrid_ials"`
	IALSTiming         RecTiming    `json:"ials_timing"`
	Cold               RecCold      `json:"cold_items"`
	ContentDim         int          `json:"content_dim"`
	ContentSource      string       `json:"content_source"`
	WallSeconds        float64      `json:"wall_seconds"`
	GOMAXPROCS         int          `json:"gomaxprocs"`
}

// splitData is one split with everything the models read.
type splitData struct {
	split     eval.Split
	binary    *recommend.Matrix // weight 1 per rating
	ratings   *recommend.Matrix // weight = rating
	catalogue []bool
	catSize   int
	test      [][]int32
}

func newSplitData(s eval.Split) (*splitData, error) {
	bin, err := s.TrainMatrix(eval.Binary)
	if err != nil {
		return nil, err
	}
	rat, err := s.TrainMatrix(func(r eval.Rating) float32 { return r.Value })
	if err != nil {
		return nil, err
	}
	return &splitData{split: s, binary: bin, ratings: rat, catalogue: s.Catalogue(), catSize: s.CatalogueSize(), test: s.TestItems()}, nil
}

func (d *splitData) evaluate(ctx context.Context, s recommend.Scorer, workers int) (eval.TopN, error) {
	return eval.Evaluate(ctx, eval.Ranker(s, d.binary, d.catalogue, workers), d.test, d.catSize, workers)
}

// recRun carries the state of one RunRec.
type recRun struct {
	cfg      RecConfig
	val, tst *splitData
	content  recommend.Content
	res      *RecResult
	// lastValidation and lastSeconds hold the validation scores and fit
	// times of the candidates of the latest tune, in order.
	lastValidation []eval.TopN
	lastSeconds    []float64
	ialsSet        IALSSettings // the iALS point chosen on validation
}

func (r *recRun) logf(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, format+"\n", args...)
	}
}

// RunRec runs every model of the benchmark.
func RunRec(ctx context.Context, cfg RecConfig) (*RecResult, error) {
	start := time.Now()
	if cfg.Dir == "" {
		return nil, fmt.Errorf("rec bench: no data directory")
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Ef <= 0 {
		cfg.Ef = 400
	}
	ml, err := eval.LoadMovieLens(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("rec bench: %w", err)
	}
	s := eval.ChronoSplit(len(ml.UserIDs), len(ml.MovieIDs), ml.Ratings)
	r := &recRun{cfg: cfg, res: &RecResult{GOMAXPROCS: runtime.GOMAXPROCS(0)}}
	if r.tst, err = newSplitData(s); err != nil {
		return nil, fmt.Errorf("rec bench: %w", err)
	}
	if r.val, err = newSplitData(s.Validation()); err != nil {
		return nil, fmt.Errorf("rec bench: %w", err)
	}
	r.res.Users, r.res.Items = s.Users, s.Items
	r.res.Train, r.res.Test, r.res.Catalogue = len(s.Train), len(s.Test), r.tst.catSize
	r.res.ValTrain, r.res.Validation, r.res.ValCatalogue = len(r.val.split.Train), len(r.val.split.Test), r.val.catSize
	r.logf("split: train %d, test %d, catalogue %d; validation-train %d, validation %d, catalogue %d",
		r.res.Train, r.res.Test, r.res.Catalogue, r.res.ValTrain, r.res.Validation, r.res.ValCatalogue)
	content := cfg.Content
	r.res.ContentSource = cmp.Or(cfg.ContentName, "supplied")
	if content == nil {
		content = func(ids []int64) (recommend.Content, error) { return GenreTitleContent(cfg.Dir, ids) }
		r.res.ContentSource = "hashed genres and title words (no encoder)"
	}
	if r.content, err = content(ml.MovieIDs); err != nil {
		return nil, fmt.Errorf("rec bench: %w", err)
	}
	r.res.ContentDim = r.content.Dim
	if err := r.runTopN(ctx); err != nil {
		return nil, fmt.Errorf("rec bench: %w", err)
	}
	if err := r.runRatings(ctx); err != nil {
		return nil, fmt.Errorf("rec bench: %w", err)
	}
	if err := r.runCold(ctx); err != nil {
		return nil, fmt.Errorf("rec bench: cold items: %w", err)
	}
	r.res.WallSeconds = time.Since(start).Seconds()
	return r.res, nil
}

// timed runs fit and reports its wall and CPU seconds.
func timed[T any](fit func() (T, error)) (T, float64, float64, error) {
	start, cpu := time.Now(), processCPU()
	v, err := fit()
	return v, time.Since(start).Seconds(), (processCPU() - cpu).Seconds(), err
}

// candidate is one setting of a model: fit builds it on a split.
type candidate struct {
	settings string
	fit      func(ctx context.Context, d *splitData) (recommend.Scorer, error)
}

// tune scores every candidate on validation, refits the best (by NDCG@10)
// on train and scores it on test once.
func (r *recRun) tune(ctx context.Context, name string, cands []candidate) (recommend.Scorer, error) {
	best, bestNDCG := -1, -1.0
	var bestVal eval.TopN
	r.lastValidation, r.lastSeconds = nil, nil
	for k, c := range cands {
		s, secs, _, err := timed(func() (recommend.Scorer, error) { return c.fit(ctx, r.val) })
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", name, c.settings, err)
		}
		m, err := r.val.evaluate(ctx, s, r.cfg.Workers)
		if err != nil {
			return nil, err
		}
		r.logf("  validation %-12s %-44s NDCG@10 %.4f  Recall@10 %.4f  (%.1fs)", name, c.settings, m.NDCGAt10, m.RecallAt10, secs)
		r.lastValidation = append(r.lastValidation, m)
		r.lastSeconds = append(r.lastSeconds, secs)
		if m.NDCGAt10 > bestNDCG {
			best, bestNDCG, bestVal = k, m.NDCGAt10, m
		}
	}
	c := cands[best]
	s, secs, cpu, err := timed(func() (recommend.Scorer, error) { return c.fit(ctx, r.tst) })
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, c.settings, err)
	}
	m, err := r.tst.evaluate(ctx, s, r.cfg.Workers)
	if err != nil {
		return nil, err
	}
	r.logf("test %-12s %-44s NDCG@10 %.4f  Recall@10 %.4f  (%.1fs)", name, c.settings, m.NDCGAt10, m.RecallAt10, secs)
	r.res.Models = append(r.res.Models, RecModel{Model: name, Settings: c.settings, Validation: bestVal, Test: m, TrainSeconds: secs, TrainCPUSeconds: cpu})
	return s, nil
}

// RunRecPlainIALS trains iALS with settings on the test split's train part
// and scores it on test, timed: the run a peer is compared with.
func RunRecPlainIALS(ctx context.Context, cfg RecConfig, s IALSSettings) (RecTiming, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	ml, err := eval.LoadMovieLens(cfg.Dir)
	if err != nil {
		return RecTiming{}, fmt.Errorf("rec bench: %w", err)
	}
	d, err := newSplitData(eval.ChronoSplit(len(ml.UserIDs), len(ml.MovieIDs), ml.Ratings))
	if err != nil {
		return RecTiming{}, fmt.Errorf("rec bench: %w", err)
	}
	r := &recRun{cfg: cfg}
	m, secs, cpu, err := timed(func() (*recommend.IALS, error) { return r.fitIALS(ctx, d, s) })
	if err != nil {
		return RecTiming{}, fmt.Errorf("rec bench: %w", err)
	}
	res, err := d.evaluate(ctx, m, cfg.Workers)
	if err != nil {
		return RecTiming{}, fmt.Errorf("rec bench: %w", err)
	}
	return RecTiming{Factors: s.Factors, Iterations: s.Iterations, Workers: cfg.Workers, Seconds: secs, CPUSeconds: cpu, NDCGAt10: res.NDCGAt10}, nil
}
