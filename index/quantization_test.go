package index

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/pointid"
)

func f64p(v float64) *float64 { return &v }

func scalarInt8(quantile float64) *QuantizationConfig {
	return &QuantizationConfig{Scalar: &ScalarQuantization{Type: "int8", Quantile: f64p(quantile)}}
}

// upsertRandom writes n random points of dim components, ids 1..n.
func upsertRandom(t *testing.T, c *Collection, n, dim int, named string) map[pointid.ID][]float32 {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	vecs := map[pointid.ID][]float32{}
	points := make([]Point, 0, n)
	for i := 1; i <= n; i++ {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		id := pointid.FromNum(uint64(i))
		vecs[id] = v
		p := Point{ID: id, Vector: v}
		if named != "" {
			p = Point{ID: id, Vectors: map[string][]float32{named: v}}
		}
		points = append(points, p)
	}
	require.NoError(t, c.Upsert(context.Background(), points))
	return vecs
}

// TestQuantizedCollectionPersists: a collection created quantized trains
// once it holds enough points, searches on codes with re-scoring (the same
// scores as exact), keeps its bounds across a close and reopen, and
// answers ignore with the unquantized search.
func TestQuantizedCollectionPersists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openDisk(t, dir)
	c, err := db.Create(ctx, "q", Config{VectorSize: 16, Distance: Cosine, Quantization: scalarInt8(0.99)})
	require.NoError(t, err)
	vecs := upsertRandom(t, c, 600, 16, "")
	q, ok := c.graph.Quantization()
	require.True(t, ok)
	require.True(t, q.Trained, "trained after a few hundred points")
	query := vecs[pointid.FromNum(5)]
	exact, err := c.Search(ctx, SearchRequest{Vector: query, Limit: 5, Exact: true})
	require.NoError(t, err)
	got, err := c.Search(ctx, SearchRequest{Vector: query, Limit: 5, Ef: 100})
	require.NoError(t, err)
	require.Equal(t, exact[0].ID, got[0].ID)
	assert.InDelta(t, exact[0].Score, got[0].Score, 1e-5, "re-scored with the float vectors")
	raw, err := c.Search(ctx, SearchRequest{Vector: query, Limit: 5, Ef: 100, Quantization: QuantizationSearch{NoRescore: true}})
	require.NoError(t, err)
	assert.InDelta(t, exact[0].Score, raw[0].Score, 0.05, "estimates are close")
	_, err = c.Search(ctx, SearchRequest{Vector: query, Quantization: QuantizationSearch{Oversampling: 40}})
	require.ErrorIs(t, err, ErrBadRequest)
	require.ErrorContains(t, err, "params.quantization.oversampling")
	require.NoError(t, db.Close())

	db = openDisk(t, dir)
	defer db.Close()
	c, err = db.Collection("q")
	require.NoError(t, err)
	require.Equal(t, scalarInt8(0.99), c.Config().Quantization)
	again, ok := c.graph.Quantization()
	require.True(t, ok)
	require.Equal(t, q, again, "bounds kept across the reopen")
	after, err := c.Search(ctx, SearchRequest{Vector: query, Limit: 5, Ef: 100})
	require.NoError(t, err)
	require.Equal(t, got, after)
	ignore, err := c.Search(ctx, SearchRequest{Vector: query, Limit: 5, Ef: 100, Quantization: QuantizationSearch{Ignore: true}})
	require.NoError(t, err)
	require.Equal(t, exact[0].ID, ignore[0].ID)
}

