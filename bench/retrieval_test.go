package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/apitest"
)

// writeTagged writes a tiny MovieLens: 24 movies, the "space" tag (spelt
// three ways) on the 6 with "Star" in the title, "voyages" on 4 of them,
// "heist" on 3, and "rare" on 1 (too few movies to be a query).
func writeTagged(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	movies := []string{"movieId,title,genres"}
	tags := []string{"userId,movieId,tag,timestamp"}
	for i := 1; i <= 24; i++ {
		title, genre := fmt.Sprintf("Quiet Town %d (1990)", i), "Drama"
		switch {
		case i <= 6:
			title, genre = fmt.Sprintf("Star Voyage %d (1980)", i), "Sci-Fi"
			tags = append(tags, fmt.Sprintf("1,%d,%s,1", i, []string{"space", " Space", "SPACE "}[i%3]))
			if i <= 4 {
				tags = append(tags, fmt.Sprintf("1,%d,voyages,1", i))
			}
		case i <= 9:
			title, genre = fmt.Sprintf("The Bank Job %d (2000)", i), "Crime"
			tags = append(tags, fmt.Sprintf("2,%d,heist,2", i))
		}
		movies = append(movies, fmt.Sprintf("%d,%q,%s", i, title, genre))
	}
	tags = append(tags, "3,12,rare,3", "3,1,space,4") // a repeat adds no movie
	require.NoError(t, os.WriteFile(filepath.Join(dir, "movies.csv"), []byte(strings.Join(movies, "\n")+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tags.csv"), []byte(strings.Join(tags, "\n")+"\n"), 0o644))
	return dir
}

func TestLoadRetrievalSet(t *testing.T) {
	set, err := LoadRetrievalSet(writeTagged(t), 3, 200)
	require.NoError(t, err)
	require.Len(t, set.Docs, 24)
	assert.Equal(t, "Star Voyage 1 (1980). Sci-Fi", set.Docs[0], "title and genres only")
	assert.Equal(t, 4, set.Tags)
	require.Len(t, set.Queries, 3, "rare is on one movie")
	assert.Equal(t, RetrievalQuery{Text: "heist", Relevant: []int32{6, 7, 8}}, set.Queries[0])
	assert.Equal(t, RetrievalQuery{Text: "space", Relevant: []int32{0, 1, 2, 3, 4, 5}}, set.Queries[1])
	_, err = LoadRetrievalSet(writeTagged(t), 7, 200)
	assert.ErrorContains(t, err, "no tag")
}

func TestQueryMetrics(t *testing.T) {
	rel := []int32{3, 5}
	m := queryMetrics([]int32{5, 9, 3}, rel)
	idcg := 1 + 1/1.5849625007211563
	assert.InDelta(t, (1+0.5)/idcg, m.NDCGAt10, 1e-9)
	assert.Equal(t, 1.0, m.RecallAt100)
	assert.Equal(t, Metrics{}, queryMetrics(nil, rel))
	// Past 10 counts for recall only; recall's denominator is min(100, |R|).
	ranked := make([]int32, 0, 20)
	for i := range int32(20) {
		ranked = append(ranked, 100+i)
	}
	m = queryMetrics(append(ranked, 3), rel)
	assert.Equal(t, Metrics{RecallAt100: 0.5}, m)
	qs := []RetrievalQuery{{Relevant: []int32{3}}, {Relevant: []int32{4}}}
	d := pairedNDCG("x", [][]int32{{3}, {4}}, [][]int32{{9}, {4}}, qs)
	assert.Equal(t, 0.5, d.Mean, "differences 1 and 0")
	assert.InDelta(t, 0.5, d.SE, 1e-9, "sd √0.5 over √2")
}

func TestRunRetrievalSmall(t *testing.T) {
	res, err := RunRetrieval(context.Background(), RetrievalConfig{
		Dir: writeTagged(t), Work: t.TempDir(), Encoder: apitest.Model{D: 16}, ModelName: "fake",
		MinMovies: 3, Rounds: 2, FusionDepth: 20,
		Sparse: SparseSpeedConfig{Rounds: 1, Synthetic: SyntheticConfig{Docs: 3000, Vocab: 400, Queries: 20}},
	})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Queries)
	assert.Equal(t, 24, res.Docs)
	names := []string{}
	for _, m := range res.Methods {
		names = append(names, m.Name)
		assert.Equal(t, 2, m.Speed.Passes)
		assert.Positive(t, m.Speed.QPS)
		if m.Quality != nil {
			assert.GreaterOrEqual(t, m.Quality.NDCGAt10, 0.0)
			assert.LessOrEqual(t, m.Quality.NDCGAt10, 1.0)
		}
	}
	assert.Equal(t, []string{"bm25", "dense", "dense, query vector given", "rrf", "dbsf"}, names)
	// Of the tags only "voyages" is in titles (stemmed): BM25 finds it.
	assert.Equal(t, 2, res.BM25Empty)
	assert.Positive(t, res.Methods[0].Quality.NDCGAt10)
	require.Len(t, res.Tuned, 2)
	require.Len(t, res.Deltas, 4, "rrf, dbsf and both tuned against the better single retriever")
	for _, tf := range res.Tuned {
		for _, f := range tf.Folds {
			assert.Contains(t, fusionDenseWeights, f.DenseWeight)
		}
	}
	require.Len(t, res.Sparse, 2)
	for _, s := range res.Sparse {
		assert.Equal(t, 1.0, s.ExhaustiveAgreement, s.Corpus)
		assert.Positive(t, s.MaxScore.QPS)
		assert.Nil(t, s.Peer)
	}
	assert.Equal(t, 3000, res.Sparse[1].Docs)
}

func TestSyntheticCorpus(t *testing.T) {
	cfg := SyntheticConfig{Docs: 500, Vocab: 100, MinLen: 3, MaxLen: 5, Queries: 30, Seed: 7}
	a, err := SyntheticCorpus(cfg, nil)
	require.NoError(t, err)
	b, err := SyntheticCorpus(cfg, nil)
	require.NoError(t, err)
	assert.Equal(t, a, b, "the same seed gives the same corpus")
	count := make([]int, 100)
	for _, d := range a.docs {
		require.GreaterOrEqual(t, len(d), 3)
		require.LessOrEqual(t, len(d), 5)
		for _, t := range d {
			count[t]++
		}
	}
	assert.Greater(t, count[0], count[50], "term 0 is the commonest")
	for _, q := range a.queries {
		require.GreaterOrEqual(t, len(q), 2)
		require.LessOrEqual(t, len(q), 6)
	}
	_, err = SyntheticCorpus(SyntheticConfig{S: 0.5, MinLen: 9, MaxLen: 2}, nil)
	require.ErrorContains(t, err, "zipf s")
	require.ErrorContains(t, err, "document length")
}

func TestWriteIDLists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.u32")
	require.NoError(t, writeIDLists(path, [][]uint32{{7, 8}, {}, {9}}))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var got []uint32
	for i := 0; i < len(b); i += 4 {
		got = append(got, binary.LittleEndian.Uint32(b[i:]))
	}
	assert.Equal(t, []uint32{3, 2, 0, 1, 7, 8, 9}, got)
}

// TestPeerProtocol runs a stand-in peer that answers as the real one does.
func TestPeerProtocol(t *testing.T) {
	script := filepath.Join(t.TempDir(), "peer.py")
	require.NoError(t, os.WriteFile(script, []byte(`import json, sys
print(json.dumps({"ready": True, "version": "x", "docs": 3, "queries": 2, "index_seconds": 0.5}), flush=True)
for line in sys.stdin:
    if line.startswith("quit"):
        break
    out = {"seconds": 0.25}
    if line.strip() == "pass results":
        out["results"] = [[2, 0], []]
    print(json.dumps(out), flush=True)
`), 0o644))
	p, err := startPeer(context.Background(), PeerConfig{Script: script}, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, PeerInfo{Version: "x", Docs: 3, Queries: 2, IndexSeconds: 0.5}, p.info)
	var got [][]int32
	speeds, err := alternate(context.Background(), 2, 2, []timedKind{peerKind("peer", p, &got)}, nil)
	require.NoError(t, err)
	assert.Equal(t, [][]int32{{2, 0}, {}}, got, "the first pass's results")
	assert.Equal(t, Speed{QPS: 8, MinQPS: 8, MaxQPS: 8, Passes: 2}, speeds[0])
	require.NoError(t, p.close())
}
