package query

import (
	"errors"

	"github.com/quiver-db/quiver/bm25"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

// ErrNoModel marks a text document naming a model the engine does not have.
var ErrNoModel = errors.New("model not available")

// Input is what stands where a vector goes: a vector, a sparse vector, a
// text document or the id of a stored point. Exactly one is set;
// resolving an input fills Vector (Sparse for a sparse vector's query).
type Input struct {
	Vector []float32
	Sparse *sparse.Vector
	Doc    *Document
	ID     *pointid.ID
}

// Document is a text to encode. An empty Model means the model of the
// vector it fills (the collection's, or the named vector's); a sparse
// vector's documents name bm25.Model.
type Document struct {
	Text, Model string
	// Options are a BM25 document's options (language, k, b, avg_len);
	// other models take none.
	Options bm25.Options
}

// NamedDocument is a document that fills the vector called Using ("" is
// the unnamed one) in a write.
type NamedDocument struct {
	Using string
	Document
}

// Query is a node of the query tree: *Nearest, *Recommend, *Discover,
// *Context, *OrderBy, *ForUser or *Fusion.
type Query interface{ isQuery() }

// Nearest ranks points by their score against one input.
type Nearest struct {
	To Input
	// MMR, when set, picks diverse results among the nearest.
	MMR *MMR
}

// Recommend ranks points by their similarity to positive examples and
// dissimilarity to negative ones, as Qdrant's recommend does.
type Recommend struct {
	Positive, Negative []Input
	// Strategy is how examples combine; empty means AverageVector.
	Strategy Strategy
}

func (*Nearest) isQuery()   {}
func (*Recommend) isQuery() {}

// Strategy is a recommendation strategy, spelled as Qdrant spells it.
type Strategy string

// Strategies.
const (
	// AverageVector searches for avg(positive) + (avg(positive) −
	// avg(negative)), or avg(positive) without negatives.
	AverageVector Strategy = "average_vector"
	// BestScore scores a candidate by its best positive similarity if that
	// beats its best negative one, else by minus the square of the best
	// negative similarity.
	BestScore Strategy = "best_score"
	// SumScores scores a candidate by the sum of its positive similarities
	// minus the sum of its negative ones.
	SumScores Strategy = "sum_scores"
)

// Request is one query with everything that shapes its answer.
type Request struct {
	// Query is what to rank by; nil lists the matching points in id order
	// with score 0.
	Query Query
	// Filter restricts results to matching points; nil means all.
	Filter *filter.Filter
	// Limit is the number of results; zero means 10. Offset skips the best
	// Offset results.
	Limit, Offset int
	// ScoreThreshold drops results scoring below it (above it for Euclid,
	// where lower is better).
	ScoreThreshold *float32
	// Ef is the graph search's candidate list size; zero means the
	// collection's default.
	Ef int
	// Exact scores every matching point instead of walking the graph.
	Exact bool
	// Quantization shapes the walk of a quantized vector (params.quantization).
	Quantization index.QuantizationSearch
	// IVF shapes the scan of a vector with a partitioned index (params.ivf).
	IVF index.IVFSearch
	// Using names the vector the query ranks by; "" is the unnamed one.
	// Its size and model are what inputs must match and documents use.
	Using string
	// LookupFrom names the collection whose points the query's ids name;
	// empty means the queried collection, whose named points are then left
	// out of the results.
	LookupFrom string
	// LookupVector names the vector of LookupFrom's points that ids stand
	// for; "" is its unnamed vector (as Qdrant's lookup_from.vector). Ids
	// in the queried collection stand for its Using vector.
	LookupVector string
	// Prefetch are requests whose results the query fuses or re-scores
	// (see prefetch.go); their Offset must be 0 and their ReadOptions are
	// not used.
	Prefetch []Request
	// ReadOptions select what results carry besides ids and scores.
	index.ReadOptions

	// sparseUse marks a resolved request on a sparse vector.
	sparseUse bool
	// among, when set, are the only points a score-based recommendation
	// ranks: the union of its prefetches' results.
	among []pointid.ID
}

// withOwnInputs returns r with a copy of its query, so resolving inputs
// changes nothing the caller holds.
func (r Request) withOwnInputs() Request {
	switch q := r.Query.(type) {
	case *Nearest:
		r.Query = &Nearest{To: q.To, MMR: q.MMR}
	case *Recommend:
		r.Query = &Recommend{Positive: append([]Input(nil), q.Positive...), Negative: append([]Input(nil), q.Negative...), Strategy: q.Strategy}
	case *Discover:
		r.Query = &Discover{Target: q.Target, Context: append([]ContextPair(nil), q.Context...)}
	case *Context:
		r.Query = &Context{Pairs: append([]ContextPair(nil), q.Pairs...)}
	case *ForUser:
		own := *q
		if q.Text != nil {
			doc := *q.Text
			own.Text = &doc
		}
		r.Query = &own
	}
	if r.Prefetch != nil {
		pre := make([]Request, len(r.Prefetch))
		for i := range r.Prefetch {
			pre[i] = r.Prefetch[i].withOwnInputs()
		}
		r.Prefetch = pre
	}
	return r
}

// inputs returns pointers to every input of the query, so resolving them
// fills the request's copy.
func (r *Request) inputs() []*Input {
	switch q := r.Query.(type) {
	case *Nearest:
		return []*Input{&q.To}
	case *Recommend:
		out := make([]*Input, 0, len(q.Positive)+len(q.Negative))
		for i := range q.Positive {
			out = append(out, &q.Positive[i])
		}
		for i := range q.Negative {
			out = append(out, &q.Negative[i])
		}
		return out
	case *Discover:
		return pairInputs([]*Input{&q.Target}, q.Context)
	case *Context:
		return pairInputs(nil, q.Pairs)
	}
	return nil
}
