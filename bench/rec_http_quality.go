package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/recommend/eval"
	"github.com/quiver-db/quiver/userid"
)

// ServedQuality is BENCHMARKS.md §2's test metrics of the lists the server
// returns, one request per MovieLens user, ranked by one vector. The
// server holds every movie, the offline protocol only those in train: the
// pass asks for more than it scores and drops the movies outside train
// before cutting at eval.Depth, as the offline catalogue does.
type ServedQuality struct {
	Using string `json:"using"`
	eval.TopN
	// Short counts the users whose list had fewer than eval.Depth movies
	// from train left.
	Short int `json:"short"`
	// First is each user's first request by this vector (the profile
	// folded in, unless an earlier pass left it cached: the cf profiles
	// are, by the passes before), Latency the same request again (cached
	// profile: the search), Server the handler's time of the latter, and
	// Explained the request again with_explanation and limit 10.
	First     LatencyStats `json:"first"`
	Latency   LatencyStats `json:"latency"`
	Server    LatencyStats `json:"server"`
	Explained LatencyStats `json:"explained"`
	// lists is each user's scored list, on MovieLens's dense movie
	// indices, to compare two setups' lists (listOverlap).
	lists [][]int32
}

// qualityPad is the extra items a quality request asks for, to make up
// for the movies outside train that it drops.
const qualityPad = 20

// qualityEf is the HNSW ef of the quality requests: the offline
// protocol's (bench rec -ef).
const qualityEf = 400

// qualityPass scores the lists ranked by the vector using for every user.
// It needs the test part: only the train part was sent. User u's
// requests go to addrs[u % len(addrs)] (the nodes of a cluster in turn).
func qualityPass(ctx context.Context, addrs []string, d *recHTTPData, using string) (ServedQuality, error) {
	out := ServedQuality{Using: using}
	conns, err := dialAll(addrs)
	if err != nil {
		return out, err
	}
	defer closeAll(conns)
	var conn *keepAliveConn
	split := eval.Split{Users: len(d.ml.UserIDs), Items: len(d.ml.MovieIDs), Train: d.ratings, Test: d.test}
	catalogue := split.Catalogue()
	path := "/collections/" + recHTTPCollection + "/points/query"
	lists := make([][]int32, len(d.ml.UserIDs))
	var first, lat, srv, explained []time.Duration
	ask := func(id int64, opts client.RecommendOptions) (queryAnswer, error) {
		body := client.RecommendBody(userid.FromNum(uint64(id)), opts)
		body["using"] = using
		body["params"] = map[string]any{"hnsw_ef": qualityEf}
		raw, err := json.Marshal(body)
		if err != nil {
			return queryAnswer{}, err
		}
		a, err := conn.query(http.MethodPost, path, raw)
		if err != nil {
			return a, fmt.Errorf("user %d using %s: %w", id, using, err)
		}
		return a, nil
	}
	for u, id := range d.ml.UserIDs {
		conn = conns[u%len(conns)]
		a, err := ask(id, client.RecommendOptions{Limit: eval.Depth + qualityPad})
		if err != nil {
			return out, err
		}
		first = append(first, a.latency)
		if a, err = ask(id, client.RecommendOptions{Limit: eval.Depth + qualityPad}); err != nil {
			return out, err
		}
		lat, srv = append(lat, a.latency), append(srv, a.server)
		e, err := ask(id, client.RecommendOptions{Limit: 10, Explain: true})
		if err != nil {
			return out, err
		}
		explained = append(explained, e.latency)
		for _, movie := range a.ids {
			i, ok := slices.BinarySearch(d.ml.MovieIDs, int64(movie))
			if ok && catalogue[i] && len(lists[u]) < eval.Depth {
				lists[u] = append(lists[u], int32(i))
			}
		}
		if len(lists[u]) < eval.Depth {
			out.Short++
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	out.TopN, out.lists = eval.Summarize(lists, split.TestItems(), split.CatalogueSize()), lists
	out.First, out.Latency, out.Server, out.Explained = latencyStats(first), latencyStats(lat), latencyStats(srv), latencyStats(explained)
	return out, nil
}
