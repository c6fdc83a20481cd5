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
	Short   int          `json:"short"`
	Latency LatencyStats `json:"latency"`
	Server  LatencyStats `json:"server"`
}

// qualityPad is the extra items a quality request asks for, to make up
// for the movies outside train that it drops.
const qualityPad = 20

// qualityEf is the HNSW ef of the quality requests: the offline
// protocol's (bench rec -ef).
const qualityEf = 400

// qualityPass scores the lists ranked by the vector using for every user.
// It needs the test part: only the train part was sent.
func qualityPass(ctx context.Context, addr string, d *recHTTPData, using string) (ServedQuality, error) {
	out := ServedQuality{Using: using}
	conn, err := dialKeepAlive(addr)
	if err != nil {
		return out, err
	}
	defer conn.close()
	split := eval.Split{Users: len(d.ml.UserIDs), Items: len(d.ml.MovieIDs), Train: d.ratings, Test: d.test}
	catalogue := split.Catalogue()
	path := "/collections/" + recHTTPCollection + "/points/query"
	lists := make([][]int32, len(d.ml.UserIDs))
	var lat, srv []time.Duration
	for u, id := range d.ml.UserIDs {
		body := client.RecommendBody(userid.FromNum(uint64(id)), client.RecommendOptions{Limit: eval.Depth + qualityPad})
		body["using"] = using
		body["params"] = map[string]any{"hnsw_ef": qualityEf}
		raw, err := json.Marshal(body)
		if err != nil {
			return out, err
		}
		a, err := conn.query(http.MethodPost, path, raw)
		if err != nil {
			return out, fmt.Errorf("user %d using %s: %w", id, using, err)
		}
		lat, srv = append(lat, a.latency), append(srv, a.server)
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
	out.TopN = eval.Summarize(lists, split.TestItems(), split.CatalogueSize())
	out.Latency, out.Server = latencyStats(lat), latencyStats(srv)
	return out, nil
}
