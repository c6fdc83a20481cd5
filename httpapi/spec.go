package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/quiver-db/quiver/bm25"
)

// specFor returns the OpenAPI document as this server answers it: the
// text-model fields list the models it has (and BM25's for documents),
// so that a client or a checker generating requests from the spec does
// not send a model the server must refuse.
func specFor(models map[string]Embedder) ([]byte, error) {
	var spec map[string]any
	if err := json.Unmarshal(openAPISpec, &spec); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	schemas, _ := dig(spec, "components", "schemas").(map[string]any)
	names := slices.Sorted(maps.Keys(models))
	for _, s := range []struct {
		schema string
		extra  []string
	}{{"VectorParams", nil}, {"RecommendInput", nil}, {"Document", []string{bm25.Model}}} {
		props, _ := dig(schemas, s.schema, "properties").(map[string]any)
		model, ok := props["model"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("openapi.json: %s has no model property", s.schema)
		}
		allowed := append(slices.Clone(names), s.extra...)
		if len(allowed) == 0 {
			delete(props, "model") // no model: the field is refused
			continue
		}
		enum := make([]any, len(allowed))
		for i, n := range allowed {
			enum[i] = n
		}
		model["enum"] = enum
	}
	out, err := json.MarshalIndent(spec, "", " ")
	if err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	return out, nil
}

// dig walks nested JSON objects by key; nil where one is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func (h *Handler) serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(h.spec)
}
