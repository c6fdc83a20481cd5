package bench

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/quiver-db/quiver/internal/progress"
	"github.com/quiver-db/quiver/recommend"
	"github.com/quiver-db/quiver/recommend/eval"
)

// contentDim is the width of the hashed bag-of-words content vectors.
const contentDim = 256

// GenreTitleContent builds one vector per item from movies.csv: a hashed,
// IDF-weighted bag of the genres and title words, L2-normalised. It is the
// content that needs no model; an encoder's embeddings plug in through
// RecConfig.Content instead (EncoderContent). Tags are left out: users wrote them at times
// that overlap the held-out part, so they would leak.
func GenreTitleContent(dir string, movieIDs []int64) (recommend.Content, error) {
	movies, err := eval.LoadMovies(dir)
	if err != nil {
		return recommend.Content{}, fmt.Errorf("content: %w", err)
	}
	docs := make([][]string, len(movieIDs))
	for _, m := range movies {
		i, ok := slices.BinarySearch(movieIDs, m.ID)
		if !ok {
			continue
		}
		var toks []string
		for _, g := range strings.Split(m.Genres, "|") {
			toks = append(toks, "g:"+strings.ToLower(g))
		}
		for _, w := range strings.FieldsFunc(strings.ToLower(m.Title), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			toks = append(toks, "w:"+w)
		}
		docs[i] = toks
	}
	df := map[string]int{}
	for _, d := range docs {
		seen := map[string]bool{}
		for _, t := range d {
			if !seen[t] {
				df[t]++
				seen[t] = true
			}
		}
	}
	c := recommend.Content{Dim: contentDim, Vectors: make([]float32, len(movieIDs)*contentDim)}
	for i, d := range docs {
		row := c.Row(i)
		for _, t := range d {
			h := fnv.New32a()
			h.Write([]byte(t))
			row[h.Sum32()%contentDim] += float32(math.Log(float64(len(docs)) / float64(df[t])))
		}
		var n float64
		for _, v := range row {
			n += float64(v) * float64(v)
		}
		if n > 0 {
			inv := float32(1 / math.Sqrt(n))
			for k := range row {
				row[k] *= inv
			}
		}
	}
	return c, nil
}

// FvecsContent reads item vectors from an .fvecs file with one row per
// movie of movies.csv, in its order, and aligns them to movieIDs.
func FvecsContent(path, dir string, movieIDs []int64) (recommend.Content, error) {
	vecs, dim, err := ReadFvecs(path)
	if err != nil {
		return recommend.Content{}, fmt.Errorf("content: %w", err)
	}
	movies, err := eval.LoadMovies(dir)
	if err != nil {
		return recommend.Content{}, fmt.Errorf("content: %w", err)
	}
	if len(vecs) != len(movies)*dim {
		return recommend.Content{}, fmt.Errorf("content: %s has %d rows, movies.csv %d", path, len(vecs)/dim, len(movies))
	}
	c := recommend.Content{Dim: dim, Vectors: make([]float32, len(movieIDs)*dim)}
	for k, m := range movies {
		if i, ok := slices.BinarySearch(movieIDs, m.ID); ok {
			copy(c.Row(i), vecs[k*dim:(k+1)*dim])
		}
	}
	return c, nil
}

// Embedder is a text model: *encoder.Encoder, or a fake in tests.
type Embedder interface {
	Encode(ctx context.Context, texts []string) ([][]float32, error)
	Dim() int
}

// EncoderContent encodes each movie's text as the server indexes it in
// bench rec --http (movieText: the title and genres) with enc, so the
// content rows are what a collection's text vector would hold. Progress
// lines go to log when it is not nil.
func EncoderContent(ctx context.Context, enc Embedder, dir string, movieIDs []int64, log io.Writer) (recommend.Content, error) {
	movies, err := eval.LoadMovies(dir)
	if err != nil {
		return recommend.Content{}, fmt.Errorf("content: %w", err)
	}
	c := recommend.Content{Dim: enc.Dim(), Vectors: make([]float32, len(movieIDs)*enc.Dim())}
	bar := progress.Start(log, "encode movies", "movies", int64(len(movies)))
	const batch = 256
	for lo := 0; lo < len(movies); lo += batch {
		part := movies[lo:min(lo+batch, len(movies))]
		texts := make([]string, len(part))
		for k, m := range part {
			texts[k] = movieText(m)
		}
		vecs, err := enc.Encode(ctx, texts)
		if err != nil {
			return recommend.Content{}, fmt.Errorf("content: encode: %w", err)
		}
		for k, m := range part {
			if i, ok := slices.BinarySearch(movieIDs, m.ID); ok {
				copy(c.Row(i), vecs[k])
			}
		}
		bar.Add(int64(len(part)))
	}
	bar.Finish()
	return c, nil
}
