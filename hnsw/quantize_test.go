package hnsw

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// truthOf is brute force's top k for each query.
func truthOf(m Metric, vecs map[uint32][]float32, queries [][]float32, k int) [][]uint32 {
	out := make([][]uint32, len(queries))
	for i, q := range queries {
		out[i] = exactTopK(m, vecs, q, k)
	}
	return out
}

// recallWith is recallAt with full search options, against truth.
func recallWith(t *testing.T, g *Graph, truth [][]uint32, queries [][]float32, k int, opts SearchOptions) float64 {
	t.Helper()
	hits := 0
	for i, q := range queries {
		got, err := g.Search(context.Background(), q, k, opts)
		require.NoError(t, err)
		set := map[uint32]bool{}
		for _, r := range got {
			set[r.Node] = true
		}
		for _, n := range truth[i] {
			if set[n] {
				hits++
			}
		}
	}
	return float64(hits) / float64(k*len(queries))
}

// TestQuantizedRecall: on 5,000 clustered 64-d vectors, the walk on codes
// with re-scoring keeps recall@10 within 5% of the float walk at the same
// ef (64 and 128; at ef 16, re-scoring 16 candidates for 10 results, the
// tight clusters keep about 0.75 of it), for each metric, and without
// re-scoring it stays useful. The
// clusters' centres lie far apart, so a quantile below 1 clips whole
// clusters' components (see TestQuantileClipsOutliers): that data takes
// the whole range, Qdrant's default; Gaussian data takes 0.99.
func TestQuantizedRecall(t *testing.T) {
	seed := seedFor(t)
	clustered, gaussian := dataset(seed, 5100, 64, true), dataset(seed, 3100, 64, false)
	for _, c := range []struct {
		name     string
		metric   Metric
		data     [][]float32
		quantile float64
	}{
		{"cosine-clustered", Cosine, clustered, 1},
		{"dot-clustered", Dot, clustered, 1},
		{"l2-clustered", L2, clustered, 1},
		{"cosine-gaussian-0.99", Cosine, gaussian, 0.99},
		{"l2-gaussian-0.99", L2, gaussian, 0.99},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := len(c.data) - 100
			g := mustGraph(t, 64, Options{M: 12, EfConstruction: 80, Metric: c.metric})
			live := build(t, g, c.data[:n])
			require.NoError(t, g.Quantize(context.Background(), c.quantile, nil))
			q, ok := g.Quantization()
			require.True(t, ok)
			require.True(t, q.Trained)
			require.Less(t, q.Lower, q.Upper)
			queries := c.data[n:]
			truth := truthOf(c.metric, live, queries, 10)
			for _, ef := range []int{64, 128} {
				float := recallWith(t, g, truth, queries, 10, SearchOptions{Ef: ef, Quantization: QuantizedSearch{Ignore: true}})
				quant := recallWith(t, g, truth, queries, 10, SearchOptions{Ef: ef})
				raw := recallWith(t, g, truth, queries, 10, SearchOptions{Ef: ef, Quantization: QuantizedSearch{NoRescore: true}})
				t.Logf("ef=%d recall@10: float %.4f, int8 rescored %.4f, int8 estimates %.4f", ef, float, quant, raw)
				assert.GreaterOrEqual(t, quant, 0.95*float, "ef=%d", ef)
				assert.Greater(t, raw, 0.5*float, "ef=%d", ef)
			}
		})
	}
}

