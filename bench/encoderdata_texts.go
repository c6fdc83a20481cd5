package bench

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/quiver-db/quiver/recommend/eval"
)

// Sentences of GloVe words: lengths sentenceMinWords..sentenceMaxWords, drawn
// uniformly from the sentenceVocab most frequent purely alphabetic words, by
// a fixed-seed PCG so that every run writes the same set.
const (
	sentenceMinWords = 3
	sentenceMaxWords = 10
	sentenceVocab    = 20000
	sentenceSeed1    = 0x5eed
	sentenceSeed2    = 384
)

// movieLensPhrases returns every distinct MovieLens phrase: titles in
// movies.csv order, then genres in order of first appearance, then tags in
// tags.csv order. Phrases equal after case folding and trimming count once
// (the encoder is uncased), the first spelling kept.
func movieLensPhrases(dir string) ([]string, error) {
	movies, err := eval.LoadMovies(dir)
	if err != nil {
		return nil, fmt.Errorf("encoder data: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if k := strings.ToLower(s); s != "" && !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	for _, m := range movies {
		add(m.Title)
	}
	for _, m := range movies {
		for _, g := range strings.Split(m.Genres, "|") {
			add(g)
		}
	}
	path := filepath.Join(dir, "tags.csv")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("encoder data: %w", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("encoder data: %s: %w", path, err)
	}
	for line, rec := range recs[1:] {
		if len(rec) != 4 {
			return nil, fmt.Errorf("encoder data: %s line %d: %d fields, want 4", path, line+2, len(rec))
		}
		add(rec[2])
	}
	return out, nil
}

// readWinkWords reads only the "words" list (frequency order) of the
// wink-embeddings JSON, stopping there rather than parsing the vectors.
func readWinkWords(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("encoder data: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("encoder data: %s: %w", path, err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("encoder data: %s: %w", path, err)
		}
		if key, _ := tok.(string); key == "words" {
			var words []string
			if err := dec.Decode(&words); err != nil {
				return nil, fmt.Errorf("encoder data: %s: words: %w", path, err)
			}
			return words, nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, fmt.Errorf("encoder data: %s: %v: %w", path, tok, err)
		}
	}
	return nil, fmt.Errorf("encoder data: %s has no words list", path)
}

// withGloveSentences appends distinct sentences of GloVe words to phrases
// until there are total texts (phrases alone are kept whole if more).
func withGloveSentences(phrases, words []string, total int) ([]string, error) {
	var vocab []string
	for _, w := range words {
		if len(vocab) == sentenceVocab {
			break
		}
		if isAlphaWord(w) {
			vocab = append(vocab, w)
		}
	}
	if len(vocab) < 100 {
		return nil, fmt.Errorf("encoder data: only %d alphabetic words to build sentences from", len(vocab))
	}
	out := append([]string(nil), phrases...)
	seen := make(map[string]bool, total)
	for _, p := range phrases {
		seen[strings.ToLower(p)] = true
	}
	rng := rand.New(rand.NewPCG(sentenceSeed1, sentenceSeed2))
	var sb strings.Builder
	for len(out) < total {
		sb.Reset()
		n := sentenceMinWords + rng.IntN(sentenceMaxWords-sentenceMinWords+1)
		for j := range n {
			if j > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(vocab[rng.IntN(len(vocab))])
		}
		if s := sb.String(); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, nil
}

func isAlphaWord(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}
