package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/quiver-db/quiver/bm25"
	"github.com/quiver-db/quiver/query"
)

// RetrievalConfig describes the text-retrieval benchmark: the MovieLens
// set of LoadRetrievalSet in a collection on disk, ranked by BM25 alone,
// the dense vector alone and their RRF and DBSF fusions through the query
// engine, with bm25s as the peer for BM25; then the sparse index's speed
// (RunSparseSpeed).
type RetrievalConfig struct {
	// Dir holds MovieLens's movies.csv and tags.csv. Required.
	Dir string
	// Work is a directory for the collection (Work/db, removed first) and
	// the peer's input files. Required.
	Work string
	// Encoder makes the dense vectors (all-MiniLM-L6-v2). Required.
	Encoder Embedder
	// ModelName is Encoder's name in the collection. Default
	// "all-MiniLM-L6-v2".
	ModelName string
	// MinMovies and MaxMovies bound the distinct movies of a tag kept as a
	// query. Defaults 5 and 200.
	MinMovies, MaxMovies int
	// FusionDepth is the candidates each prefetch of a fusion gives.
	// Default 100.
	FusionDepth int
	// Rounds is the timed passes over the queries of each method, the
	// methods taking turns. Default 5.
	Rounds int
	// Seed splits the queries into the halves that tune fusion weights
	// for each other. Default 1.
	Seed uint64
	// Peer runs bm25s beside Quiver's BM25; an empty Script means none.
	Peer PeerConfig
	// Sparse is the sparse-speed part; Sparse.Skip leaves it out.
	Sparse SparseSpeedConfig
	// Progress receives progress lines; nil means none.
	Progress io.Writer
}

func (c *RetrievalConfig) ensureDefaults() {
	c.ModelName = cmp.Or(c.ModelName, "all-MiniLM-L6-v2")
	c.MinMovies = cmp.Or(c.MinMovies, 5)
	c.MaxMovies = cmp.Or(c.MaxMovies, 200)
	c.FusionDepth = cmp.Or(c.FusionDepth, 100)
	c.Rounds = cmp.Or(c.Rounds, 5)
	c.Seed = cmp.Or(c.Seed, 1)
}

func (c *RetrievalConfig) validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("no MovieLens directory"))
	}
	if c.Work == "" {
		errs = append(errs, errors.New("no work directory"))
	}
	if c.Encoder == nil {
		errs = append(errs, errors.New("no encoder"))
	}
	if c.MinMovies < 1 || c.MaxMovies < c.MinMovies {
		errs = append(errs, fmt.Errorf("movies per tag %d..%d: want 1 ≤ min ≤ max", c.MinMovies, c.MaxMovies))
	}
	if c.FusionDepth < 1 || c.Rounds < 1 {
		errs = append(errs, fmt.Errorf("fusion depth %d, rounds %d: want ≥ 1", c.FusionDepth, c.Rounds))
	}
	return errors.Join(errs...)
}

// RetrievalMethod is one way of ranking: its quality on the set and its
// speed one query at a time. Quality is nil for a speed-only entry.
type RetrievalMethod struct {
	Name    string   `json:"name"`
	Quality *Metrics `json:"quality,omitempty"`
	Speed   Speed    `json:"speed"`
}

// RetrievalResult is what RunRetrieval measured.
type RetrievalResult struct {
	Docs    int `json:"docs"`
	Queries int `json:"queries"`
	// Tags are the distinct normalised tags before the movies-per-tag cut.
	Tags         int     `json:"tags"`
	MinMovies    int     `json:"min_movies"`
	MaxMovies    int     `json:"max_movies"`
	AvgDocTokens float64 `json:"avg_doc_tokens"`
	Model        string  `json:"model"`
	FusionDepth  int     `json:"fusion_depth"`
	Limit        int     `json:"limit"`
	BuildSeconds float64 `json:"build_seconds"`
	// Methods are Quiver's methods, then the peer's.
	Methods []RetrievalMethod `json:"methods"`
	Tuned   []TunedFusion     `json:"tuned"`
	// BM25Empty counts the queries BM25 found no document for; BM25Wins
	// and DenseWins those where one has the higher NDCG@10.
	BM25Empty int `json:"bm25_empty"`
	BM25Wins  int `json:"bm25_wins"`
	DenseWins int `json:"dense_wins"`
	// Best is the single retriever with the higher NDCG@10; Deltas compare
	// each fusion with it query by query.
	Best   string       `json:"best_single"`
	Deltas []PairedDiff `json:"deltas"`
	Peer   *PeerInfo    `json:"peer,omitempty"`
	// PeerOverlapAt10 is the mean share of Quiver's BM25 top 10 that the
	// peer's top 10 holds too (over queries where either found anything).
	PeerOverlapAt10 float64       `json:"peer_overlap_at_10"`
	Sparse          []SparseSpeed `json:"sparse,omitempty"`
	LoadAvgStart    string        `json:"load_avg_start"`
	LoadAvgEnd      string        `json:"load_avg_end"`
	GOMAXPROCS      int           `json:"gomaxprocs"`
	WallSeconds     float64       `json:"wall_seconds"`
}

