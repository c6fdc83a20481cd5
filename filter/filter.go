// Package filter is Quiver's payload filter language: the grammar of
// Qdrant's filters (must, should, must_not over field conditions: match a
// value, match any or except a list, numeric range, has_id, is_empty,
// is_null; filters nest) decoded from the JSON that Qdrant's REST API
// accepts, and an evaluator that decides whether one point matches.
//
// It is its own package, not part of index, because three layers share it:
// httpapi decodes requests into it, index plans filtered reads with payload
// indexes and falls back to Match for what the indexes cannot answer, and
// tests use Match as the brute-force reference. It depends only on storage
// for the point ID type.
package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/quiver-db/quiver/pointid"
)

// ErrInvalid marks a filter that does not follow the grammar.
var ErrInvalid = errors.New("filter: invalid")

// Filter is a boolean combination of conditions. A point matches when it
// matches every Must condition, at least one Should condition (if there are
// any), and no MustNot condition. The zero Filter matches every point.
type Filter struct {
	Must    []Condition
	Should  []Condition
	MustNot []Condition
}

// Condition is exactly one of: a field condition, a has_id list, an
// is_empty or is_null key, or a nested filter.
type Condition struct {
	Field   *FieldCondition
	HasID   []pointid.ID // matches points whose id is in the list
	IsEmpty string       // matches when the field is missing, null, or []
	IsNull  string       // matches when the field is present and null
	Filter  *Filter
}

// FieldCondition tests the values at a payload key. Key is a dotted path
// ("a.b.c"); a segment may end in "[]" to say it is an array, and arrays are
// flattened either way. A condition with both Match and Range needs both.
// A field holding an array matches when any element does.
type FieldCondition struct {
	Key   string
	Match *Match
	Range *Range
}

// Match is exactly one of Value, Any or Except. Values are strings,
// numbers or booleans; numbers compare by value (Number), whether
// parsed (float64) or built in Go (int64, float32, …).
type Match struct {
	Value  any   // equals this value
	Any    []any // equals one of these
	Except []any // at least one value of the field is not among these
	kind   matchKind
}

type matchKind uint8

const (
	matchValue matchKind = iota + 1
	matchAny
	matchExcept
)

// NewMatchValue, NewMatchAny and NewMatchExcept build a Match.
func NewMatchValue(v any) *Match      { return &Match{Value: v, kind: matchValue} }
func NewMatchAny(vs ...any) *Match    { return &Match{Any: vs, kind: matchAny} }
func NewMatchExcept(vs ...any) *Match { return &Match{Except: vs, kind: matchExcept} }

// IsValue, IsAny and IsExcept report which form the Match has.
func (m *Match) IsValue() bool  { return m.kind == matchValue }
func (m *Match) IsAny() bool    { return m.kind == matchAny }
func (m *Match) IsExcept() bool { return m.kind == matchExcept }

// Range bounds a numeric field; nil bounds are open.
type Range struct {
	GT, GTE, LT, LTE *float64
}

// Contains reports whether x is within every bound.
func (r *Range) Contains(x float64) bool {
	return (r.GT == nil || x > *r.GT) && (r.GTE == nil || x >= *r.GTE) &&
		(r.LT == nil || x < *r.LT) && (r.LTE == nil || x <= *r.LTE)
}

// Parse decodes a filter from Qdrant's JSON form.
func Parse(data []byte) (*Filter, error) {
	var f Filter
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// UnmarshalJSON decodes {"must": …, "should": …, "must_not": …}; each may
// be one condition or a list, as Qdrant accepts. Unknown keys are errors.
func (f *Filter) UnmarshalJSON(data []byte) error {
	if err := checkShape(data); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("%w: filter must be an object: %v", ErrInvalid, err)
	}
	*f = Filter{}
	for _, k := range sortedKeys(raw) {
		var dst *[]Condition
		switch k {
		case "must":
			dst = &f.Must
		case "should":
			dst = &f.Should
		case "must_not":
			dst = &f.MustNot
		default:
			return fmt.Errorf("%w: unknown filter field %q", ErrInvalid, k)
		}
		conds, err := decodeConditions(raw[k])
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		*dst = conds
	}
	return nil
}

func decodeConditions(data []byte) ([]Condition, error) {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		return nil, nil
	}
	if len(data) > 0 && data[0] == '[' {
		var list []Condition
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, err
		}
		return list, nil
	}
	var c Condition
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	return []Condition{c}, nil
}

