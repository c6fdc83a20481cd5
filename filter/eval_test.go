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
