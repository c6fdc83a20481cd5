package clusterapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/shard"
)

// stateProbeTimeout bounds asking a peer for its replica's state.
const stateProbeTimeout = time.Second

// Replica states, as Qdrant names them: a replica whose Raft group has a
// leader it knows is Active, one that cannot be reached or knows none is
// Dead.
const (
	stateActive = "Active"
	stateDead   = "Dead"
)

type localShardInfo struct {
	ShardID     int    `json:"shard_id"`
	PointsCount int    `json:"points_count"`
	State       string `json:"state"`
}

type remoteShardInfo struct {
	ShardID int    `json:"shard_id"`
	PeerID  uint64 `json:"peer_id"`
	State   string `json:"state"`
}

// collectionClusterInfo is Qdrant's CollectionClusterInfo.
type collectionClusterInfo struct {
	PeerID         uint64              `json:"peer_id"`
	ShardCount     int                 `json:"shard_count"`
	LocalShards    []localShardInfo    `json:"local_shards"`
	RemoteShards   []remoteShardInfo   `json:"remote_shards"`
	ShardTransfers []shardTransferInfo `json:"shard_transfers"`
}

// shardTransferInfo is Qdrant's ShardTransferInfo.
type shardTransferInfo struct {
	ShardID int    `json:"shard_id"`
	From    uint64 `json:"from"`
	To      uint64 `json:"to"`
	// Sync is true for a replicate_shard (the source keeps its replica),
	// false for a move.
	Sync    bool   `json:"sync"`
	Method  string `json:"method"`
	Comment string `json:"comment,omitempty"`
}

// transfersOf lists p's transfers in progress; a drop_replica, not a
// transfer in Qdrant's sense, is listed with to = from and a comment.
func transfersOf(p cluster.Placement) []shardTransferInfo {
	out := []shardTransferInfo{}
	for _, t := range p.Transfers {
		info := shardTransferInfo{ShardID: t.Shard, From: peerID(t.From.ID), To: peerID(t.To.ID), Sync: t.Kind == cluster.TransferReplicate, Method: "snapshot"}
		if t.Kind == cluster.TransferDrop {
			info.To, info.Comment = info.From, "dropping the replica"
		}
		out = append(out, info)
	}
	return out
}

// shardState is GET /internal/shards/{collection}/{shard}/state: the
// replica's Raft role, the leader it knows and its commit index (which a
// leader's is the group's, for Ready).
type shardState struct {
	Role   string `json:"role"`
	Leader string `json:"leader"`
	// CaughtUp is whether the replica has applied up to the target the
	// request named (moverpc.go).
	Commit   uint64 `json:"commit"`
	CaughtUp bool   `json:"caught_up,omitempty"`
}

// ShardInfo implements httpapi.Sharder: the shards this node keeps with
// their point counts, and the other replicas, each asked for its state.
func (r *Replica) ShardInfo(ctx context.Context, name string) (any, error) {
	p, ok := r.node.Placement(name)
	if !ok {
		return nil, fmt.Errorf("%w: collection %q is not sharded", index.ErrNotFound, name)
	}
	out := collectionClusterInfo{PeerID: peerID(r.self), ShardCount: p.Shards(), LocalShards: []localShardInfo{}, RemoteShards: []remoteShardInfo{}, ShardTransfers: transfersOf(p)}
	var remote []string // node ids, beside out.RemoteShards
	for s := range p.Shards() {
		for _, q := range p.Replicas[s] {
			if q.ID == r.self {
				info, err := r.localShard(ctx, name, p, s)
				if err != nil {
					return nil, err
				}
				out.LocalShards = append(out.LocalShards, info)
				continue
			}
			out.RemoteShards = append(out.RemoteShards, remoteShardInfo{ShardID: s, PeerID: peerID(q.ID), State: stateDead})
			remote = append(remote, q.ID)
		}
	}
	var wg sync.WaitGroup
	for i, id := range remote {
		s := out.RemoteShards[i].ShardID
		wg.Go(func() { out.RemoteShards[i].State = r.shards.probe(ctx, id, name, s, p.Group(s)) })
	}
	wg.Wait()
	return out, nil
}

