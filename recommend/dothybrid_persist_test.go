package recommend

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

var servedOpts = DotHybridOptions{ContentWeight: 0.5, PopularityWeight: 0.2, RecencyBeta: 20, RecencyHalfLife: 10,
	Centroid: CentroidOptions{RatingWeight: true, RatingShift: 2.5, RecencyHalfLife: 7}}

func TestDotHybridRoundTrip(t *testing.T) {
	rng := testseed.New(t)
	m, model, content := dotHybridFixture(t, rng)
	h, err := NewDotHybrid(model, m, content, servedOpts)
	require.NoError(t, err)
	b, err := h.MarshalBinary()
	require.NoError(t, err)
	got, err := LoadDotHybrid(b, model)
	require.NoError(t, err)
	require.Equal(t, h.Options(), got.Options())
	require.Equal(t, h.Items(), got.Items())
	require.Zero(t, got.Users(), "trained users are not kept")
	for i := range m.Items() {
		require.Equal(t, h.ItemVector(i), got.ItemVector(i), "item %d", i)
	}
	for u := range m.Users() {
		items, ws := m.UserItems(u)
		v, err := got.FoldIn(nil, items, ws, m.UserTimes(u))
		require.NoError(t, err)
		require.Equal(t, h.UserVector(u), v, "user %d", u)
	}
	again, err := got.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, b, again)
}

func TestLoadDotHybridRefusesTruncatedAndCorrupt(t *testing.T) {
	rng := testseed.New(t)
	m, model, content := dotHybridFixture(t, rng)
	h, err := NewDotHybridItems(model, make([]int, m.Items()), content, servedOpts)
	require.NoError(t, err)
	b, err := h.MarshalBinary()
	require.NoError(t, err)
	for _, n := range []int{0, 3, 4, 20, dotHybridHeader - 1, dotHybridHeader, len(b) / 2, len(b) - 1} {
		_, err := LoadDotHybrid(b[:n], model)
		require.Error(t, err, "cut at %d", n)
	}
	corrupt := func(off int, v uint32) []byte {
		c := append([]byte{}, b...)
		binary.LittleEndian.PutUint32(c[off:], v)
		return c
	}
	for name, c := range map[string][]byte{
		"magic":       append([]byte("QDHZ"), b[4:]...),
		"version":     corrupt(4, 9),
		"factors":     corrupt(8, 7),
		"dim zero":    corrupt(12, 0),
		"dim huge":    corrupt(12, math.MaxUint32),
		"items huge":  corrupt(16, math.MaxUint32),
		"weight":      corrupt(20, math.Float32bits(-1)),
		"shift":       corrupt(45, math.Float32bits(float32(math.NaN()))),
		"content NaN": corrupt(len(b)-4, math.Float32bits(float32(math.Inf(1)))),
	} {
		_, err := LoadDotHybrid(c, model)
		require.Error(t, err, name)
	}
	_, err = LoadDotHybrid(b, &IALS{opts: IALSOptions{Factors: 3}, items: make([]float32, 3*m.Items())})
	require.ErrorIs(t, err, ErrDimension, "another iALS model's factors")
}

// The shares of the past items sum to the score less the popularity term,
// and the score is the fold-in's dot product with the item.
func TestDotHybridExplainIsExact(t *testing.T) {
	rng := testseed.New(t)
	m, model, content := dotHybridFixture(t, rng)
	h, err := NewDotHybrid(model, m, content, servedOpts)
	require.NoError(t, err)
	targets := []int32{0, 7, int32(m.Items() - 1)}
	for u := range 10 {
		items, ws := m.UserItems(u)
		signs := make([]float32, len(items))
		for k := range signs {
			signs[k] = float32(1 - 2*(k%3/2)) // some dislikes
		}
		v, err := h.FoldInWeighted(nil, items, signs, ws, m.UserTimes(u))
		require.NoError(t, err)
		ex, err := h.Explain(items, signs, ws, m.UserTimes(u), targets, len(items))
		require.NoError(t, err)
		for k, target := range targets {
			iv := h.ItemVector(int(target))
			require.InDelta(t, dot(v, iv), ex[k].Score, 1e-5)
			var sum float32
			for _, c := range ex[k].Top {
				sum += c.Value
			}
			require.InDelta(t, ex[k].Score-iv[h.Dim()-1], sum, 1e-3, "user %d target %d", u, target)
			require.Len(t, ex[k].Top, len(items))
		}
		top, err := h.Explain(items, signs, ws, m.UserTimes(u), targets, 2)
		require.NoError(t, err)
		require.Len(t, top[0].Top, min(2, len(items)))
	}
	_, err = h.Explain(nil, nil, nil, nil, []int32{int32(m.Items())}, 1)
	require.ErrorIs(t, err, ErrIndex)
}
