package filter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/pointid"
)

// The direct read of a top-level key agrees with the general path walk on
// every value shape: scalars, arrays (with nulls and nested arrays), null,
// missing, and numbers as float64 or json.Number.
func TestTopLevelKeyMatchesGeneralPath(t *testing.T) {
	payloads := []string{
		`{}`, `{"k": null}`, `{"k": 3}`, `{"k": 3.5}`, `{"k": "a"}`, `{"k": true}`,
		`{"k": [1, null, "a"]}`, `{"k": [[3], 4]}`, `{"k": []}`, `{"k": {"x": 1}}`, `{"other": 3}`,
	}
	conditions := []string{
		`{"key": "k", "match": {"value": 3}}`, `{"key": "k", "match": {"value": "a"}}`,
		`{"key": "k", "match": {"value": true}}`, `{"key": "k", "match": {"any": [4, "a"]}}`,
		`{"key": "k", "match": {"except": [3]}}`, `{"key": "k", "range": {"gte": 3, "lt": 4}}`,
	}
	for _, ps := range payloads {
		for _, numbers := range []bool{false, true} {
			dec := json.NewDecoder(strings.NewReader(ps))
			if numbers {
				dec.UseNumber()
			}
			var p Payload
			require.NoError(t, dec.Decode(&p))
			for _, cs := range conditions {
				var c Condition
				require.NoError(t, json.Unmarshal([]byte(cs), &c), cs)
				want := c.Field.matches(Values(p, c.Field.Key))
				assert.Equal(t, want, c.Matches(pointid.ID{}, p), "%s on %s (json.Number %v)", cs, ps, numbers)
			}
		}
	}
}

// A filter built in Go with an integer (or float32) value matches what
// the same filter parsed from JSON matches: a stored 0 is a json.Number,
// a parsed 0 a float64, and a Go-built one an int64, which Number did
// not know as a number.
func TestGoBuiltNumbersMatchAsParsed(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"k": 0, "f": 0.5, "g": 0.1, "l": [7, 8]}`))
	dec.UseNumber()
	var p Payload
	require.NoError(t, dec.Decode(&p))
	cases := []struct {
		key   string
		match *Match
		json  string
	}{
		{"k", NewMatchValue(int64(0)), `{"key": "k", "match": {"value": 0}}`},
		{"k", NewMatchValue(0), `{"key": "k", "match": {"value": 0}}`},
		{"k", NewMatchValue(uint8(0)), `{"key": "k", "match": {"value": 0}}`},
		{"f", NewMatchValue(float32(0.5)), `{"key": "f", "match": {"value": 0.5}}`},
		{"g", NewMatchValue(float32(0.1)), `{"key": "g", "match": {"value": 0.1}}`},
		{"l", NewMatchAny(int32(8), "x"), `{"key": "l", "match": {"any": [8, "x"]}}`},
		{"k", NewMatchExcept(uint64(0)), `{"key": "k", "match": {"except": [0]}}`},
	}
	for _, tc := range cases {
		var parsed Condition
		require.NoError(t, json.Unmarshal([]byte(tc.json), &parsed))
		built := Condition{Field: &FieldCondition{Key: tc.key, Match: tc.match}}
		assert.Equal(t, parsed.Matches(pointid.ID{}, p), built.Matches(pointid.ID{}, p), tc.json)
	}
	for _, key := range []string{"k", "g"} {
		v := map[string]any{"k": int64(0), "g": float32(0.1)}[key]
		assert.True(t, (&Condition{Field: &FieldCondition{Key: key, Match: NewMatchValue(v)}}).Matches(pointid.ID{}, p), key)
	}
	for _, v := range []any{int(-3), int8(-3), int16(-3), int32(-3), int64(-3), float32(-3), float64(-3), json.Number("-3")} {
		n, ok := Number(v)
		assert.True(t, ok, "%T", v)
		assert.Equal(t, -3.0, n, "%T", v)
	}
	for _, v := range []any{uint(3), uint8(3), uint16(3), uint32(3), uint64(3)} {
		n, ok := Number(v)
		assert.True(t, ok && n == 3, "%T", v)
	}
}