func (r *Replica) localShard(ctx context.Context, name string, p cluster.Placement, s int) (localShardInfo, error) {
	info := localShardInfo{ShardID: s, State: stateDead}
	n, ok := r.host.Group(name, p, s)
	if !ok {
		return info, nil
	}
	if id, _ := n.Leader(); id != "" {
		info.State = stateActive
	}
	c, err := n.DB().Collection(name)
	if err != nil {
		return info, nil // not restored yet
	}
	if info.PointsCount, err = c.Count(ctx, nil); err != nil {
		return info, fmt.Errorf("count shard %d: %w", s, err)
	}
	return info, nil
}

// probe asks node id for its replica of the shard's state, and notes the
// leader it names, whom reads and writes then try first.
func (w *shardWriter) probe(ctx context.Context, id, collection string, s int, group string) string {
	st, err := w.state(ctx, id, collection, s)
	if err != nil || st.Leader == "" {
		return stateDead
	}
	w.setLeader(group, st.Leader)
	return stateActive
}

// state asks node id for its replica of the shard's state.
func (w *shardWriter) state(ctx context.Context, id, collection string, s int) (shardState, error) {
	ctx, cancel := context.WithTimeout(ctx, stateProbeTimeout)
	defer cancel()
	url := fmt.Sprintf("%s/internal/shards/%s/%d/state", w.url(id), collection, s)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return shardState{}, err
	}
	w.header(req)
	resp, err := w.client.Do(req)
	if err != nil {
		return shardState{}, err
	}
	defer resp.Body.Close()
	var st shardState
	if resp.StatusCode != http.StatusOK {
		return shardState{}, fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return shardState{}, fmt.Errorf("GET %s: %w", url, err)
	}
	return st, nil
}

// serveState answers probe: this node's replica's Raft role and leader.
func (r *Replica) serveState(w http.ResponseWriter, req *http.Request) {
	n, err := r.shardGroup(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	target, err := targetOf(req)
	if err != nil {
		http.Error(w, "target: "+err.Error(), http.StatusBadRequest)
		return
	}
	st, err := groupState(req.Context(), n, target)
	if errors.Is(err, httpapi.ErrUnavailable) {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}

// Internal serves the routes other nodes call, in front of the API
// (next): POST shard.Prefix{collection}/{shard}/apply (a shard's write,
// on its leader), GET .../state (for ShardInfo), and package shard's
// read RPC over this node's replicas (Shards), all behind the api-key
// when the cluster has one. Serving the RPC here rather than through the
// API's own mount skips its router and gzip, which cost a remote shard's
// search more than the search (measured, docs/cluster.md); the API's
// mount (httpapi.Config.Shards) is for servers without this wrapper.
// Every other request goes to next.
func (r *Replica) Internal(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+shard.Prefix+"{collection}/{shard}/apply", r.authorized(r.serveApply))
	mux.HandleFunc("GET "+shard.Prefix+"{collection}/{shard}/state", r.authorized(r.serveState))
	mux.HandleFunc("POST "+shard.Prefix+"{collection}/{shard}/members", r.authorized(r.serveMembers))
	mux.HandleFunc("POST "+readIndexRoute, r.authorized(r.serveReadIndex))
	mux.HandleFunc("POST "+shard.Prefix, r.authorized(r.reads.ServeHTTP))
	mux.Handle("/", next)
	return mux
}

// authorized refuses a request without the api-key the nodes share.
func (r *Replica) authorized(h http.HandlerFunc) http.HandlerFunc {
	key := r.shards.apiKey
	return func(w http.ResponseWriter, req *http.Request) {
		got := req.Header.Get("api-key")
		if key != "" && subtle.ConstantTimeCompare([]byte(got), []byte(key)) != 1 {
			http.Error(w, "internal route: wrong or missing api-key", http.StatusUnauthorized)
			return
		}
		h(w, req)
	}
}
