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

const movies = `movieId,title,year,genres
1,Toy Story,1995,Animation|Comedy
2,Jumanji,1995,Adventure
3,Heat,1995,Crime|Drama
4,Alien,1979,Horror|Sci-Fi
3,Heat again,1995,Crime
`

// TestRunAgainstServer ingests into a real server over an index in a
// temporary directory: the counts, the typed payloads a range filter
// sees, and the second run that replaces nothing unless told to.
func TestRunAgainstServer(t *testing.T) {
	srv := apitest.Start(t, nil)
	ctx := context.Background()
	cl := &client.Client{URL: srv.URL}
	opts := ingest.Options{
		ParseOptions: ingest.ParseOptions{Format: ingest.CSV, IDField: "movieId", TextFields: []string{"title", "genres"},
			ListFields: []string{"genres"}, Model: apitest.ModelName},
		Collection: "movies", Batch: 2, Create: true,
	}
	sum, err := ingest.Run(ctx, cl, strings.NewReader(movies), opts)
	require.NoError(t, err)
	require.Equal(t, 5, sum.Read)
	require.Equal(t, 4, sum.Written)
	require.Equal(t, 0, sum.Replaced)
	require.Equal(t, []ingest.Skip{{Line: 6, Reason: ingest.Duplicate, Detail: "id 3, first on line 4"}}, sum.Skipped)
	require.NotNil(t, sum.ServerTimes, "the server has metrics")
	var out bytes.Buffer
	sum.Report(&out)
	require.Contains(t, out.String(), "columns: movieId id, title string, year int, genres list")
	require.Contains(t, out.String(), "read 5 records: 4 written, 0 replaced, 1 skipped")
	require.Contains(t, out.String(), "skipped 1, duplicate id in the input: line 6: id 3, first on line 4")

	hits, err := cl.Query(ctx, "movies", map[string]any{
		"query": map[string]any{"text": "Alien Horror"}, "limit": 10, "with_payload": true,
		"filter": map[string]any{"must": []any{map[string]any{"key": "year", "range": map[string]any{"lt": 1990}}}},
	})
	require.NoError(t, err)
	require.Len(t, hits, 1, "year is a number, so the range filter sees it")
	require.Equal(t, pointid.FromNum(4), hits[0].ID)
	require.Equal(t, []any{"Horror", "Sci-Fi"}, hits[0].Payload["genres"])

	// The same file again: every point exists and none is replaced.
	sum, err = ingest.Run(ctx, cl, strings.NewReader(movies), opts)
	require.NoError(t, err)
	require.Equal(t, 0, sum.Written)
	require.Equal(t, 4, sum.SkippedFor(ingest.Exists))
	require.Equal(t, 1, sum.SkippedFor(ingest.Duplicate))

	// With Overwrite, the existing points are replaced and counted.
	opts.Overwrite = true
	changed := strings.Replace(movies, "2,Jumanji,1995", "2,Jumanji,1996", 1) + "5,Up,2009,Animation\n"
	sum, err = ingest.Run(ctx, cl, strings.NewReader(changed), opts)
	require.NoError(t, err)
	require.Equal(t, 1, sum.Written)
	require.Equal(t, 4, sum.Replaced)
	recs, err := cl.Retrieve(ctx, "movies", []pointid.ID{pointid.FromNum(2)}, client.RetrieveOptions{WithPayload: true})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.EqualValues(t, 1996, recs[0].Payload["year"])
}

func TestRunAutoIDIsIdempotent(t *testing.T) {
	srv := apitest.Start(t, nil)
	ctx := context.Background()
	cl := &client.Client{URL: srv.URL}
	const in = "vec,label\n\"1,0\",a\n\"0,1\",b\n"
	opts := ingest.Options{
		ParseOptions: ingest.ParseOptions{Format: ingest.CSV, VectorField: "vec", AutoID: true},
		Collection:   "v", Create: true, Distance: "Dot",
	}
	sum, err := ingest.Run(ctx, cl, strings.NewReader(in), opts)
	require.NoError(t, err)
	require.Equal(t, 2, sum.Written)
	sum, err = ingest.Run(ctx, cl, strings.NewReader(in), opts)
	require.NoError(t, err)
	require.Equal(t, 0, sum.Written, "a second run adds nothing twice")
	require.Equal(t, 2, sum.SkippedFor(ingest.Exists))

	_, err = ingest.Run(ctx, cl, strings.NewReader(in), ingest.Options{
		ParseOptions: ingest.ParseOptions{Format: ingest.CSV, VectorField: "vec"}, Collection: "v",
	})
	require.ErrorIs(t, err, ingest.ErrNoID)
}

func TestRunReportsWhatReachedTheServer(t *testing.T) {
	srv := apitest.Start(t, nil)
	cl := &client.Client{URL: srv.URL}
	sum, err := ingest.Run(context.Background(), cl, strings.NewReader(`{"id": 1, "v": [1, 2]}`+"\n"), ingest.Options{
		ParseOptions: ingest.ParseOptions{VectorField: "v"}, Collection: "missing",
	})
	var apiErr *client.APIError
	require.ErrorAs(t, err, &apiErr, "no collection and no Create")
	require.Equal(t, 404, apiErr.Status)
	require.Contains(t, err.Error(), "lines 1..1")
	var out bytes.Buffer
	sum.Report(&out)
	require.Contains(t, out.String(), "read 1 records: 0 written, 0 replaced, 0 skipped, 1 not sent")

	err = (&ingest.Options{}).Validate()
	require.ErrorContains(t, err, "collection is required")
	require.ErrorContains(t, err, "exactly one of text fields and a vector field")
}

// TestRunIntoNamedVector fills one named vector of a collection that also
// has a cf vector for a model's item factors.
func TestRunIntoNamedVector(t *testing.T) {
	srv := apitest.Start(t, nil)
	ctx := context.Background()
	cl := &client.Client{URL: srv.URL}
	require.NoError(t, cl.CreateCollection(ctx, "movies", map[string]any{
		"text": map[string]any{"model": apitest.ModelName}, "cf": map[string]any{"size": 4, "distance": "Dot"}}))
	opts := ingest.Options{
		ParseOptions: ingest.ParseOptions{Format: ingest.CSV, IDField: "movieId", TextFields: []string{"title", "genres"},
			ListFields: []string{"genres"}, Using: "text"},
		Collection: "movies",
	}
	sum, err := ingest.Run(ctx, cl, strings.NewReader(movies), opts)
	require.NoError(t, err)
	require.Equal(t, 4, sum.Written)
	hits, err := cl.Query(ctx, "movies", map[string]any{"query": map[string]any{"text": "Alien. Horror|Sci-Fi"}, "using": "text", "limit": 1})
	require.NoError(t, err)
	require.Equal(t, pointid.FromNum(4), hits[0].ID)

	// --create makes the named vector.
	opts.Collection, opts.Create, opts.Model = "made", true, apitest.ModelName
	_, err = ingest.Run(ctx, cl, strings.NewReader(movies), opts)
	require.NoError(t, err)
	hits, err = cl.Query(ctx, "made", map[string]any{"query": map[string]any{"text": "Alien. Horror|Sci-Fi"}, "using": "text", "limit": 1})
	require.NoError(t, err)
	require.Equal(t, pointid.FromNum(4), hits[0].ID)
}
