package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/internal/progress"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

// NewUsersAcross is the HTTP part of bench rec --http's new users, each
// request through another node: user j's cold list through node j, the
// interaction through node j+1 (answered once group 0 has committed and
// its leader applied it), the next list through node j+2 with
// consistency=majority, which must see it. On a single node all three go
// to the one node.
type NewUsersAcross struct {
	Cold      LatencyStats `json:"cold"`
	Interact  LatencyStats `json:"interact"`
	Recommend LatencyStats `json:"recommend"`
	Updated   LatencyStats `json:"updated"`
	// Changed counts the users whose next list differs from their cold
	// one.
	Changed int `json:"changed"`
}

// newUsersAcross runs the new users' pass over conns (one per node).
func newUsersAcross(ctx context.Context, conns []*keepAliveConn, cfg RecClusterConfig, d *recHTTPData) (NewUsersAcross, error) {
	var out NewUsersAcross
	path := "/collections/" + recHTTPCollection + "/points/query"
	interactPath := "/collections/" + recHTTPCollection + "/interactions?wait=true"
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed)) // newUsersPass's items
	bar := progress.Start(cfg.Progress, "new users across the nodes", "users", int64(cfg.NewUsers))
	defer bar.Finish()
	var cold, put, next, updated []time.Duration
	for j := range cfg.NewUsers {
		user, err := userid.Parse(fmt.Sprintf("bench-new-%d", j))
		if err != nil {
			return out, err
		}
		body, err := recommendBody(user, cfg.Limit, false)
		if err != nil {
			return out, err
		}
		first, second, third := conns[j%len(conns)], conns[(j+1)%len(conns)], conns[(j+2)%len(conns)]
		before, err := first.query(http.MethodPost, path, body)
		if err != nil {
			return out, fmt.Errorf("new user %s: cold list: %w", user, err)
		}
		item := pointid.FromNum(uint64(d.ml.MovieIDs[d.ratings[rng.IntN(len(d.ratings))].Item]))
		its, err := json.Marshal(map[string]any{"interactions": []client.Interaction{{User: user, Item: item, Weight: ptr(4.0), Time: time.Now().Unix()}}})
		if err != nil {
			return out, err
		}
		ack, err := second.do(http.MethodPut, interactPath, its)
		if err != nil {
			return out, fmt.Errorf("new user %s: interaction: %w", user, err)
		}
		after, err := third.query(http.MethodPost, path+"?consistency=majority", body)
		if err != nil {
			return out, fmt.Errorf("new user %s: next list: %w", user, err)
		}
		cold, put, next = append(cold, before.latency), append(put, ack), append(next, after.latency)
		updated = append(updated, ack+after.latency)
		if !slices.Equal(before.ids, after.ids) {
			out.Changed++
		}
		bar.Add(1)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	out.Cold, out.Interact, out.Recommend, out.Updated = latencyStats(cold), latencyStats(put), latencyStats(next), latencyStats(updated)
	return out, nil
}
