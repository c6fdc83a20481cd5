package cluster

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/trainer"
	"github.com/quiver-db/quiver/userid"
)

func TestLaterCommandsRoundTrip(t *testing.T) {
	al := UpdateAliases{Actions: []index.AliasAction{
		{Create: &index.CreateAlias{Alias: "a", Collection: "c"}},
		{Rename: &index.RenameAlias{Old: "a", New: "b"}},
		{Delete: &index.DeleteAlias{Alias: "b"}},
	}}
	require.Equal(t, Command{Aliases: &al}, roundTrip(t, Command{Aliases: &al}))
	for _, u := range []userid.ID{userid.FromNum(7), mustUser("ann")} {
		f := ForgetUser{Collection: "c", User: u}
		require.Equal(t, Command{Forget: &f}, roundTrip(t, Command{Forget: &f}))
	}
	m := InstallModel{Collection: "c", Model: trainer.Trained{Model: []byte{0, 1, 2, 255}, Content: "text"}}
	require.Equal(t, Command{Model: &m}, roundTrip(t, Command{Model: &m}))
	m.VectorsOnly = true // a shard group's
	require.Equal(t, Command{Model: &m}, roundTrip(t, Command{Model: &m}))
	for _, p := range []SetPeer{{ID: "4", URL: "http://h:6333"}, {ID: "4"}} {
		require.Equal(t, Command{Peer: &p}, roundTrip(t, Command{Peer: &p}))
	}

	for name, c := range map[string]Command{
		"two":        {Peer: &SetPeer{ID: "1"}, Drop: &DropCollection{Name: "a"}},
		"no actions": {Aliases: &UpdateAliases{}},
		"no model":   {Model: &InstallModel{Collection: "c"}},
		"no peer id": {Peer: &SetPeer{URL: "http://h:1"}},
	} {
		_, err := c.encode()
		require.ErrorIs(t, err, index.ErrBadRequest, name)
	}
	for name, raw := range map[string]string{
		"aliases": `{"v":1,"kind":"aliases"}`,
		"user":    `{"v":1,"kind":"forget_user","collection":"c"}`,
		"model":   `{"v":1,"kind":"install_model","collection":"c"}`,
		"peer":    `{"v":1,"kind":"peer","peer":{"URL":"x"}}`,
	} {
		_, err := decodeCommand([]byte(raw))
		require.ErrorIs(t, err, index.ErrBadRequest, name)
	}
}

// modelCollection creates "m" with a content vector and an item-factor
// vector, 40 points and 30 users' interactions.
func modelCollection(c *testCluster) {
	c.write(Command{Create: &CreateCollection{Name: "m", Config: index.Config{Vectors: map[string]index.VectorConfig{
		"content": {Size: 4, Distance: index.Cosine}, "cf": {Size: 8, Distance: index.Dot},
	}}}})
	var pts []index.Point
	for i := range 40 {
		g := float32(i % 2)
		pts = append(pts, index.Point{ID: pointid.FromNum(uint64(i)), Vectors: map[string][]float32{"content": {1 - g, g, 0.1, float32(i%5) / 10}}})
	}
	c.write(Command{Apply: &ApplyOperations{Collection: "m", Ops: []index.Operation{{Upsert: pts}}}})
	var its []index.Interaction
	for u := range 30 {
		for k := range 4 {
			// Users see their group's items only; items 36.. are cold.
			item := (u*3+k*2)%36/2*2 + u%2
			its = append(its, index.Interaction{User: userid.FromNum(uint64(u)), Item: pointid.FromNum(uint64(item)), Time: time.Unix(int64(1000+k), 0)})
		}
	}
	c.write(Command{Interact: &RecordInteractions{Collection: "m", Interactions: its}})
}

// modelOf is node n's saved model of collection m.
func modelOf(t *testing.T, n *Node) []byte {
	t.Helper()
	col, err := n.DB().Collection("m")
	require.NoError(t, err)
	b, err := col.LoadModel(context.Background())
	require.NoError(t, err)
	return b
}

