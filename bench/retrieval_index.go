package bench

import (
	"context"
	"fmt"
	"io"

	"github.com/quiver-db/quiver/bm25"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/progress"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/query"
	"github.com/quiver-db/quiver/sparse"
)

// The retrieval collection's vectors.
const (
	denseVector  = "dense"
	sparseVector = "bm25"
)

// retrievalIndex is the set's documents in a collection on disk, with a
// query engine over it, as the server holds them.
type retrievalIndex struct {
	db  *index.DB
	col *index.Collection
	eng *query.Engine
	// docOf maps a point id (a movieId) back to its document.
	docOf map[uint64]int32
	bm25  bm25.Options
}

// openRetrievalIndex creates collection "movies" in a new DB at dir: a
// dense vector (Cosine, the encoder's) and a BM25 sparse vector (idf
// modifier) for each document.
func openRetrievalIndex(ctx context.Context, dir string, set *RetrievalSet, enc Embedder, model string, opts bm25.Options, log io.Writer) (*retrievalIndex, error) {
	db, err := index.Open(ctx, dir, index.Options{})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	ix := &retrievalIndex{db: db, docOf: make(map[uint64]int32, len(set.Docs)), bm25: opts}
	ok := false
	defer func() {
		if !ok {
			db.Close()
		}
	}()
	ix.col, err = db.Create(ctx, "movies", index.Config{
		Vectors:       map[string]index.VectorConfig{denseVector: {Size: enc.Dim(), Distance: index.Cosine, Model: model}},
		SparseVectors: map[string]index.SparseVectorConfig{sparseVector: {Modifier: index.ModifierIDF}},
	})
	if err != nil {
		return nil, fmt.Errorf("create collection: %w", err)
	}
	ix.eng, err = query.New(query.Config{Models: map[string]query.Embedder{model: enc}})
	if err != nil {
		return nil, err
	}
	bar := progress.Start(log, "encode and upsert movies", "movies", int64(len(set.Docs)))
	defer bar.Finish()
	const batch = 256
	for lo := 0; lo < len(set.Docs); lo += batch {
		hi := min(lo+batch, len(set.Docs))
		vecs, err := enc.Encode(ctx, set.Docs[lo:hi])
		if err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		points := make([]index.Point, hi-lo)
		for i := lo; i < hi; i++ {
			sv, err := bm25.Document(set.Docs[i], opts)
			if err != nil {
				return nil, fmt.Errorf("bm25 of %q: %w", set.Docs[i], err)
			}
			id := uint64(set.MovieIDs[i])
			ix.docOf[id] = int32(i)
			points[i-lo] = index.Point{ID: pointid.FromNum(id), Vectors: map[string][]float32{denseVector: vecs[i-lo]}, Sparse: map[string]sparse.Vector{sparseVector: sv}}
		}
		if err := ix.col.Upsert(ctx, points); err != nil {
			return nil, fmt.Errorf("upsert: %w", err)
		}
		bar.Add(int64(hi - lo))
	}
	ok = true
	return ix, nil
}

func (ix *retrievalIndex) close() error { return ix.db.Close() }

// run answers one request and returns its documents in rank order.
func (ix *retrievalIndex) run(ctx context.Context, req query.Request) ([]int32, error) {
	res, err := ix.eng.Run(ctx, ix.col, []query.Request{req})
	if err != nil {
		return nil, err
	}
	out := make([]int32, 0, len(res[0]))
	for _, p := range res[0] {
		n, _ := p.ID.Num()
		out = append(out, ix.docOf[n])
	}
	return out, nil
}

// bm25Request ranks by the BM25 vector, the query given as text.
func (ix *retrievalIndex) bm25Request(text string, limit int) query.Request {
	return query.Request{Using: sparseVector, Limit: limit, Query: &query.Nearest{To: query.Input{
		Doc: &query.Document{Text: text, Model: bm25.Model, Options: ix.bm25}}}}
}

// denseRequest ranks by the dense vector: the text encoded by the engine,
// or vec when it is not nil.
func denseRequest(text string, vec []float32, limit int) query.Request {
	in := query.Input{Doc: &query.Document{Text: text}}
	if vec != nil {
		in = query.Input{Vector: vec}
	}
	return query.Request{Using: denseVector, Limit: limit, Query: &query.Nearest{To: in}}
}

// fusionRequest fuses a BM25 and a dense prefetch of depth candidates
// each; weights, when set, are (bm25, dense).
func (ix *retrievalIndex) fusionRequest(text string, vec []float32, m query.FusionMethod, weights []float32, depth, limit int) query.Request {
	return query.Request{
		Limit:    limit,
		Query:    &query.Fusion{Method: m, Weights: weights},
		Prefetch: []query.Request{ix.bm25Request(text, depth), denseRequest(text, vec, depth)},
	}
}
