package clusterapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/shard"
	"github.com/quiver-db/quiver/userid"
)

// testNode is one Replica behind a loopback HTTP server that serves its
// internal routes; the server outlives restarts of the replica.
type testNode struct {
	id, dir string
	srv     *httptest.Server
	rep     atomic.Pointer[Replica]
	handler atomic.Pointer[http.Handler]
	// httpReads counts the shard reads that reached this node over HTTP
	// rather than the Raft port's stream form.
	httpReads atomic.Int64
}

func (n *testNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, shard.Prefix); ok && r.Method == http.MethodPost && !strings.HasSuffix(rest, "/apply") && !strings.HasSuffix(rest, "/members") {
		n.httpReads.Add(1)
	}
	h := n.handler.Load()
	if h == nil {
		// As a node up without the shard's group answers.
		w.WriteHeader(http.StatusMisdirectedRequest)
		json.NewEncoder(w).Encode(shardAnswer{Kind: kindNotLeader, Error: "down"})
		return
	}
	(*h).ServeHTTP(w, r)
}

type testNodes struct {
	t     testing.TB
	nodes []*testNode
	peers []Peer
	// tune, when set, changes each node's Config before it opens.
	tune func(*Config)
}

func startNodes(t testing.TB, size int) *testNodes { return startTuned(t, size, nil) }

func startTuned(t testing.TB, size int, tune func(*Config)) *testNodes {
	tn := &testNodes{t: t, tune: tune}
	for i := range size {
		n := &testNode{id: fmt.Sprint(i + 1), dir: t.TempDir()}
		n.srv = httptest.NewServer(n)
		t.Cleanup(n.srv.Close)
		tn.nodes = append(tn.nodes, n)
		tn.peers = append(tn.peers, Peer{ID: n.id, RaftAddr: freeAddr(t), URL: n.srv.URL})
	}
	for i := range tn.nodes {
		tn.open(i)
	}
	t.Cleanup(func() {
		for i := range tn.nodes {
			tn.close(i)
		}
	})
	return tn
}

func quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

func (tn *testNodes) open(i int) {
	n := tn.nodes[i]
	cfg := Config{
		NodeID: n.id, Peers: tn.peers, Dir: n.dir, Logger: quiet(),
		HeartbeatTimeout: 200 * time.Millisecond, ElectionTimeout: 200 * time.Millisecond, LeaderLeaseTimeout: 100 * time.Millisecond,
	}
	if tn.tune != nil {
		tn.tune(&cfg)
	}
	rep, err := Open(context.Background(), cfg)
	require.NoError(tn.t, err)
	n.rep.Store(rep)
	h := rep.Internal(http.NotFoundHandler())
	n.handler.Store(&h)
}

func (tn *testNodes) close(i int) {
	n := tn.nodes[i]
	if rep := n.rep.Swap(nil); rep != nil {
		n.handler.Store(nil)
		require.NoError(tn.t, rep.Close())
	}
}

