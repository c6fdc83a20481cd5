package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// newShopServer has collection "shop": ten 2-d Dot points, point i at
// (1, i/10), with payload {"shop": "s<i%3>", "price": i, "tags": [...]}
// and keyword indexes on shop and tags, an integer one on price; and
// collection "shops" with points 0 and 1 named by their payload.
func newShopServer(t *testing.T) *testServer {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/shop", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	var points []any
	for i := range 10 {
		tags := []any{"all"}
		if i%2 == 0 {
			tags = append(tags, "even")
		}
		points = append(points, map[string]any{"id": i, "vector": []float32{1, float32(i) / 10},
			"payload": map[string]any{"shop": []string{"s0", "s1", "s2"}[i%3], "price": i, "tags": tags, "group": i % 2}})
	}
	ts.ok("PUT", "/collections/shop/points?wait=true", map[string]any{"points": points}, nil)
	ts.ok("PUT", "/collections/shop/index", map[string]any{"field_name": "shop", "field_schema": "keyword"}, nil)
	ts.ok("PUT", "/collections/shop/index", map[string]any{"field_name": "tags", "field_schema": "keyword"}, nil)
	ts.ok("PUT", "/collections/shop/index", map[string]any{"field_name": "price", "field_schema": "integer"}, nil)
	ts.ok("PUT", "/collections/shops", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	ts.ok("PUT", "/collections/shops/points?wait=true", map[string]any{"points": []any{
		map[string]any{"id": 0, "vector": []float32{1, 0}, "payload": map[string]any{"name": "even shop"}},
		map[string]any{"id": 1, "vector": []float32{0, 1}, "payload": map[string]any{"name": "odd shop"}},
	}}, nil)
	return ts
}

type groupOut struct {
	ID     any `json:"id"`
	Hits   []hit
	Lookup *struct {
		ID      any            `json:"id"`
		Payload map[string]any `json:"payload"`
	} `json:"lookup"`
}

func TestGroupsRoutes(t *testing.T) {
	ts := newShopServer(t)
	var res struct {
		Groups []groupOut `json:"groups"`
	}
	// The query [0, 1] ranks by i: 9, 8, 7, ...
	ts.ok("POST", "/collections/shop/points/query/groups", map[string]any{
		"query": []float32{0, 1}, "group_by": "shop", "group_size": 2, "limit": 2, "with_payload": true,
	}, &res)
	require.Len(t, res.Groups, 2)
	require.Equal(t, "s0", res.Groups[0].ID)
	require.Equal(t, []any{float64(9), float64(6)}, ids(res.Groups[0].Hits))
	require.Equal(t, "s2", res.Groups[1].ID)
	require.Equal(t, []any{float64(8), float64(5)}, ids(res.Groups[1].Hits))
	require.Equal(t, "s0", res.Groups[0].Hits[0].Payload["shop"])
	require.Nil(t, res.Groups[0].Lookup)

	// Integer groups, an array key, a lookup by name and by object.
	ts.ok("POST", "/collections/shop/points/search/groups", map[string]any{
		"vector": []float32{0, 1}, "group_by": "group", "group_size": 3, "limit": 5, "with_lookup": "shops",
	}, &res)
	require.Len(t, res.Groups, 2)
	require.Equal(t, float64(1), res.Groups[0].ID)
	require.Equal(t, []any{float64(9), float64(7), float64(5)}, ids(res.Groups[0].Hits))
	require.Equal(t, "odd shop", res.Groups[0].Lookup.Payload["name"])
	require.Equal(t, "even shop", res.Groups[1].Lookup.Payload["name"])
	ts.ok("POST", "/collections/shop/points/query/groups", map[string]any{
		"query": []float32{0, 1}, "group_by": "tags", "group_size": 1,
		"with_lookup": map[string]any{"collection": "shops", "with_payload": false, "with_vectors": true},
	}, &res)
	require.Len(t, res.Groups, 2)
	require.Equal(t, []any{"all", "even"}, []any{res.Groups[0].ID, res.Groups[1].ID})
	require.Nil(t, res.Groups[0].Lookup, "string ids that are not UUIDs name no point")

	// Recommend groups: positive 9 leans the average towards (1, 0.9);
	// the example itself is left out.
	ts.ok("POST", "/collections/shop/points/recommend/groups", map[string]any{
		"positive": []any{9}, "negative": []any{0}, "group_by": "shop", "group_size": 1, "limit": 3,
	}, &res)
	require.Len(t, res.Groups, 3)
	for _, g := range res.Groups {
		require.Len(t, g.Hits, 1)
		require.NotEqual(t, float64(9), g.Hits[0].ID)
	}
	require.Equal(t, []any{float64(8)}, ids(res.Groups[0].Hits), "the best after the example")
	ts.fails(http.StatusBadRequest, "POST", "/collections/shop/points/recommend/groups", map[string]any{"positive": []any{9}}, "group_by: required")

	for _, c := range []struct {
		path string
		body map[string]any
		want string
	}{
		{"query/groups", map[string]any{"query": []float32{0, 1}}, "group_by: required"},
		{"query/groups", map[string]any{"query": []float32{0, 1}, "group_by": "shop", "group_size": 0}, "group_size 0"},
		{"query/groups", map[string]any{"query": []float32{0, 1}, "group_by": "shop", "limit": 5000, "group_size": 5000}, "limit 5000 × group_size 5000"},
		{"query/groups", map[string]any{"query": []float32{0, 1}, "group_by": "shop", "offset": 1}, "offset: groups queries take no offset"},
		{"query/groups", map[string]any{"query": []float32{0, 1}, "group_by": "shop", "with_lookup": map[string]any{}}, "with_lookup.collection: required"},
		{"query/groups", map[string]any{"query": []float32{0, 1}, "group_by": "shop", "with_lookup": map[string]any{"collection": "x", "bogus": 1}}, `with_lookup: unknown field "bogus"`},
		{"search/groups", map[string]any{"group_by": "shop"}, "vector: required"},
	} {
		ts.fails(http.StatusBadRequest, "POST", "/collections/shop/points/"+c.path, c.body, c.want)
	}
	ts.fails(http.StatusNotFound, "POST", "/collections/shop/points/query/groups",
		map[string]any{"query": []float32{0, 1}, "group_by": "shop", "with_lookup": "nope"}, "nope")
}

func TestDiscoverRoutes(t *testing.T) {
	ts := newShopServer(t)
	var pts []hit
	// Target 9; context: nearer (1, 0) than (0, 1) means i < 10, so every
	// point ranks +1, and the target orders them: 8, 7, ... (9 is the
	// target, left out).
	ts.ok("POST", "/collections/shop/points/discover", map[string]any{
		"target": 9, "context": []any{map[string]any{"positive": []float32{1, 0}, "negative": []float32{0, 1}}}, "limit": 3,
	}, &pts)
	require.Equal(t, []any{float64(8), float64(7), float64(6)}, ids(pts))
	require.Greater(t, pts[0].Score, float32(1))
	// Context alone: every point is in the zone, score 0.
	ts.ok("POST", "/collections/shop/points/discover", map[string]any{
		"context": map[string]any{"positive": []float32{1, 0}, "negative": []float32{0, 1}}, "limit": 2,
	}, &pts)
	require.Len(t, pts, 2)
	require.Zero(t, pts[0].Score)
	var batch [][]hit
	ts.ok("POST", "/collections/shop/points/discover/batch", map[string]any{"searches": []any{
		map[string]any{"target": []float32{0, 1}, "limit": 1},
		map[string]any{"target": []float32{0, -1}, "limit": 1},
	}}, &batch)
	require.Equal(t, [][]any{{float64(9)}, {float64(0)}}, [][]any{ids(batch[0]), ids(batch[1])})

	var q struct {
		Points []hit `json:"points"`
	}
	ts.ok("POST", "/collections/shop/points/query", map[string]any{
		"query": map[string]any{"discover": map[string]any{"target": []float32{0, 1}, "context": []any{map[string]any{"positive": 1, "negative": 2}}}}, "limit": 2,
	}, &q)
	// By Dot, point i's similarity to 1 is 1 + i/100 and to 2 is 1 + 2i/100:
	// only 0 (a tie, rank 0) does not side with 2 (rank -1).
	require.Equal(t, []any{float64(0), float64(9)}, ids(q.Points))
	ts.ok("POST", "/collections/shop/points/query", map[string]any{
		"query": map[string]any{"context": []any{map[string]any{"positive": 1, "negative": 2}}}, "limit": 1,
	}, &q)
	require.Equal(t, []any{float64(0)}, ids(q.Points))

	for _, c := range []struct {
		path string
		body map[string]any
		want string
	}{
		{"discover", map[string]any{}, "target: want a target, a context or both"},
		{"discover", map[string]any{"context": []any{map[string]any{"positive": 1}}}, "context[0]: want both positive and negative"},
		{"discover", map[string]any{"target": []float32{1}}, "discover.target: example of size 1"},
		{"query", map[string]any{"query": map[string]any{"discover": map[string]any{"context": []any{}}}}, "query.discover.target: required"},
		{"query", map[string]any{"query": map[string]any{"context": []any{}}}, "context: want at least one pair"},
		{"query", map[string]any{"query": map[string]any{"context": map[string]any{"positive": 1, "negative": 2, "x": 1}}}, `unknown field "x"`},
	} {
		ts.fails(http.StatusBadRequest, "POST", "/collections/shop/points/"+c.path, c.body, c.want)
	}
}

func TestOrderByRoutes(t *testing.T) {
	ts := newShopServer(t)
	var page struct {
		Points []struct {
			ID         any             `json:"id"`
			OrderValue json.RawMessage `json:"order_value"`
		} `json:"points"`
		Next any `json:"next_page_offset"`
	}
	ts.ok("POST", "/collections/shop/points/scroll", map[string]any{
		"order_by": map[string]any{"key": "price", "direction": "desc", "start_from": 7}, "limit": 3,
		"filter": map[string]any{"must_not": []any{map[string]any{"has_id": []int{6}}}},
	}, &page)
	require.Len(t, page.Points, 3)
	require.Equal(t, []any{float64(7), float64(5), float64(4)}, []any{page.Points[0].ID, page.Points[1].ID, page.Points[2].ID})
	require.Equal(t, "7", string(page.Points[0].OrderValue), "an integer index's values are integers")
	require.Nil(t, page.Next)
	ts.ok("POST", "/collections/shop/points/scroll", map[string]any{"order_by": "price", "limit": 2}, &page)
	require.Equal(t, []any{float64(0), float64(1)}, []any{page.Points[0].ID, page.Points[1].ID})

	var q struct {
		Points []struct {
			ID         any `json:"id"`
			OrderValue any `json:"order_value"`
		} `json:"points"`
	}
	ts.ok("POST", "/collections/shop/points/query", map[string]any{"query": map[string]any{"order_by": map[string]any{"key": "price", "direction": "desc"}}, "limit": 2}, &q)
	require.Equal(t, float64(9), q.Points[0].ID)
	require.Equal(t, float64(9), q.Points[0].OrderValue)

	for _, c := range []struct {
		path string
		body map[string]any
		want string
	}{
		{"scroll", map[string]any{"order_by": "shop"}, `order_by.key "shop"`},
		{"scroll", map[string]any{"order_by": "nothing"}, `order_by.key "nothing"`},
		{"scroll", map[string]any{"order_by": map[string]any{"key": "price", "direction": "up"}}, `order_by.direction "up"`},
		{"scroll", map[string]any{"order_by": map[string]any{"key": "price", "start_from": "2024-01-01T00:00:00Z"}}, "order_by.start_from"},
		{"scroll", map[string]any{"order_by": map[string]any{"direction": "asc"}}, "order_by.key: required"},
		{"scroll", map[string]any{"order_by": "price", "offset": 3}, "offset: not with order_by"},
		{"query", map[string]any{"query": map[string]any{"order_by": "shop"}}, `order_by.key "shop"`},
	} {
		ts.fails(http.StatusBadRequest, "POST", "/collections/shop/points/"+c.path, c.body, c.want)
	}
}

func TestFacetRoute(t *testing.T) {
	ts := newShopServer(t)
	var res struct {
		Hits []struct {
			Value any `json:"value"`
			Count int `json:"count"`
		} `json:"hits"`
	}
	ts.ok("POST", "/collections/shop/facet", map[string]any{"key": "shop"}, &res)
	require.Len(t, res.Hits, 3)
	require.Equal(t, "s0", res.Hits[0].Value)
	require.Equal(t, 4, res.Hits[0].Count)
	require.Equal(t, 3, res.Hits[1].Count)
	ts.ok("POST", "/collections/shop/facet", map[string]any{
		"key": "tags", "limit": 1, "exact": true,
		"filter": map[string]any{"must": []any{map[string]any{"key": "price", "range": map[string]any{"lt": 4}}}},
	}, &res)
	require.Len(t, res.Hits, 1)
	require.Equal(t, "all", res.Hits[0].Value)
	require.Equal(t, 4, res.Hits[0].Count)
	ts.ok("POST", "/collections/shop/facet", map[string]any{"key": "price", "limit": 2}, &res)
	require.Equal(t, []any{float64(0), float64(1)}, []any{res.Hits[0].Value, res.Hits[1].Value})

	ts.fails(http.StatusBadRequest, "POST", "/collections/shop/facet", map[string]any{}, "key: required")
	ts.fails(http.StatusBadRequest, "POST", "/collections/shop/facet", map[string]any{"key": "group"}, `key "group"`, "payload index")
	ts.fails(http.StatusBadRequest, "POST", "/collections/shop/facet", map[string]any{"key": "shop", "limit": 0}, "limit 0")
	ts.fails(http.StatusNotFound, "POST", "/collections/none/facet", map[string]any{"key": "shop"})
}