// TestQuantileClipsOutliers: bounds from a quantile below 1 enclose that
// fraction of the sampled components, and components beyond them take the
// end codes.
func TestQuantileClipsOutliers(t *testing.T) {
	data := dataset(seedFor(t), 2000, 32, true)
	g := mustGraph(t, 32, Options{M: 8, EfConstruction: 20, Metric: Dot})
	live := build(t, g, data)
	require.NoError(t, g.Quantize(context.Background(), 0.9, nil))
	q, _ := g.Quantization()
	inside, total, clippedLow := 0, 0, 0
	g.mu.RLock()
	defer g.mu.RUnlock()
	for n, v := range live {
		code, _ := g.codeOf(n)
		for i, x := range v {
			total++
			if x >= q.Lower && x <= q.Upper {
				inside++
			}
			if x < q.Lower {
				clippedLow++
				require.Zero(t, code[i])
			}
			if x > q.Upper {
				require.Equal(t, uint8(255), code[i])
			}
		}
	}
	assert.InDelta(t, 0.9, float64(inside)/float64(total), 0.01)
	assert.InDelta(t, 0.05, float64(clippedLow)/float64(total), 0.01)
}

// TestCodeEstimateError: the estimate of ⟨x, q⟩ from codes stays within
// the bound the rounding allows (δ/2 per code component, s/2 per query
// component) for vectors inside the trained bounds.
func TestCodeEstimateError(t *testing.T) {
	const dim = 48
	data := dataset(seedFor(t), 600, dim, false)
	g := mustGraph(t, dim, Options{M: 8, EfConstruction: 40, Metric: Dot})
	build(t, g, data[:500])
	require.NoError(t, g.Quantize(context.Background(), 1, nil)) // quantile 1: nothing clipped
	g.mu.RLock()
	defer g.mu.RUnlock()
	st := g.quant
	var sc scorer
	sc.q8 = make([]int8, dim)
	var sumErr float64
	checked := 0
	for _, q := range data[500:] {
		sc.useCodes(st, q)
		var maxAbs, sumAbs float64
		for _, x := range q {
			maxAbs = max(maxAbs, math.Abs(float64(x)))
			sumAbs += math.Abs(float64(x))
		}
		s := maxAbs / 127
		for n := uint32(0); n < 500; n += 7 {
			exact := float64(plainDot(q, g.vectorOf(n)))
			est := -float64(g.codeDistance(&sc, n))
			code, _ := g.codeOf(n)
			var decoded float64 // Σ|lo + δ·c_i|
			for _, c := range code {
				decoded += math.Abs(float64(st.lo) + float64(st.delta)*float64(c))
			}
			// ⟨x, q⟩ − ⟨x̂, q̂⟩ = ⟨x̂, q − q̂⟩ + ⟨x − x̂, q⟩, each rounding
			// error at most half a step.
			bound := decoded*s/2 + float64(st.delta)/2*sumAbs + 1e-3
			require.LessOrEqual(t, math.Abs(est-exact), bound, "node %d", n)
			sumErr += math.Abs(est - exact)
			checked++
		}
	}
	// The bound is the worst case; rounding errors mostly cancel.
	mean := sumErr / float64(checked)
	t.Logf("mean |estimate − exact| = %.4f over %d pairs (range %.2f..%.2f)", mean, checked, st.lo, st.hi)
	assert.Less(t, mean, 0.1)
}

// TestL2CorrectionIsExactNorm: the per-node term of an L2 graph is ‖x‖².
func TestL2CorrectionIsExactNorm(t *testing.T) {
	data := dataset(seedFor(t), 300, 20, false)
	g := mustGraph(t, 20, Options{M: 8, EfConstruction: 40, Metric: L2})
	live := build(t, g, data)
	require.NoError(t, g.Quantize(context.Background(), 0.99, nil))
	g.mu.RLock()
	defer g.mu.RUnlock()
	for n, v := range live {
		_, norm := g.codeOf(n)
		require.InDelta(t, plainDot(v, v), norm, 1e-3)
	}
}