// retrievalLimit is the results each query asks for: Recall@100's depth.
const retrievalLimit = 100

// RunRetrieval runs the benchmark.
func RunRetrieval(ctx context.Context, cfg RetrievalConfig) (*RetrievalResult, error) {
	start := time.Now()
	cfg.ensureDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("retrieval bench: %w", err)
	}
	res := &RetrievalResult{LoadAvgStart: loadAverage(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Model: cfg.ModelName, FusionDepth: cfg.FusionDepth, Limit: retrievalLimit, MinMovies: cfg.MinMovies, MaxMovies: cfg.MaxMovies}
	set, err := LoadRetrievalSet(cfg.Dir, cfg.MinMovies, cfg.MaxMovies)
	if err != nil {
		return nil, err
	}
	res.Docs, res.Queries, res.Tags = len(set.Docs), len(set.Queries), set.Tags
	// BM25's average length is the corpus's, as bm25s computes it, not
	// FastEmbed's 256 (which would all but turn length normalisation off
	// for titles of a few words).
	if res.AvgDocTokens, err = meanTokens(set.Docs); err != nil {
		return nil, fmt.Errorf("retrieval bench: %w", err)
	}
	if err := os.MkdirAll(cfg.Work, 0o755); err != nil {
		return nil, fmt.Errorf("retrieval bench: %w", err)
	}
	dbDir := filepath.Join(cfg.Work, "db")
	if err := os.RemoveAll(dbDir); err != nil {
		return nil, fmt.Errorf("retrieval bench: %w", err)
	}
	built := time.Now()
	ix, err := openRetrievalIndex(ctx, dbDir, set, cfg.Encoder, cfg.ModelName, bm25.Options{AvgLen: res.AvgDocTokens}, cfg.Progress)
	if err != nil {
		return nil, fmt.Errorf("retrieval bench: %w", err)
	}
	res.BuildSeconds = time.Since(built).Seconds()
	err = runRetrievalMethods(ctx, cfg, set, ix, res)
	if cerr := ix.close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("retrieval bench: %w", err)
	}
	if !cfg.Sparse.Skip {
		if res.Sparse, err = RunSparseSpeed(ctx, cfg.Sparse, set, cfg.Work, cfg.Peer, cfg.Progress); err != nil {
			return nil, fmt.Errorf("retrieval bench: %w", err)
		}
	}
	res.LoadAvgEnd = loadAverage()
	res.WallSeconds = time.Since(start).Seconds()
	return res, nil
}

// meanTokens is the mean BM25 token count of docs.
func meanTokens(docs []string) (float64, error) {
	n := 0
	for _, d := range docs {
		toks, err := bm25.Tokens(d, "english")
		if err != nil {
			return 0, err
		}
		n += len(toks)
	}
	return float64(n) / float64(len(docs)), nil
}

