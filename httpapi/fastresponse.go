package httpapi

import (
	"encoding/json"
	"strconv"
)

// jsonAppender is a result with a hand-written encoder; writeResult uses
// it instead of encoding/json's reflection. Its output is byte for byte
// what json.Marshal writes (a test holds it to that); ok is false when
// it cannot write the value (a NaN score), and json.Marshal then words
// the failure.
type jsonAppender interface {
	appendJSON(b []byte) (out []byte, ok bool)
}

// scoredPoints is the answer of a single query: the hot path's result.
type scoredPoints []scoredPoint

func (ps scoredPoints) appendJSON(b []byte) ([]byte, bool) {
	return appendList(b, ps, scoredPoint.appendJSON)
}

func (p scoredPoint) appendJSON(b []byte) ([]byte, bool) {
	b = append(b, `{"id":`...)
	if n, ok := p.ID.Num(); ok {
		b = strconv.AppendUint(b, n, 10)
	} else {
		b = append(append(append(b, '"'), p.ID.String()...), '"')
	}
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(p.Version), 10)
	b = append(b, `,"score":`...)
	b, ok := appendFloat(b, float64(p.Score), 32)
	if !ok {
		return b, false
	}
	b = append(b, `,"payload":`...)
	if p.Payload == nil {
		b = append(b, "null"...)
	} else {
		raw, err := json.Marshal(p.Payload)
		if err != nil {
			return b, false
		}
		b = append(b, raw...)
	}
	b = append(b, `,"vector":`...)
	if p.Vector == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, f := range p.Vector {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendFloat(b, float64(f), 32); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), true
}

func (q queryResponse) appendJSON(b []byte) ([]byte, bool) {
	b = append(b, `{"points":`...)
	b, ok := q.Points.appendJSON(b)
	return append(b, '}'), ok
}

// scoredPointLists is the answer of a legacy batch: one list per search.
type scoredPointLists []scoredPoints

func (ls scoredPointLists) appendJSON(b []byte) ([]byte, bool) {
	return appendList(b, ls, scoredPoints.appendJSON)
}

// queryResponses is the answer of a query batch.
type queryResponses []queryResponse

func (qs queryResponses) appendJSON(b []byte) ([]byte, bool) {
	return appendList(b, qs, queryResponse.appendJSON)
}

// appendList writes items as a JSON array (null when nil).
func appendList[T any](b []byte, items []T, each func(T, []byte) ([]byte, bool)) ([]byte, bool) {
	if items == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = each(it, b); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}
