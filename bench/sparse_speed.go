package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/quiver-db/quiver/bm25"
	"github.com/quiver-db/quiver/internal/progress"
	"github.com/quiver-db/quiver/sparse"
)

// SparseSpeedConfig is the sparse index's speed part of the retrieval
// benchmark: BM25 vectors of the MovieLens texts and of a synthetic
// corpus, searched for the top K with MaxScore, exhaustively, and by
// bm25s on the same term ids.
type SparseSpeedConfig struct {
	// Skip leaves the part out.
	Skip bool
	// Synthetic is the generated corpus; Synthetic.Docs < 0 leaves it out.
	Synthetic SyntheticConfig
	// K is the results of each query. Default 10.
	K int
	// Rounds is the timed passes of each kind, taking turns. Default 3.
	Rounds int
}

// SparseSpeed is one corpus's sparse search speed.
type SparseSpeed struct {
	Corpus       string  `json:"corpus"`
	Docs         int     `json:"docs"`
	Queries      int     `json:"queries"`
	AvgDocTerms  float64 `json:"avg_doc_terms"`
	AvgQueryTerm float64 `json:"avg_query_terms"`
	Postings     int     `json:"postings"`
	// GenerateSeconds is the synthetic corpus's generation time.
	GenerateSeconds float64 `json:"generate_seconds,omitempty"`
	// BuildSeconds is the BM25 weighting and the inverted index's build.
	BuildSeconds float64   `json:"build_seconds"`
	K            int       `json:"k"`
	MaxScore     Speed     `json:"maxscore"`
	Exhaustive   Speed     `json:"exhaustive"`
	Peer         *Speed    `json:"peer,omitempty"`
	PeerInfo     *PeerInfo `json:"peer_info,omitempty"`
	// ExhaustiveAgreement and PeerAgreement are the mean share of
	// MaxScore's top K that the other's top K holds (ties at the K-th
	// score may differ).
	ExhaustiveAgreement float64 `json:"exhaustive_agreement"`
	PeerAgreement       float64 `json:"peer_agreement,omitempty"`
}

// sparseCorpus is a corpus as term ids: each document's terms in order
// with repeats, each query's distinct terms.
type sparseCorpus struct {
	name    string
	docs    [][]uint32
	queries [][]uint32
}

// RunSparseSpeed measures the MovieLens corpus of set and the synthetic
// one; peer input files go to work.
func RunSparseSpeed(ctx context.Context, cfg SparseSpeedConfig, set *RetrievalSet, work string, peer PeerConfig, log io.Writer) ([]SparseSpeed, error) {
	cfg.K = cmp.Or(cfg.K, 10)
	cfg.Rounds = cmp.Or(cfg.Rounds, 3)
	ml, err := movieLensCorpus(set)
	if err != nil {
		return nil, err
	}
	var out []SparseSpeed
	r, err := sparseSpeed(ctx, cfg, ml, work, peer, log)
	if err != nil {
		return nil, fmt.Errorf("sparse speed, %s: %w", ml.name, err)
	}
	out = append(out, r)
	if cfg.Synthetic.Docs < 0 {
		return out, nil
	}
	start := time.Now()
	syn, err := SyntheticCorpus(cfg.Synthetic, log)
	if err != nil {
		return nil, err
	}
	gen := time.Since(start).Seconds()
	r, err = sparseSpeed(ctx, cfg, syn, work, peer, log)
	if err != nil {
		return nil, fmt.Errorf("sparse speed, %s: %w", syn.name, err)
	}
	r.GenerateSeconds = gen
	return append(out, r), nil
}

// movieLensCorpus is the set's documents and queries as BM25 term ids.
func movieLensCorpus(set *RetrievalSet) (sparseCorpus, error) {
	c := sparseCorpus{name: fmt.Sprintf("MovieLens titles and genres (%d queries, the tags)", len(set.Queries))}
	ids := func(text string) ([]uint32, error) {
		toks, err := bm25.Tokens(text, "english")
		if err != nil {
			return nil, err
		}
		out := make([]uint32, len(toks))
		for i, t := range toks {
			out[i] = bm25.TokenID(t)
		}
		return out, nil
	}
	for _, d := range set.Docs {
		t, err := ids(d)
		if err != nil {
			return c, err
		}
		c.docs = append(c.docs, t)
	}
	for _, q := range set.Queries {
		t, err := ids(q.Text)
		if err != nil {
			return c, err
		}
		slices.Sort(t)
		c.queries = append(c.queries, slices.Compact(t))
	}
	return c, nil
}

