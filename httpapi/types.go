package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/quiver-db/quiver/bm25"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/query"
	"github.com/quiver-db/quiver/sparse"
)

// strictUnmarshal decodes data into v rejecting unknown fields; custom
// UnmarshalJSON methods use it so the rule holds at every depth.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// document is a text that stands where a vector goes; Quiver encodes it
// with the named model (or the collection's model when Model is empty).
type document struct {
	Text    string          `json:"text"`
	Model   string          `json:"model"`
	Options json.RawMessage `json:"options"`
}

// vectorInput is what stands where a vector goes: a list of numbers, a
// text document, or (in queries) the id of a stored point.
type vectorInput struct {
	Vector []float32
	Sparse *sparse.Vector
	Doc    *document
	ID     *pointid.ID
	// opts are Doc's options, decoded.
	opts bm25.Options
}

// UnmarshalJSON accepts [numbers], {"indices","values"},
// {"text","model","options"}, an unsigned integer or a UUID string.
func (v *vectorInput) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return badRequest("empty vector")
	}
	switch data[0] {
	case '[':
		vec, err := parseVector(data)
		if err != nil {
			return err
		}
		v.Vector = vec
		return nil
	case '{':
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(data, &keys); err != nil {
			return badRequest("vector: %v", err)
		}
		if isSparseObject(keys) {
			s, err := parseSparse(data)
			v.Sparse = s
			return err
		}
		if _, ok := keys["text"]; !ok {
			return badRequest("vector: an object must be a sparse vector {\"indices\": ..., \"values\": ...} or a text document {\"text\": ..., \"model\": ...} (or, in an upsert, a map of vector names); multi-vectors are not supported")
		}
		v.Doc = &document{}
		if err := strictUnmarshal(data, v.Doc); err != nil {
			return fmt.Errorf("document: %w", err)
		}
		opts, err := documentOptions(v.Doc)
		if err != nil {
			return err
		}
		v.opts = opts
		return nil
	case 'n':
		return badRequest("vector is null")
	}
	var id pointid.ID
	if err := id.UnmarshalJSON(data); err != nil {
		return badRequest("want a vector, a text document or a point id: %v", err)
	}
	v.ID = &id
	return nil
}

// input returns v as the query engine takes it.
func (v *vectorInput) input() query.Input {
	in := query.Input{Vector: v.Vector, Sparse: v.Sparse, ID: v.ID}
	if v.Doc != nil {
		in.Doc = &query.Document{Text: v.Doc.Text, Model: v.Doc.Model, Options: v.opts}
	}
	return in
}

// parseVector parses a JSON array of numbers, which the caller's decoder
// has already checked to be valid JSON. It is the hot path of every query
// and upsert, several times faster than decoding by reflection.
func parseVector(data []byte) ([]float32, error) {
	body := bytes.TrimSpace(data[1 : len(data)-1])
	if len(body) == 0 {
		return []float32{}, nil
	}
	out := make([]float32, 0, bytes.Count(body, []byte{','})+1)
	for i := 0; len(body) > 0; i++ {
		tok := body
		rest := []byte(nil)
		if j := bytes.IndexByte(body, ','); j >= 0 {
			tok, rest = body[:j], body[j+1:]
		}
		tok = bytes.TrimSpace(tok)
		if len(tok) == 0 || !(tok[0] == '-' || tok[0] >= '0' && tok[0] <= '9') {
			return nil, badRequest("vector component %d: %.20s is not a number", i, tok)
		}
		f, err := strconv.ParseFloat(string(tok), 32)
		if err != nil {
			return nil, badRequest("vector component %d: %s is out of float32 range", i, tok)
		}
		out = append(out, float32(f))
		body = rest
	}
	return out, nil
}

// withPayload is Qdrant's with_payload: a bool, a list of keys to include,
// or {"include": [...]} / {"exclude": [...]}. Keys select top-level
// payload fields.
type withPayload struct {
	set     bool
	all     bool
	include []string
	exclude []string
}

func (p *withPayload) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	p.set = true
	switch {
	case string(data) == "null":
		p.set = false
		return nil
	case len(data) > 0 && data[0] == '[':
		return strictUnmarshal(data, &p.include)
	case len(data) > 0 && data[0] == '{':
		var sel struct {
			Include []string `json:"include"`
			Exclude []string `json:"exclude"`
		}
		if err := strictUnmarshal(data, &sel); err != nil {
			return fmt.Errorf("with_payload: %w", err)
		}
		if (sel.Include == nil) == (sel.Exclude == nil) {
			return badRequest("with_payload: want exactly one of include and exclude")
		}
		p.include, p.exclude = sel.Include, sel.Exclude
		if p.exclude != nil {
			p.all = true
		}
		return nil
	}
	if err := json.Unmarshal(data, &p.all); err != nil {
		return badRequest("with_payload: want a bool, a list of keys or {\"include\"|\"exclude\": [...]}")
	}
	return nil
}

// wanted reports whether any payload is returned; def applies when the
// field was absent.
func (p withPayload) wanted(def bool) bool {
	if !p.set {
		return def
	}
	return p.all || len(p.include) > 0
}

