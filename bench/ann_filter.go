package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/internal/bitset"
)

// Filter strategies a filtered ANN benchmark can measure: the graph walk
// that admits only matches but scores every node it passes, the two-hop
// walk over the matches (ACORN-1), and exact scoring of every match.
const (
	StrategyWalk   = "walk"
	StrategyTwoHop = "two-hop"
	StrategyExact  = "exact"
)

// FilteredANNConfig describes a filtered ANN benchmark: the graph over
// base.fvecs, and per selectivity s a filter admitting the nodes whose
// row mod 1000 is below 1000·s (as index's TestGloveDurable buckets its
// points), each strategy scored against the exact filtered top-K.
type FilteredANNConfig struct {
	// ANN gives the data, the graph's settings, the ef sweep, K and Limit.
	ANN ANNConfig
	// Selectivities are the fractions of nodes a filter admits, in (0, 1].
	Selectivities []float64
	// Strategies to measure; default all three.
	Strategies []string
	// Queries is how many of query.fvecs to run; default 1000.
	Queries int
	// Rounds is how many passes each strategy makes, taking turns with
	// the others; default 3.
	Rounds int
	// GraphFile, when set, caches the built graph: it is imported when it
	// exists and exported after a build when it does not.
	GraphFile string
}

// FilteredANNRun is one strategy at one selectivity and ef.
type FilteredANNRun struct {
	Selectivity float64 `json:"selectivity"`
	Matches     int     `json:"matches"`
	Strategy    string  `json:"strategy"`
	Ef          int     `json:"ef,omitempty"`
	RecallAt10  float64 `json:"recall_at_10"`
	Speed
	// QPSCPU is queries per CPU-second, the median pass: on a shared
	// machine it moves less than wall-clock QPS.
	QPSCPU float64 `json:"qps_cpu"`
}

// FilteredANNResult is what RunFilteredANN measured.
type FilteredANNResult struct {
	Vectors     int              `json:"vectors"`
	Dim         int              `json:"dim"`
	Queries     int              `json:"queries"`
	LoadAverage string           `json:"load_average"`
	Runs        []FilteredANNRun `json:"runs"`
}

func (c *FilteredANNConfig) ensureDefaults() {
	c.ANN.ensureDefaults()
	if len(c.Strategies) == 0 {
		c.Strategies = []string{StrategyWalk, StrategyTwoHop, StrategyExact}
	}
	if c.Queries <= 0 {
		c.Queries = 1000
	}
	if c.Rounds <= 0 {
		c.Rounds = 3
	}
}

func (c *FilteredANNConfig) validate() error {
	var errs []error
	for _, s := range c.Selectivities {
		if !(s > 0 && s <= 1) {
			errs = append(errs, fmt.Errorf("selectivity %v, want (0, 1]", s))
		}
	}
	for _, s := range c.Strategies {
		if s != StrategyWalk && s != StrategyTwoHop && s != StrategyExact {
			errs = append(errs, fmt.Errorf("strategy %q, want %s, %s or %s", s, StrategyWalk, StrategyTwoHop, StrategyExact))
		}
	}
	if len(c.Selectivities) == 0 {
		errs = append(errs, errors.New("no selectivity"))
	}
	return errors.Join(errs...)
}

// RunFilteredANN builds (or imports) the graph and measures each strategy
// at each selectivity, the strategies' passes taking turns.
func RunFilteredANN(ctx context.Context, cfg FilteredANNConfig) (*FilteredANNResult, error) {
	cfg.ensureDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("filtered ann bench: %w", err)
	}
	base, dim, err := ReadFvecs(filepath.Join(cfg.ANN.Dir, "base.fvecs"))
	if err != nil {
		return nil, err
	}
	queries, qdim, err := ReadFvecs(filepath.Join(cfg.ANN.Dir, "query.fvecs"))
	if err != nil {
		return nil, err
	}
	if qdim != dim {
		return nil, fmt.Errorf("filtered ann bench: queries have dimension %d, base %d", qdim, dim)
	}
	if cfg.ANN.Limit > 0 && cfg.ANN.Limit < len(base)/dim {
		base = base[:cfg.ANN.Limit*dim]
	}
	queries = queries[:min(cfg.Queries, len(queries)/dim)*dim]
	g, err := filteredGraph(ctx, cfg, base, dim)
	if err != nil {
		return nil, err
	}
	n, nq := len(base)/dim, len(queries)/dim
	res := &FilteredANNResult{Vectors: n, Dim: dim, Queries: nq}
	for _, sel := range cfg.Selectivities {
		runs, err := filteredPoint(ctx, cfg, g, n, queries, dim, sel)
		if err != nil {
			return nil, err
		}
		res.Runs = append(res.Runs, runs...)
	}
	res.LoadAverage = loadAverage()
	return res, nil
}