// TestReplicatesAliasesForgetAndModels: aliases, a training and a
// forgotten user reach every replica, and the leader refuses bad ones
// before proposing.
func TestReplicatesAliasesForgetAndModels(t *testing.T) {
	c := newCluster(t, 3, testConfig())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	modelCollection(c)
	c.write(Command{Aliases: &UpdateAliases{Actions: []index.AliasAction{
		{Create: &index.CreateAlias{Alias: "a", Collection: "m"}},
		{Create: &index.CreateAlias{Alias: "b", Collection: "m"}},
		{Rename: &index.RenameAlias{Old: "b", New: "c"}},
	}}})
	lead := c.nodes[c.leader()]
	err := lead.Apply(ctx, Command{Aliases: &UpdateAliases{Actions: []index.AliasAction{
		{Create: &index.CreateAlias{Alias: "x", Collection: "m"}},
		{Delete: &index.DeleteAlias{Alias: "nope"}},
	}}})
	require.ErrorIs(t, err, index.ErrNotFound, "all or none: x is not created either")
	require.ErrorContains(t, err, "actions[1]")

	// The leader trains and proposes the model; every replica installs it.
	job := train(t, lead)
	require.Equal(t, "cf", job.Options.Vector)
	require.ErrorIs(t, lead.Apply(ctx, Command{Model: &InstallModel{Collection: "m", Model: trainer.Trained{Model: []byte("junk")}}}), index.ErrBadRequest)

	forgotten := userid.FromNum(3)
	c.write(Command{Forget: &ForgetUser{Collection: "m", User: forgotten}})
	require.ErrorIs(t, lead.Apply(ctx, Command{Forget: &ForgetUser{Collection: "nope", User: forgotten}}), index.ErrNotFound)

	want := c.converged() // points, payloads and vectors (cf included) equal
	require.Contains(t, want["m"], `"cf"`, "the model's item vectors were written")
	model := modelOf(t, lead)
	for id, n := range c.nodes {
		aliases, err := n.DB().Aliases("")
		require.NoError(t, err)
		require.Equal(t, []index.Alias{{Name: "a", Collection: "m"}, {Name: "c", Collection: "m"}}, aliases, id)
		require.Equal(t, model, modelOf(t, n), "node %s: the leader's model", id)
		col := mustCollection(t, n, "m")
		m, err := n.Trainer().Model(ctx, col)
		require.NoError(t, err)
		_, ok := m.UserVector(forgotten)
		require.False(t, ok, "node %s: user 3 forgotten from the model", id)
		_, ok = m.UserVector(userid.FromNum(4))
		require.True(t, ok, id)
		page, err := col.UserInteractions(ctx, forgotten, nil, 10)
		require.NoError(t, err)
		require.Empty(t, page.Interactions, id)
	}
}

func mustCollection(t *testing.T, n *Node, name string) *index.Collection {
	t.Helper()
	col, err := n.DB().Collection(name)
	require.NoError(t, err)
	return col
}

// TestSnapshotKeepsAliasesAndPeers: a snapshot restore brings the
// aliases and the peers' URLs, and a version 1 snapshot still restores.
func TestSnapshotKeepsAliasesAndPeers(t *testing.T) {
	src := newFSM(t)
	applyAll(t, src, []Command{createCmd("c"), upsertCmd("c", 1),
		{Aliases: &UpdateAliases{Actions: []index.AliasAction{{Create: &index.CreateAlias{Alias: "a", Collection: "c"}}}}},
		{Peer: &SetPeer{ID: "4", URL: "http://h4:6333"}}, {Peer: &SetPeer{ID: "5", URL: "http://h5:6333"}}, {Peer: &SetPeer{ID: "5"}},
	})
	require.Equal(t, map[string]string{"4": "http://h4:6333"}, src.peers.all())
	// dst's alias "other" names the collection "d"; the snapshot has a
	// collection "other", which must not be recovered into "d".
	applyAll(t, src, []Command{createCmd("other"), upsertCmd("other", 7, 8)})
	rc := persist(t, src, 8)

	dst := newFSM(t)
	applyAll(t, dst, []Command{createCmd("c"), createCmd("d"), upsertCmd("d", 1),
		{Aliases: &UpdateAliases{Actions: []index.AliasAction{{Create: &index.CreateAlias{Alias: "other", Collection: "d"}}}}},
		{Peer: &SetPeer{ID: "9", URL: "http://h9:1"}}})
	require.NoError(t, dst.Restore(rc))
	aliases, err := dst.db.Aliases("")
	require.NoError(t, err)
	require.Equal(t, []index.Alias{{Name: "a", Collection: "c"}}, aliases)
	require.Equal(t, map[string]string{"4": "http://h4:6333"}, dst.peers.all())
	require.Equal(t, dump(t, src.db), dump(t, dst.db))
	require.Equal(t, []string{"c", "other"}, dst.db.List())

	head, err := readSnapHeader(bytes.NewReader(append([]byte(snapMagicV1), 0, 0, 0, 0, 0, 0, 0, 9)))
	require.NoError(t, err)
	require.Equal(t, uint64(9), head.applied)
	require.Empty(t, head.peers)
	require.Empty(t, head.placements)
	// Version 2: the peers' URLs, no placements.
	v2 := append([]byte(snapMagicV2), 0, 0, 0, 0, 0, 0, 0, 9)
	v2 = appendJSONSection(v2, []byte(`{"4":"http://h4:6333"}`))
	head, err = readSnapHeader(bytes.NewReader(v2))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"4": "http://h4:6333"}, head.peers)
	require.Empty(t, head.placements)
}

