package filter

import (
	"encoding/json"
	"fmt"
)

// Marshal writes f in Qdrant's filter JSON, the form Parse reads, for
// what must carry a filter as data (a cluster's replicated commands).
// Nil condition lists are left out and empty ones kept, so a filter
// round-trips exactly. It is a function, not a MarshalJSON method, so
// that encoding a Filter by reflection elsewhere keeps its form.
func Marshal(f *Filter) (json.RawMessage, error) {
	v, err := filterJSON(f)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func filterJSON(f *Filter) (map[string]any, error) {
	out := map[string]any{}
	for _, part := range []struct {
		key   string
		conds []Condition
	}{{"must", f.Must}, {"should", f.Should}, {"must_not", f.MustNot}} {
		if part.conds == nil {
			continue
		}
		list := make([]any, len(part.conds))
		for i, c := range part.conds {
			var err error
			if list[i], err = conditionJSON(c); err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", part.key, i, err)
			}
		}
		out[part.key] = list
	}
	return out, nil
}

func conditionJSON(c Condition) (any, error) {
	switch {
	case c.Field != nil:
		return fieldJSON(c.Field)
	case c.HasID != nil:
		return map[string]any{"has_id": c.HasID}, nil
	case c.IsEmpty != "":
		return map[string]any{"is_empty": map[string]string{"key": c.IsEmpty}}, nil
	case c.IsNull != "":
		return map[string]any{"is_null": map[string]string{"key": c.IsNull}}, nil
	case c.Filter != nil:
		return filterJSON(c.Filter)
	}
	return nil, fmt.Errorf("%w: empty condition", ErrInvalid)
}

func fieldJSON(fc *FieldCondition) (any, error) {
	out := map[string]any{"key": fc.Key}
	if m := fc.Match; m != nil {
		switch {
		case m.IsValue():
			out["match"] = map[string]any{"value": m.Value}
		case m.IsAny():
			out["match"] = map[string]any{"any": m.Any}
		case m.IsExcept():
			out["match"] = map[string]any{"except": m.Except}
		default:
			return nil, fmt.Errorf("%w: key %q: match built without NewMatchValue, NewMatchAny or NewMatchExcept", ErrInvalid, fc.Key)
		}
	}
	if r := fc.Range; r != nil {
		bounds := map[string]float64{}
		for name, b := range map[string]*float64{"gt": r.GT, "gte": r.GTE, "lt": r.LT, "lte": r.LTE} {
			if b != nil {
				bounds[name] = *b
			}
		}
		out["range"] = bounds
	}
	return out, nil
}
