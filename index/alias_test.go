package index

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/pointid"
)

// openDisk opens a database in dir on the real file system.
func openDisk(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dir, Options{})
	require.NoError(t, err)
	return db
}

// TestAliases checks alias resolution, the all-or-nothing batch, the name
// rules, drop and that all of it survives reopening the database.
func TestAliases(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openDisk(t, dir)
	a, err := db.Create(ctx, "a", Config{VectorSize: 2, Distance: Dot})
	require.NoError(t, err)
	_, err = db.Create(ctx, "b", Config{VectorSize: 3, Distance: Dot})
	require.NoError(t, err)
	require.NoError(t, a.Upsert(ctx, []Point{{ID: pointid.FromNum(1), Vector: []float32{1, 2}}}))

	require.NoError(t, db.UpdateAliases([]AliasAction{
		{Create: &CreateAlias{Alias: "x", Collection: "a"}},
		{Create: &CreateAlias{Alias: "y", Collection: "b"}},
		{Create: &CreateAlias{Alias: "tmp", Collection: "b"}},
		{Delete: &DeleteAlias{Alias: "tmp"}},
	}))
	c, err := db.Collection("x")
	require.NoError(t, err)
	require.Equal(t, "a", c.Name())
	info, err := db.Describe("x")
	require.NoError(t, err)
	require.Equal(t, "a", info.Name)
	require.Equal(t, 1, info.Points)

	// A batch with one bad action changes nothing.
	err = db.UpdateAliases([]AliasAction{
		{Delete: &DeleteAlias{Alias: "x"}},
		{Create: &CreateAlias{Alias: "z", Collection: "missing"}},
	})
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorContains(t, err, "actions[1]")
	_, err = db.Collection("x")
	require.NoError(t, err)
	_, err = db.Collection("z")
	require.ErrorIs(t, err, ErrNotFound)

	for _, bad := range []struct {
		action AliasAction
		want   error
	}{
		{AliasAction{Create: &CreateAlias{Alias: "a", Collection: "b"}}, ErrExists},
		{AliasAction{Create: &CreateAlias{Alias: "../etc", Collection: "a"}}, ErrBadRequest},
		{AliasAction{Create: &CreateAlias{Alias: "", Collection: "a"}}, ErrBadRequest},
		{AliasAction{Create: &CreateAlias{Alias: "w", Collection: "x"}}, ErrNotFound}, // an alias of an alias
		{AliasAction{Rename: &RenameAlias{Old: "nope", New: "w"}}, ErrNotFound},
		{AliasAction{Rename: &RenameAlias{Old: "x", New: "b"}}, ErrExists},
		{AliasAction{Delete: &DeleteAlias{Alias: "nope"}}, ErrNotFound},
		{AliasAction{}, ErrBadRequest},
		{AliasAction{Delete: &DeleteAlias{Alias: "x"}, Rename: &RenameAlias{Old: "x", New: "w"}}, ErrBadRequest},
	} {
		require.ErrorIs(t, db.UpdateAliases([]AliasAction{bad.action}), bad.want, "%+v", bad.action)
	}
	_, err = db.Create(ctx, "x", Config{VectorSize: 2, Distance: Dot})
	require.ErrorIs(t, err, ErrExists, "a collection cannot take an alias's name")

	require.NoError(t, db.UpdateAliases([]AliasAction{{Rename: &RenameAlias{Old: "x", New: "w"}}}))
	_, err = db.Collection("x")
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, db.Close())

	db = openDisk(t, dir)
	all, err := db.Aliases("")
	require.NoError(t, err)
	require.Equal(t, []Alias{{Name: "w", Collection: "a"}, {Name: "y", Collection: "b"}}, all)
	of, err := db.Aliases("w") // through the alias: a's aliases
	require.NoError(t, err)
	require.Equal(t, []Alias{{Name: "w", Collection: "a"}}, of)
	_, err = db.Aliases("missing")
	require.ErrorIs(t, err, ErrNotFound)

	require.ErrorIs(t, db.Drop(ctx, "w"), ErrBadRequest, "dropping through an alias")
	require.NoError(t, db.Drop(ctx, "b"))
	_, err = db.Collection("y")
	require.ErrorIs(t, err, ErrNotFound)
	// A new collection of the dropped one's name does not inherit its aliases.
	_, err = db.Create(ctx, "b", Config{VectorSize: 3, Distance: Dot})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db = openDisk(t, dir)
	defer db.Close()
	all, err = db.Aliases("")
	require.NoError(t, err)
	require.Equal(t, []Alias{{Name: "w", Collection: "a"}}, all)
}
