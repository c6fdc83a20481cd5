package filter

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/quiver-db/quiver/pointid"
)

// Payload is a decoded JSON object: values are nil, bool, float64 or
// json.Number, string, []any and map[string]any.
type Payload = map[string]any

// Matches reports whether the point with this id and payload matches f.
// A nil filter matches everything.
func (f *Filter) Matches(id pointid.ID, p Payload) bool {
	if f == nil {
		return true
	}
	for i := range f.Must {
		if !f.Must[i].Matches(id, p) {
			return false
		}
	}
	for i := range f.MustNot {
		if f.MustNot[i].Matches(id, p) {
			return false
		}
	}
	if len(f.Should) == 0 {
		return true
	}
	for i := range f.Should {
		if f.Should[i].Matches(id, p) {
			return true
		}
	}
	return false
}

// Matches reports whether the point matches one condition.
func (c *Condition) Matches(id pointid.ID, p Payload) bool {
	switch {
	case c.Field != nil:
		return c.Field.matchesPayload(p)
	case c.HasID != nil:
		for _, x := range c.HasID {
			if x == id {
				return true
			}
		}
		return false
	case c.IsEmpty != "":
		vals, null := values(p, c.IsEmpty)
		return len(vals) == 0 || null
	case c.IsNull != "":
		_, null := values(p, c.IsNull)
		return null
	case c.Filter != nil:
		return c.Filter.Matches(id, p)
	}
	return false
}

// matchesPayload is matches on the values at fc.Key. A top-level key with
// one condition is read straight from the payload, allocating nothing:
// wide filters evaluate thousands of these per point.
func (fc *FieldCondition) matchesPayload(p Payload) bool {
	if (fc.Match != nil && fc.Range != nil) || strings.ContainsAny(fc.Key, ".[") {
		return fc.matches(Values(p, fc.Key))
	}
	x := p[fc.Key]
	if arr, ok := x.([]any); ok {
		for _, v := range arr {
			if v != nil && fc.matchesOne(v) {
				return true
			}
		}
		return false
	}
	return x != nil && fc.matchesOne(x)
}

// matchesOne reports whether one value satisfies fc's one condition (Match
// or Range): a field matches when any of its values does.
func (fc *FieldCondition) matchesOne(v any) bool {
	switch {
	case fc.Match != nil:
		return fc.Match.matchesOne(v)
	case fc.Range != nil:
		x, ok := Number(v)
		return ok && fc.Range.Contains(x)
	}
	return true
}

func (fc *FieldCondition) matches(vals []any) bool {
	if fc.Match != nil && !fc.Match.matches(vals) {
		return false
	}
	if fc.Range != nil {
		for _, v := range vals {
			if x, ok := Number(v); ok && fc.Range.Contains(x) {
				return true
			}
		}
		return false
	}
	return true
}

func (m *Match) matches(vals []any) bool {
	for _, v := range vals {
		if m.matchesOne(v) {
			return true
		}
	}
	return false
}

func (m *Match) matchesOne(v any) bool {
	switch m.kind {
	case matchValue:
		return Equal(v, m.Value)
	case matchAny:
		return inList(v, m.Any)
	case matchExcept:
		return isScalarValue(v) && !inList(v, m.Except)
	}
	return false
}

func inList(v any, list []any) bool {
	for _, x := range list {
		if Equal(v, x) {
			return true
		}
	}
	return false
}

func isScalarValue(v any) bool {
	switch v.(type) {
	case string, bool, float64, json.Number:
		return true
	}
	return false
}

// Equal compares two scalar payload values: strings and booleans by value,
// numbers numerically; values of different types are never equal.
func Equal(a, b any) bool {
	if x, ok := Number(a); ok {
		y, ok := Number(b)
		return ok && x == y
	}
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		return ok && a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	}
	return false
}

// Number returns a payload value as a float64 if it is a number: the
// float64 and json.Number that decoding JSON gives, and Go's integer and
// float32 types, which a filter built in Go holds (NewMatchValue(0)). A
// float32 converts through its shortest decimal, so float32(0.1) is the
// 0.1 a parsed filter holds, not 0.10000000149.
func Number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case int:
		return float64(v), true
	case int8:
		return float64(v), true
	case int16:
		return float64(v), true
	case int32:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint:
		return float64(v), true
	case uint8:
		return float64(v), true
	case uint16:
		return float64(v), true
	case uint32:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float32:
		f, err := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
		return f, err == nil
	}
	return 0, false
}

// Values returns the values at a dotted key, with arrays flattened (one
// level at the leaf, any number along the path) and nulls dropped.
func Values(p Payload, key string) []any {
	vals, _ := values(p, key)
	return vals
}

// values returns the non-null values at key and whether a null was found
// there (a null leaf, or a null inside the leaf array).
func values(p Payload, key string) ([]any, bool) {
	cur := []any{p}
	for _, seg := range strings.Split(key, ".") {
		seg = strings.TrimSuffix(seg, "[]")
		var next []any
		for _, v := range cur {
			if obj, ok := v.(map[string]any); ok {
				if x, ok := obj[seg]; ok {
					next = append(next, x)
				}
			}
		}
		cur = flatten(next)
	}
	out := cur[:0:0]
	null := false
	for _, v := range cur {
		if v == nil {
			null = true
			continue
		}
		out = append(out, v)
	}
	return out, null
}

func flatten(vs []any) []any {
	out := vs[:0:0]
	for _, v := range vs {
		if arr, ok := v.([]any); ok {
			out = append(out, arr...)
		} else {
			out = append(out, v)
		}
	}
	return out
}
