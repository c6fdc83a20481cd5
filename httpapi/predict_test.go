package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/trainer"
)

// TestPredictRatings: item 0 is loved (5), item 1 hated (1), item 2 in
// between; a user who rates high gets higher predictions than one who
// rates low, all within the range seen.
func TestPredictRatings(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	require.Equal(t, 200, ts.do("PUT", "/collections/m", `{"vectors": {"size": 2, "distance": "Dot"}}`).Code)
	require.Equal(t, 200, ts.do("PUT", "/collections/m/points", `{"points": [{"id": 0, "vector": [1, 0]}, {"id": 1, "vector": [0, 1]}, {"id": 2, "vector": [1, 1]}, {"id": 3, "vector": [1, 2]}]}`).Code)
	r := ts.do("POST", "/collections/m/predict", `{"user": 1, "items": [0]}`)
	require.Equal(t, 404, r.Code, "no model yet")
	var its []string
	for u := range 40 {
		shift := 0.5 * float64(u%2) // odd users rate half a star higher
		its = append(its, fmt.Sprintf(`{"user": %d, "item": 0, "weight": %g, "timestamp": 1}`, u, 4.5+shift),
			fmt.Sprintf(`{"user": %d, "item": 1, "weight": %g, "timestamp": 2}`, u, 1+shift),
			fmt.Sprintf(`{"user": %d, "item": 2, "weight": %g, "timestamp": 3}`, u, 3+shift))
	}
	require.Equal(t, 200, ts.do("PUT", "/collections/m/interactions", `{"interactions": [`+strings.Join(its, ",")+`]}`).Code)
	require.Equal(t, 200, ts.do("POST", "/collections/m/train", `{"factors": 2, "iterations": 2}`).Code)
	require.Equal(t, trainer.Done, waitJob(t, ts).State)

	predict := func(body string) []trainer.Prediction {
		t.Helper()
		r := ts.do("POST", "/collections/m/predict", body)
		require.Equal(t, 200, r.Code, r.Error)
		var out []trainer.Prediction
		require.NoError(t, json.Unmarshal(r.Result, &out))
		return out
	}
	low := predict(`{"user": 0, "items": [2, 0, 1, 3]}`)
	high := predict(`{"user": "1", "items": [2, 0, 1, 3]}`)
	require.Len(t, low, 4)
	for k, id := range []int{2, 0, 1, 3} {
		require.Equal(t, fmt.Sprint(id), low[k].Item.String(), "in the order asked")
		require.GreaterOrEqual(t, low[k].Rating, float32(1))
		require.LessOrEqual(t, high[k].Rating, float32(5.5))
		require.Greater(t, high[k].Rating, low[k].Rating, "item %d", id)
	}
	require.Greater(t, low[1].Rating, low[0].Rating)
	require.Greater(t, low[0].Rating, low[2].Rating)
	require.False(t, low[3].Known, "item 3 has no ratings")
	require.True(t, low[0].Known)
	// A new user's bias follows their first rating.
	before := predict(`{"user": "new", "items": [2]}`)
	require.Equal(t, 200, ts.do("PUT", "/collections/m/interactions", `{"interactions": [{"user": "new", "item": 0, "weight": 5.5}]}`).Code)
	after := predict(`{"user": "new", "items": [2]}`)
	require.Greater(t, after[0].Rating, before[0].Rating)

	for _, tc := range []struct{ body, want string }{
		{`{"items": [1]}`, "user: required"},
		{`{"user": 1, "items": []}`, "items: want at least one"},
		{`{"user": 1, "items": [1], "extra": 1}`, `unknown field "extra"`},
	} {
		r := ts.do("POST", "/collections/m/predict", tc.body)
		require.Equal(t, 400, r.Code, tc.body)
		require.Contains(t, r.Error, tc.want)
	}
	r = ts.do("POST", "/collections/m/predict", `{"user": 1, "items": [1, 9]}`)
	require.Equal(t, 404, r.Code, "a missing item")
	require.Contains(t, r.Error, `items[1]: collection "m" has no point 9`)
}