// runRetrievalMethods times every method in turns with the peer, scores
// the rankings of their first pass and tunes the fusion weights.
func runRetrievalMethods(ctx context.Context, cfg RetrievalConfig, set *RetrievalSet, ix *retrievalIndex, res *RetrievalResult) error {
	texts := make([]string, len(set.Queries))
	for i, q := range set.Queries {
		texts[i] = q.Text
	}
	vecs, err := cfg.Encoder.Encode(ctx, texts)
	if err != nil {
		return fmt.Errorf("encode queries: %w", err)
	}
	d := cfg.FusionDepth
	methods := []struct {
		name    string
		quality bool
		req     func(i int) query.Request
	}{
		{"bm25", true, func(i int) query.Request { return ix.bm25Request(texts[i], retrievalLimit) }},
		{"dense", true, func(i int) query.Request { return denseRequest(texts[i], nil, retrievalLimit) }},
		{"dense, query vector given", false, func(i int) query.Request { return denseRequest("", vecs[i], retrievalLimit) }},
		{"rrf", true, func(i int) query.Request { return ix.fusionRequest(texts[i], nil, query.RRF, nil, d, retrievalLimit) }},
		{"dbsf", true, func(i int) query.Request { return ix.fusionRequest(texts[i], nil, query.DBSF, nil, d, retrievalLimit) }},
	}
	ranked := make([][][]int32, len(methods))
	var kinds []timedKind
	for m, method := range methods {
		ranked[m] = make([][]int32, len(texts))
		kinds = append(kinds, timedKind{name: method.name, pass: func(ctx context.Context) (time.Duration, error) {
			start := time.Now()
			for i := range texts {
				r, err := ix.run(ctx, method.req(i))
				if err != nil {
					return 0, fmt.Errorf("query %q: %w", texts[i], err)
				}
				ranked[m][i] = r
			}
			return time.Since(start), nil
		}})
	}
	var peerRanked [][]int32
	if cfg.Peer.Script != "" {
		p, err := startTextPeer(ctx, cfg, set, texts)
		if err != nil {
			return err
		}
		defer p.close()
		res.Peer = &p.info
		kinds = append(kinds, peerKind("bm25s", p, &peerRanked))
	}
	speeds, err := alternate(ctx, cfg.Rounds, len(texts), kinds, cfg.Progress)
	if err != nil {
		return err
	}
	for m, method := range methods {
		rm := RetrievalMethod{Name: method.name, Speed: speeds[m]}
		if method.quality {
			q := meanMetrics(ranked[m], set.Queries, nil)
			rm.Quality = &q
		}
		res.Methods = append(res.Methods, rm)
	}
	for i, q := range set.Queries {
		b, d := queryMetrics(ranked[0][i], q.Relevant), queryMetrics(ranked[1][i], q.Relevant)
		if len(ranked[0][i]) == 0 {
			res.BM25Empty++
		}
		switch {
		case b.NDCGAt10 > d.NDCGAt10:
			res.BM25Wins++
		case d.NDCGAt10 > b.NDCGAt10:
			res.DenseWins++
		}
	}
	if peerRanked != nil {
		q := meanMetrics(peerRanked, set.Queries, nil)
		res.Methods = append(res.Methods, RetrievalMethod{Name: "bm25s (peer)", Quality: &q, Speed: speeds[len(methods)]})
		res.PeerOverlapAt10 = overlapAt10(ranked[0], peerRanked)
	}
	best := 0 // bm25
	if res.Methods[1].Quality.NDCGAt10 > res.Methods[0].Quality.NDCGAt10 {
		best = 1
	}
	res.Best = methods[best].name
	for _, m := range []int{3, 4} {
		res.Deltas = append(res.Deltas, pairedNDCG(methods[m].name, ranked[m], ranked[best], set.Queries))
	}
	for _, m := range []query.FusionMethod{query.RRF, query.DBSF} {
		t, r, err := tuneFusion(ctx, ix, set, texts, vecs, m, d, cfg.Seed, cfg.Progress)
		if err != nil {
			return err
		}
		res.Tuned = append(res.Tuned, t)
		res.Deltas = append(res.Deltas, pairedNDCG(string(m)+", tuned", r, ranked[best], set.Queries))
	}
	return nil
}

// PairedDiff is the mean over queries of one ranking's NDCG@10 minus
// another's, with its standard error (the sample standard deviation of
// the differences over √n).
type PairedDiff struct {
	Name string  `json:"name"`
	Mean float64 `json:"mean"`
	SE   float64 `json:"se"`
}

func pairedNDCG(name string, a, b [][]int32, qs []RetrievalQuery) PairedDiff {
	diffs := make([]float64, len(qs))
	var mean float64
	for i, q := range qs {
		diffs[i] = queryMetrics(a[i], q.Relevant).NDCGAt10 - queryMetrics(b[i], q.Relevant).NDCGAt10
		mean += diffs[i]
	}
	n := float64(len(qs))
	mean /= n
	if len(qs) < 2 {
		return PairedDiff{Name: name, Mean: mean}
	}
	var ss float64
	for _, d := range diffs {
		ss += (d - mean) * (d - mean)
	}
	return PairedDiff{Name: name, Mean: mean, SE: math.Sqrt(ss/(n-1)) / math.Sqrt(n)}
}

// startTextPeer writes the documents and queries for the peer and starts
// it.
func startTextPeer(ctx context.Context, cfg RetrievalConfig, set *RetrievalSet, texts []string) (*peerProc, error) {
	b, err := json.Marshal(map[string][]string{"docs": set.Docs, "queries": texts})
	if err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.Work, "movies-text.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return nil, fmt.Errorf("peer input: %w", err)
	}
	return startPeer(ctx, cfg.Peer, []string{"--text", path, "--k", fmt.Sprint(retrievalLimit)}, cfg.Progress)
}

// overlapAt10 is the mean over queries of |a ∩ b| / max(|a|, |b|) in the
// top 10 of two rankings, skipping queries where both are empty.
func overlapAt10(a, b [][]int32) float64 {
	var sum float64
	n := 0
	for i := range a {
		x, y := a[i][:min(10, len(a[i]))], b[i][:min(10, len(b[i]))]
		if len(x) == 0 && len(y) == 0 {
			continue
		}
		in := map[int32]bool{}
		for _, d := range x {
			in[d] = true
		}
		common := 0
		for _, d := range y {
			if in[d] {
				common++
			}
		}
		sum += float64(common) / float64(max(len(x), len(y)))
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}
