package hnsw

import (
	"context"
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// Scalar quantization keeps beside each vector a code of one byte per
// component, c = round((x − lo)/δ) clipped to 0…255 with δ = (hi − lo)/255,
// and a float32 correction term: the exact squared norm ‖x‖², which the L2
// estimate needs (the dot estimates need none). A search may walk the graph
// on the codes against a query quantized to int8 and re-score its final
// candidates with the float vectors.
//
// The bounds lo and hi are trained on the stored vectors (unit length for
// Cosine): the (1−q)/2 and (1+q)/2 quantiles of a sample of their
// components, for the caller's quantile q, as Qdrant trains them. A graph
// quantized while empty trains once it holds quantTrainMin nodes, and every
// graph retrains when it has grown quantRetrainFactor times since, so bounds
// trained on a few points do not clip the many that follow; each training
// re-encodes every node, which amortises to a constant per insert.

// Bounds of quantization.
const (
	// DefaultQuantile is the quantile Quantize takes for 0: the whole
	// range, as Qdrant's default.
	DefaultQuantile = 1
	// quantTrainMin is the node count at which a graph quantized while
	// (nearly) empty trains.
	quantTrainMin = 256
	// quantRetrainFactor is the growth that triggers a new training.
	quantRetrainFactor = 4
	// quantSampleComponents bounds the components sorted by a training.
	quantSampleComponents = 1 << 19
	// MaxOversampling bounds QuantizedSearch.Oversampling.
	MaxOversampling = 16
	// quantEncodeChunk is how many nodes pass between progress reports and
	// context checks while encoding.
	quantEncodeChunk = 1 << 16
)

// quantState is a graph's scalar quantization: the quantile asked for
// and, once trained, the bounds the codes were made with.
type quantState struct {
	quantile  float64
	trained   bool
	lo, hi    float32
	delta     float32 // (hi − lo)/255, never zero once trained
	trainedOn int64   // live nodes when trained
}

// Quantization describes a graph's scalar quantization.
type Quantization struct {
	// Quantile is the fraction of components the bounds enclose.
	Quantile float64
	// Trained reports whether codes exist; a graph quantized while empty
	// trains once it holds a few hundred nodes and walks floats until then.
	Trained bool
	// Lower and Upper are the trained bounds.
	Lower, Upper float32
	// TrainedOn is the number of live nodes when the bounds were trained.
	TrainedOn int64
}

// CheckQuantile reports a quantile outside [0.5, 1], the range Qdrant
// accepts.
func CheckQuantile(q float64) error {
	if !(q >= 0.5 && q <= 1) {
		return fmt.Errorf("hnsw: quantile %v, want 0.5..1", q)
	}
	return nil
}

// Quantize enables scalar int8 quantization with the given quantile (0
// means DefaultQuantile): it trains bounds on the vectors present, encodes
// every node and from then on encodes each insert. A graph already
// quantized is trained afresh. Inserts, deletes and cleanups wait while it
// runs (it costs a pass over the vectors); searches go on, on floats until
// the codes are in place. progress, if set, is called after each chunk of
// nodes with the count encoded so far.
func (g *Graph) Quantize(ctx context.Context, quantile float64, progress func(done, total int)) error {
	if quantile == 0 {
		quantile = DefaultQuantile
	}
	if err := CheckQuantile(quantile); err != nil {
		return err
	}
	g.writers.Lock()
	defer g.writers.Unlock()
	st := &quantState{quantile: quantile}
	if g.live.Load() == 0 {
		g.mu.Lock()
		old := g.installCodesLocked(st, nil)
		g.mu.Unlock()
		freeArena(old)
		g.nextTrain.Store(quantTrainMin)
		return nil
	}
	return g.trainWritersLocked(ctx, st, progress)
}

// Unquantize drops the codes; searches walk the float vectors again.
func (g *Graph) Unquantize() {
	g.writers.Lock()
	defer g.writers.Unlock()
	g.mu.Lock()
	old := g.installCodesLocked(nil, nil)
	g.mu.Unlock()
	freeArena(old)
	g.nextTrain.Store(0)
}

// Quantization returns the graph's quantization; ok is false when it has
// none.
func (g *Graph) Quantization() (q Quantization, ok bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	st := g.quant
	if st == nil {
		return Quantization{}, false
	}
	return Quantization{Quantile: st.quantile, Trained: st.trained, Lower: st.lo, Upper: st.hi, TrainedOn: st.trainedOn}, true
}

// maybeTrain trains the quantizer when the graph has grown enough since
// the last training. Callers hold neither writers nor mu.
func (g *Graph) maybeTrain() {
	due := func() bool { n := g.nextTrain.Load(); return n > 0 && g.live.Load() >= n }
	if !due() {
		return
	}
	g.writers.Lock()
	defer g.writers.Unlock()
	if !due() {
		return
	}
	g.mu.RLock()
	quantile := g.quant.quantile
	g.mu.RUnlock()
	// Background work with no caller to report to: a training cannot fail
	// but by cancellation, and this context is never cancelled.
	_ = g.trainWritersLocked(context.Background(), &quantState{quantile: quantile}, nil)
}

// trainWritersLocked trains st's bounds on the stored vectors, encodes
// every node into a new code arena and installs both; writers must be
// held for writing (so no node is added or freed meanwhile), mu not at all.
func (g *Graph) trainWritersLocked(ctx context.Context, st *quantState, progress func(done, total int)) error {
	g.mu.RLock()
	st.lo, st.hi = g.trainBoundsLocked(st.quantile)
	st.setBounds(st.lo, st.hi)
	st.trainedOn = g.live.Load()
	codes, err := g.encodeAllLocked(ctx, st, progress)
	g.mu.RUnlock()
	if err != nil {
		freeArena(codes)
		return fmt.Errorf("quantize: %w", err)
	}
	g.mu.Lock()
	old := g.installCodesLocked(st, codes)
	g.mu.Unlock()
	freeArena(old)
	g.nextTrain.Store(max(quantRetrainFactor*st.trainedOn, quantTrainMin))
	return nil
}

// setBounds fixes the trained bounds and the step between codes.
func (st *quantState) setBounds(lo, hi float32) {
	st.lo, st.hi, st.trained = lo, hi, true
	st.delta = (hi - lo) / 255
	if !(st.delta > 0) {
		// Every sampled component equal: any positive step encodes them
		// exactly as code 0.
		st.delta = 1
	}
}

// installCodesLocked makes st and codes the graph's quantization and
// returns the code arena they replace; mu must be held for writing.
func (g *Graph) installCodesLocked(st *quantState, codes []uint32) (old []uint32) {
	old = g.codes
	g.quant, g.codes = st, codes
	g.mapping.codes = codes
	return old
}

// trainBoundsLocked returns the (1−q)/2 and (1+q)/2 quantiles of the
// components of an evenly spaced sample of the stored vectors; mu must be
// held.
func (g *Graph) trainBoundsLocked(quantile float64) (lo, hi float32) {
	used := g.usedSlots()
	perVector := max(1, quantSampleComponents/g.dim)
	step := max(1, int(g.live.Load())/perVector)
	sample := make([]float32, 0, min(quantSampleComponents+g.dim, int(g.live.Load())*g.dim))
	seen := 0
	for n := uint32(0); n < used && len(sample) < quantSampleComponents; n++ {
		if g.state[n] != nodeLive {
			continue
		}
		if seen++; (seen-1)%step == 0 {
			sample = append(sample, g.vectorOf(n)...)
		}
	}
	if len(sample) == 0 {
		return 0, 0
	}
	slices.Sort(sample)
	tail := (1 - quantile) / 2
	at := func(p float64) float32 { return sample[min(len(sample)-1, int(p*float64(len(sample)-1)+0.5))] }
	return at(tail), at(1 - tail)
}

// encodeAllLocked encodes every used slot's vector into a new arena; mu
// must be held.
func (g *Graph) encodeAllLocked(ctx context.Context, st *quantState, progress func(done, total int)) ([]uint32, error) {
	codes := allocArena(g.capacity * g.codeWords)
	used := int(g.usedSlots())
	for n := 0; n < used; n++ {
		if n%quantEncodeChunk == quantEncodeChunk-1 {
			if err := ctx.Err(); err != nil {
				return codes, err
			}
			if progress != nil {
				progress(n+1, used)
			}
		}
		if g.state[n] != nodeFree {
			g.encode(st, codes, uint32(n))
		}
	}
	if progress != nil {
		progress(used, used)
	}
	return codes, nil
}

// encode writes node's code and correction term into codes; the vector
// must be written and the code not yet visible to searches, or mu held
// for writing.
func (g *Graph) encode(st *quantState, codes []uint32, node uint32) {
	w := codes[int(node)*g.codeWords : (int(node)+1)*g.codeWords]
	code := unsafe.Slice((*uint8)(unsafe.Pointer(&w[0])), g.dim)
	inv := 1 / st.delta
	var norm float32
	for i, x := range g.vectorOf(node) {
		norm += x * x
		c := math.Round(float64((x - st.lo) * inv))
		code[i] = uint8(min(255, max(0, c)))
	}
	w[len(w)-1] = math.Float32bits(norm)
}

// codeOf returns node's code bytes in the current arena and its
// correction term; mu must be held and the graph quantized.
func (g *Graph) codeOf(node uint32) ([]uint8, float32) {
	w := g.codes[int(node)*g.codeWords : (int(node)+1)*g.codeWords]
	return unsafe.Slice((*uint8)(unsafe.Pointer(&w[0])), g.dim), math.Float32frombits(w[len(w)-1])
}

// rescoreCount is how many candidates a quantized search of k results
// walks for and re-scores: max(ef, ⌈k·oversampling⌉), the product bounded
// by MaxEf (and never below k).
func rescoreCount(ef, k int, oversampling float64) int {
	if oversampling < 1 {
		oversampling = 1
	}
	over := min(math.Ceil(float64(k)*oversampling), float64(max(MaxEf, k)))
	return max(ef, int(over))
}
