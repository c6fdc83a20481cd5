package encoder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Encoder turns texts into vectors with one loaded model. It is safe for
// concurrent use: the model is read-only and each call takes its own
// scratch memory from a pool.
type Encoder struct {
	name        string
	tok         *tokenizer
	m           *model
	st          stConfig
	maxSeqLen   int
	threads     int
	batchTokens int
	// scratch holds idle forward-pass memory. A bounded free list rather
	// than a sync.Pool: a pool is emptied by every GC, and the buffers
	// (tens of MB at BatchTokens) would be reallocated after each one.
	scratch chan *forwardScratch
}

// idleScratch is how many forward-pass scratch sets an Encoder keeps.
const idleScratch = 4

// forwardScratch is the memory of one forward pass, reused across calls.
type forwardScratch struct {
	ids   []int32
	lens  []int
	x     []float32
	qkv   []float32
	ctx   []float32
	tmp   []float32
	inter []float32
	heads []headScratch
}

// Load reads the model in dir (see the package comment for its files).
// Every error names the file at fault.
func Load(dir string, opts Options) (*Encoder, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts.EnsureDefaults()
	cfg, err := readModelConfig(dir)
	if err != nil {
		return nil, err
	}
	st, err := readSTConfig(dir, cfg.HiddenSize)
	if err != nil {
		return nil, err
	}
	tok, tokPath, err := loadTokenizer(dir)
	if err != nil {
		return nil, err
	}
	for text, id := range tok.vocab {
		if int(id) >= cfg.VocabSize || id < 0 {
			return nil, fmt.Errorf("%s: token %q has id %d, beyond config.json's vocab_size %d: %w",
				tokPath, text, id, cfg.VocabSize, ErrInvalidModel)
		}
	}
	for _, a := range tok.added {
		if int(a.id) >= cfg.VocabSize || a.id < 0 {
			return nil, fmt.Errorf("%s: added token %q has id %d, beyond config.json's vocab_size %d: %w",
				tokPath, a.text, a.id, cfg.VocabSize, ErrInvalidModel)
		}
	}
	maxLen := opts.MaxSeqLen
	if maxLen == 0 {
		maxLen = st.maxSeqLen
	}
	if maxLen == 0 {
		maxLen = cfg.MaxPositions
	}
	if maxLen > cfg.MaxPositions {
		return nil, fmt.Errorf("%s: max_seq_length %d exceeds config.json's max_position_embeddings %d: %w",
			filepath.Join(dir, "sentence_bert_config.json"), maxLen, cfg.MaxPositions, ErrInvalidModel)
	}
	m, err := loadModel(dir, cfg)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return &Encoder{
		name:        filepath.Base(abs),
		tok:         tok,
		m:           m,
		st:          st,
		maxSeqLen:   maxLen,
		threads:     opts.Threads,
		batchTokens: max(opts.BatchTokens, maxLen),
		scratch:     make(chan *forwardScratch, idleScratch),
	}, nil
}

// loadTokenizer reads tokenizer.json, or vocab.txt when there is none.
func loadTokenizer(dir string) (*tokenizer, string, error) {
	path := filepath.Join(dir, "tokenizer.json")
	if _, err := os.Stat(path); err == nil {
		t, err := loadTokenizerJSON(path)
		return t, path, err
	}
	path = filepath.Join(dir, "vocab.txt")
	if _, err := os.Stat(path); err != nil {
		return nil, path, fmt.Errorf("%s: neither tokenizer.json nor vocab.txt: %w", dir, ErrInvalidModel)
	}
	t, err := loadVocabTxt(path, filepath.Join(dir, "tokenizer_config.json"))
	return t, path, err
}

// Name returns the model's name, the base name of its directory.
func (e *Encoder) Name() string { return e.name }

// Dim returns the length of the vectors Encode returns.
func (e *Encoder) Dim() int { return e.m.cfg.HiddenSize }

// MaxSeqLen returns the token limit of one text, [CLS] and [SEP] included.
func (e *Encoder) MaxSeqLen() int { return e.maxSeqLen }

// Pooling returns how token vectors become a text vector ("mean", "cls",
// "max" or "mean_sqrt_len") and whether the vector is L2-normalised.
func (e *Encoder) Pooling() (string, bool) { return e.st.pooling.String(), e.st.normalize }

