package clusterapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

// TestUsersOfAShardedCollection: on a collection of three shards, users'
// interactions go through any node (an item that is no point is refused,
// naming it, and nothing is recorded), training through any node writes
// the model's item vectors into the shards, and every node then ranks a
// user's items the same, by the dot product of the user's fold-in with
// the items' vectors, leaving out what the user has seen; forgetting a
// user reaches every node.
func TestUsersOfAShardedCollection(t *testing.T) {
	_, nodes := startHTTPNodes(t, 3)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	mustCall(t, "PUT", n2.url+"/collections/m", `{"vectors":{"content":{"size":4,"distance":"Cosine"},"cf":{"size":8,"distance":"Dot"},"hybrid":{"size":13,"distance":"Dot"}},"shard_number":3,"replication_factor":2}`)
	var pts, its []string
	for i := range 60 {
		pts = append(pts, fmt.Sprintf(`{"id":%d,"vector":{"content":[%d,%d,0.1,%.2f]},"payload":{"g":%d}}`, i, 1-i%2, i%2, float64(i)/60, i%3))
	}
	seen := map[int][]uint64{}
	for u := range 30 {
		for k := range 5 {
			item := (u*7 + k*11) % 60
			its = append(its, fmt.Sprintf(`{"user":%d,"item":%d,"weight":%d,"timestamp":%d}`, u, item, 1+k%3, 1000+k))
			seen[u] = append(seen[u], uint64(item))
		}
	}
	mustCall(t, "PUT", n3.url+"/collections/m/points?wait=true", `{"points":[`+strings.Join(pts, ",")+`]}`)

	code, _, raw := call(t, "PUT", n1.url+"/collections/m/interactions", `{"interactions":[{"user":99,"item":1},{"user":99,"item":60}]}`)
	require.Equal(t, 400, code, raw)
	require.Contains(t, raw, "interactions[1].item")
	require.Contains(t, raw, "has no point 60")
	mustCall(t, "PUT", n1.url+"/collections/m/interactions", `{"interactions":[`+strings.Join(its, ",")+`]}`)
	user99 := mustCall(t, "GET", n2.url+"/collections/m/users/99?consistency=majority", "").(map[string]any)
	require.Empty(t, user99["interactions"], "the refused batch recorded nothing")

	mustCall(t, "POST", n2.url+"/collections/m/train", `{"iterations":4,"seed":1}`)
	var job map[string]any
	require.Eventually(t, func() bool {
		_, result, _ := call(t, "GET", n3.url+"/collections/m/train?consistency=majority", "")
		job, _ = result.(map[string]any)
		return job != nil && job["state"] != "running"
	}, 30*time.Second, 20*time.Millisecond)
	require.Equal(t, "done", job["state"], "%v", job)
	require.Equal(t, "hybrid", job["options"].(map[string]any)["hybrid"])
	// The hybrid's items carry their content part (dimensions 8..11),
	// which training read through the router: point 0's content is
	// [1,0,0.1,0], point 1's [0,1,0.1,0.02].
	got := mustCall(t, "POST", n1.url+"/collections/m/points?consistency=majority", `{"ids":[0,1],"with_vector":["hybrid"]}`).([]any)
	require.Len(t, got, 2, "%v", got)
	h0 := got[0].(map[string]any)["vector"].(map[string]any)["hybrid"].([]any)
	h1 := got[1].(map[string]any)["vector"].(map[string]any)["hybrid"].([]any)
	require.NotZero(t, h0[8], "point 0's content part")
	require.NotZero(t, h1[9], "point 1's content part")
	require.NotEqual(t, h0[8:12], h1[8:12])

	// Every node serves the model from group 0; the shards hold only the
	// item vectors it implies.
	ctx := context.Background()
	var want, wantHybrid []any
	for i, n := range nodes {
		schema, err := n.rep.DB().Collection("m")
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			_, err := schema.LoadModel(ctx)
			return err == nil
		}, 10*time.Second, 10*time.Millisecond, "node %s has the model", n.id)
		prof, err := n.rep.Trainer().Profile(ctx, schema, schema, userid.FromNum(4), "")
		require.NoError(t, err)
		require.Equal(t, "ials", prof.Source)
		require.Len(t, prof.Vector, 8)

		q := `{"query":{"recommend":{"user":4}},"limit":6,"with_vector":["cf"],"with_explanation":true}`
		got := mustCall(t, "POST", n.url+"/collections/m/points/query?consistency=majority", q).(map[string]any)["points"].([]any)
		require.Len(t, got, 6)
		for _, p := range got {
			p := p.(map[string]any)
			id := uint64(p["id"].(float64))
			require.NotContains(t, seen[4], id, "a seen item is left out")
			var dot float64
			for d, x := range p["vector"].(map[string]any)["cf"].([]any) {
				dot += x.(float64) * float64(prof.Vector[d])
			}
			require.InDelta(t, dot, p["score"].(float64), 1e-4, "point %d: the score is <theta_u, phi_i>", id)
			for _, c := range p["explanation"].([]any) {
				require.Contains(t, seen[4], uint64(c.(map[string]any)["id"].(float64)), "explained by a seen item")
			}
		}
		if i == 0 {
			want = got
		}
		require.Equal(t, want, got, "node %s ranks as node 1", n.id)
		hq := `{"query":{"recommend":{"user":4}},"using":"hybrid","limit":6}`
		hybrid := mustCall(t, "POST", n.url+"/collections/m/points/query?consistency=majority", hq).(map[string]any)["points"].([]any)
		require.Len(t, hybrid, 6)
		if i == 0 {
			wantHybrid = hybrid
		}
		require.Equal(t, wantHybrid, hybrid, "node %s ranks by the hybrid as node 1", n.id)
	}
	for _, n := range nodes {
		for s := range 3 {
			p, _ := n.rep.node.Placement("m")
			g, ok := n.rep.host.Group("m", p, s)
			if !ok {
				continue
			}
			c, err := g.DB().Collection("m")
			require.NoError(t, err)
			_, err = c.LoadModel(ctx)
			require.ErrorIs(t, err, index.ErrNotFound, "node %s shard %d keeps vectors only", n.id, s)
			k, err := c.Count(ctx, nil)
			require.NoError(t, err)
			require.NotZero(t, k)
			_, err = c.Vectors(ctx, "cf", []pointid.ID{firstID(t, c)})
			require.NoError(t, err, "node %s shard %d: item vectors written", n.id, s)
		}
	}

	// A node restored from its snapshot marks the schema copy again: its
	// interactions name items it does not hold.
	require.NoError(t, n2.rep.node.Snapshot(ctx))
	n2 = restart(t, n2)
	waitReady(t, n2)
	q := `{"query":{"recommend":{"user":4}},"limit":6,"with_vector":["cf"],"with_explanation":true}`
	got = mustCall(t, "POST", n2.url+"/collections/m/points/query", q).(map[string]any)["points"].([]any)
	require.Equal(t, want, got, "node 2 after a restart")

	pred := mustCall(t, "POST", n3.url+"/collections/m/predict", `{"user":4,"items":[1,2,3]}`)
	require.NotEmpty(t, pred)

	mustCall(t, "DELETE", n3.url+"/collections/m/users/5", "")
	for _, n := range []*httpNode{n1, n2, n3} {
		require.Eventually(t, func() bool {
			u := mustCall(t, "GET", n.url+"/collections/m/users/5", "").(map[string]any)
			return len(u["interactions"].([]any)) == 0
		}, 10*time.Second, 10*time.Millisecond, "node %s forgot user 5", n.id)
	}
}

