package index

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want []pathStep
	}{
		{"a", []pathStep{{kind: stepKey, key: "a"}}},
		{"a.b-c_d", []pathStep{{kind: stepKey, key: "a"}, {kind: stepKey, key: "b-c_d"}}},
		{"a[0].b", []pathStep{{kind: stepKey, key: "a"}, {kind: stepIndex, index: 0}, {kind: stepKey, key: "b"}}},
		{"a[][12]", []pathStep{{kind: stepKey, key: "a"}, {kind: stepAll}, {kind: stepIndex, index: 12}}},
		{`"a.b".c`, []pathStep{{kind: stepKey, key: "a.b"}, {kind: stepKey, key: "c"}}},
		{"città", []pathStep{{kind: stepKey, key: "città"}}},
	} {
		got, err := parsePath(tc.path)
		require.NoError(t, err, tc.path)
		require.Equal(t, tc.want, got, tc.path)
	}
	for _, bad := range []string{"", ".a", "a.", "a..b", "[0]", "a[", "a[x]", "a[-1]", "a]", `"a`, "a b", "a[0]b", string(make([]byte, maxPathLen+1))} {
		_, err := parsePath(bad)
		require.Error(t, err, "%q", bad)
	}
}

// decode is a JSON object as payloads are decoded.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	p, err := decodePayload([]byte(s))
	require.NoError(t, err)
	return p
}

func encode(t *testing.T, p map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	return string(raw)
}

func TestSetAtPath(t *testing.T) {
	for _, tc := range []struct{ payload, key, value, want string }{
		{`{}`, "a", `{"x":1}`, `{"a":{"x":1}}`},
		{`{"a":{"x":1,"y":2}}`, "a", `{"x":3}`, `{"a":{"x":3,"y":2}}`},
		{`{"a":5}`, "a", `{"x":1}`, `{"a":{"x":1}}`},
		{`{}`, "a.b", `{"x":1}`, `{"a":{"b":{"x":1}}}`},
		{`{"a":"s"}`, "a.b", `{"x":1}`, `{"a":{"b":{"x":1}}}`},
		{`{"a":[{"b":1},{"c":2}]}`, "a[1]", `{"x":1}`, `{"a":[{"b":1},{"c":2,"x":1}]}`},
		{`{"a":[{"b":{}},{"b":5}]}`, "a[0].b", `{"x":1}`, `{"a":[{"b":{"x":1}},{"b":5}]}`},
		{`{"a":[{"b":1}]}`, "a[3]", `{"x":1}`, `{"a":[{"b":1}]}`},
		{`{"a":[{"b":1},7]}`, "a[]", `{"x":1}`, `{"a":[{"b":1,"x":1},{"x":1}]}`},
		{`{"a":[{},{}]}`, "a[].b", `{"x":1}`, `{"a":[{"b":{"x":1}},{"b":{"x":1}}]}`},
		{`{"a":{"k":1}}`, "a[0]", `{"x":1}`, `{"a":[]}`},
	} {
		path, err := parsePath(tc.key)
		require.NoError(t, err)
		p := decode(t, tc.payload)
		setAtPath(p, path, decode(t, tc.value))
		require.JSONEq(t, tc.want, encode(t, p), "set %s at %s in %s", tc.value, tc.key, tc.payload)
	}
}

func TestDeleteAtPath(t *testing.T) {
	for _, tc := range []struct{ payload, key, want string }{
		{`{"a":1,"b":2}`, "a", `{"b":2}`},
		{`{"a":1}`, "z", `{"a":1}`},
		{`{"a":{"b":1,"c":2}}`, "a.b", `{"a":{"c":2}}`},
		{`{"a":5}`, "a.b", `{"a":5}`},
		{`{"a":[{"b":1,"c":2},{"b":3}]}`, "a[].b", `{"a":[{"c":2},{}]}`},
		{`{"a":[{"b":1},{"b":3}]}`, "a[1].b", `{"a":[{"b":1},{}]}`},
		{`{"a":[1,2]}`, "a[0]", `{"a":[1,2]}`},
		{`{"a":[1,2]}`, "a[]", `{"a":[]}`},
		{`{"a.b":1,"a":{"b":2}}`, `"a.b"`, `{"a":{"b":2}}`},
	} {
		path, err := parsePath(tc.key)
		require.NoError(t, err)
		p := decode(t, tc.payload)
		deleteAtPath(p, path)
		require.JSONEq(t, tc.want, encode(t, p), "delete %s from %s", tc.key, tc.payload)
	}
}