// Tokenize returns the token ids of text as the model sees them, [CLS] and
// [SEP] included, truncated to MaxSeqLen.
func (e *Encoder) Tokenize(text string) []int32 {
	if e.st.doLowerCase {
		text = lowerString(text)
	}
	return e.tok.encode(nil, text, e.maxSeqLen)
}

// Encode returns one vector of Dim floats for each text, in order. The
// vectors are freshly allocated and belong to the caller. It stops with
// ctx's error between forward passes and layers.
func (e *Encoder) Encode(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	if len(texts) == 0 {
		return out, nil
	}
	dim := e.Dim()
	flat := make([]float32, len(texts)*dim)
	for i := range out {
		out[i] = flat[i*dim : (i+1)*dim : (i+1)*dim]
	}
	var sc *forwardScratch
	select {
	case sc = <-e.scratch:
	default:
		sc = &forwardScratch{heads: make([]headScratch, e.threads)}
	}
	defer func() {
		select {
		case e.scratch <- sc:
		default:
		}
	}()

	// Tokenize everything into one buffer, then order texts by length so
	// that each forward pass packs texts of similar length.
	ids := sc.ids[:0]
	starts := make([]int, len(texts)+1)
	for i, t := range texts {
		if e.st.doLowerCase {
			t = lowerString(t)
		}
		ids = e.tok.encode(ids, t, e.maxSeqLen)
		starts[i+1] = len(ids)
	}
	sc.ids = ids
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return (starts[a+1] - starts[a]) - (starts[b+1] - starts[b])
	})
	for lo := 0; lo < len(order); {
		hi, tokens := lo, 0
		for hi < len(order) {
			l := starts[order[hi]+1] - starts[order[hi]]
			if hi > lo && tokens+l > e.batchTokens {
				break
			}
			tokens += l
			hi++
		}
		if err := e.forward(ctx, sc, order[lo:hi], starts, out); err != nil {
			return nil, err
		}
		lo = hi
	}
	return out, nil
}

// forward runs the texts idx (indexes into starts and out) through the
// model as one packed batch and writes their pooled vectors into out.
func (e *Encoder) forward(ctx context.Context, sc *forwardScratch, idx []int, starts []int, out [][]float32) error {
	cfg := &e.m.cfg
	H, I := cfg.HiddenSize, cfg.IntermediateSize
	sc.lens = sc.lens[:0]
	T := 0
	for _, i := range idx {
		l := starts[i+1] - starts[i]
		sc.lens = append(sc.lens, l)
		T += l
	}
	sc.x = grow(sc.x, T*H)
	sc.qkv = grow(sc.qkv, T*3*H)
	sc.ctx = grow(sc.ctx, T*H)
	sc.tmp = grow(sc.tmp, T*H)
	sc.inter = grow(sc.inter, T*I)

	t := 0
	for _, i := range idx {
		for p, id := range sc.ids[starts[i]:starts[i+1]] {
			row := sc.x[t*H : (t+1)*H]
			w := e.m.wordEmb[int(id)*H : (int(id)+1)*H]
			pe := e.m.posEmb[p*H : (p+1)*H]
			for j := range row {
				row[j] = w[j] + pe[j] + e.m.typeEmb[j]
			}
			t++
		}
	}
	layerNorm(sc.x, e.m.embLnG, e.m.embLnB, cfg.LayerNormEps)
	for li := range e.m.layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		l := &e.m.layers[li]
		linear(sc.qkv, sc.x, &l.qkvW, l.qkvB, T, e.threads, actNone)
		attention(sc.ctx, sc.qkv, sc.lens, H, cfg.NumHeads, e.threads, sc.heads)
		linear(sc.tmp, sc.ctx, &l.outW, l.outB, T, e.threads, actNone)
		addLayerNorm(sc.x, sc.tmp, l.ln1G, l.ln1B, cfg.LayerNormEps, e.threads)
		linear(sc.inter, sc.x, &l.upW, l.upB, T, e.threads, actGELU)
		linear(sc.tmp, sc.inter, &l.downW, l.downB, T, e.threads, actNone)
		addLayerNorm(sc.x, sc.tmp, l.ln2G, l.ln2B, cfg.LayerNormEps, e.threads)
	}
	t = 0
	for k, i := range idx {
		L := sc.lens[k]
		poolInto(out[i], sc.x[t*H:(t+L)*H], e.st.pooling, e.st.normalize)
		t += L
	}
	return nil
}
