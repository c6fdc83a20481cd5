package bench

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/quiver-db/quiver/recommend/eval"
)

// RetrievalSet is a labelled text-retrieval set made from MovieLens, as
// there is no other on the machine: each query is a tag (case-folded and
// trimmed), its relevant documents the movies users gave that tag, and a
// document is a movie's title and genres only (movieText), so the tags
// being searched for are never in the indexed text.
type RetrievalSet struct {
	// MovieIDs and Docs are the movies of movies.csv in its order.
	MovieIDs []int64
	Docs     []string
	Queries  []RetrievalQuery
	// Tags counts the distinct normalised tags, kept or not.
	Tags int
}

// RetrievalQuery is one tag and the documents carrying it.
type RetrievalQuery struct {
	Text string
	// Relevant are indexes into Docs, ascending.
	Relevant []int32
}

// LoadRetrievalSet reads movies.csv and tags.csv of dir and keeps the tags
// applied to between minMovies and maxMovies distinct movies (inclusive),
// sorted by tag.
func LoadRetrievalSet(dir string, minMovies, maxMovies int) (*RetrievalSet, error) {
	movies, err := eval.LoadMovies(dir)
	if err != nil {
		return nil, fmt.Errorf("retrieval set: %w", err)
	}
	set := &RetrievalSet{}
	docOf := make(map[int64]int32, len(movies))
	for i, m := range movies {
		set.MovieIDs = append(set.MovieIDs, m.ID)
		set.Docs = append(set.Docs, movieText(m))
		docOf[m.ID] = int32(i)
	}
	tagged, err := readTags(filepath.Join(dir, "tags.csv"), docOf)
	if err != nil {
		return nil, fmt.Errorf("retrieval set: %w", err)
	}
	set.Tags = len(tagged)
	for tag, docs := range tagged {
		if len(docs) < minMovies || len(docs) > maxMovies {
			continue
		}
		rel := make([]int32, 0, len(docs))
		for d := range docs {
			rel = append(rel, d)
		}
		slices.Sort(rel)
		set.Queries = append(set.Queries, RetrievalQuery{Text: tag, Relevant: rel})
	}
	slices.SortFunc(set.Queries, func(a, b RetrievalQuery) int { return strings.Compare(a.Text, b.Text) })
	if len(set.Queries) == 0 {
		return nil, fmt.Errorf("retrieval set: no tag of %s on %d..%d movies", dir, minMovies, maxMovies)
	}
	return set, nil
}

// readTags returns each normalised tag's set of documents; tags of movies
// missing from movies.csv are skipped.
func readTags(path string, docOf map[int64]int32) (map[string]map[int32]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	out := map[string]map[int32]bool{}
	for line, rec := range recs[1:] {
		if len(rec) != 4 {
			return nil, fmt.Errorf("%s line %d: %d fields, want 4 (userId,movieId,tag,timestamp)", path, line+2, len(rec))
		}
		id, err := strconv.ParseInt(rec[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: movieId: %w", path, line+2, err)
		}
		doc, ok := docOf[id]
		tag := normTag(rec[2])
		if !ok || tag == "" {
			continue
		}
		if out[tag] == nil {
			out[tag] = map[int32]bool{}
		}
		out[tag][doc] = true
	}
	return out, nil
}

// normTag case-folds and trims a tag, so "Sci-Fi " and "sci-fi" are one
// query.
func normTag(tag string) string { return strings.ToLower(strings.TrimSpace(tag)) }

// Metrics are a ranking's quality, each the mean over queries.
type Metrics struct {
	NDCGAt10    float64 `json:"ndcg_at_10"`
	RecallAt100 float64 `json:"recall_at_100"`
}

// queryMetrics scores one ranked list of documents against the relevant
// ones (ascending): NDCG@10 with binary relevance and the ideal DCG over
// min(10, |R|) documents, and Recall@100 = hits in the top 100 /
// min(100, |R|), as eval.UserMetrics counts recall.
func queryMetrics(ranked []int32, rel []int32) Metrics {
	var dcg, idcg float64
	hits := 0
	for pos, d := range ranked[:min(len(ranked), 100)] {
		if _, ok := slices.BinarySearch(rel, d); !ok {
			continue
		}
		hits++
		if pos < 10 {
			dcg += 1 / math.Log2(float64(pos)+2)
		}
	}
	for pos := range min(10, len(rel)) {
		idcg += 1 / math.Log2(float64(pos)+2)
	}
	return Metrics{NDCGAt10: dcg / idcg, RecallAt100: float64(hits) / float64(min(100, len(rel)))}
}

// meanMetrics averages the metrics of the ranked lists of the queries
// named by which (all queries when nil).
func meanMetrics(ranked [][]int32, qs []RetrievalQuery, which []int) Metrics {
	if which == nil {
		which = make([]int, len(qs))
		for i := range which {
			which[i] = i
		}
	}
	var sum Metrics
	for _, i := range which {
		m := queryMetrics(ranked[i], qs[i].Relevant)
		sum.NDCGAt10 += m.NDCGAt10
		sum.RecallAt100 += m.RecallAt100
	}
	n := float64(len(which))
	return Metrics{NDCGAt10: sum.NDCGAt10 / n, RecallAt100: sum.RecallAt100 / n}
}
