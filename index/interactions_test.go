package index

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

func scanAll(t *testing.T, c *Collection) []Interaction {
	t.Helper()
	var out []Interaction
	require.NoError(t, c.ScanInteractions(context.Background(), func(it Interaction) error { out = append(out, it); return nil }))
	return out
}

func TestInteractions(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openTest(t, fs)
	c, err := db.Create(ctx, "m", Config{VectorSize: 2, Distance: Dot})
	require.NoError(t, err)
	var pts []Point
	for i := range 5 {
		pts = append(pts, Point{ID: pointid.FromNum(uint64(i)), Vector: []float32{1, float32(i)}})
	}
	require.NoError(t, c.Upsert(ctx, pts))
	bob, _ := userid.Parse("bob")
	u42 := userid.FromNum(42)
	at := time.Unix(964982703, 0).UTC()
	item := pointid.FromNum

	// A bad interaction anywhere in the batch writes nothing.
	for _, tc := range []struct {
		it    Interaction
		field string
	}{
		{Interaction{User: bob, Item: item(99)}, "item"},
		{Interaction{User: bob, Item: item(1), Weight: float32(math.NaN())}, "weight"},
		{Interaction{User: bob, Item: item(1), Weight: float32(math.Inf(1))}, "weight"},
	} {
		err := c.Interact(ctx, []Interaction{{User: u42, Item: item(0)}, tc.it})
		var ie *InteractionError
		require.ErrorAs(t, err, &ie)
		require.Equal(t, 1, ie.Index)
		require.Equal(t, tc.field, ie.Field)
		require.True(t, errors.Is(err, ErrBadRequest))
		require.Empty(t, scanAll(t, c))
	}
	require.ErrorIs(t, c.Interact(ctx, make([]Interaction, MaxInteractions+1)), ErrBadRequest)

	require.NoError(t, c.Interact(ctx, []Interaction{
		{User: u42, Item: item(1), Weight: 4.5, Time: at},
		{User: u42, Item: item(3), Weight: -1, Time: at},
		{User: bob, Item: item(2), Time: at},
		{User: u42, Item: item(1), Weight: 2, Time: at.Add(time.Hour)}, // replaces the first
	}))
	page, err := c.UserInteractions(ctx, u42, nil, 1)
	require.NoError(t, err)
	require.Equal(t, []Interaction{{User: u42, Item: item(1), Weight: 2, Time: at.Add(time.Hour)}}, page.Interactions)
	require.Equal(t, item(3), *page.Next)
	page, err = c.UserInteractions(ctx, u42, page.Next, 1)
	require.NoError(t, err)
	require.Equal(t, float32(-1), page.Interactions[0].Weight)
	require.Nil(t, page.Next)

	// A deleted item's interactions are skipped by readers.
	_, err = c.Delete(ctx, []pointid.ID{item(3)})
	require.NoError(t, err)
	require.Len(t, scanAll(t, c), 2)

	// Forgetting a user survives a restart; the others' interactions stay,
	// weight 1 where none was given.
	require.NoError(t, c.ForgetUser(ctx, u42))
	require.NoError(t, db.Close())
	db = openTest(t, fs)
	defer db.Close()
	c, err = db.Collection("m")
	require.NoError(t, err)
	require.Equal(t, []Interaction{{User: bob, Item: item(2), Weight: 1, Time: at}}, scanAll(t, c))
	page, err = c.UserInteractions(ctx, u42, nil, 0)
	require.NoError(t, err)
	require.Empty(t, page.Interactions)
}

// TestInteractionsWithItemsElsewhere: a schema copy (SetItemsElsewhere)
// records and reads interactions with items it does not hold, and still
// refuses bad weights; an ordinary collection refuses and skips them.
func TestInteractionsWithItemsElsewhere(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	schema, err := db.Create(ctx, "schema", Config{VectorSize: 2, Distance: Dot})
	require.NoError(t, err)
	plain, err := db.Create(ctx, "plain", Config{VectorSize: 2, Distance: Dot})
	require.NoError(t, err)
	its := []Interaction{{User: userid.FromNum(1), Item: pointid.FromNum(7), Weight: 2, Time: time.Unix(1000, 0)}}

	var ie *InteractionError
	require.ErrorAs(t, plain.Interact(ctx, its), &ie)
	require.Equal(t, "item", ie.Field)

	schema.SetItemsElsewhere()
	require.NoError(t, schema.CheckInteractions(its))
	require.NoError(t, schema.Interact(ctx, its))
	require.Equal(t, []Interaction{{User: userid.FromNum(1), Item: pointid.FromNum(7), Weight: 2, Time: time.Unix(1000, 0).UTC()}}, scanAll(t, schema))
	page, err := schema.UserInteractions(ctx, userid.FromNum(1), nil, 0)
	require.NoError(t, err)
	require.Len(t, page.Interactions, 1)

	bad := []Interaction{{User: userid.FromNum(1), Item: pointid.FromNum(8), Weight: float32(math.Inf(1))}}
	require.ErrorAs(t, schema.Interact(ctx, bad), &ie)
	require.Equal(t, "weight", ie.Field)
}
