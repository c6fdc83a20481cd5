package shard

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

// awkwardScored are scored points with every field the binary form
// carries at its edges: the largest integer id and a UUID, scores that
// are not numbers or are signed zeros, payload numbers beyond float64,
// empty (not absent) payloads, vectors and maps, and order values.
func awkwardScored() []index.ScoredPoint {
	u := pointid.FromUUID(uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8"))
	return []index.ScoredPoint{
		{Record: index.Record{ID: pointid.FromNum(^uint64(0)), Payload: filter.Payload{
			"n": json.Number("123456789012345678901234567890"), "f": json.Number("0.1"), "s": "é\u2028\"<>",
			"nested": map[string]any{"a": []any{json.Number("1"), nil, true}}}}, Score: float32(math.NaN())},
		{Record: index.Record{ID: u, Payload: filter.Payload{}, Vector: []float32{}}, Score: float32(math.Copysign(0, -1))},
		{Record: index.Record{ID: pointid.FromNum(0), Vector: []float32{1e-45, math.MaxFloat32, float32(math.Inf(-1))}}, Score: math.MaxFloat32},
		{Record: index.Record{ID: pointid.FromNum(7), Vectors: map[string][]float32{}, Sparse: map[string]sparse.Vector{}}, Score: 1},
		{Record: index.Record{ID: pointid.FromNum(8), Vectors: map[string][]float32{"a": {0.5}, "b": {}},
			Sparse: map[string]sparse.Vector{"s": {Indices: []uint32{3, 1 << 31}, Values: []float32{0.25, -1}}}, OrderValue: int64(math.MinInt64)}, Score: -2},
		{Record: index.Record{ID: pointid.FromNum(9), OrderValue: 0.1}, Score: 3,
			Explanation: []index.Contribution{{ID: u, Contribution: 0.75}}},
		{Record: index.Record{ID: pointid.FromNum(10)}, Score: 1.0000001},
	}
}

// requireSameScored compares scored points, scores by their bits.
func requireSameScored(t *testing.T, want, got []index.ScoredPoint) {
	t.Helper()
	require.Len(t, got, len(want))
	w, g := make([]index.ScoredPoint, len(want)), make([]index.ScoredPoint, len(got))
	for i := range want {
		require.Equal(t, math.Float32bits(want[i].Score), math.Float32bits(got[i].Score), "point %d's score", i)
		w[i], g[i] = want[i], got[i]
		w[i].Score, g[i].Score = 0, 0
	}
	require.Equal(t, w, g)
}

func TestScoredRoundTrip(t *testing.T) {
	for _, ps := range [][]index.ScoredPoint{awkwardScored(), {}, nil} {
		b, err := appendScored(nil, ps)
		require.NoError(t, err)
		got, err := parseScored(b)
		require.NoError(t, err)
		require.NotNil(t, got, "no points is an empty list, as in JSON")
		requireSameScored(t, ps, got)
	}
}

// Every cut of a valid body, and every byte of it changed, is refused
// with an error or read as some points: never a panic, and a cut body is
// always refused.
func TestScoredRefusesCutAndCorruptBodies(t *testing.T) {
	b, err := appendScored(nil, awkwardScored())
	require.NoError(t, err)
	for n := range len(b) {
		_, err := parseScored(b[:n])
		require.ErrorIs(t, err, errCorrupt, "cut at %d of %d", n, len(b))
	}
	_, err = parseScored(append(b[:len(b):len(b)], 0))
	require.ErrorIs(t, err, errCorrupt, "a byte after the last point")
	r := testseed.New(t)
	for range 2000 {
		c := append([]byte(nil), b...)
		c[r.IntN(len(c))] ^= byte(1 + r.IntN(255))
		_, _ = parseScored(c)
	}
	for _, bad := range [][]byte{
		[]byte("QSC1\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),                        // a count far beyond the body
		append([]byte("QSC1\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01"), 0, 0, 0, 0, 8), // unknown flag
		append([]byte("QSC1\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01"), 0, 0, 0, 0, 1, 4, 'n', 'u', 'l', 'l'),
		append([]byte("QSC1\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01"), 0, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f),
		append([]byte("QSC1\x01\x03\x00\x00\x00\x00\x00\x00\x00\x01"), 0, 0, 0, 0, 0), // an id tag that is none
		[]byte(`[{"Record":{}}]`),
	} {
		_, err := parseScored(bad)
		require.ErrorIs(t, err, errCorrupt, "%q", bad)
	}
}

func FuzzParseScored(f *testing.F) {
	b, err := appendScored(nil, awkwardScored())
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte("QSC1\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := parseScored(b)
		if err != nil {
			return
		}
		again, err := appendScored(nil, ps)
		require.NoError(t, err)
		ps2, err := parseScored(again)
		require.NoError(t, err)
		requireSameScored(t, ps, ps2)
	})
}
