package filter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func nested(depth int) string {
	return strings.Repeat(`{"must": [`, depth) + `{"key": "a", "match": {"value": 1}}` + strings.Repeat(`]}`, depth)
}

func TestNestingAndSizeAreBounded(t *testing.T) {
	var f Filter
	require.NoError(t, json.Unmarshal([]byte(nested(30)), &f), "30 levels of filters are fine")
	for _, tc := range []struct{ body, want string }{
		{nested(4000), "nested more than 100 levels"},
		{`{"should": [` + strings.Repeat(`{"key": "a", "match": {"value": 1}},`, 5000) + `{"is_null": {"key": "b"}}]}`, "more than 10000 conditions"},
		{`{"must": [{"key": "` + strings.Repeat("x", MaxBytes) + `", "match": {"value": 1}}]}`, "filter of"},
	} {
		err := json.Unmarshal([]byte(tc.body), &f)
		require.ErrorIs(t, err, ErrInvalid)
		require.ErrorContains(t, err, tc.want)
	}
	// Brackets inside strings do not count.
	require.NoError(t, json.Unmarshal([]byte(`{"must": [{"key": "a", "match": {"value": "`+strings.Repeat("[{", 200)+`\\ \" x"}}]}`), &f))
}