// TestOversamplingRescoredCount: the walk keeps max(ef, ⌈k·oversampling⌉)
// candidates and re-scores them all; out-of-range factors are refused.
func TestOversamplingRescoredCount(t *testing.T) {
	data := dataset(seedFor(t), 2000, 16, true)
	g := mustGraph(t, 16, Options{M: 8, EfConstruction: 40, Metric: Cosine})
	build(t, g, data)
	var stats SearchStats
	_, err := g.Search(context.Background(), data[0], 10, SearchOptions{Ef: 10, Stats: &stats})
	require.NoError(t, err)
	assert.False(t, stats.Quantized, "an unquantized graph walks floats")
	require.NoError(t, g.Quantize(context.Background(), 0, nil))
	for _, c := range []struct {
		over float64
		want int
	}{{0, 10}, {1, 10}, {2.5, 25}, {4, 40}, {16, 160}} {
		res, err := g.Search(context.Background(), data[1], 10, SearchOptions{Ef: 10, Stats: &stats, Quantization: QuantizedSearch{Oversampling: c.over}})
		require.NoError(t, err)
		assert.True(t, stats.Quantized)
		assert.Equal(t, c.want, stats.Rescored, "oversampling %v", c.over)
		assert.Len(t, res, 10)
	}
	_, err = g.Search(context.Background(), data[1], 10, SearchOptions{Ef: 64, Stats: &stats, Quantization: QuantizedSearch{Oversampling: 2}})
	require.NoError(t, err)
	assert.Equal(t, 64, stats.Rescored, "ef above k·oversampling is kept")
	_, err = g.Search(context.Background(), data[1], 10, SearchOptions{Quantization: QuantizedSearch{NoRescore: true}, Stats: &stats})
	require.NoError(t, err)
	assert.Zero(t, stats.Rescored)
	for _, bad := range []float64{0.5, 17, math.NaN(), math.Inf(1), -1} {
		_, err := g.Search(context.Background(), data[1], 10, SearchOptions{Quantization: QuantizedSearch{Oversampling: bad}})
		require.Error(t, err, "oversampling %v", bad)
	}
	assert.Equal(t, MaxEf, rescoreCount(10, 5000, 16), "the re-scored count is bounded")
	assert.Equal(t, 20000, rescoreCount(10, 20000, 16), "never below k")
}

// TestIgnoreEqualsUnquantized: a graph quantized before its inserts is
// built exactly as one that is not, and a search that ignores the codes
// returns exactly the unquantized graph's results.
func TestIgnoreEqualsUnquantized(t *testing.T) {
	data := dataset(seedFor(t), 1700, 24, true)
	for _, m := range []Metric{Cosine, Dot, L2} {
		plain := mustGraph(t, 24, Options{M: 8, EfConstruction: 40, Metric: m})
		quant := mustGraph(t, 24, Options{M: 8, EfConstruction: 40, Metric: m})
		require.NoError(t, quant.Quantize(context.Background(), 0.95, nil))
		build(t, plain, data[:1500])
		build(t, quant, data[:1500])
		q, ok := quant.Quantization()
		require.True(t, ok)
		require.True(t, q.Trained, "trained once it held enough nodes")
		require.Equal(t, int64(1024), q.TrainedOn, "retrained as it grew: 256, then 1024")
		for _, v := range data[1500:] {
			want, err := plain.Search(context.Background(), v, 10, SearchOptions{Ef: 32})
			require.NoError(t, err)
			got, err := quant.Search(context.Background(), v, 10, SearchOptions{Ef: 32, Quantization: QuantizedSearch{Ignore: true}})
			require.NoError(t, err)
			require.Equal(t, want, got, "%v", m)
		}
	}
}