// leader waits for group 0's leader among the open nodes.
func (tn *testNodes) leader() *Replica {
	var lead *Replica
	require.Eventually(tn.t, func() bool {
		for _, n := range tn.nodes {
			if rep := n.rep.Load(); rep != nil {
				if self, _ := rep.Leader(); self {
					lead = rep
					return true
				}
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "no leader of group 0")
	return lead
}

// onLeader runs f on group 0's leader, again on the next leader while
// the one it reached was not the leader (any more): under load every
// group can lose its leader at once. A write whose outcome was unknown
// may have committed, so a retry that finds it done (ErrExists) counts.
func (tn *testNodes) onLeader(ctx context.Context, f func(*Replica) error) error {
	mayHaveCommitted := false
	for {
		err := f(tn.leader())
		if mayHaveCommitted && (errors.Is(err, index.ErrExists) || errors.Is(err, index.ErrNotFound)) {
			return nil
		}
		mayHaveCommitted = mayHaveCommitted || errors.Is(err, cluster.ErrUnknownOutcome)
		moved := errors.Is(err, cluster.ErrNotLeader) || errors.Is(err, cluster.ErrUnknownOutcome)
		if !moved || ctx.Err() != nil {
			return err
		}
	}
}

// placement waits for every open node to have applied the collection's
// placement.
func (tn *testNodes) placement(name string) cluster.Placement {
	var p cluster.Placement
	require.Eventually(tn.t, func() bool {
		for _, n := range tn.nodes {
			if rep := n.rep.Load(); rep != nil {
				var ok bool
				if p, ok = rep.node.Placement(name); !ok {
					return false
				}
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
	return p
}

// shardIDs returns the ids node i's replica of shard s holds, or false
// when it runs no such group.
func (tn *testNodes) shardIDs(i int, name string, p cluster.Placement, s int) ([]uint64, bool) {
	rep := tn.nodes[i].rep.Load()
	g, ok := rep.host.Group(name, p, s)
	if !ok {
		return nil, false
	}
	c, err := g.DB().Collection(name)
	if err != nil {
		return nil, true
	}
	page, err := c.Scroll(context.Background(), index.ScrollRequest{Limit: 10000})
	require.NoError(tn.t, err)
	var out []uint64
	for _, rec := range page.Points {
		n, _ := rec.ID.Num()
		out = append(out, n)
	}
	return out, true
}

// waitShards waits until each replica of each shard holds exactly the ids
// of want that the shard owns, and no node runs a group it does not keep.
func (tn *testNodes) waitShards(name string, p cluster.Placement, want []uint64) {
	tn.t.Helper()
	owned := make([][]uint64, p.Shards())
	for _, id := range want {
		s := pointid.FromNum(id).Shard(p.Shards())
		owned[s] = append(owned[s], id)
	}
	require.Eventually(tn.t, func() bool {
		for i, n := range tn.nodes {
			if n.rep.Load() == nil {
				continue
			}
			for s := range p.Shards() {
				got, runs := tn.shardIDs(i, name, p, s)
				if runs != p.Holds(s, n.id) {
					return false
				}
				slices.Sort(got)
				if runs && !slices.Equal(got, owned[s]) {
					return false
				}
			}
		}
		return true
	}, 15*time.Second, 20*time.Millisecond, "shards never held exactly their points")
}

// waitShardLeaders waits until every shard of the collection has a
// leader that one of its replicas knows: under load the groups of a
// collection just created may still be electing after CreateSharded's
// own wait, and a write then retries for 10 s at most.
func (tn *testNodes) waitShardLeaders(name string, p cluster.Placement) {
	tn.t.Helper()
	require.Eventually(tn.t, func() bool {
		for s := range p.Shards() {
			led := false
			for _, n := range tn.nodes {
				rep := n.rep.Load()
				if rep == nil {
					continue
				}
				if g, ok := rep.host.Group(name, p, s); ok {
					if id, _ := g.Leader(); id != "" {
						led = true
					}
				}
			}
			if !led {
				return false
			}
		}
		return true
	}, 60*time.Second, 20*time.Millisecond, "a shard of %q has no leader", name)
}

// upsert writes ps through group 0's leader until it is acknowledged,
// as a client would after a fault: a 503 (an election, an outcome
// unknown) is retried, upserts being idempotent.
func (tn *testNodes) upsert(ctx context.Context, name string, ps []index.Point) {
	tn.t.Helper()
	var err error
	require.Eventually(tn.t, func() bool {
		err = tn.leader().Apply(ctx, name, []index.Operation{{Upsert: ps}})
		require.True(tn.t, err == nil || errors.Is(err, httpapi.ErrUnavailable), "%v", err)
		return err == nil
	}, 20*time.Second, 20*time.Millisecond, "never acknowledged: %v", err)
}

func points(from, to uint64) ([]index.Point, []uint64) {
	var ps []index.Point
	var ids []uint64
	for id := from; id < to; id++ {
		ps = append(ps, index.Point{ID: pointid.FromNum(id), Vector: vectorOf(id), Payload: map[string]any{"w": json.Number(fmt.Sprint(id % 5))}})
		ids = append(ids, id)
	}
	return ps, ids
}

// vectorOf is point id's vector: pseudo-random, so no two score alike.
func vectorOf(id uint64) []float32 {
	r := rand.New(rand.NewPCG(id, 7))
	return []float32{r.Float32(), r.Float32(), r.Float32(), r.Float32()}
}

// reference is one unsharded collection that gets every write the
// sharded one gets, to compare the routers' answers with.
func reference(t testing.TB) *index.Collection {
	db, err := index.Open(context.Background(), t.TempDir(), index.Options{Logger: quiet()})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	c, err := db.Create(context.Background(), "s", shardedConfig)
	require.NoError(t, err)
	return c
}

// sameAnswers checks that node i's router answers searches, counts and
// scrolls as the reference does.
func (tn *testNodes) sameAnswers(i int, ref *index.Collection) {
	tn.t.Helper()
	ctx := context.Background()
	router, ok, err := tn.nodes[i].rep.Load().Router("s", httpapi.ReadLocal)
	require.NoError(tn.t, err)
	require.True(tn.t, ok)
	for q := range uint64(10) {
		req := index.SearchRequest{Vector: vectorOf(5000 + q), Limit: 7, Offset: int(q % 3), Exact: q%2 == 0, ReadOptions: index.ReadOptions{WithPayload: true}}
		if q%4 == 1 {
			f, err := filter.Parse(fmt.Appendf(nil, `{"must":[{"key":"w","match":{"value":%d}}]}`, q%5))
			require.NoError(tn.t, err)
			req.Filter = f
		}
		req.Ef = 200 // the shards' graphs differ from the reference's: search them wide
		want, err := ref.Search(ctx, req)
		require.NoError(tn.t, err)
		got, err := router.Search(ctx, req)
		require.NoError(tn.t, err)
		require.Equal(tn.t, ids(want), ids(got), "node %d, query %d", i, q)
	}
	want, err := ref.Count(ctx, nil)
	require.NoError(tn.t, err)
	got, err := router.Count(ctx, nil)
	require.NoError(tn.t, err)
	require.Equal(tn.t, want, got)
	wantPage, err := ref.Scroll(ctx, index.ScrollRequest{Limit: 50})
	require.NoError(tn.t, err)
	gotPage, err := router.Scroll(ctx, index.ScrollRequest{Limit: 50})
	require.NoError(tn.t, err)
	require.Equal(tn.t, recordIDs(wantPage.Points), recordIDs(gotPage.Points))
	require.Equal(tn.t, wantPage.Next, gotPage.Next)
}

func ids(ps []index.ScoredPoint) []pointid.ID {
	return mapIDs(ps, func(p index.ScoredPoint) pointid.ID { return p.ID })
}

func recordIDs(rs []index.Record) []pointid.ID {
	return mapIDs(rs, func(r index.Record) pointid.ID { return r.ID })
}

func mapIDs[T any](xs []T, id func(T) pointid.ID) []pointid.ID {
	out := make([]pointid.ID, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

var shardedConfig = index.Config{VectorSize: 4, Distance: index.Euclid}

// TestShardsPlacedReplicatedAndDropped: 3 shards of 2 replicas on 3
// nodes; each shard's points on exactly its two nodes, written through
// any node; a filter delete reaches every shard; a node restarted
// catches up; drop removes every group and its directory.
func TestShardsPlacedReplicatedAndDropped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tn := startNodes(t, 3)
	err := tn.onLeader(ctx, func(r *Replica) error {
		return r.CreateSharded(ctx, "s", shardedConfig, httpapi.Sharding{Shards: 3, Replicas: 4})
	})
	require.ErrorIs(t, err, index.ErrBadRequest)
	require.ErrorContains(t, err, "replication_factor 4")
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error {
		return r.CreateSharded(ctx, "s", shardedConfig, httpapi.Sharding{Shards: 3, Replicas: 2})
	}))
	p := tn.placement("s")
	require.Equal(t, 3, p.Shards())
	require.Equal(t, 2, p.ReplicationFactor())
	tn.waitShardLeaders("s", p)

	ref := reference(t)
	var acked []uint64
	for i, n := range tn.nodes {
		ps, ids := points(uint64(i*100), uint64(i*100+100))
		require.NoError(t, n.rep.Load().Apply(ctx, "s", []index.Operation{{Upsert: ps}}), "through node %s", n.id)
		require.NoError(t, ref.Upsert(ctx, ps))
		acked = append(acked, ids...)
	}
	err = tn.nodes[0].rep.Load().Apply(ctx, "s", []index.Operation{{Upsert: []index.Point{{ID: pointid.FromNum(1), Vector: []float32{1}}}}})
	require.ErrorIs(t, err, index.ErrBadRequest, "the shard leader's check refuses it")
	tn.waitShards("s", p, acked)

	// A delete by filter goes to every shard; one by ids to theirs.
	f, err := filter.Parse([]byte(`{"must":[{"key":"w","match":{"value":0}}]}`))
	require.NoError(t, err)
	deletes := []index.Operation{
		{Delete: &index.Selector{Filter: f}},
		{Delete: &index.Selector{IDs: []pointid.ID{pointid.FromNum(1), pointid.FromNum(2)}}},
	}
	require.NoError(t, tn.nodes[1].rep.Load().Apply(ctx, "s", deletes))
	require.NoError(t, ref.Apply(ctx, deletes))
	acked = slices.DeleteFunc(acked, func(id uint64) bool { return id%5 == 0 || id == 1 || id == 2 })
	tn.waitShards("s", p, acked)
	for i := range tn.nodes {
		tn.sameAnswers(i, ref)
	}

	// Payload indexes and config updates reach the schema and every shard.
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error { return r.PayloadIndex(ctx, "s", "w", index.Integer) }))
	for _, s := range []int{0, 1, 2} {
		for i, n := range tn.nodes {
			if g, ok := n.rep.Load().host.Group("s", p, s); ok {
				require.Eventually(t, func() bool {
					c, err := g.DB().Collection("s")
					return err == nil && c.Config().PayloadIndexes["w"] != ""
				}, 10*time.Second, 10*time.Millisecond, "node %d shard %d", i, s)
			}
		}
	}
	// An interaction's item is looked for in the shards.
	var ie *index.InteractionError
	require.ErrorAs(t, tn.onLeader(ctx, func(r *Replica) error {
		return r.Interact(ctx, "s", []index.Interaction{{User: userid.FromNum(1), Item: pointid.FromNum(1 << 60)}})
	}), &ie)
	require.Equal(t, "item", ie.Field)

	// Node 3 goes down, its group 0 restarting from a snapshot (which
	// holds the placements); the shards it keeps have one replica of two
	// left and take no writes. It restarts and catches up.
	require.NoError(t, tn.nodes[2].rep.Load().node.Snapshot(ctx))
	tn.close(2)
	ps, ids := points(1000, 1030)
	lead := tn.leader()
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	err = lead.Apply(short, "s", []index.Operation{{Upsert: ps}})
	cancelShort()
	require.ErrorIs(t, err, httpapi.ErrUnavailable, "a shard without a majority acknowledges nothing")
	tn.open(2)
	tn.upsert(ctx, "s", ps)
	acked = append(acked, ids...)
	tn.waitShards("s", p, acked)

	// Drop stops the groups and removes their directories.
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error { return r.Drop(ctx, "s") }))
	for _, n := range tn.nodes {
		require.Eventually(t, func() bool {
			_, err := os.Stat(filepath.Join(n.dir, "shards", "s"))
			return os.IsNotExist(err)
		}, 10*time.Second, 10*time.Millisecond, "node %s keeps the dropped shards", n.id)
		for s := range 3 {
			_, ok := n.rep.Load().host.Group("s", p, s)
			require.False(t, ok)
		}
	}

	// The name again, spread otherwise: new groups, none of the old
	// points.
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error {
		return r.CreateSharded(ctx, "s", shardedConfig, httpapi.Sharding{Shards: 2, Replicas: 3})
	}))
	again := tn.placement("s")
	require.Greater(t, again.Created, p.Created)
	ps, ids = points(2000, 2010)
	tn.upsert(ctx, "s", ps)
	tn.waitShards("s", again, ids)
}

