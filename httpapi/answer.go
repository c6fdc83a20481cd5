package httpapi

import (
	"encoding/json"
	"slices"

	gojson "github.com/goccy/go-json"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// Query answers are the server's most frequent large bodies. We encoded
// them by hand until BenchmarkEncodeAnswer showed github.com/goccy/go-json
// writing them in about half the CPU time, with a sixth of the
// allocations (README, "Hand-written fast paths"); a test holds its
// output for these types to json.Marshal's, byte for byte. Every other
// body stays with encoding/json.

// scoredPoints is the answer of a single query: the hot path's result.
type scoredPoints []scoredPoint

// scoredPointLists is the answer of a legacy batch: one list per search.
type scoredPointLists []scoredPoints

// queryResponses is the answer of a query batch.
type queryResponses []queryResponse

// isAnswer reports whether result is a query answer.
func isAnswer(result any) bool {
	switch result.(type) {
	case queryResponse, scoredPoints, scoredPointLists, queryResponses,
		namedQueryResponse, namedScoredPoints, namedScoredPointLists, namedQueryResponses:
		return true
	}
	return false
}

// marshal is json.Marshal, with goccy/go-json for the envelope of a query
// answer. When goccy fails (a NaN score) encoding/json runs too, so the
// error is always encoding/json's.
func marshal(v any) ([]byte, error) {
	if env, ok := v.(envelope); ok && isAnswer(env.Result) {
		if buf, err := gojson.Marshal(env); err == nil {
			return buf, nil
		}
	}
	return json.Marshal(v)
}

// Answers of collections with named vectors show each point's vectors as
// a map of names; the unnamed answer types above stay as they are.
type (
	namedScoredPoint struct {
		ID      pointid.ID     `json:"id"`
		Version int            `json:"version"`
		Score   float32        `json:"score"`
		Payload filter.Payload `json:"payload"`
		// Vector is a map[string][]float32, or, when the point carries
		// sparse vectors, a map of names to dense and sparse ones.
		Vector any `json:"vector"`
		// Explanation and OrderValue: see scoredPoint.
		Explanation []contribution `json:"explanation,omitempty"`
		OrderValue  any            `json:"order_value,omitempty"`
	}
	namedScoredPoints     []namedScoredPoint
	namedScoredPointLists []namedScoredPoints
	namedQueryResponse    struct {
		Points namedScoredPoints `json:"points"`
	}
	namedQueryResponses []namedQueryResponse
)

// namedAnswer returns a query answer as its named form when any point in
// it carries named vectors, else unchanged.
func namedAnswer(v any) any {
	switch a := v.(type) {
	case scoredPoints:
		if hasNamed(a) {
			return toNamed(a)
		}
	case scoredPointLists:
		if slices.ContainsFunc(a, hasNamed) {
			out := make(namedScoredPointLists, len(a))
			for i, l := range a {
				out[i] = toNamed(l)
			}
			return out
		}
	case queryResponse:
		if hasNamed(a.Points) {
			return namedQueryResponse{Points: toNamed(a.Points)}
		}
	case queryResponses:
		if slices.ContainsFunc(a, func(r queryResponse) bool { return hasNamed(r.Points) }) {
			out := make(namedQueryResponses, len(a))
			for i, r := range a {
				out[i] = namedQueryResponse{Points: toNamed(r.Points)}
			}
			return out
		}
	}
	return v
}

func hasNamed(ps scoredPoints) bool {
	return slices.ContainsFunc(ps, func(p scoredPoint) bool { return p.Vectors != nil })
}

func toNamed(ps scoredPoints) namedScoredPoints {
	out := make(namedScoredPoints, len(ps))
	for i, p := range ps {
		out[i] = namedScoredPoint{ID: p.ID, Version: p.Version, Score: p.Score, Payload: p.Payload, Vector: p.Vectors, Explanation: p.Explanation, OrderValue: p.OrderValue}
		if p.Sparse != nil {
			out[i].Vector = vectorsWithSparse(index.Record{Vectors: p.Vectors, Sparse: p.Sparse})
		}
	}
	return out
}
