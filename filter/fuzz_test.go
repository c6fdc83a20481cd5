package filter

import (
	"testing"

	"github.com/quiver-db/quiver/pointid"
)

// FuzzParse feeds arbitrary JSON to the filter decoder, which reads
// filters straight from request bodies: it must return an error or a
// filter that evaluates against payloads without panicking.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"must":[{"key":"a","match":{"value":"x"}}]}`,
		`{"should":{"key":"n","range":{"gte":1,"lt":9.5}},"must_not":[{"has_id":[1,"936da01f-9abd-4d9d-80c7-02af85c822a8"]}]}`,
		`{"must":[{"is_empty":{"key":"t"}},{"is_null":{"key":"t"}},{"key":"a[].b","match":{"any":["x",2]}}]}`,
		`{"must":[{"must":[{"should":[{"key":"c","match":{"except":[true]}}]}]}]}`,
		`{"must":[{"key":"d","values_count":{"gt":1}}]}`,
		`{"must":null}`, `{}`, `[]`, `{"must":[{"key":"a"}]}`,
	} {
		f.Add([]byte(seed))
	}
	payloads := []Payload{
		{},
		{"a": "x", "n": 3.0, "t": nil, "c": []any{true, "y"}, "d": []any{1.0, 2.0}},
		{"a": []any{map[string]any{"b": "x"}, map[string]any{"b": 2.0}}, "n": "3"},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := Parse(data)
		if err != nil {
			return
		}
		for i, p := range payloads {
			flt.Matches(pointid.FromNum(uint64(i)), p)
		}
	})
}
