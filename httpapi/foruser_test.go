package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/trainer"
)

// forUserResult is a query result as the recommend-for-user tests read it.
type forUserResult struct {
	ID          int                  `json:"id"`
	Score       float32              `json:"score"`
	Payload     map[string]any       `json:"payload"`
	Vector      map[string][]float32 `json:"vector"`
	Explanation []struct {
		ID           int     `json:"id"`
		Contribution float32 `json:"contribution"`
	} `json:"explanation"`
}

func queryUser(t *testing.T, ts *testServer, body string) []forUserResult {
	t.Helper()
	r := ts.do("POST", "/collections/m/points/query", body)
	require.Equal(t, 200, r.Code, "%s: %s", body, r.Error)
	var out struct {
		Points []forUserResult `json:"points"`
	}
	require.NoError(t, json.Unmarshal(r.Result, &out))
	return out.Points
}

// TestRecommendForUser plants two groups: users of group g interact only
// with items of parity g, whose content vectors point their group's way.
func TestRecommendForUser(t *testing.T) {
	r := testseed.New(t)
	ts := newTestServer(t, t.TempDir(), nil)
	require.Equal(t, 200, ts.do("PUT", "/collections/m", `{"vectors": {"content": {"size": 4, "distance": "Cosine"}, "cf": {"size": 4, "distance": "Dot"}}}`).Code)
	const items = 40
	var pts, its []string
	// Point 40 is an even item nobody has touched: cold.
	for i := range items + 1 {
		g := i % 2
		pts = append(pts, fmt.Sprintf(`{"id": %d, "vector": {"content": [%d, %d, %.3f, %.3f]}, "payload": {"group": %d}}`,
			i, 1-g, g, r.Float64()/5, r.Float64()/5, g))
	}
	require.Equal(t, 200, ts.do("PUT", "/collections/m/points", `{"points": [`+strings.Join(pts, ",")+`]}`).Code)
	seen := map[int]bool{} // user 0's
	for u := range 200 {
		for k, j := range r.Perm(items / 2)[:8] {
			item := 2*j + u%2
			its = append(its, fmt.Sprintf(`{"user": %d, "item": %d, "timestamp": %d}`, u, item, 1000+k))
			if u == 0 {
				seen[item] = true
			}
		}
	}
	require.Equal(t, 200, ts.do("PUT", "/collections/m/interactions", `{"interactions": [`+strings.Join(its, ",")+`]}`).Code)

	// Before training: the centroid of the user's items' content vectors.
	res := queryUser(t, ts, `{"query": {"recommend": {"user": 0}}, "limit": 5, "with_explanation": true}`)
	require.Len(t, res, 5)
	for _, p := range res {
		require.Equal(t, 0, p.ID%2, "user 0 is in the even group: %+v", res)
		require.NotEmpty(t, p.Explanation)
	}

	require.Equal(t, 200, ts.do("POST", "/collections/m/train", `{"iterations": 10, "lambda": 20, "seed": 1}`).Code)
	job := waitJob(t, ts)
	require.Equal(t, trainer.Done, job.State, job.Error)
	require.Equal(t, 4, job.Options.Factors, "factors follow the cf vector's size")
	require.Equal(t, "content", job.Options.Content)
	require.Equal(t, 1, job.ColdItems)

	res = queryUser(t, ts, `{"query": {"recommend": {"user": 0}}, "limit": 5, "with_explanation": true, "with_payload": true}`)
	require.Len(t, res, 5)
	for i, p := range res {
		require.Equal(t, 0, p.ID%2, "results %+v", res)
		require.False(t, seen[p.ID], "seen item %d recommended", p.ID)
		if i > 0 {
			require.LessOrEqual(t, p.Score, res[i-1].Score)
		}
		if p.ID == items {
			require.Empty(t, p.Explanation, "the cold item is not in the model")
			continue
		}
		for k, c := range p.Explanation {
			require.True(t, seen[c.ID], "explanation names %d, not the user's", c.ID)
			if k > 0 {
				require.LessOrEqual(t, c.Contribution, p.Explanation[k-1].Contribution)
			}
		}
		require.Len(t, p.Explanation, 5, "the top five of the user's eight items")
		require.EqualValues(t, 0, p.Payload["group"])
	}
	// exclude_seen false brings the seen items back; offset pages.
	res = queryUser(t, ts, `{"query": {"recommend": {"user": 0, "exclude_seen": false}}, "limit": 40}`)
	n := 0
	for _, p := range res {
		if seen[p.ID] {
			n++
		}
	}
	require.Equal(t, 8, n)
	page2 := queryUser(t, ts, `{"query": {"recommend": {"user": 0, "exclude_seen": false}}, "limit": 5, "offset": 5}`)
	require.Equal(t, res[5:10], page2)
	// A filter restricts them; a batch answers several users.
	res = queryUser(t, ts, `{"query": {"recommend": {"user": 1}}, "filter": {"must": [{"key": "group", "match": {"value": 0}}]}, "limit": 3}`)
	for _, p := range res {
		require.Equal(t, 0, p.ID%2)
	}
	b := ts.do("POST", "/collections/m/points/query/batch", `{"searches": [{"query": {"recommend": {"user": 0}}, "limit": 2}, {"query": {"recommend": {"user": 1}}, "limit": 2}]}`)
	require.Equal(t, 200, b.Code, b.Error)

	// The cold item got a cf vector from its content and can be found.
	r2 := ts.do("GET", "/collections/m/points/40", nil)
	require.Equal(t, 200, r2.Code)
	require.Contains(t, string(r2.Result), `"cf"`)
	// Item to item: more like item 2 by cf.
	res = queryUser(t, ts, `{"query": {"nearest": 2}, "using": "cf", "limit": 3}`)
	for _, p := range res {
		require.Equal(t, 0, p.ID%2)
	}

	// A new user gets the popular items, then after one interaction with
	// an odd item, odd items by the model.
	res = queryUser(t, ts, `{"query": {"recommend": {"user": "new"}}, "limit": 3}`)
	require.Len(t, res, 3)
	require.GreaterOrEqual(t, res[0].Score, res[2].Score)
	r3 := ts.do("POST", "/collections/m/points/query", `{"query": {"recommend": {"user": "new", "text": "anything"}}}`)
	require.Equal(t, 400, r3.Code)
	require.Contains(t, r3.Error, "no vector with a text model", "text needs a text vector (tested with the model in e2e)")
	require.Equal(t, 200, ts.do("PUT", "/collections/m/interactions", `{"interactions": [{"user": "new", "item": 3}]}`).Code)
	res = queryUser(t, ts, `{"query": {"recommend": {"user": "new"}}, "limit": 5}`)
	for _, p := range res {
		require.Equal(t, 1, p.ID%2, "after an odd item: %+v", res)
		require.NotEqual(t, 3, p.ID)
	}
	u := ts.do("GET", "/collections/m/users/new", nil)
	require.JSONEq(t, `true`, jsonField(t, u.Result, "has_vector"))
	require.JSONEq(t, `"ials"`, jsonField(t, u.Result, "vector_source"))

	// Forgetting a user leaves no interactions and no vector.
	require.Equal(t, 200, ts.do("DELETE", "/collections/m/users/0", nil).Code)
	u = ts.do("GET", "/collections/m/users/0", nil)
	require.JSONEq(t, `false`, jsonField(t, u.Result, "has_vector"))
	require.JSONEq(t, `[]`, jsonField(t, u.Result, "interactions"))

	for _, tc := range []struct{ body, want string }{
		{`{"query": {"recommend": {"user": 0, "positive": [1]}}}`, "not both"},
		{`{"query": {"recommend": {"positive": [1], "exclude_seen": true}}}`, "go with a user"},
		{`{"query": {"recommend": {"user": 0}}, "using": "nope"}`, `no vector named "nope"`},
		{`{"query": {"recommend": {"user": ""}}}`, "user id"},
	} {
		r := ts.do("POST", "/collections/m/points/query", tc.body)
		require.Equal(t, 400, r.Code, tc.body)
		require.Contains(t, r.Error, tc.want, tc.body)
	}
}

func jsonField(t *testing.T, raw json.RawMessage, field string) string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	return string(m[field])
}
