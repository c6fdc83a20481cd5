package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/quiver-db/quiver/bm25"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/query"
)

// Named vectors in Qdrant's shapes: a collection's "vectors" is one
// params object or a map of names to params; a point's "vector" is one
// vector (or document) or a map of names to them; with_vector may list
// names; answers show a named collection's vectors as a map.

// collectionVectors is a create request's "vectors": Single, or Named by
// name.
type collectionVectors struct {
	Single *vectorsConfig
	Named  map[string]*vectorsConfig
}

// vectorParamKeys are the members of Qdrant's VectorParams whose value is
// never an object; a "vectors" object with one of them is one vector's
// params, any other object a map of names.
var vectorParamKeys = []string{"size", "distance", "model", "on_disk", "datatype"}

func (v *collectionVectors) UnmarshalJSON(data []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return badRequest("vectors: want an object")
	}
	// Decoded inside {"vectors": ...} so errors name the field's whole path.
	wrapped := append(append([]byte(`{"vectors":`), data...), '}')
	for _, k := range vectorParamKeys {
		if raw, ok := keys[k]; ok && !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			var single struct {
				Vectors *vectorsConfig `json:"vectors"`
			}
			err := strictUnmarshal(wrapped, &single)
			v.Single = single.Vectors
			return err
		}
	}
	var named struct {
		Vectors map[string]*vectorsConfig `json:"vectors"`
	}
	if err := strictUnmarshal(wrapped, &named); err != nil {
		return err
	}
	v.Named = named.Vectors
	for name, c := range v.Named {
		if c == nil {
			return badRequest("vectors.%s: want an object", name)
		}
	}
	return nil
}

// vectorConfig turns one vector's params (where names it in errors) into
// an index.VectorConfig.
func (h *Handler) vectorConfig(v *vectorsConfig, where string) (index.VectorConfig, error) {
	if !isNull(v.Datatype) && string(v.Datatype) != `"float32"` {
		return index.VectorConfig{}, badRequest("%s.datatype: only float32 is supported", where)
	}
	out := index.VectorConfig{Size: v.Size, Distance: v.Distance, Model: v.Model}
	if v.Model != "" {
		m, ok := h.cfg.Models[v.Model]
		if !ok {
			return index.VectorConfig{}, fmt.Errorf("%w: %s.model %q (this server has: %s)", ErrNoModel, where, v.Model, h.engine.ModelNames())
		}
		if v.Size != 0 && v.Size != m.Dim() {
			return index.VectorConfig{}, badRequest("%s.size %d, but model %q makes vectors of size %d", where, v.Size, v.Model, m.Dim())
		}
		out.Size = m.Dim()
		if out.Distance == "" {
			out.Distance = index.Cosine
		}
	}
	if out.Size == 0 {
		return index.VectorConfig{}, badRequest("%s.size: required unless %s.model is given", where, where)
	}
	if out.Distance == "" {
		return index.VectorConfig{}, badRequest("%s.distance: required (Cosine, Dot or Euclid)", where)
	}
	if v.HNSW != nil {
		out.HNSW = index.HNSWConfig{M: v.HNSW.M, EfConstruction: v.HNSW.EfConstruct, Ef: v.HNSW.Ef}
	}
	q, err := parseQuantization(v.QuantizationConfig, where+".quantization_config", false)
	out.Quantization, out.IVF = q, v.IVF
	return out, err
}

// namedVectorsConfig fills cfg's named vectors from a create request.
func (h *Handler) namedVectorsConfig(cfg *index.Config, named map[string]*vectorsConfig) error {
	if len(named) == 0 && len(cfg.SparseVectors) == 0 {
		return badRequest("vectors: required (size and distance, or model; or a map of names to them)")
	}
	cfg.Vectors = map[string]index.VectorConfig{}
	for _, name := range slices.Sorted(maps.Keys(named)) {
		vc, err := h.vectorConfig(named[name], "vectors."+name)
		if err != nil {
			return err
		}
		cfg.Vectors[name] = vc
	}
	return nil
}

// vectorParamsOut is one vector's params as GET /collections/{c} shows
// them.
type vectorParamsOut struct {
	Size     int          `json:"size"`
	Distance index.Metric `json:"distance"`
	Model    string       `json:"model,omitempty"`
	// HNSW is a named vector's own graph parameters, where it has any.
	HNSW *index.HNSWConfig `json:"hnsw_config,omitempty"`
	// QuantizationConfig is a named vector's own, where it has one.
	QuantizationConfig any `json:"quantization_config,omitempty"`
	// IVF is a named vector's own ivf_config, where it has one.
	IVF *index.IVFConfig `json:"ivf_config,omitempty"`
}

// vectorsOut is config.params.vectors: the unnamed vector's params, or,
// when Named is set, the map of names to them.
type vectorsOut struct {
	vectorParamsOut
	Named map[string]vectorParamsOut `json:"-"`
}

func (v vectorsOut) MarshalJSON() ([]byte, error) {
	if v.Named != nil {
		return json.Marshal(v.Named)
	}
	return json.Marshal(v.vectorParamsOut)
}