// sparseSpeed builds c's index and times its kinds in turns.
func sparseSpeed(ctx context.Context, cfg SparseSpeedConfig, c sparseCorpus, work string, peer PeerConfig, log io.Writer) (SparseSpeed, error) {
	res := SparseSpeed{Corpus: c.name, Docs: len(c.docs), Queries: len(c.queries), K: cfg.K}
	terms := 0
	for _, d := range c.docs {
		terms += len(d)
	}
	res.AvgDocTerms = float64(terms) / float64(len(c.docs))
	qs := make([]sparse.Vector, len(c.queries))
	qterms := 0
	for i, q := range c.queries {
		qs[i] = sparse.Vector{Indices: q, Values: slices.Repeat([]float32{1}, len(q))}
		qterms += len(q)
	}
	res.AvgQueryTerm = float64(qterms) / float64(len(qs))
	start := time.Now()
	ix, postings, err := buildSparse(c.docs, bm25.Options{AvgLen: res.AvgDocTerms}, log)
	if err != nil {
		return res, err
	}
	res.BuildSeconds, res.Postings = time.Since(start).Seconds(), postings
	answers := [2][][]uint32{}
	var kinds []timedKind
	for a, exhaustive := range []bool{false, true} {
		answers[a] = make([][]uint32, len(qs))
		kinds = append(kinds, timedKind{name: []string{"maxscore", "exhaustive"}[a], pass: func(ctx context.Context) (time.Duration, error) {
			opts := sparse.SearchOptions{IDF: true, Exhaustive: exhaustive}
			start := time.Now()
			for i, q := range qs {
				r, err := ix.Search(ctx, q, cfg.K, opts)
				if err != nil {
					return 0, err
				}
				answers[a][i] = answers[a][i][:0]
				for _, x := range r {
					answers[a][i] = append(answers[a][i], x.Node)
				}
			}
			return time.Since(start), nil
		}})
	}
	var peerAnswers [][]int32
	if peer.Script != "" {
		p, err := startIDPeer(ctx, peer, c, work, cfg.K, log)
		if err != nil {
			return res, err
		}
		defer p.close()
		res.PeerInfo = &p.info
		kinds = append(kinds, peerKind("bm25s", p, &peerAnswers))
	}
	speeds, err := alternate(ctx, cfg.Rounds, len(qs), kinds, log)
	if err != nil {
		return res, err
	}
	res.MaxScore, res.Exhaustive = speeds[0], speeds[1]
	res.ExhaustiveAgreement = agreement(answers[0], answers[1])
	if peerAnswers != nil {
		res.Peer = &speeds[2]
		peerIDs := make([][]uint32, len(peerAnswers))
		for i, l := range peerAnswers {
			for _, d := range l {
				peerIDs[i] = append(peerIDs[i], uint32(d))
			}
		}
		res.PeerAgreement = agreement(answers[0], peerIDs)
	}
	return res, nil
}

// buildSparse weighs each document by BM25 and indexes it under its
// position; it returns the index and its postings.
func buildSparse(docs [][]uint32, opts bm25.Options, log io.Writer) (*sparse.Index, int, error) {
	ix := sparse.New()
	bar := progress.Start(log, "build sparse index", "docs", int64(len(docs)))
	defer bar.Finish()
	postings := 0
	for i, d := range docs {
		v, err := bm25.DocumentOfTerms(d, opts)
		if err != nil {
			return nil, 0, err
		}
		ix.Set(uint32(i), v)
		postings += v.Len()
		if i%4096 == 4095 {
			bar.Add(4096)
		}
	}
	bar.Add(int64(len(docs) % 4096))
	return ix, postings, nil
}

// startIDPeer writes c as term ids and starts the peer on them.
func startIDPeer(ctx context.Context, peer PeerConfig, c sparseCorpus, work string, k int, log io.Writer) (*peerProc, error) {
	corpus, queries := filepath.Join(work, "sparse-corpus.u32"), filepath.Join(work, "sparse-queries.u32")
	if err := writeIDLists(corpus, c.docs); err != nil {
		return nil, err
	}
	if err := writeIDLists(queries, c.queries); err != nil {
		return nil, err
	}
	return startPeer(ctx, peer, []string{"--ids", corpus, "--queries", queries, "--k", fmt.Sprint(k)}, log)
}

// agreement is the mean over queries of the share of want's ids that got
// holds (1 where want is empty).
func agreement(want, got [][]uint32) float64 {
	var sum float64
	for i, w := range want {
		if len(w) == 0 {
			sum++
			continue
		}
		n := 0
		for _, id := range w {
			if slices.Contains(got[i], id) {
				n++
			}
		}
		sum += float64(n) / float64(len(w))
	}
	return sum / float64(len(want))
}
