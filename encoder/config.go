package encoder

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// modelConfig is the part of a Hugging Face config.json the model reads.
type modelConfig struct {
	ModelType             string  `json:"model_type"`
	HiddenSize            int     `json:"hidden_size"`
	NumLayers             int     `json:"num_hidden_layers"`
	NumHeads              int     `json:"num_attention_heads"`
	IntermediateSize      int     `json:"intermediate_size"`
	MaxPositions          int     `json:"max_position_embeddings"`
	TypeVocabSize         int     `json:"type_vocab_size"`
	VocabSize             int     `json:"vocab_size"`
	LayerNormEps          float64 `json:"layer_norm_eps"`
	HiddenAct             string  `json:"hidden_act"`
	PositionEmbeddingType string  `json:"position_embedding_type"`
}

// pooling says how token vectors become one text vector.
type pooling int

const (
	poolMean pooling = iota
	poolCLS
	poolMax
	poolMeanSqrtLen
)

func (p pooling) String() string {
	return [...]string{"mean", "cls", "max", "mean_sqrt_len"}[p]
}

// stConfig is what the sentence-transformers files say.
type stConfig struct {
	maxSeqLen   int // 0 when sentence_bert_config.json does not say
	doLowerCase bool
	pooling     pooling
	normalize   bool
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

// readModelConfig reads and checks config.json.
func readModelConfig(dir string) (modelConfig, error) {
	path := filepath.Join(dir, "config.json")
	var c modelConfig
	if err := readJSON(path, &c); err != nil {
		return c, err
	}
	var errs []error
	if c.ModelType != "" && c.ModelType != "bert" {
		errs = append(errs, fmt.Errorf("model_type %q, want bert: %w", c.ModelType, ErrUnsupported))
	}
	if c.HiddenAct != "gelu" {
		errs = append(errs, fmt.Errorf("hidden_act %q, want gelu: %w", c.HiddenAct, ErrUnsupported))
	}
	if c.PositionEmbeddingType != "" && c.PositionEmbeddingType != "absolute" {
		errs = append(errs, fmt.Errorf("position_embedding_type %q, want absolute: %w", c.PositionEmbeddingType, ErrUnsupported))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"hidden_size", c.HiddenSize}, {"num_hidden_layers", c.NumLayers}, {"num_attention_heads", c.NumHeads},
		{"intermediate_size", c.IntermediateSize}, {"max_position_embeddings", c.MaxPositions},
		{"type_vocab_size", c.TypeVocabSize}, {"vocab_size", c.VocabSize}} {
		if f.v <= 0 {
			errs = append(errs, fmt.Errorf("%s is %d, want > 0: %w", f.name, f.v, ErrInvalidModel))
		}
	}
	if c.NumHeads > 0 && c.HiddenSize%c.NumHeads != 0 {
		errs = append(errs, fmt.Errorf("hidden_size %d is not a multiple of num_attention_heads %d: %w", c.HiddenSize, c.NumHeads, ErrInvalidModel))
	}
	if c.LayerNormEps == 0 {
		c.LayerNormEps = 1e-12
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// readSTConfig reads modules.json, the pooling module's config.json and
// sentence_bert_config.json.
func readSTConfig(dir string, hidden int) (stConfig, error) {
	st := stConfig{pooling: poolMean}
	modulesPath := filepath.Join(dir, "modules.json")
	var modules []struct {
		Path string `json:"path"`
		Type string `json:"type"`
	}
	if err := readJSON(modulesPath, &modules); err != nil {
		return st, err
	}
	poolDir := ""
	for _, m := range modules {
		switch {
		case strings.HasSuffix(m.Type, ".Transformer"):
		case strings.HasSuffix(m.Type, ".Pooling"):
			poolDir = m.Path
		case strings.HasSuffix(m.Type, ".Normalize"):
			st.normalize = true
		default:
			return st, fmt.Errorf("%s: module type %q: %w", modulesPath, m.Type, ErrUnsupported)
		}
	}
	if poolDir == "" {
		return st, fmt.Errorf("%s: no sentence_transformers.models.Pooling module: %w", modulesPath, ErrInvalidModel)
	}
	poolPath := filepath.Join(dir, poolDir, "config.json")
	var pc struct {
		Dim         int    `json:"word_embedding_dimension"`
		Mode        string `json:"pooling_mode"`
		CLS         bool   `json:"pooling_mode_cls_token"`
		Mean        bool   `json:"pooling_mode_mean_tokens"`
		Max         bool   `json:"pooling_mode_max_tokens"`
		MeanSqrtLen bool   `json:"pooling_mode_mean_sqrt_len_tokens"`
		Weighted    bool   `json:"pooling_mode_weightedmean_tokens"`
		LastToken   bool   `json:"pooling_mode_lasttoken"`
	}
	if err := readJSON(poolPath, &pc); err != nil {
		return st, err
	}
	modes := map[string]bool{"cls": pc.CLS, "mean": pc.Mean, "max": pc.Max, "mean_sqrt_len_tokens": pc.MeanSqrtLen,
		"weightedmean": pc.Weighted, "lasttoken": pc.LastToken}
	if pc.Mode != "" {
		modes[strings.TrimSuffix(pc.Mode, "_tokens")] = true
	}
	var on []string
	for name, set := range modes {
		if set {
			on = append(on, name)
		}
	}
	if len(on) != 1 {
		return st, fmt.Errorf("%s: pooling modes %v, want exactly one of cls, mean, max, mean_sqrt_len_tokens: %w", poolPath, on, ErrUnsupported)
	}
	switch on[0] {
	case "cls":
		st.pooling = poolCLS
	case "mean":
		st.pooling = poolMean
	case "max":
		st.pooling = poolMax
	case "mean_sqrt_len_tokens":
		st.pooling = poolMeanSqrtLen
	default:
		return st, fmt.Errorf("%s: pooling mode %s: %w", poolPath, on[0], ErrUnsupported)
	}
	if pc.Dim != 0 && pc.Dim != hidden {
		return st, fmt.Errorf("%s: word_embedding_dimension %d, but config.json has hidden_size %d: %w", poolPath, pc.Dim, hidden, ErrInvalidModel)
	}
	sbPath := filepath.Join(dir, "sentence_bert_config.json")
	var sb struct {
		MaxSeqLength int  `json:"max_seq_length"`
		DoLowerCase  bool `json:"do_lower_case"`
	}
	if err := readJSON(sbPath, &sb); err != nil && !errors.Is(err, os.ErrNotExist) {
		return st, err
	}
	st.maxSeqLen, st.doLowerCase = sb.MaxSeqLength, sb.DoLowerCase
	return st, nil
}
