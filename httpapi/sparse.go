package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/quiver-db/quiver/bm25"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/sparse"
)

// Sparse vectors in Qdrant's shapes: a collection's "sparse_vectors" maps
// names to {"modifier": "idf" | "none"}; a sparse vector is {"indices":
// [...], "values": [...]}; a BM25 document {"text": ..., "model":
// "Qdrant/bm25", "options": {...}} may stand where one goes.

// sparseVectorParams is one entry of "sparse_vectors". Qdrant's "index"
// (on_disk, full_scan_threshold, datatype) is accepted and ignored: the
// index is in memory and exact.
type sparseVectorParams struct {
	Modifier index.Modifier  `json:"modifier"`
	Index    json.RawMessage `json:"index"`
}

// sparseConfig fills cfg's sparse vectors from a create request.
func sparseConfig(cfg *index.Config, in map[string]*sparseVectorParams) error {
	if len(in) == 0 {
		return nil
	}
	cfg.SparseVectors = make(map[string]index.SparseVectorConfig, len(in))
	for name, p := range in {
		var sc index.SparseVectorConfig
		if p != nil {
			switch p.Modifier {
			case "", index.ModifierNone, index.ModifierIDF:
			default:
				return badRequest("sparse_vectors.%s.modifier: %q, want \"none\" or \"idf\"", name, p.Modifier)
			}
			sc.Modifier = p.Modifier
		}
		cfg.SparseVectors[name] = sc
	}
	return nil
}

// sparseParamsOut is one sparse vector's params as GET /collections/{c}
// shows them.
type sparseParamsOut struct {
	Modifier index.Modifier `json:"modifier,omitempty"`
}

func sparseOutOf(cfg index.Config) map[string]sparseParamsOut {
	if len(cfg.SparseVectors) == 0 {
		return nil
	}
	out := make(map[string]sparseParamsOut, len(cfg.SparseVectors))
	for name, v := range cfg.SparseVectors {
		out[name] = sparseParamsOut{Modifier: v.Modifier}
	}
	return out
}

// sparseJSON is a sparse vector as requests and answers spell it.
type sparseJSON struct {
	Indices []uint32  `json:"indices"`
	Values  []float32 `json:"values"`
}

// isSparseObject reports whether a vector object is a sparse vector.
func isSparseObject(keys map[string]json.RawMessage) bool {
	_, i := keys["indices"]
	_, v := keys["values"]
	return i || v
}

// parseSparse decodes and validates {"indices", "values"}.
func parseSparse(data []byte) (*sparse.Vector, error) {
	var s sparseJSON
	if err := strictUnmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("sparse vector: %w", err)
	}
	if s.Indices == nil || s.Values == nil {
		return nil, badRequest("sparse vector: want both indices and values")
	}
	v := sparse.Vector{Indices: s.Indices, Values: s.Values}
	if err := v.Validate(); err != nil {
		return nil, badRequest("sparse vector: %v", err)
	}
	return &v, nil
}

// documentOptions decodes a document's "options": BM25's, for its model
// only.
func documentOptions(d *document) (bm25.Options, error) {
	raw := bytes.TrimSpace(d.Options)
	if isNull(raw) || string(raw) == "{}" {
		return bm25.Options{}, nil
	}
	if !bm25.IsModel(d.Model) {
		return bm25.Options{}, badRequest("document.options: only model %q takes options", bm25.Model)
	}
	var o bm25.Options
	if err := strictUnmarshal(raw, &o); err != nil {
		return bm25.Options{}, fmt.Errorf("document.options: %w", err)
	}
	return o, nil
}

// vectorsWithSparse is a record's named vectors with its sparse ones in
// Qdrant's shape, for answers.
func vectorsWithSparse(r index.Record) map[string]any {
	out := make(map[string]any, len(r.Vectors)+len(r.Sparse))
	for name, v := range r.Vectors {
		out[name] = v
	}
	for name, v := range r.Sparse {
		out[name] = sparseJSON{Indices: v.Indices, Values: v.Values}
	}
	return out
}
