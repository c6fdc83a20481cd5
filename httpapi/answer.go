package httpapi

import (
	"encoding/json"

	gojson "github.com/goccy/go-json"
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
	case queryResponse, scoredPoints, scoredPointLists, queryResponses:
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
