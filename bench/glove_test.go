package bench

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// winkJSON builds a file shaped like wink-embeddings with dim 2, keys in an
// order different from the words list.
func winkJSON(n int) string {
	var b strings.Builder
	b.WriteString(`{"precision":8,"l2NormIndex":2,"wordIndex":3,"size":`)
	b.WriteString(strconv.Itoa(n))
	b.WriteString(`,"dimensions":2,"words":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"w` + strconv.Itoa(i) + `"`)
	}
	b.WriteString(`],"vectors":{`)
	for j := range n {
		i := n - 1 - j
		if j > 0 {
			b.WriteString(",")
		}
		// Vector (i+1, 2): never zero.
		b.WriteString(`"w` + strconv.Itoa(i) + `":[` + strconv.Itoa(i+1) + `,2,0,` + strconv.Itoa(i) + `]`)
	}
	b.WriteString(`},"unkVector":[0,0,0,-1]}`)
	return b.String()
}

func TestReadWink(t *testing.T) {
	rows, dim, err := ReadWink(strings.NewReader(winkJSON(5)))
	require.NoError(t, err)
	require.Equal(t, 2, dim)
	require.Len(t, rows, 5)
	for i, r := range rows {
		n := math.Hypot(float64(i+1), 2)
		require.Equal(t, []float32{float32(float64(i+1) / n), float32(2 / n)}, r)
	}

	bad := strings.Replace(winkJSON(3), `"w1":[2,2,0,1]`, `"w1":[0,0,0,1]`, 1)
	_, _, err = ReadWink(strings.NewReader(bad))
	require.ErrorContains(t, err, "normalise")
	bad = strings.Replace(winkJSON(3), `"words":["w0","w1"`, `"words":["w1","w0"`, 1)
	_, _, err = ReadWink(strings.NewReader(bad))
	require.ErrorContains(t, err, "word 0")
}

func TestRunGloveSplit(t *testing.T) {
	dir := t.TempDir()
	const n = 100
	path := filepath.Join(dir, "wink.json")
	require.NoError(t, os.WriteFile(path, []byte(winkJSON(n)), 0o644))
	out := filepath.Join(dir, "out")
	res, err := RunGlove(context.Background(), GloveConfig{JSONPath: path, OutDir: out, K: 5})
	require.NoError(t, err)
	require.Equal(t, GloveResult{Dim: 2, Base: n - 3, Queries: 3, Parse: res.Parse, GroundTruth: res.GroundTruth}, res)

	queries, _, err := ReadFvecs(filepath.Join(out, "query.fvecs"))
	require.NoError(t, err)
	base, _, err := ReadFvecs(filepath.Join(out, "base.fvecs"))
	require.NoError(t, err)
	rows, _, err := ReadWink(strings.NewReader(winkJSON(n)))
	require.NoError(t, err)
	require.Equal(t, append(append(append([]float32{}, rows[0]...), rows[34]...), rows[68]...), queries)
	require.Equal(t, rows[1], base[0:2])
	require.Equal(t, rows[35], base[2*33:2*34])
	gt, err := ReadIvecs(filepath.Join(out, "groundtruth.ivecs"))
	require.NoError(t, err)
	require.Len(t, gt, 3)
	require.Equal(t, naiveTopK(base, queries, 2, 5), gt)
}