// withVector is Qdrant's with_vector: a bool, or a list of vector names.
type withVector struct {
	set, on bool
	names   []string // non-nil for a list
}

func (v *withVector) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	if len(data) > 0 && data[0] == '[' {
		v.names = []string{}
		if err := json.Unmarshal(data, &v.names); err != nil {
			return badRequest("with_vector: want a bool or a list of vector names")
		}
		v.set = true
		return nil
	}
	if err := json.Unmarshal(data, &v.on); err != nil {
		return badRequest("with_vector: want a bool or a list of vector names")
	}
	v.set = true
	return nil
}

func (v withVector) wanted(def bool) bool {
	if !v.set {
		return def
	}
	return v.on
}

// readSelection is the with_payload/with_vector pair of a read request.
type readSelection struct {
	WithPayload withPayload `json:"with_payload"`
	WithVector  withVector  `json:"with_vector"`
}

func (s readSelection) options(defPayload bool) index.ReadOptions {
	return index.ReadOptions{
		WithPayload: s.WithPayload.wanted(defPayload), Include: s.WithPayload.include, Exclude: s.WithPayload.exclude,
		WithVector: s.WithVector.wanted(false), VectorNames: s.WithVector.names,
	}
}

// checkVectorNames refuses with_vector names that c lacks.
func checkVectorNames(c query.Collection, opts index.ReadOptions) error {
	for _, name := range opts.VectorNames {
		if _, err := c.VectorConfig(name); err != nil {
			if _, serr := c.SparseVectorConfig(name); serr == nil {
				continue
			}
			return fmt.Errorf("with_vector: %w", err)
		}
	}
	return nil
}

// record is a point as responses show it. Vector is the unnamed vector
// ([]float32, nil when not asked for) or the named ones
// (map[string][]float32), see vectorOf.
type record struct {
	ID      pointid.ID     `json:"id"`
	Payload filter.Payload `json:"payload"`
	Vector  any            `json:"vector"`
}

// scoredPoint is a query result as responses show it. A result of a
// collection with named vectors carries them in Vectors, and its answer
// is shown as namedScoredPoint (see namedAnswer).
type scoredPoint struct {
	ID      pointid.ID           `json:"id"`
	Version int                  `json:"version"`
	Score   float32              `json:"score"`
	Payload filter.Payload       `json:"payload"`
	Vector  []float32            `json:"vector"`
	Vectors map[string][]float32 `json:"-"`
	// Sparse are the point's sparse vectors asked for; shown with Vectors.
	Sparse map[string]sparse.Vector `json:"-"`
	// Explanation is a recommendation's for a user, when asked for.
	Explanation []contribution `json:"explanation,omitempty"`
	// OrderValue is the value an order_by query ordered the point by.
	OrderValue any `json:"order_value,omitempty"`
}

// contribution is one past item's share of a recommendation's score.
type contribution struct {
	ID           pointid.ID `json:"id"`
	Contribution float32    `json:"contribution"`
}

func contributions(cs []index.Contribution) []contribution {
	if cs == nil {
		return nil
	}
	out := make([]contribution, len(cs))
	for i, c := range cs {
		out[i] = contribution{ID: c.ID, Contribution: c.Contribution}
	}
	return out
}

func toRecord(r index.Record) record {
	return record{ID: r.ID, Payload: r.Payload, Vector: vectorOf(r)}
}

// updateResult is Qdrant's result for writes. Quiver applies every write
// before answering, so the status is always "completed".
type updateResult struct {
	OperationID uint64 `json:"operation_id"`
	Status      string `json:"status"`
}

// shardKeyUnsupported refuses a non-null shard_key.
func shardKeyUnsupported(raw json.RawMessage) error {
	if !isNull(raw) {
		return badRequest("shard_key: sharding is not supported")
	}
	return nil
}

// boolParam parses an optional boolean query parameter such as wait.
func boolParam(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(strings.ToLower(s))
	if err != nil {
		return false, badRequest("query parameter %s=%q: want true or false", name, s)
	}
	return b, nil
}

// checkQueryParams refuses query parameters a route does not know and
// validates the ones it does: wait (bool) and timeout (seconds).
func checkQueryParams(r *http.Request, allowed ...string) error {
	for _, name := range slices.Sorted(maps.Keys(r.URL.Query())) {
		ok := false
		for _, a := range allowed {
			ok = ok || a == name
		}
		if !ok {
			return badRequest("unknown query parameter %q", name)
		}
		switch name {
		case "wait":
			if _, err := boolParam(r, name); err != nil {
				return err
			}
		case "anonymize":
			if _, err := boolParam(r, name); err != nil {
				return err
			}
		case "details_level":
			if v := r.URL.Query().Get(name); v == "" || strings.Trim(v, "0123456789") != "" {
				return badRequest("query parameter details_level=%q: want a non-negative integer", v)
			}
		case "timeout":
			// Any count of seconds is valid; the server's own request
			// timeout applies, so the value is checked, not parsed.
			if v := r.URL.Query().Get(name); v == "" || strings.Trim(v, "0123456789") != "" {
				return badRequest("query parameter timeout=%q: want seconds, a non-negative integer", r.URL.Query().Get(name))
			}
		}
	}
	return nil
}