// UnmarshalJSON decodes one condition in any of Qdrant's forms.
func (c *Condition) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("%w: condition must be an object: %v", ErrInvalid, err)
	}
	*c = Condition{}
	switch {
	case raw["key"] != nil:
		var fc FieldCondition
		if err := json.Unmarshal(data, &fc); err != nil {
			return err
		}
		c.Field = &fc
	case raw["has_id"] != nil && len(raw) == 1:
		if err := json.Unmarshal(raw["has_id"], &c.HasID); err != nil {
			return fmt.Errorf("%w: has_id: %v", ErrInvalid, err)
		}
	case raw["is_empty"] != nil && len(raw) == 1:
		key, err := decodeKeyObject(raw["is_empty"])
		if err != nil {
			return fmt.Errorf("is_empty: %w", err)
		}
		c.IsEmpty = key
	case raw["is_null"] != nil && len(raw) == 1:
		key, err := decodeKeyObject(raw["is_null"])
		if err != nil {
			return fmt.Errorf("is_null: %w", err)
		}
		c.IsNull = key
	case raw["must"] != nil || raw["should"] != nil || raw["must_not"] != nil:
		var f Filter
		if err := json.Unmarshal(data, &f); err != nil {
			return err
		}
		c.Filter = &f
	default:
		return fmt.Errorf("%w: unknown or unsupported condition with fields %s", ErrInvalid, strings.Join(sortedKeys(raw), ", "))
	}
	return nil
}

func decodeKeyObject(data []byte) (string, error) {
	var v struct {
		Key string `json:"key"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil || v.Key == "" {
		return "", fmt.Errorf("%w: want {\"key\": \"…\"}: %v", ErrInvalid, err)
	}
	return v.Key, nil
}

// UnmarshalJSON decodes {"key": …, "match": …, "range": …}.
func (fc *FieldCondition) UnmarshalJSON(data []byte) error {
	var v struct {
		Key   string          `json:"key"`
		Match json.RawMessage `json:"match"`
		Range *struct {
			GT  *float64 `json:"gt"`
			GTE *float64 `json:"gte"`
			LT  *float64 `json:"lt"`
			LTE *float64 `json:"lte"`
		} `json:"range"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%w: field condition: %v", ErrInvalid, err)
	}
	if v.Key == "" {
		return fmt.Errorf("%w: field condition has an empty key", ErrInvalid)
	}
	*fc = FieldCondition{Key: v.Key}
	if v.Range != nil {
		fc.Range = &Range{GT: v.Range.GT, GTE: v.Range.GTE, LT: v.Range.LT, LTE: v.Range.LTE}
	}
	if v.Match != nil {
		m, err := decodeMatch(v.Match)
		if err != nil {
			return fmt.Errorf("key %q: %w", v.Key, err)
		}
		fc.Match = m
	}
	if fc.Match == nil && fc.Range == nil {
		return fmt.Errorf("%w: key %q: condition needs match or range", ErrInvalid, v.Key)
	}
	return nil
}

func decodeMatch(data []byte) (*Match, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || len(raw) != 1 {
		return nil, fmt.Errorf("%w: match must be an object with one of value, any, except", ErrInvalid)
	}
	k := sortedKeys(raw)[0]
	v := raw[k]
	{
		switch k {
		case "value":
			var x any
			if err := json.Unmarshal(v, &x); err != nil || !isScalar(x) {
				return nil, fmt.Errorf("%w: match value must be a string, number or boolean", ErrInvalid)
			}
			return NewMatchValue(x), nil
		case "any", "except":
			var xs []any
			if err := json.Unmarshal(v, &xs); err != nil {
				return nil, fmt.Errorf("%w: match %s must be a list", ErrInvalid, k)
			}
			for _, x := range xs {
				if !isScalar(x) {
					return nil, fmt.Errorf("%w: match %s holds %v, not a string, number or boolean", ErrInvalid, k, x)
				}
			}
			if k == "any" {
				return NewMatchAny(xs...), nil
			}
			return NewMatchExcept(xs...), nil
		}
	}
	return nil, fmt.Errorf("%w: unsupported match %q", ErrInvalid, k)
}

func isScalar(x any) bool {
	switch x.(type) {
	case string, float64, bool:
		return true
	}
	return false
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
