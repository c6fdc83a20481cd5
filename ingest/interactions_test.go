package ingest_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/ingest"
	"github.com/quiver-db/quiver/internal/apitest"
	"github.com/quiver-db/quiver/pointid"
)

// ratings is MovieLens ratings.csv's shape: item 9 is not in the
// collection, so its line is reported and not sent.
const ratings = `userId,movieId,rating,timestamp
1,1,4.0,964982703
1,3,4.5,964981247
2,9,5.0,964982224
2,2,3.0,964982931
`

func TestRunInteractionsAgainstServer(t *testing.T) {
	srv := apitest.Start(t, nil)
	ctx := context.Background()
	cl := &client.Client{URL: srv.URL}
	_, err := ingest.Run(ctx, cl, strings.NewReader(movies), ingest.Options{
		ParseOptions: ingest.ParseOptions{Format: ingest.CSV, IDField: "movieId", TextFields: []string{"title"}, Model: apitest.ModelName},
		Collection:   "movies", Create: true,
	})
	require.NoError(t, err)

	sum, err := ingest.RunInteractions(ctx, cl, strings.NewReader(ratings), ingest.InteractionOptions{Collection: "movies", Format: ingest.CSV, Batch: 2})
	require.NoError(t, err)
	require.Equal(t, 4, sum.Read)
	require.Equal(t, 3, sum.Written)
	require.Equal(t, []ingest.Skip{{Line: 4, Reason: ingest.UnknownItem, Detail: "item 9"}}, sum.Skipped)
	var out bytes.Buffer
	sum.Report(&out)
	require.Contains(t, out.String(), "read 4 interactions: 3 written, 1 skipped")

	var user struct {
		Interactions []struct {
			Item      pointid.ID `json:"item"`
			Weight    float32    `json:"weight"`
			Timestamp int64      `json:"timestamp"`
		} `json:"interactions"`
	}
	require.NoError(t, cl.Do(ctx, "GET", "/collections/movies/users/1", nil, &user))
	require.Len(t, user.Interactions, 2)
	require.Equal(t, float32(4.5), user.Interactions[1].Weight)
	require.Equal(t, int64(964981247), user.Interactions[1].Timestamp)

	// A bad record fails the run before anything is written...
	bad := "user,item,weight\n5,1,x\n5,2,1\n"
	_, err = ingest.RunInteractions(ctx, cl, strings.NewReader(bad), ingest.InteractionOptions{Collection: "movies", Format: ingest.CSV})
	require.ErrorContains(t, err, "line 2")
	require.NoError(t, cl.Do(ctx, "GET", "/collections/movies/users/5", nil, &user))
	require.Empty(t, user.Interactions)
	// ...unless asked to skip it; JSON Lines work too.
	sum, err = ingest.RunInteractions(ctx, cl, strings.NewReader(bad), ingest.InteractionOptions{Collection: "movies", Format: ingest.CSV, SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, 1, sum.Written)
	sum, err = ingest.RunInteractions(ctx, cl, strings.NewReader(`{"user": "ann", "item": 4, "weight": -1}`+"\n"), ingest.InteractionOptions{Collection: "movies"})
	require.NoError(t, err)
	require.Equal(t, 1, sum.Written)
}
