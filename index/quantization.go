package index

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quiver-db/quiver/hnsw"
)

// QuantizationConfig is a vector's quantization, Qdrant's
// quantization_config: scalar int8 codes that the graph walk scores, the
// final candidates re-scored with the float vectors.
//
// The bounds are trained by the graph on the vectors it holds and stored
// in its snapshot; the codes are not stored but encoded from the float
// vectors when the graph loads (the same bytes), and a graph rebuilt from
// the store retrains, on an evenly spaced sample, so on the same vectors
// it finds the same bounds.
type QuantizationConfig struct {
	// Scalar is the int8 quantization; nil with Disabled.
	Scalar *ScalarQuantization `json:"scalar,omitempty"`
	// Disabled, on a named vector, turns the collection's quantization off
	// for it (Qdrant's "Disabled").
	Disabled bool `json:"disabled,omitempty"`
}

// ScalarQuantization is Qdrant's ScalarQuantizationConfig.
type ScalarQuantization struct {
	// Type is the code type; only "int8".
	Type string `json:"type"`
	// Quantile is the fraction of the vectors' components the code range
	// encloses, 0.5..1; nil means 1, the whole range.
	Quantile *float64 `json:"quantile,omitempty"`
	// AlwaysRAM is accepted and kept: codes always live in memory.
	AlwaysRAM *bool `json:"always_ram,omitempty"`
}

// QuantizationSearch are Qdrant's per-query quantization params. The zero
// value walks the codes and re-scores with the float vectors.
type QuantizationSearch struct {
	// Ignore walks the float vectors.
	Ignore bool
	// NoRescore returns the code estimates as scores.
	NoRescore bool
	// Oversampling: the walk keeps max(ef, ⌈limit·Oversampling⌉)
	// candidates to re-score; 0 means 1, else 1..hnsw.MaxOversampling.
	Oversampling float64
}

// MaxOversampling bounds QuantizationSearch.Oversampling.
const MaxOversampling = hnsw.MaxOversampling

// ValidQuantile reports whether q is a scalar quantile the graph accepts:
// 0.5..1, as Qdrant.
func ValidQuantile(q float64) bool { return hnsw.CheckQuantile(q) == nil }

func (q QuantizationSearch) graph() hnsw.QuantizedSearch {
	return hnsw.QuantizedSearch{Ignore: q.Ignore, NoRescore: q.NoRescore, Oversampling: q.Oversampling}
}

// check reports an oversampling out of range.
func (q QuantizationSearch) check() error {
	if o := q.Oversampling; o != 0 && !(o >= 1 && o <= MaxOversampling) {
		return fmt.Errorf("%w: params.quantization.oversampling %v: want 1..%d", ErrBadRequest, o, MaxOversampling)
	}
	return nil
}

// enabled reports whether q asks for codes.
func (q *QuantizationConfig) enabled() bool { return q != nil && !q.Disabled && q.Scalar != nil }

// quantile is the scalar quantile, 1 when unset.
func (q *QuantizationConfig) quantile() float64 {
	if q.Scalar.Quantile == nil {
		return 1
	}
	return *q.Scalar.Quantile
}

// validate reports the problems of q, naming field.
func (q *QuantizationConfig) validate(field string) []error {
	switch {
	case q == nil || q.Disabled && q.Scalar == nil:
		return nil
	case q.Disabled:
		return []error{fmt.Errorf("%s: disabled and scalar together", field)}
	case q.Scalar == nil:
		return []error{fmt.Errorf("%s: want scalar", field)}
	}
	var errs []error
	if q.Scalar.Type != "int8" {
		errs = append(errs, fmt.Errorf("%s.scalar.type %q: want int8", field, q.Scalar.Type))
	}
	if p := q.Scalar.Quantile; p != nil && !ValidQuantile(*p) {
		errs = append(errs, fmt.Errorf("%s.scalar.quantile %v: want 0.5..1", field, *p))
	}
	return errs
}

// ownOr returns a vector's own setting unless it is unset, else the
// collection's (quantization_config, ivf_config).
func ownOr[T any](own, collection *T) *T {
	if own != nil {
		return own
	}
	return collection
}

// quantizeGraph brings g's quantization to want: trained afresh when it
// has none or another quantile, dropped when want is off. Training costs
// a pass over the vectors; it logs its progress.
func (c *Collection) quantizeGraph(ctx context.Context, name string, g *hnsw.Graph, want *QuantizationConfig) error {
	have, ok := g.Quantization()
	switch {
	case !want.enabled() && ok:
		g.Unquantize()
		c.log.Info("quantization removed", "vector", name)
		return nil
	case !want.enabled() || ok && have.Quantile == want.quantile():
		return nil
	}
	start := time.Now()
	progress := func(done, total int) {
		if done < total {
			c.log.Info("quantizing", "vector", name, "nodes", done, "of", total)
		}
	}
	if err := g.Quantize(ctx, want.quantile(), progress); err != nil {
		return fmt.Errorf("quantize vector %q: %w", name, err)
	}
	q, _ := g.Quantization()
	c.log.Info("quantized", "vector", name, "quantile", q.Quantile, "trained", q.Trained, "lower", q.Lower, "upper", q.Upper,
		"nodes", g.Len(), "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// quantizeGraphs brings every graph's quantization to cfg's.
func (c *Collection) quantizeGraphs(ctx context.Context, cfg Config) error {
	var errs []error
	for _, sp := range c.spaces {
		v, _ := cfg.Vector(sp.name)
		errs = append(errs, c.quantizeGraph(ctx, sp.name, sp.g(), v.Quantization))
	}
	return errors.Join(errs...)
}
