package query

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/quiver-db/quiver/bm25"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

// Queries on sparse vectors: Using names a sparse vector, the query is a
// Nearest whose input is a sparse vector, a point id (its vector of that
// name; the point is left out of the results) or a BM25 document (Model
// bm25.Model), which becomes a query vector of weight 1 per distinct term;
// the vector's modifier (idf) applies in the index. A fusion step gets a
// sparse candidate list from sparseNearest as it gets a dense one from
// nearest.

// isSparse reports whether using names a sparse vector of c and no dense
// one.
func isSparse(c Collection, using string) bool {
	if _, err := c.VectorConfig(using); err == nil {
		return false
	}
	_, err := c.SparseVectorConfig(using)
	return err == nil
}

// resolveSparse checks a query on sparse vector req.Using and turns its
// document or point id, if any, into a query vector.
func resolveSparse(ctx context.Context, c Collection, req *Request) error {
	switch q := req.Query.(type) {
	case nil:
		return nil
	case *Nearest:
		in := &q.To
		switch {
		case in.Sparse != nil:
			return nil
		case in.Doc != nil:
			v, err := bm25Query(in.Doc, "query")
			if err != nil {
				return err
			}
			in.Sparse, in.Doc = &v, nil
			return nil
		case in.ID != nil:
			if req.LookupFrom != "" {
				return badRequest("lookup_from: not supported on sparse vector %q", req.Using)
			}
			vs, err := c.SparseVectors(ctx, req.Using, []pointid.ID{*in.ID})
			if err != nil {
				return fmt.Errorf("query: %w", err)
			}
			in.Sparse = &vs[0] // in.ID stays: excluded leaves the point out
			return nil
		}
		return badRequest("query: a dense vector, but %q is a sparse vector: want {\"indices\": [...], \"values\": [...]}", req.Using)
	}
	return badRequest("query: %s is not supported on sparse vector %q (only nearest)", kindOf(req.Query), req.Using)
}

func kindOf(q Query) string {
	switch q.(type) {
	case *Recommend:
		return "recommend"
	case *ForUser:
		return "recommend for a user"
	case *Discover:
		return "discover"
	case *Context:
		return "context"
	}
	return fmt.Sprintf("%T", q)
}

// checkDense rejects sparse inputs to a query on a dense vector.
func checkDense(req *Request) error {
	for _, in := range req.inputs() {
		if in.Sparse != nil {
			return badRequest("query: a sparse vector, but %q is a dense vector", req.Using)
		}
	}
	return nil
}

func bm25Query(d *Document, where string) (sparse.Vector, error) {
	if !bm25.IsModel(d.Model) {
		return sparse.Vector{}, badRequest("%s.model %q: sparse vectors take documents of model %q", where, d.Model, bm25.Model)
	}
	v, err := bm25.Query(d.Text, d.Options)
	if err != nil {
		return sparse.Vector{}, badRequest("%s.options: %v", where, err)
	}
	return v, nil
}

// sparseNearest searches sparse vector req.Using for v, leaving out ex.
func (e *Engine) sparseNearest(ctx context.Context, c Collection, req *Request, v sparse.Vector, ex map[pointid.ID]bool) ([]index.ScoredPoint, error) {
	start := time.Now()
	res, err := c.SearchSparse(ctx, index.SparseSearchRequest{
		Using: req.Using, Vector: v, Limit: req.Offset + limitOf(req) + len(ex), Filter: req.Filter,
		ReadOptions: req.ReadOptions,
	})
	e.cfg.Observer.Searched(ctx, time.Since(start))
	if err != nil {
		return nil, err
	}
	return cut(res, req, true, ex), nil
}

// EncodeSparse turns documents into BM25 document vectors for writes to
// sparse vectors; where(i) names document i in errors. Each document's
// Model must be bm25.Model.
func (e *Engine) EncodeSparse(docs []Document, where func(i int) string) ([]sparse.Vector, error) {
	if len(docs) > e.cfg.MaxTexts {
		return nil, badRequest("%d text documents in one request, want at most %d", len(docs), e.cfg.MaxTexts)
	}
	out := make([]sparse.Vector, len(docs))
	for i := range docs {
		if strings.TrimSpace(docs[i].Text) == "" {
			return nil, badRequest("%s: document text is empty", where(i))
		}
		if !bm25.IsModel(docs[i].Model) {
			return nil, badRequest("%s.model %q: sparse vectors take documents of model %q", where(i), docs[i].Model, bm25.Model)
		}
		v, err := bm25.Document(docs[i].Text, docs[i].Options)
		if err != nil {
			return nil, badRequest("%s.options: %v", where(i), err)
		}
		out[i] = v
	}
	return out, nil
}