// firstID is the smallest id of c's points.
func firstID(t *testing.T, c *index.Collection) pointid.ID {
	page, err := c.Scroll(context.Background(), index.ScrollRequest{Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, page.Points)
	return page.Points[0].ID
}

// TestStrongRecommendSeesInteractions: a recommendation asked with
// consistency=majority reads the user's interactions as group 0 has
// committed them, on a sharded collection as on any: a new user's
// first interaction, acknowledged by one node, is left out of the list
// a follower of group 0 then serves, however far behind the follower's
// copy of group 0 is. Item 7 is everyone's, the head of the popular
// list a user with no interactions would get.
func TestStrongRecommendSeesInteractions(t *testing.T) {
	_, nodes := startHTTPNodes(t, 3)
	lead := leaderOf(t, nodes)
	var follower *httpNode
	for _, n := range nodes {
		if n != lead {
			follower = n
		}
	}
	mustCall(t, "PUT", lead.url+"/collections/m", `{"vectors":{"content":{"size":4,"distance":"Cosine"}},"shard_number":3,"replication_factor":2}`)
	var pts, its []string
	for i := range 30 {
		pts = append(pts, fmt.Sprintf(`{"id":%d,"vector":{"content":[%d,%d,0.1,%.2f]}}`, i, 1-i%2, i%2, float64(i)/30))
	}
	for u := range 10 {
		its = append(its, fmt.Sprintf(`{"user":%d,"item":7}`, u), fmt.Sprintf(`{"user":%d,"item":%d}`, u, 10+u))
	}
	mustCall(t, "PUT", follower.url+"/collections/m/points?wait=true", `{"points":[`+strings.Join(pts, ",")+`]}`)
	mustCall(t, "PUT", lead.url+"/collections/m/interactions?wait=true", `{"interactions":[`+strings.Join(its, ",")+`]}`)
	ids := func(res any) []uint64 {
		var out []uint64
		for _, p := range res.(map[string]any)["points"].([]any) {
			out = append(out, uint64(p.(map[string]any)["id"].(float64)))
		}
		return out
	}
	q := func(user int) string {
		return fmt.Sprintf(`{"query":{"recommend":{"user":%d}},"using":"content","limit":5}`, user)
	}
	// (Strong: a local replica of a shard may not have applied the
	// points yet, and item 7 would be missing from the list.)
	require.Equal(t, uint64(7), ids(mustCall(t, "POST", lead.url+"/collections/m/points/query?consistency=majority", q(999)))[0], "the popular list starts with item 7")
	for u := 100; u < 120; u++ {
		mustCall(t, "PUT", lead.url+"/collections/m/interactions?wait=true", fmt.Sprintf(`{"interactions":[{"user":%d,"item":7}]}`, u))
		got := ids(mustCall(t, "POST", follower.url+"/collections/m/points/query?consistency=majority", q(u)))
		require.NotContains(t, got, uint64(7), "user %d: the acknowledged interaction with 7 is seen through node %s", u, follower.id)
	}
}

// TestReadIndexOnTheLeaderOnly: group 0's read index is answered by its
// leader (a commit index at least that of a write acknowledged before)
// and refused by a follower, naming the leader; without the api-key it
// is refused.
func TestReadIndexOnTheLeaderOnly(t *testing.T) {
	_, nodes := startHTTPNodes(t, 3)
	lead := leaderOf(t, nodes)
	mustCall(t, "PUT", lead.url+"/collections/r", `{"vectors":{"size":2,"distance":"Dot"}}`)
	applied := lead.rep.node.AppliedIndex()
	for _, n := range nodes {
		code, _, raw := call(t, "POST", n.url+readIndexRoute, "")
		var ans shardAnswer
		require.NoError(t, json.Unmarshal([]byte(raw), &ans), raw)
		if n == lead {
			require.Equal(t, 200, code, raw)
			require.GreaterOrEqual(t, ans.Commit, applied)
			continue
		}
		require.Equal(t, http.StatusMisdirectedRequest, code, raw)
		require.Equal(t, kindNotLeader, ans.Kind)
		require.Equal(t, lead.id, ans.Leader)
	}
	resp, err := http.Post(lead.url+readIndexRoute, "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
