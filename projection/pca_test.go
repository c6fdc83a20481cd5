package projection

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPCARecoversAPlaneInSpace puts 2-D points with a long and a short
// axis into 5-D space by an orthonormal map plus an offset: PCA must give
// back the points up to a rotation, and all the variance.
func TestPCARecoversAPlaneInSpace(t *testing.T) {
	seed := uint64(7)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	// Two orthonormal directions in 5-D.
	u := []float64{1 / math.Sqrt2, 1 / math.Sqrt2, 0, 0, 0}
	w := []float64{0, 0, 0.6, 0.8, 0}
	offset := []float64{3, -2, 1, 0.5, 9}
	const n = 200
	plane := make([][2]float64, n)
	rows := make([][]float32, n)
	for i := range rows {
		a, b := rng.NormFloat64()*10, rng.NormFloat64()*2
		plane[i] = [2]float64{a, b}
		rows[i] = make([]float32, 5)
		for j := range rows[i] {
			rows[i][j] = float32(offset[j] + a*u[j] + b*w[j])
		}
	}
	p, err := PCA(rows)
	require.NoError(t, err)
	require.Len(t, p.X, n)
	require.Len(t, p.Y, n)
	assert.InDelta(t, 1, p.Explained[0]+p.Explained[1], 1e-4)
	assert.Greater(t, p.Explained[0], 0.8, "the long axis comes first")
	// The two components span the plane the points lie in, so the map is
	// an isometry: every distance between two points is kept.
	for i := range n {
		j := (i*37 + 11) % n
		want := math.Hypot(plane[i][0]-plane[j][0], plane[i][1]-plane[j][1])
		got := math.Hypot(p.X[i]-p.X[j], p.Y[i]-p.Y[j])
		require.InDelta(t, want, got, 1e-3*max(1, want), "distance %d-%d", i, j)
	}
	// Centred: the map's mean is the origin.
	var mx, my float64
	for i := range n {
		mx += p.X[i] / n
		my += p.Y[i] / n
	}
	assert.InDelta(t, 0, mx, 1e-6)
	assert.InDelta(t, 0, my, 1e-6)
}

func TestPCAKnownLine(t *testing.T) {
	// Points on the line y = x: all variance on the first axis, whose
	// largest loading is made positive, so the order along it is the
	// rows' order.
	p, err := PCA([][]float32{{0, 0}, {1, 1}, {2, 2}, {3, 3}})
	require.NoError(t, err)
	s := math.Sqrt2
	want := []float64{-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s}
	for i := range want {
		assert.InDelta(t, want[i], p.X[i], 1e-9)
		assert.InDelta(t, 0, p.Y[i], 1e-9)
	}
	assert.InDelta(t, 1, p.Explained[0], 1e-9)
	assert.InDelta(t, 0, p.Explained[1], 1e-9)
}

func TestPCADegenerate(t *testing.T) {
	p, err := PCA(nil)
	require.NoError(t, err)
	assert.Empty(t, p.X)

	p, err = PCA([][]float32{{1, 2, 3}})
	require.NoError(t, err)
	assert.Equal(t, []float64{0}, p.X)
	assert.Equal(t, []float64{0}, p.Y)

	p, err = PCA([][]float32{{1, 2}, {1, 2}, {1, 2}})
	require.NoError(t, err, "rows that do not vary land on the origin")
	assert.Equal(t, []float64{0, 0, 0}, p.X)
	assert.Equal(t, [2]float64{}, p.Explained)

	_, err = PCA([][]float32{{1, 2}, {1}})
	require.ErrorIs(t, err, ErrShape)
}

// BenchmarkPCA is the largest sample the engine projects at the text
// model's size.
func BenchmarkPCA(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	rows := make([][]float32, 1000)
	for i := range rows {
		rows[i] = make([]float32, 384)
		for j := range rows[i] {
			rows[i][j] = float32(rng.NormFloat64())
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PCA(rows); err != nil {
			b.Fatal(err)
		}
	}
}
