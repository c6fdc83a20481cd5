package encoder

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/quiver-db/quiver/internal/simd"
)

func TestFloat16ToFloat32(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{
		{0x3C00, 1}, {0xC000, -2}, {0x7BFF, 65504}, {0x0001, 1.0 / (1 << 24)}, {0x03FF, 1023.0 / (1 << 24)},
		{0x0400, 1.0 / (1 << 14)}, {0x3555, 0.333251953125}, {0x0000, 0},
	} {
		if got := simd.FromF16(c.h); got != c.want {
			t.Errorf("FromF16(%#04x) = %g, want %g", c.h, got, c.want)
		}
	}
	if got := simd.FromF16(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("FromF16(0x8000) = %g, want -0", got)
	}
	if got := simd.FromF16(0x7C00); !math.IsInf(float64(got), 1) {
		t.Errorf("FromF16(0x7c00) = %g, want +Inf", got)
	}
	if got := simd.FromF16(0x7E00); !math.IsNaN(float64(got)) {
		t.Errorf("FromF16(0x7e00) = %g, want NaN", got)
	}
}

// writeSafetensors writes tensors in dtype ("F32", "F16" or "BF16"); the
// values must be exact in that dtype. An I64 position_ids buffer is added,
// as BERT checkpoints carry one.
func writeSafetensors(t *testing.T, path, dtype string, tensors map[string]tensor) {
	t.Helper()
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var body []byte
	for _, n := range names {
		ts := tensors[n]
		start := len(body)
		for _, v := range ts.data {
			bits := math.Float32bits(v)
			switch dtype {
			case "F32":
				body = binary.LittleEndian.AppendUint32(body, bits)
			case "BF16":
				if bits&0xFFFF != 0 {
					t.Fatalf("%s: %g is not exact in BF16", n, v)
				}
				body = binary.LittleEndian.AppendUint16(body, uint16(bits>>16))
			case "F16":
				h := float32ToFloat16Exact(t, v)
				body = binary.LittleEndian.AppendUint16(body, h)
			}
		}
		header[n] = map[string]any{"dtype": dtype, "shape": ts.shape, "data_offsets": []int{start, len(body)}}
	}
	start := len(body)
	for i := 0; i < 4; i++ {
		body = binary.LittleEndian.AppendUint64(body, uint64(i))
	}
	header["embeddings.position_ids"] = map[string]any{"dtype": "I64", "shape": []int{1, 4}, "data_offsets": []int{start, len(body)}}
	hj, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hj)))
	out = append(append(out, hj...), body...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// float32ToFloat16Exact converts a value that half precision holds exactly.
func float32ToFloat16Exact(t *testing.T, v float32) uint16 {
	for h := 0; h < 1<<16; h++ {
		if simd.FromF16(uint16(h)) == v && (v != 0 || math.Signbit(float64(v)) == (h&0x8000 != 0)) {
			return uint16(h)
		}
	}
	t.Fatalf("%g is not exact in F16", v)
	return 0
}

// tinyModel writes a BERT of hidden size 8, 2 heads, 1 layer and a
// 12-token vocab.txt, with weights that are multiples of 1/64 (exact in
// F32, F16 and BF16), and returns its directory.
func tinyModel(t *testing.T, dtype string) string {
	t.Helper()
	dir := t.TempDir()
	const h, inter, layers, vocab, pos = 8, 16, 1, 12, 4
	write := func(name, body string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("config.json", fmt.Sprintf(`{"model_type":"bert","hidden_size":%d,"num_hidden_layers":%d,"num_attention_heads":2,
		"intermediate_size":%d,"max_position_embeddings":%d,"type_vocab_size":2,"vocab_size":%d,"layer_norm_eps":1e-12,
		"hidden_act":"gelu"}`, h, layers, inter, pos, vocab))
	write("vocab.txt", strings.Join([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "##b", "c", ".", "ab", "##c"}, "\n")+"\n")
	write("modules.json", `[{"path":"","type":"sentence_transformers.models.Transformer"},
		{"path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
		{"path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]`)
	write("1_Pooling/config.json", `{"word_embedding_dimension":8,"pooling_mode_mean_tokens":true}`)
	write("sentence_bert_config.json", `{"max_seq_length":4}`)
	seed := 0
	mk := func(shape ...int) tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			seed = (seed*1103515245 + 12345) & 0x7FFFFFFF
			data[i] = float32(seed%33-16) / 64
		}
		return tensor{shape: shape, data: data}
	}
	ts := map[string]tensor{
		"embeddings.word_embeddings.weight":       mk(vocab, h),
		"embeddings.position_embeddings.weight":   mk(pos, h),
		"embeddings.token_type_embeddings.weight": mk(2, h),
		"embeddings.LayerNorm.weight":             mk(h),
		"embeddings.LayerNorm.bias":               mk(h),
	}
	for l := 0; l < layers; l++ {
		p := fmt.Sprintf("encoder.layer.%d.", l)
		for _, n := range []string{"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"} {
			ts[p+n+".weight"], ts[p+n+".bias"] = mk(h, h), mk(h)
		}
		ts[p+"intermediate.dense.weight"], ts[p+"intermediate.dense.bias"] = mk(inter, h), mk(inter)
		ts[p+"output.dense.weight"], ts[p+"output.dense.bias"] = mk(h, inter), mk(h)
		for _, n := range []string{"attention.output.LayerNorm", "output.LayerNorm"} {
			ts[p+n+".weight"], ts[p+n+".bias"] = mk(h), mk(h)
		}
	}
	writeSafetensors(t, filepath.Join(dir, "model.safetensors"), dtype, ts)
	return dir
}

