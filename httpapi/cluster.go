package httpapi

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// singlePeerID is the peer id a single node reports for itself.
const singlePeerID = 1

// clusterStatus answers GET /cluster: a single node answers as a Qdrant
// with clustering disabled does, a cluster node with the replica's state.
func (h *Handler) clusterStatus(r *http.Request) (any, error) {
	if h.cfg.Replica != nil {
		return h.cfg.Replica.Status(r.Context())
	}
	return map[string]string{"status": "disabled"}, nil
}

// localShardOut is Qdrant's LocalShardInfo.
type localShardOut struct {
	ShardID     int    `json:"shard_id"`
	PointsCount int    `json:"points_count"`
	State       string `json:"state"`
}

// collectionCluster answers GET /collections/{c}/cluster, Qdrant's
// CollectionClusterInfo: the Sharder's for a sharded collection, else one
// local shard holding every point.
func (h *Handler) collectionCluster(r *http.Request) (any, error) {
	if real, _, ok := h.sharded(mux.Vars(r)["collection"]); ok {
		return h.sharder().ShardInfo(r.Context(), real)
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	n, err := c.Count(r.Context(), nil)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"peer_id":         singlePeerID,
		"shard_count":     1,
		"local_shards":    []localShardOut{{ShardID: 0, PointsCount: n, State: "Active"}},
		"remote_shards":   []any{},
		"shard_transfers": []any{},
	}, nil
}

// telemetryID and startedAt identify this process in GET /telemetry.
var (
	telemetryID = uuid.NewString()
	startedAt   = time.Now().UTC()
)

// telemetry answers GET /telemetry with a subset of Qdrant's
// TelemetryData: the app, the collections with their point counts, and a
// summary of the REST requests by route and status since start.
// details_level and anonymize are accepted; the answer is the same.
func (h *Handler) telemetry(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "details_level", "anonymize", "timeout"); err != nil {
		return nil, err
	}
	type collectionOut struct {
		ID          string `json:"id"`
		PointsCount int    `json:"points_count"`
	}
	names := h.db.List()
	cols := make([]collectionOut, 0, len(names))
	for _, name := range names {
		n, err := h.countAll(r.Context(), name)
		if statusOf(err) == http.StatusNotFound {
			continue // dropped meanwhile
		}
		if err != nil {
			return nil, err
		}
		cols = append(cols, collectionOut{ID: name, PointsCount: n})
	}
	return map[string]any{
		"id":  telemetryID,
		"app": map[string]any{"name": "quiver", "version": Version, "startup": startedAt.Format(time.RFC3339)},
		"collections": map[string]any{
			"number_of_collections": len(cols),
			"collections":           cols,
		},
		"cluster":  map[string]any{"enabled": h.cfg.Replica != nil},
		"requests": map[string]any{"rest": map[string]any{"responses": h.metrics.responses(r.Context())}},
	}, nil
}

// responseStats is one route and status's entry in the telemetry.
type responseStats struct {
	Count int64 `json:"count"`
	// AvgDurationMicros is the route's mean latency over all statuses:
	// the latency histogram is kept per route only.
	AvgDurationMicros float64 `json:"avg_duration_micros"`
}

// responses summarises the request metrics as Qdrant's telemetry does:
// "METHOD path" → status → count and mean latency.
func (m *metrics) responses(ctx context.Context) map[string]map[string]responseStats {
	avg := map[string]float64{}
	for _, d := range collect(ctx, m.latency) {
		if h := d.GetHistogram(); h != nil && h.GetSampleCount() > 0 {
			avg[label(d, "route")] = h.GetSampleSum() / float64(h.GetSampleCount()) * 1e6
		}
	}
	out := map[string]map[string]responseStats{}
	for _, d := range collect(ctx, m.requests) {
		route, code := label(d, "route"), label(d, "code")
		if d.GetCounter().GetValue() == 0 || code == "" {
			continue
		}
		if out[route] == nil {
			out[route] = map[string]responseStats{}
		}
		out[route][code] = responseStats{Count: int64(d.GetCounter().GetValue()), AvgDurationMicros: avg[route]}
	}
	return out
}

// collect reads a collector's current series.
func collect(ctx context.Context, c prometheus.Collector) []*dto.Metric {
	ch := make(chan prometheus.Metric)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	var out []*dto.Metric
	for m := range ch {
		var d dto.Metric
		if ctx.Err() == nil && m.Write(&d) == nil {
			out = append(out, &d)
		}
	}
	return out
}

func label(d *dto.Metric, name string) string {
	i := slices.IndexFunc(d.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == name })
	if i < 0 {
		return ""
	}
	return d.GetLabel()[i].GetValue()
}