// filteredGraph imports cfg.GraphFile when it exists, or builds the graph
// (and exports it there when named).
func filteredGraph(ctx context.Context, cfg FilteredANNConfig, base []float32, dim int) (*hnsw.Graph, error) {
	if cfg.GraphFile != "" {
		f, err := os.Open(cfg.GraphFile)
		switch {
		case err == nil:
			defer f.Close()
			g, err := hnsw.Import(f)
			if err != nil {
				return nil, fmt.Errorf("filtered ann bench: import %s: %w", cfg.GraphFile, err)
			}
			if g.Dim() != dim || g.Len() != len(base)/dim {
				return nil, fmt.Errorf("filtered ann bench: %s holds %d vectors of dimension %d, want %d of %d",
					cfg.GraphFile, g.Len(), g.Dim(), len(base)/dim, dim)
			}
			return g, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("filtered ann bench: %w", err)
		}
	}
	g, _, err := buildANN(ctx, cfg.ANN, base, dim)
	if err != nil || cfg.GraphFile == "" {
		return g, err
	}
	err = writeAtomic(cfg.GraphFile, func(tmp string) error {
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		if err := g.Export(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("filtered ann bench: export %s: %w", cfg.GraphFile, err)
	}
	return g, nil
}

// filteredPoint measures every strategy (and ef) at one selectivity.
func filteredPoint(ctx context.Context, cfg FilteredANNConfig, g *hnsw.Graph, n int, queries []float32, dim int, sel float64) ([]FilteredANNRun, error) {
	buckets := uint32(math.Round(sel * 1000))
	set := bitset.New(n)
	for i := range uint32(n) {
		if i%1000 < buckets {
			set.Add(i)
		}
	}
	k, nq := cfg.ANN.K, len(queries)/dim
	truth := make([][]int32, nq)
	for i := range nq {
		res, err := g.SearchNodes(ctx, queries[i*dim:(i+1)*dim], k, set.All())
		if err != nil {
			return nil, fmt.Errorf("filtered ann bench: exact query %d: %w", i, err)
		}
		for _, r := range res {
			truth[i] = append(truth[i], int32(r.Node))
		}
	}
	var runs []FilteredANNRun
	var kinds []timedKind
	hits := []int{}
	cpuQPS := [][]float64{} // per kind, per pass
	add := func(run FilteredANNRun, search func(q []float32, dst []hnsw.Result) ([]hnsw.Result, error)) {
		slot := len(hits)
		hits = append(hits, 0)
		cpuQPS = append(cpuQPS, nil)
		runs = append(runs, run)
		kinds = append(kinds, timedKind{name: fmt.Sprintf("%s ef=%d", run.Strategy, run.Ef), pass: func(ctx context.Context) (time.Duration, error) {
			dst := make([]hnsw.Result, 0, k)
			h := 0
			start, cpuStart := time.Now(), processCPU()
			for i := range nq {
				var err error
				if dst, err = search(queries[i*dim:(i+1)*dim], dst[:0]); err != nil {
					return 0, err
				}
				h += overlapNodes(dst, truth[i])
			}
			d, cpu := time.Since(start), processCPU()-cpuStart
			hits[slot] = h
			cpuQPS[slot] = append(cpuQPS[slot], float64(nq)/cpu.Seconds())
			return d, nil
		}})
	}
	matches := set.Count()
	for _, strategy := range cfg.Strategies {
		if strategy == StrategyExact {
			add(FilteredANNRun{Selectivity: sel, Matches: matches, Strategy: strategy}, func(q []float32, _ []hnsw.Result) ([]hnsw.Result, error) {
				return g.SearchNodes(ctx, q, k, set.All())
			})
			continue
		}
		for _, ef := range cfg.ANN.Efs {
			opts := hnsw.SearchOptions{Ef: ef, Filter: set.Has}
			if strategy == StrategyTwoHop {
				opts = hnsw.SearchOptions{Ef: ef, Within: set}
			}
			add(FilteredANNRun{Selectivity: sel, Matches: matches, Strategy: strategy, Ef: ef}, func(q []float32, dst []hnsw.Result) ([]hnsw.Result, error) {
				return g.SearchInto(ctx, dst, q, k, opts)
			})
		}
	}
	speeds, err := alternate(ctx, cfg.Rounds, nq, kinds, nil)
	if err != nil {
		return nil, fmt.Errorf("filtered ann bench: selectivity %v: %w", sel, err)
	}
	want := 0
	for _, t := range truth {
		want += len(t)
	}
	for i := range runs {
		runs[i].Speed = speeds[i]
		slices.Sort(cpuQPS[i])
		runs[i].QPSCPU = cpuQPS[i][len(cpuQPS[i])/2]
		runs[i].RecallAt10 = float64(hits[i]) / float64(max(want, 1))
		if p := cfg.ANN.Progress; p != nil {
			r := runs[i]
			fmt.Fprintf(p, "selectivity %g (%d matches) %-7s ef=%-4d recall@%d=%.4f qps=%.0f (%.0f-%.0f) q/CPU s=%.0f\n",
				sel, r.Matches, r.Strategy, r.Ef, k, r.RecallAt10, r.QPS, r.MinQPS, r.MaxQPS, r.QPSCPU)
		}
	}
	return runs, nil
}
