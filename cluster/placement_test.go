package cluster

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
)

func TestPlace(t *testing.T) {
	voters := []Peer{{"c", "c:1"}, {"a", "a:1"}, {"b", "b:1"}}
	cfg := index.Config{VectorSize: 2, Distance: index.Dot}
	p, err := Place(voters, cfg, 4, 2)
	require.NoError(t, err)
	ids := func(s int) []string {
		var out []string
		for _, q := range p.Replicas[s] {
			out = append(out, q.ID)
		}
		return out
	}
	require.Equal(t, [][]string{{"a", "b"}, {"b", "c"}, {"a", "c"}, {"a", "b"}}, [][]string{ids(0), ids(1), ids(2), ids(3)})
	require.Equal(t, 4, p.Shards())
	require.Equal(t, 2, p.ReplicationFactor())
	require.True(t, p.Holds(2, "c"))
	require.False(t, p.Holds(2, "b"))

	_, err = Place(voters, cfg, 0, 4)
	require.ErrorIs(t, err, index.ErrBadRequest)
	require.ErrorContains(t, err, "shard_number 0")
	require.ErrorContains(t, err, "replication_factor 4")
}

// placementLog records what an fsm tells its observer.
type placementLog struct {
	events []string
	all    map[string]Placement
	upTo   uint64
}

func (l *placementLog) Placed(c string, p Placement)   { l.events = append(l.events, "placed "+c) }
func (l *placementLog) Unplaced(c string, p Placement) { l.events = append(l.events, "unplaced "+c) }
func (l *placementLog) Restored(all map[string]Placement, upTo uint64) {
	l.events = append(l.events, "restored")
	l.all, l.upTo = all, upTo
}

func shardedCmd(t *testing.T, name string) Command {
	p, err := Place([]Peer{{"a", "a:1"}, {"b", "b:1"}}, index.Config{VectorSize: 2, Distance: index.Dot}, 3, 1)
	require.NoError(t, err)
	return Command{CreateSharded: &CreateShardedCollection{Name: name, Placement: p}}
}

func TestFSMPlacementsSurviveSnapshots(t *testing.T) {
	src := newFSM(t)
	obs := &placementLog{}
	src.observer = obs
	bad := shardedCmd(t, "bad")
	bad.CreateSharded.Placement.Replicas[1] = nil
	require.ErrorContains(t, bad.check(src.db), "placement of shard 1")

	resps := applyAll(t, src, []Command{shardedCmd(t, "s"), shardedCmd(t, "gone"), {Drop: &DropCollection{Name: "gone"}}, createCmd("plain"),
		shardedCmd(t, "s"), shardedCmd(t, "plain")})
	for _, r := range resps[:4] {
		require.Nil(t, r)
	}
	for _, r := range resps[4:] {
		require.ErrorIs(t, r.(error), index.ErrExists, "a taken name keeps its placement, or its lack of one")
	}
	require.Equal(t, []string{"placed s", "placed gone", "unplaced gone"}, obs.events)
	p, ok := src.placement("s")
	require.True(t, ok)
	require.Equal(t, uint64(1), p.Created, "the entry's index")
	require.Equal(t, "shard/1/2", p.Group(2))
	_, ok = src.placement("plain")
	require.False(t, ok)
	col, err := src.db.Collection("s")
	require.NoError(t, err)
	n, err := col.Count(t.Context(), nil)
	require.NoError(t, err)
	require.Zero(t, n, "the schema collection holds no points")

	rc := persist(t, src, 7)
	dst := newFSM(t)
	dobs := &placementLog{}
	dst.observer = dobs
	require.NoError(t, dst.Restore(rc))
	require.Equal(t, []string{"restored"}, dobs.events)
	require.Equal(t, map[string]Placement{"s": p}, dobs.all)
	require.Equal(t, uint64(6), dobs.upTo)
	got, ok := dst.placement("s")
	require.True(t, ok)
	require.Equal(t, p, got)
	require.ElementsMatch(t, []string{"s", "plain"}, dst.db.List())
}