// TestDTypes loads the same weights stored as F32, F16 and BF16: the
// vectors must be identical.
func TestDTypes(t *testing.T) {
	texts := []string{"a b", "abc. ab", "c", "[MASK] a", "zzz"}
	var want [][]float32
	for _, dtype := range []string{"F32", "F16", "BF16"} {
		e, err := Load(tinyModel(t, dtype), Options{})
		if err != nil {
			t.Fatalf("%s: %v", dtype, err)
		}
		if got := e.Tokenize("abc. zzz"); !slices.Equal(got, []int32{2, 10, 11, 3}) {
			t.Errorf("Tokenize(abc. zzz) = %v, want [2 10 11 3] (truncated at 4)", got)
		}
		vecs, err := e.Encode(context.Background(), texts)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vecs {
			if n := math.Sqrt(float64(dot(v, v))); math.Abs(n-1) > 1e-5 {
				t.Errorf("%s %q: norm %g, want 1", dtype, texts[i], n)
			}
		}
		if want == nil {
			want = vecs
			continue
		}
		for i := range vecs {
			if !slices.Equal(vecs[i], want[i]) {
				t.Errorf("%s %q: %v, F32 gives %v", dtype, texts[i], vecs[i], want[i])
			}
		}
	}
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestLoadErrors breaks one file at a time: each error must name the file
// and wrap the right sentinel.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(dir string) error
		file  string
		is    error
		match string
	}{
		{"no config", func(d string) error { return os.Remove(filepath.Join(d, "config.json")) }, "config.json", os.ErrNotExist, ""},
		{"relu", func(d string) error { return replaceIn(d, "config.json", `"gelu"`, `"relu"`) }, "config.json", ErrUnsupported, "hidden_act"},
		{"bad vocab size", func(d string) error { return replaceIn(d, "config.json", `"vocab_size":12`, `"vocab_size":11`) }, "vocab.txt", ErrInvalidModel, "vocab_size"},
		{"shape", func(d string) error {
			return replaceIn(d, "config.json", `"intermediate_size":16`, `"intermediate_size":32`)
		}, "model.safetensors", ErrInvalidModel, "intermediate.dense.weight"},
		{"no modules", func(d string) error { return os.Remove(filepath.Join(d, "modules.json")) }, "modules.json", os.ErrNotExist, ""},
		{"two poolings", func(d string) error {
			return replaceIn(d, "1_Pooling/config.json", `"pooling_mode_mean_tokens":true`, `"pooling_mode_mean_tokens":true,"pooling_mode_cls_token":true`)
		}, "config.json", ErrUnsupported, "pooling modes"},
		{"pool dim", func(d string) error { return replaceIn(d, "1_Pooling/config.json", `:8`, `:9`) }, "config.json", ErrInvalidModel, "word_embedding_dimension"},
		{"seq len", func(d string) error { return replaceIn(d, "sentence_bert_config.json", `4`, `5`) }, "sentence_bert_config.json", ErrInvalidModel, "max_position_embeddings"},
		{"no vocab", func(d string) error { return os.Remove(filepath.Join(d, "vocab.txt")) }, "vocab.txt", ErrInvalidModel, ""},
		{"truncated weights", func(d string) error {
			p := filepath.Join(d, "model.safetensors")
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, b[:len(b)-40], 0o644)
		}, "model.safetensors", ErrInvalidModel, "offsets"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := tinyModel(t, "F32")
			if err := c.edit(dir); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir, Options{})
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), c.file) || !strings.Contains(err.Error(), c.match) || !errors.Is(err, c.is) {
				t.Errorf("error %q: want it to name %s, say %q and wrap %v", err, c.file, c.match, c.is)
			}
		})
	}
}

func replaceIn(dir, name, old, new string) error {
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if !strings.Contains(string(b), old) {
		return fmt.Errorf("%s has no %q", name, old)
	}
	return os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644)
}

func TestOptionsValidate(t *testing.T) {
	err := (&Options{MaxSeqLen: 1, Threads: -1, BatchTokens: -2}).Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"MaxSeqLen 1", "Threads -1", "BatchTokens -2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %q", err, want)
		}
	}
	if err := (&Options{MaxSeqLen: 300, BatchTokens: 200}).Validate(); err == nil {
		t.Error("BatchTokens below MaxSeqLen: no error")
	}
	if err := (&Options{}).Validate(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
}