// TestQuantizedExportImport: codes and bounds survive a snapshot (codes
// re-encoded from the vectors give the same bytes and the same results),
// and Unquantize writes the old format again.
func TestQuantizedExportImport(t *testing.T) {
	data := dataset(seedFor(t), 1100, 32, true)
	g := mustGraph(t, 32, Options{M: 8, EfConstruction: 40, Metric: L2})
	build(t, g, data[:1000])
	require.NoError(t, g.Quantize(context.Background(), 0.98, nil))
	var buf bytes.Buffer
	require.NoError(t, g.Export(&buf))
	h, err := Import(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	want, _ := g.Quantization()
	got, ok := h.Quantization()
	require.True(t, ok)
	require.Equal(t, want, got)
	g.mu.RLock()
	h.mu.RLock()
	for n := uint32(0); n < 1000; n++ {
		a, an := g.codeOf(n)
		b, bn := h.codeOf(n)
		require.Equal(t, a, b)
		require.Equal(t, an, bn)
	}
	h.mu.RUnlock()
	g.mu.RUnlock()
	for _, v := range data[1000:] {
		for _, qs := range []QuantizedSearch{{}, {NoRescore: true}} {
			a, err := g.Search(context.Background(), v, 5, SearchOptions{Quantization: qs})
			require.NoError(t, err)
			b, err := h.Search(context.Background(), v, 5, SearchOptions{Quantization: qs})
			require.NoError(t, err)
			require.Equal(t, a, b)
		}
	}
	h.Unquantize()
	_, ok = h.Quantization()
	require.False(t, ok)
	buf.Reset()
	require.NoError(t, h.Export(&buf))
	require.Equal(t, uint16(exportVersion), uint16(buf.Bytes()[len(exportMagic)])|uint16(buf.Bytes()[len(exportMagic)+1])<<8)
	back, err := Import(&buf)
	require.NoError(t, err)
	_, ok = back.Quantization()
	require.False(t, ok)
}

// TestQuantizedSearchAllocatesNothing: with a result slice of enough
// capacity, float and quantized searches allocate nothing (under the race
// detector, only the scratch memory its sync.Pool dropped).
func TestQuantizedSearchAllocatesNothing(t *testing.T) {
	zero := func(allocs float64, what string) {
		t.Helper()
		if raceBuild {
			require.Less(t, allocs, 16.0, what)
			return
		}
		require.Zero(t, allocs, what)
	}
	data := dataset(seedFor(t), 3000, 32, false)
	g := mustGraph(t, 32, Options{M: 8, EfConstruction: 40, Metric: L2})
	build(t, g, data)
	ctx := context.Background()
	dst := make([]Result, 0, 10)
	var stats SearchStats
	search := func(opts SearchOptions) float64 {
		i := 0
		return testing.AllocsPerRun(50, func() {
			var err error
			dst, err = g.SearchInto(ctx, dst[:0], data[i%len(data)], 10, opts)
			if err != nil {
				panic(err)
			}
			i++
		})
	}
	zero(search(SearchOptions{Ef: 64}), "float search")
	require.NoError(t, g.Quantize(ctx, 0.99, nil))
	zero(search(SearchOptions{Ef: 64, Stats: &stats}), "quantized search")
	require.True(t, stats.Quantized)
	zero(search(SearchOptions{Ef: 64, Quantization: QuantizedSearch{Oversampling: 8}}), "oversampled")
	zero(search(SearchOptions{Ef: 64, Quantization: QuantizedSearch{NoRescore: true}}), "estimates only")
}

// TestQuantizedMemory: the codes add a byte per component plus a word per
// node, a quarter of the vectors' size and little more.
func TestQuantizedMemory(t *testing.T) {
	data := dataset(seedFor(t), 2048, 100, false)
	g := mustGraph(t, 100, Options{M: 8, EfConstruction: 20, Metric: Cosine})
	build(t, g, data)
	before := g.MemoryBytes()
	require.NoError(t, g.Quantize(context.Background(), 0.99, nil))
	after := g.MemoryBytes()
	capacity := int64(g.capacity)
	assert.Equal(t, capacity*int64(g.codeWords)*4, after-before)
	t.Logf("MemoryBytes: %d without codes, %d with (+%.1f%%)", before, after, 100*float64(after-before)/float64(before))
	g.Unquantize()
	assert.Equal(t, before, g.MemoryBytes())
}

// TestQuantizeRejectsBadQuantile names the range.
func TestQuantizeRejectsBadQuantile(t *testing.T) {
	g := mustGraph(t, 4, Options{})
	for _, q := range []float64{0.3, 1.5, -1, math.NaN()} {
		require.ErrorContains(t, g.Quantize(context.Background(), q, nil), "quantile")
	}
}

// TestQuantizedConcurrent runs inserts, deletes, searches and
// (un)quantizations at once; go test -race checks the synchronisation,
// and the graph keeps its invariants and its codes match its vectors.
func TestQuantizedConcurrent(t *testing.T) {
	const dim = 16
	data := dataset(seedFor(t), 3000, dim, true)
	g := mustGraph(t, dim, Options{M: 6, EfConstruction: 30, Metric: Cosine})
	require.NoError(t, g.Quantize(context.Background(), 0.99, nil))
	ctx := context.Background()
	var wg sync.WaitGroup
	nodes := make(chan uint32, len(data))
	for w := range 3 {
		wg.Go(func() {
			for i := w; i < 2400; i += 3 {
				n, err := g.Insert(data[i])
				if err != nil {
					panic(err)
				}
				nodes <- n
			}
		})
	}
	wg.Go(func() {
		for i := range 600 {
			if _, err := g.Search(ctx, data[2400+i], 5, SearchOptions{Quantization: QuantizedSearch{Oversampling: 2}}); err != nil {
				panic(err)
			}
		}
	})
	wg.Go(func() {
		for i := range 200 {
			if n := <-nodes; i%2 == 0 {
				if err := g.Delete(n); err != nil {
					panic(err)
				}
			}
		}
	})
	wg.Go(func() {
		for range 3 {
			g.Unquantize()
			if err := g.Quantize(ctx, 0.97, nil); err != nil {
				panic(err)
			}
		}
	})
	wg.Wait()
	require.NoError(t, checkGraph(g))
	g.mu.RLock()
	defer g.mu.RUnlock()
	require.NotNil(t, g.codes, "quantized last")
	fresh := allocArena(g.capacity * g.codeWords)
	defer freeArena(fresh)
	for n := uint32(0); n < g.usedSlots(); n++ {
		if g.state[n] == nodeLive {
			g.encode(g.quant, fresh, n)
			w := fresh[int(n)*g.codeWords : (int(n)+1)*g.codeWords]
			require.Equal(t, w, g.codes[int(n)*g.codeWords:(int(n)+1)*g.codeWords], "node %d", n)
		}
	}
}

// TestImportDamagedQuantization: a bad quantile is refused as a format
// error; bad bounds or counts are trained afresh on the vectors.
func TestImportDamagedQuantization(t *testing.T) {
	data := dataset(seedFor(t), 300, 8, false)
	g := mustGraph(t, 8, Options{M: 4, EfConstruction: 20, Metric: Dot})
	build(t, g, data)
	require.NoError(t, g.Quantize(context.Background(), 0.99, nil))
	var buf bytes.Buffer
	require.NoError(t, g.Export(&buf))
	// The quantization fields follow the slot count and entry point.
	at := len(exportMagic) + 2 + 16 + 1 + 8 + 4 + 8
	patch := func(off int, b []byte) []byte {
		out := append([]byte(nil), buf.Bytes()...)
		copy(out[at+off:], b)
		return out
	}
	nan := make([]byte, 8)
	binary.LittleEndian.PutUint64(nan, math.Float64bits(math.NaN()))
	_, err := Import(bytes.NewReader(patch(0, nan)))
	require.ErrorIs(t, err, ErrFormat)

	inf := make([]byte, 4)
	binary.LittleEndian.PutUint32(inf, math.Float32bits(float32(math.Inf(1))))
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 1<<62)
	want, _ := g.Quantization()
	for _, damaged := range [][]byte{patch(9, inf), patch(17, huge)} {
		h, err := Import(bytes.NewReader(damaged))
		require.NoError(t, err)
		got, ok := h.Quantization()
		require.True(t, ok)
		require.Equal(t, want, got, "trained afresh on the same vectors, the same bounds")
	}
}