// TestShardsSurviveANode: with replication_factor 3, writes and the
// shards' state go on with one node of three closed.
func TestShardsSurviveANode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tn := startNodes(t, 3)
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error {
		return r.CreateSharded(ctx, "r", shardedConfig, httpapi.Sharding{Shards: 2, Replicas: 3})
	}))
	p := tn.placement("r")
	ps, acked := points(0, 50)
	tn.upsert(ctx, "r", ps)
	tn.waitShards("r", p, acked)

	tn.close(0)
	ps, ids := points(50, 80)
	tn.upsert(ctx, "r", ps)
	acked = append(acked, ids...)
	tn.waitShards("r", p, acked)
	info, err := tn.nodes[1].rep.Load().ShardInfo(ctx, "r")
	require.NoError(t, err)
	ci := info.(collectionClusterInfo)
	require.Equal(t, uint64(2), ci.PeerID)
	require.Len(t, ci.LocalShards, 2)
	require.Equal(t, len(acked), ci.LocalShards[0].PointsCount+ci.LocalShards[1].PointsCount)
	states := map[uint64]string{}
	for _, rs := range ci.RemoteShards {
		states[rs.PeerID] = rs.State
	}
	require.Equal(t, map[uint64]string{1: stateDead, 3: stateActive}, states)
	for _, i := range []int{1, 2} {
		router, ok, err := tn.nodes[i].rep.Load().Router("r", httpapi.ReadLocal)
		require.NoError(t, err)
		require.True(t, ok)
		n, err := router.Count(ctx, nil)
		require.NoError(t, err)
		require.Equal(t, len(acked), n, "node %d reads every shard", i)
	}
	_, ok, err := tn.nodes[1].rep.Load().Router("missing", httpapi.ReadLocal)
	require.NoError(t, err)
	require.False(t, ok, "not sharded: the API reads its own DB")
}
