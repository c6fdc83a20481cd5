package encoder

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// model holds a BERT encoder's weights as float32, Linear weights in
// PyTorch's out×in layout. It is read-only after loadModel.
type model struct {
	cfg     modelConfig
	wordEmb []float32 // vocab × hidden
	posEmb  []float32 // positions × hidden
	typeEmb []float32 // first row of the token type embeddings, type 0
	embLnG  []float32
	embLnB  []float32
	layers  []layer
}

// layer is one Transformer block.
type layer struct {
	qkvW       linearW // 3·hidden × hidden: query, key and value stacked
	qkvB       []float32
	outW       linearW // hidden × hidden
	outB       []float32
	ln1G, ln1B []float32
	upW        linearW // intermediate × hidden
	upB        []float32
	downW      linearW // hidden × intermediate
	downB      []float32
	ln2G, ln2B []float32
}

// loadModel reads model.safetensors and checks every tensor's shape
// against config.json.
func loadModel(dir string, cfg modelConfig) (*model, error) {
	path := filepath.Join(dir, "model.safetensors")
	ts, err := readSafetensors(path)
	if err != nil {
		return nil, err
	}
	// Tensor names may carry a prefix ("bert.", "model."): find it from the
	// word embeddings.
	prefix := ""
	found := false
	for name := range ts {
		if p, ok := strings.CutSuffix(name, "embeddings.word_embeddings.weight"); ok {
			prefix, found = p, true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no embeddings.word_embeddings.weight tensor: %w", path, ErrInvalidModel)
	}
	var missing []string
	get := func(name string, shape ...int) []float32 {
		t, ok := ts[prefix+name]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s%s missing", prefix, name))
			return nil
		}
		if !slices.Equal(t.shape, shape) {
			missing = append(missing, fmt.Sprintf("%s%s has shape %v, want %v", prefix, name, t.shape, shape))
			return nil
		}
		return t.data
	}
	h, inter := cfg.HiddenSize, cfg.IntermediateSize
	m := &model{cfg: cfg}
	m.wordEmb = get("embeddings.word_embeddings.weight", cfg.VocabSize, h)
	m.posEmb = get("embeddings.position_embeddings.weight", cfg.MaxPositions, h)
	if te := get("embeddings.token_type_embeddings.weight", cfg.TypeVocabSize, h); te != nil {
		m.typeEmb = te[:h]
	}
	m.embLnG = get("embeddings.LayerNorm.weight", h)
	m.embLnB = get("embeddings.LayerNorm.bias", h)
	for i := 0; i < cfg.NumLayers; i++ {
		p := fmt.Sprintf("encoder.layer.%d.", i)
		q := get(p+"attention.self.query.weight", h, h)
		k := get(p+"attention.self.key.weight", h, h)
		v := get(p+"attention.self.value.weight", h, h)
		qb := get(p+"attention.self.query.bias", h)
		kb := get(p+"attention.self.key.bias", h)
		vb := get(p+"attention.self.value.bias", h)
		outW := get(p+"attention.output.dense.weight", h, h)
		upW := get(p+"intermediate.dense.weight", inter, h)
		downW := get(p+"output.dense.weight", h, inter)
		l := layer{
			qkvB:  slices.Concat(qb, kb, vb),
			outB:  get(p+"attention.output.dense.bias", h),
			ln1G:  get(p+"attention.output.LayerNorm.weight", h),
			ln1B:  get(p+"attention.output.LayerNorm.bias", h),
			upB:   get(p+"intermediate.dense.bias", inter),
			downB: get(p+"output.dense.bias", h),
			ln2G:  get(p+"output.LayerNorm.weight", h),
			ln2B:  get(p+"output.LayerNorm.bias", h),
		}
		if len(missing) == 0 {
			l.qkvW = newLinearW(slices.Concat(q, k, v), 3*h, h)
			l.outW = newLinearW(outW, h, h)
			l.upW = newLinearW(upW, inter, h)
			l.downW = newLinearW(downW, h, inter)
		}
		m.layers = append(m.layers, l)
	}
	if len(missing) > 0 {
		if len(missing) > 5 {
			missing = append(missing[:5], fmt.Sprintf("and %d more", len(missing)-5))
		}
		return nil, fmt.Errorf("%s does not match config.json: %s: %w", path, strings.Join(missing, "; "), ErrInvalidModel)
	}
	return m, nil
}