// TestQuantizeAfterCreate: UpdateConfig quantizes an existing collection
// (trained on the vectors present), per named vector and collection-wide,
// survives a reopen, and "Disabled" removes it.
func TestQuantizeAfterCreate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openDisk(t, dir)
	c, err := db.Create(ctx, "n", Config{Vectors: map[string]VectorConfig{"a": {Size: 8, Distance: Dot}, "b": {Size: 8, Distance: Euclid}}})
	require.NoError(t, err)
	upsertRandom(t, c, 120, 8, "a")
	graphOf := func(c *Collection, name string) *QuantizationConfig {
		sp, err := c.space(name)
		require.NoError(t, err)
		q, ok := sp.g().Quantization()
		if !ok {
			return nil
		}
		require.True(t, q.Trained || sp.g().Len() == 0, "vector %q trained on what it holds", name)
		return scalarInt8(q.Quantile)
	}
	require.Nil(t, graphOf(c, "a"))

	require.NoError(t, c.UpdateConfig(ctx, ConfigUpdate{VectorQuantization: map[string]QuantizationConfig{"a": *scalarInt8(0.9)}}))
	assert.Equal(t, scalarInt8(0.9), graphOf(c, "a"))
	assert.Nil(t, graphOf(c, "b"))
	require.NoError(t, c.UpdateConfig(ctx, ConfigUpdate{Quantization: scalarInt8(1)}))
	assert.Equal(t, scalarInt8(0.9), graphOf(c, "a"), "a vector's own wins")
	assert.Equal(t, scalarInt8(1), graphOf(c, "b"), "the collection's applies to the rest")
	require.NoError(t, db.Close())

	db = openDisk(t, dir)
	defer db.Close()
	c, err = db.Collection("n")
	require.NoError(t, err)
	assert.Equal(t, scalarInt8(0.9), graphOf(c, "a"))
	assert.Equal(t, scalarInt8(1), graphOf(c, "b"))
	require.NoError(t, c.UpdateConfig(ctx, ConfigUpdate{VectorQuantization: map[string]QuantizationConfig{"a": {Disabled: true}}}))
	assert.Nil(t, graphOf(c, "a"), "disabled for a, whatever the collection's")
	require.NoError(t, c.UpdateConfig(ctx, ConfigUpdate{Quantization: &QuantizationConfig{Disabled: true}}))
	assert.Nil(t, graphOf(c, "b"))
	assert.Nil(t, c.Config().Quantization)
}

// TestBadQuantizationConfig: each bad config is refused naming its field,
// and a refused update changes nothing.
func TestBadQuantizationConfig(t *testing.T) {
	ctx := context.Background()
	db := openDisk(t, t.TempDir())
	defer db.Close()
	for _, bad := range []struct {
		cfg   Config
		field string
	}{
		{Config{VectorSize: 4, Distance: Dot, Quantization: &QuantizationConfig{Scalar: &ScalarQuantization{Type: "int4"}}}, "quantization_config.scalar.type"},
		{Config{VectorSize: 4, Distance: Dot, Quantization: scalarInt8(0.2)}, "quantization_config.scalar.quantile"},
		{Config{VectorSize: 4, Distance: Dot, Quantization: &QuantizationConfig{}}, "quantization_config: want scalar"},
		{Config{VectorSize: 4, Distance: Dot, Quantization: &QuantizationConfig{Disabled: true}}, "quantization_config"},
		{Config{Vectors: map[string]VectorConfig{"v": {Size: 4, Distance: Dot, Quantization: scalarInt8(1.5)}}}, `vectors."v".quantization_config.scalar.quantile`},
	} {
		_, err := db.Create(ctx, "bad", bad.cfg)
		require.ErrorIs(t, err, ErrBadRequest)
		require.ErrorContains(t, err, bad.field)
	}
	c, err := db.Create(ctx, "ok", Config{VectorSize: 4, Distance: Dot})
	require.NoError(t, err)
	err = c.UpdateConfig(ctx, ConfigUpdate{Quantization: scalarInt8(0.1)})
	require.ErrorIs(t, err, ErrBadRequest)
	require.ErrorContains(t, err, "quantization_config.scalar.quantile")
	err = c.UpdateConfig(ctx, ConfigUpdate{VectorQuantization: map[string]QuantizationConfig{"x": *scalarInt8(1)}})
	require.ErrorIs(t, err, ErrBadRequest)
	require.ErrorContains(t, err, `no vector named "x"`)
	require.Nil(t, c.Config().Quantization)
	_, ok := c.graph.Quantization()
	require.False(t, ok)
}
