package httpapi

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"

	"github.com/quiver-db/quiver/index"
)

// ivfSearchParams is Quiver's params.ivf, for a vector with an ivf_config
// (index.IVFSearch); the index checks the ranges.
type ivfSearchParams struct {
	Ignore  bool `json:"ignore"`
	Probe   int  `json:"probe"`
	Reorder int  `json:"reorder"`
}

// quantizationSearchParams is Qdrant's QuantizationSearchParams.
type quantizationSearchParams struct {
	Ignore       bool     `json:"ignore"`
	Rescore      *bool    `json:"rescore"`
	Oversampling *float64 `json:"oversampling"`
}

// search translates params.quantization, checking the oversampling.
func (p *quantizationSearchParams) search() (index.QuantizationSearch, error) {
	q := index.QuantizationSearch{Ignore: p.Ignore, NoRescore: p.Rescore != nil && !*p.Rescore}
	if o := p.Oversampling; o != nil {
		if !(*o >= 1 && *o <= index.MaxOversampling) {
			return q, badRequest("params.quantization.oversampling %v: want 1..%d", *o, index.MaxOversampling)
		}
		q.Oversampling = *o
	}
	return q, nil
}

// scalarQuantizationJSON is Qdrant's ScalarQuantizationConfig.
type scalarQuantizationJSON struct {
	Type      string   `json:"type"`
	Quantile  *float64 `json:"quantile,omitempty"`
	AlwaysRAM *bool    `json:"always_ram,omitempty"`
}

// parseQuantization reads a quantization_config at field: Qdrant's
// {"scalar": {...}}, or with disabledOK its "Disabled". Binary and product
// quantization are refused by name. Absent or null is nil.
func parseQuantization(raw json.RawMessage, field string, disabledOK bool) (*index.QuantizationConfig, error) {
	if isNull(raw) {
		return nil, nil
	}
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '"' {
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil || s != "Disabled" || !disabledOK {
			return nil, badRequest(`%s: want {"scalar": {"type": "int8", ...}}%s`, field, map[bool]string{true: ` or "Disabled"`}[disabledOK])
		}
		return &index.QuantizationConfig{Disabled: true}, nil
	}
	var kinds map[string]json.RawMessage
	if err := json.Unmarshal(raw, &kinds); err != nil {
		return nil, badRequest("%s: %v", field, err)
	}
	for _, kind := range slices.Sorted(maps.Keys(kinds)) {
		if kind != "scalar" {
			return nil, badRequest("%s.%s: not supported (Quiver quantizes with scalar int8 codes)", field, kind)
		}
	}
	if len(kinds) != 1 {
		return nil, badRequest(`%s: want {"scalar": {"type": "int8", ...}}`, field)
	}
	var sq scalarQuantizationJSON
	if err := decodeJSONBytes(kinds["scalar"], &sq); err != nil {
		return nil, badRequest("%s.scalar: %v", field, err)
	}
	if sq.Type != "int8" {
		return nil, badRequest("%s.scalar.type %q: want int8", field, sq.Type)
	}
	if sq.Quantile != nil && !index.ValidQuantile(*sq.Quantile) {
		return nil, badRequest("%s.scalar.quantile %v: want 0.5..1", field, *sq.Quantile)
	}
	return &index.QuantizationConfig{Scalar: &index.ScalarQuantization{Type: sq.Type, Quantile: sq.Quantile, AlwaysRAM: sq.AlwaysRAM}}, nil
}

// quantizationOut is a quantization_config as GET /collections/{c} shows
// it: Qdrant's shape, or nil for none (and for a vector's "Disabled",
// which Qdrant's VectorParams cannot hold).
func quantizationOut(q *index.QuantizationConfig) any {
	if q == nil || q.Disabled || q.Scalar == nil {
		return nil
	}
	return map[string]any{"scalar": scalarQuantizationJSON{Type: q.Scalar.Type, Quantile: q.Scalar.Quantile, AlwaysRAM: q.Scalar.AlwaysRAM}}
}
