package bm25

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMatchesFastEmbed holds Tokens, Document and Query to the vectors
// that scripts/bm25_reference.py computed with FastEmbed's own pieces
// (py-rust-stemmers, mmh3, NLTK's stop words). The golden file is that
// script's output; rerun it to rewrite the file, never edit it by hand.
func TestMatchesFastEmbed(t *testing.T) {
	raw, err := os.ReadFile("testdata/fastembed.json")
	require.NoError(t, err)
	var cases []struct {
		Text    string    `json:"text"`
		Tokens  []string  `json:"tokens"`
		Indices []uint32  `json:"indices"`
		Values  []float64 `json:"values"`
		Query   []uint32  `json:"query"`
	}
	require.NoError(t, json.Unmarshal(raw, &cases))
	require.NotEmpty(t, cases)
	for _, c := range cases {
		toks, err := Tokens(c.Text, "english")
		require.NoError(t, err)
		if len(c.Tokens) == 0 {
			c.Tokens = nil
		}
		assert.Equal(t, c.Tokens, toks, c.Text)
		doc, err := Document(c.Text, Options{})
		require.NoError(t, err)
		if assert.Equal(t, c.Indices, doc.Indices, c.Text) {
			for i := range c.Values {
				assert.InDelta(t, c.Values[i], doc.Values[i], 1e-6, c.Text)
			}
		}
		q, err := Query(c.Text, Options{})
		require.NoError(t, err)
		assert.Equal(t, c.Query, q.Indices, c.Text)
	}
}