func vectorsOutOf(cfg index.Config) vectorsOut {
	if !cfg.Named() {
		return vectorsOut{vectorParamsOut: vectorParamsOut{Size: cfg.VectorSize, Distance: cfg.Distance, Model: cfg.Model}}
	}
	out := vectorsOut{Named: map[string]vectorParamsOut{}}
	for name, v := range cfg.Vectors {
		p := vectorParamsOut{Size: v.Size, Distance: v.Distance, Model: v.Model}
		if v.HNSW != (index.HNSWConfig{}) {
			p.HNSW = &v.HNSW
		}
		p.QuantizationConfig = quantizationOut(v.Quantization)
		p.IVF = v.IVF
		out.Named[name] = p
	}
	return out
}

// pointVectors is a point's "vector" in an upsert: one vector or document
// (Single), or a map of names to them (Named). A document is told from a
// map by its "text" member being a string.
type pointVectors struct {
	Single *vectorInput
	Named  map[string]*vectorInput
}

func (p *pointVectors) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		p.Single = &vectorInput{}
		return p.Single.UnmarshalJSON(data)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return badRequest("vector: %v", err)
	}
	if text, ok := keys["text"]; ok && bytes.HasPrefix(bytes.TrimSpace(text), []byte(`"`)) || isSparseObject(keys) {
		p.Single = &vectorInput{}
		return p.Single.UnmarshalJSON(data)
	}
	p.Named = map[string]*vectorInput{}
	for _, name := range slices.Sorted(maps.Keys(keys)) {
		v := &vectorInput{}
		if err := v.UnmarshalJSON(keys[name]); err != nil {
			return fmt.Errorf("vector %q: %w", name, err)
		}
		p.Named[name] = v
	}
	return nil
}

// batchVectors is a batch upsert's "vectors": a list with one vector per
// id, or a map of names to such lists.
type batchVectors struct {
	List  []*pointVectors
	Named map[string][]*vectorInput
}

func (b *batchVectors) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		return strictUnmarshal(data, &b.Named)
	}
	var list []*vectorInput
	if err := json.Unmarshal(data, &list); err != nil {
		return jsonError(err)
	}
	b.List = make([]*pointVectors, len(list))
	for i, v := range list {
		if v != nil {
			b.List[i] = &pointVectors{Single: v}
		}
	}
	return nil
}

// perPoint returns the vectors of each of n points.
func (b *batchVectors) perPoint(n int) ([]*pointVectors, error) {
	if b.Named == nil {
		if len(b.List) != n {
			return nil, badRequest("batch: %d ids and %d vectors; want the same number of each", n, len(b.List))
		}
		return b.List, nil
	}
	out := make([]*pointVectors, n)
	for i := range out {
		out[i] = &pointVectors{Named: map[string]*vectorInput{}}
	}
	for _, name := range slices.Sorted(maps.Keys(b.Named)) {
		list := b.Named[name]
		if len(list) != n {
			return nil, badRequest("batch: %d ids and %d vectors named %q; want the same number of each", n, len(list), name)
		}
		for i, v := range list {
			if v != nil {
				out[i].Named[name] = v
			}
		}
	}
	return out, nil
}

// searchVector is the legacy search's "vector": one vector, or Qdrant's
// named form {"name": ..., "vector": ...}.
type searchVector struct {
	Name string
	vectorInput
}

func (s *searchVector) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(data, &keys); err != nil {
			return badRequest("vector: %v", err)
		}
		if _, ok := keys["name"]; ok {
			var named struct {
				Name   string       `json:"name"`
				Vector *vectorInput `json:"vector"`
			}
			if err := strictUnmarshal(data, &named); err != nil {
				return fmt.Errorf("vector: %w", err)
			}
			if named.Vector == nil {
				return badRequest("vector.vector: required")
			}
			s.Name, s.vectorInput = named.Name, *named.Vector
			return nil
		}
	}
	return s.vectorInput.UnmarshalJSON(data)
}

// vectorOf is a record's vectors as answers show them: the unnamed
// vector (null when not asked for), or the map of named ones.
func vectorOf(r index.Record) any {
	if r.Sparse != nil {
		return vectorsWithSparse(r)
	}
	if r.Vectors != nil {
		return r.Vectors
	}
	return r.Vector
}

// namedDocuments gathers the text documents of points' vectors for the
// query engine, and where each goes.
type namedDocuments struct {
	docs []query.NamedDocument
	at   []docPlace
}

// docPlace is where an encoded document goes: point i's vector called name
// ("" for the unnamed one).
type docPlace struct {
	point int
	name  string
}

func (d *namedDocuments) add(point int, name string, doc *document, opts bm25.Options) {
	d.docs = append(d.docs, query.NamedDocument{Using: name, Document: query.Document{Text: doc.Text, Model: doc.Model, Options: opts}})
	d.at = append(d.at, docPlace{point, name})
}

// where names document i in errors.
func (d *namedDocuments) where(i int) string {
	if d.at[i].name == "" {
		return fmt.Sprintf("points[%d].vector", d.at[i].point)
	}
	return fmt.Sprintf("points[%d].vector.%s", d.at[i].point, d.at[i].name)
}
