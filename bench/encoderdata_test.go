package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRowsForBaseFollowsTheSplit(t *testing.T) {
	for _, minBase := range []int{1, 33, 34, 50000} {
		n := rowsForBase(minBase)
		assert.GreaterOrEqual(t, n-queryRows(n), minBase)
		assert.Less(t, n-1-queryRows(n-1), minBase, "one row fewer is not enough")
	}
	assert.Equal(t, 1, queryRows(1))  // row 0
	assert.Equal(t, 2, queryRows(35)) // rows 0 and 34
}

func TestMovieLensPhrasesAreDistinct(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "movies.csv"), []byte(
		"movieId,title,genres\n1,Toy Story (1995),Animation|Comedy\n2,\"Heat, The (1995)\",Comedy|Crime\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tags.csv"), []byte(
		"userId,movieId,tag,timestamp\n1,1,pixar,1\n2,1,Pixar ,2\n3,2,comedy,3\n4,2,heist,4\n"), 0o644))
	got, err := movieLensPhrases(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"Toy Story (1995)", "Heat, The (1995)", "Animation", "Comedy", "Crime", "pixar", "heist"}, got)
}

func TestGloveSentencesAreDeterministicAndDistinct(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wink.json")
	words := `"the",",","of"`
	for _, w := range []string{"alpha", "beta", "gamma", "delta", "eps"} {
		for i := range 30 {
			words += `,"` + w + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `"`
		}
	}
	require.NoError(t, os.WriteFile(path, []byte(`{"precision":8,"size":3,"words":[`+words+`],"vectors":{}}`), 0o644))
	vocab, err := readWinkWords(path)
	require.NoError(t, err)
	require.Len(t, vocab, 153)

	a, err := withGloveSentences([]string{"Toy Story"}, vocab, 500)
	require.NoError(t, err)
	b, err := withGloveSentences([]string{"Toy Story"}, vocab, 500)
	require.NoError(t, err)
	require.Equal(t, a, b, "same seed, same sentences")
	require.Len(t, a, 500)
	assert.Equal(t, "Toy Story", a[0])
	seen := map[string]bool{}
	for _, s := range a {
		assert.False(t, seen[s], "duplicate %q", s)
		seen[s] = true
		assert.NotContains(t, s, ",", "punctuation tokens are not words")
	}
}

func TestWriteANNSubsetRecomputesGroundTruth(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	// 1-d unit "vectors" ±1: on the first 3 base rows (+1, -1, +1), query +1's
	// best are rows 0 and 2.
	require.NoError(t, WriteFvecs(filepath.Join(src, "base.fvecs"), []float32{1, -1, 1, 1, 1}, 1))
	require.NoError(t, WriteFvecs(filepath.Join(src, "query.fvecs"), []float32{1, -1}, 1))
	require.NoError(t, WriteANNSubset(context.Background(), src, out, 3, GroundTruthConfig{K: 2}))
	base, _, err := ReadFvecs(filepath.Join(out, "base.fvecs"))
	require.NoError(t, err)
	assert.Equal(t, []float32{1, -1, 1}, base)
	gt, err := ReadIvecs(filepath.Join(out, "groundtruth.ivecs"))
	require.NoError(t, err)
	assert.Equal(t, [][]int32{{0, 2}, {1, 0}}, gt)
	require.Error(t, WriteANNSubset(context.Background(), src, out, 6, GroundTruthConfig{}))
}
