package httpapi

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/userid"
)

func aliasBody(collection, alias string) map[string]any {
	return map[string]any{"actions": []any{map[string]any{"create_alias": map[string]any{"collection_name": collection, "alias_name": alias}}}}
}

// catalogReplica is a fakeReplica that takes aliases and forgotten users,
// recording them and writing them to the DB.
type catalogReplica struct{ *fakeReplica }

func (c catalogReplica) UpdateAliases(_ context.Context, actions []index.AliasAction) error {
	c.record("aliases", nil)
	return c.db.UpdateAliases(actions)
}

func (c catalogReplica) ForgetUser(ctx context.Context, collection string, user userid.ID) error {
	c.record("forget "+collection+" "+user.String(), nil)
	col, err := c.db.Collection(collection)
	if err != nil {
		return err
	}
	return col.ForgetUser(ctx, user)
}

func newCatalogServer(t *testing.T, self bool, leader string) (*testServer, *fakeReplica) {
	rep := &fakeReplica{recordingWriter: &recordingWriter{}, self: self, leader: leader}
	ts, _ := newWriterServer(t, func(c *Config) {
		rep.db = c.Writer.(*recordingWriter).db
		c.Writer = nil
		c.Replica = catalogReplica{rep}
	})
	return ts, rep
}

// Aliases and forgetting a user go through the replica's CatalogWriter,
// on the leader: a follower forwards them.
func TestCatalogWritesGoThroughTheReplica(t *testing.T) {
	leader, lrep := newCatalogServer(t, true, "")
	follower, frep := newCatalogServer(t, false, leader.url)
	follower.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	follower.ok("POST", "/collections/aliases", aliasBody("c", "a"), nil)
	call, _ := lrep.last()
	require.Equal(t, "aliases", call)
	aliases, err := leader.db.Aliases("")
	require.NoError(t, err)
	require.Equal(t, []index.Alias{{Name: "a", Collection: "c"}}, aliases)
	follower.fails(404, "POST", "/collections/aliases", aliasBody("nope", "b"), "nope")

	follower.ok("DELETE", "/collections/a/users/u7", nil, nil)
	call, _ = lrep.last()
	require.Equal(t, "forget c u7", call, "the alias resolved on the leader")
	require.Zero(t, frep.count(), "the follower proposed nothing itself")
}