// TestJoinCatchesUpWithTheCatalog: a node added after a snapshot gets
// the aliases, the model and the peers' URLs with it, and CaughtUp says
// so only once it has applied what the leader committed, though the
// last entries (the configuration change) never reach its FSM.
func TestJoinCatchesUpWithTheCatalog(t *testing.T) {
	c := newCompactingCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	modelCollection(c)
	c.write(Command{Aliases: &UpdateAliases{Actions: []index.AliasAction{{Create: &index.CreateAlias{Alias: "a", Collection: "m"}}}}})
	c.write(Command{Peer: &SetPeer{ID: "n4", URL: "http://n4:6333"}})
	lead := c.nodes[c.leader()]
	train(t, lead)
	require.NoError(t, lead.Snapshot(ctx))

	n4 := c.start("n4", nil)
	commit := func() uint64 {
		n, err := strconv.ParseUint(lead.Stats()["commit_index"], 10, 64)
		require.NoError(t, err)
		return n
	}
	ok, err := n4.CaughtUp(commit())
	require.NoError(t, err)
	require.False(t, ok, "n4 has nothing yet")
	require.NoError(t, lead.AddVoter(ctx, "n4", "n4"))
	target := commit()
	require.Eventually(t, func() bool {
		ok, err := n4.CaughtUp(target)
		require.NoError(t, err)
		return ok
	}, 10*time.Second, time.Millisecond)
	require.Equal(t, 40, count(t, n4, "m"), "caught up means applied")
	require.Less(t, n4.AppliedIndex(), target, "the configuration entry is past the FSM's last command")
	require.NotEqual(t, "0", n4.Stats()["last_snapshot_index"], "n4 caught up by installing a snapshot")
	aliases, err := n4.DB().Aliases("")
	require.NoError(t, err)
	require.Equal(t, []index.Alias{{Name: "a", Collection: "m"}}, aliases)
	require.Equal(t, map[string]string{"n4": "http://n4:6333"}, n4.PeerURLs())
	require.Equal(t, modelOf(t, lead), modelOf(t, n4))
	members, err := n4.Members(ctx)
	require.NoError(t, err)
	require.Len(t, members, 4)
	c.converged()
}

// train trains collection m on the leader and waits for the job's end.
func train(t *testing.T, lead *Node) trainer.Job {
	t.Helper()
	m := mustCollection(t, lead, "m")
	job, err := lead.Trainer().Start(m, m, trainer.Options{Iterations: 5, Lambda: 0.1, Seed: 1})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		job, _ = lead.Trainer().Status("m")
		return job.State != trainer.Running
	}, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, trainer.Done, job.State, job.Error)
	return job
}

// TestCaughtUpPastManyBarriers: linearizable reads leave a barrier each
// in the log, thousands past the last write; a follower that has every
// entry is caught up, after a few calls that read the long tail.
func TestCaughtUpPastManyBarriers(t *testing.T) {
	c := newCluster(t, 3, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c.write(Command{Create: &CreateCollection{Name: "b", Config: index.Config{VectorSize: 2, Distance: index.Cosine}}})
	lead := c.nodes[c.leader()]
	const barriers = maxTailScan + 100
	for range barriers {
		require.NoError(t, lead.Barrier(ctx))
	}
	target, err := strconv.ParseUint(lead.Stats()["commit_index"], 10, 64)
	require.NoError(t, err)
	f := c.nodes[c.followers()[0]]
	require.Less(t, f.AppliedIndex()+barriers, target+1, "the barriers are past the FSM's last command")
	calls := 0
	require.Eventually(t, func() bool {
		calls++
		ok, err := f.CaughtUp(target)
		require.NoError(t, err)
		return ok
	}, 20*time.Second, time.Millisecond)
	require.GreaterOrEqual(t, calls, 2, "a tail this long takes more than one call")
}
