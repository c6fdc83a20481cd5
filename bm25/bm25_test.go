package bm25

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMurmur3(t *testing.T) {
	// Reference values of Python's mmh3.hash (signed) for these strings.
	for s, want := range map[string]int32{"": 0, "foo": -156908512, "hello": 613153351} {
		assert.Equal(t, want, int32(murmur3([]byte(s))), s)
	}
	assert.Equal(t, uint32(156908512), TokenID("foo"))
}

func TestTokens(t *testing.T) {
	got, err := Tokens("The runners were RUNNING quickly, aren't they? Über-fast_cars!", "english")
	require.NoError(t, err)
	assert.Equal(t, []string{"runner", "run", "quick", "über", "fast_car"}, got)
	_, err = Tokens("x", "klingon")
	assert.ErrorContains(t, err, `language "klingon"`)
}

func TestDocumentWeights(t *testing.T) {
	v, err := Document("cat cat dog", Options{})
	require.NoError(t, err)
	require.Equal(t, 2, v.Len())
	// tf·(k+1)/(tf + k·(1 − b + b·3/256)) with k 1.2, b 0.75.
	norm := 1.2 * (0.25 + 0.75*3.0/256)
	want := map[uint32]float32{TokenID("cat"): float32(2 * 2.2 / (2 + norm)), TokenID("dog"): float32(2.2 / (1 + norm))}
	for i, id := range v.Indices {
		assert.InDelta(t, want[id], v.Values[i], 1e-6)
	}
	q, err := Query("dogs and cats and dogs", Options{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []uint32{TokenID("cat"), TokenID("dog")}, q.Indices)
	assert.Equal(t, []float32{1, 1}, q.Values)
}

func TestDocumentOfTerms(t *testing.T) {
	text, err := Document("cat cat dog", Options{AvgLen: 3})
	require.NoError(t, err)
	ids, err := DocumentOfTerms([]uint32{TokenID("cat"), TokenID("dog"), TokenID("cat")}, Options{AvgLen: 3})
	require.NoError(t, err)
	assert.Equal(t, text, ids)
	// At avg_len = |d| the norm is k: tf·(k+1)/(tf+k).
	v, err := DocumentOfTerms([]uint32{7, 7, 3}, Options{AvgLen: 3})
	require.NoError(t, err)
	assert.Equal(t, []uint32{3, 7}, v.Indices)
	assert.InDelta(t, 1, v.Values[0], 1e-6) // tf 1: (k+1)/(1+k)
	assert.InDelta(t, 2*2.2/3.2, v.Values[1], 1e-6)
	_, err = DocumentOfTerms([]uint32{1}, Options{K: -1})
	assert.ErrorContains(t, err, "k -1")
}

func TestOptions(t *testing.T) {
	b := 2.0
	_, err := Document("x", Options{Language: "elvish", K: -1, B: &b})
	require.Error(t, err)
	for _, field := range []string{"language", "k -1", "b 2"} {
		assert.ErrorContains(t, err, field)
	}
	assert.True(t, IsModel("qdrant/BM25"))
}
