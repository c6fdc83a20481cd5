package httpapi

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/pointid"

	"github.com/quiver-db/quiver/internal/testseed"
)

// fastShaped are bodies the fast decoders must take.
var fastShaped = []string{
	`{"query": [0.1, -2, 3e-5, 1E+2, 0], "limit": 10}`,
	`{"query":[1,2,3],"limit":5,"offset":2,"params":{"hnsw_ef":128},"with_payload":true,"with_vector":false}`,
	"{\n\t\"query\" : [ 1 , 2 ] ,\r\n \"score_threshold\": 0.25 }",
	`{"query": [], "params": {"exact": true, "hnsw_ef": 7}}`,
	`{"query": [1], "filter": {"must": [{"key": "genre", "match": {"value": "drama"}}]}}`,
	`{"query": [1], "filter": {"must": [{"key": "year", "range": {"gte": 1990}}]}, "with_payload": false}`,
	`{"vector": [0.5, 0.25], "limit": 3, "with_payload": true}`,
	`{}`,
	`{"limit": -0}`,
}

// slowOnly are bodies outside the fast shape or not valid at all; the
// fast decoders must give them up.
var slowOnly = []string{
	``, `   `, `null`, `[]`, `{"query": [1, 2]`, `{"query": [1, 2]} x`, `{"query": [1, 2],}`,
	`{"query": [1 2]}`, `{"query": [01]}`, `{"query": [1.]}`, `{"query": [.5]}`, `{"query": [0x10]}`,
	`{"query": [NaN]}`, `{"query": [1e39]}`, `{"query": [+1]}`, `{"query": ["1"]}`, `{"query": [null]}`,
	`{"query": 7}`, `{"query": "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}`, `{"query": {"nearest": [1]}}`,
	`{"query": {"text": "hello"}}`, `{"query": {"recommend": {"positive": [1]}}}`,
	`{"limit": 1.5}`, `{"limit": 1e3}`, `{"limit": 99999999999999999999}`, `{"limit": null}`, `{"limit": "3"}`,
	`{"LIMIT": 3}`, `{"limit": 3, "limit": 4}`, `{"li\u006dit": 3}`, `{"nope": 1}`,
	`{"params": {"hnsw_ef": 1, "hnsw_ef": 2}}`, `{"params": {"quantization": {}}}`, `{"params": null}`,
	`{"with_payload": ["a"]}`, `{"with_payload": {"include": ["a"]}}`, `{"with_payload": null}`, `{"with_vector": tru}`,
	`{"filter": null}`, `{"filter": {"must": [{"key": "a", "match": {"value": 1}}], "bogus": 1}}`,
	`{"filter": {"must": [}}`, `{"filter": {"must": "x\"}"}}`, `{"score_threshold": true}`,
	`{"prefetch": []}`, `{"using": ""}`, `{"lookup_from": {"collection": "c"}}`, `{"vector": {"text": "x"}}`,
}

// checkFastDecode holds decodeFast to decodeJSONBytes on one body.
func checkFastDecode[T any, P interface {
	*T
	fastDecoder
}](t *testing.T, body string) bool {
	var fast, slow T
	took := P(&fast).decodeFast([]byte(body))
	slowErr := decodeJSONBytes([]byte(body), &slow)
	if took {
		require.NoError(t, slowErr, "the fast path took %q, which encoding/json refuses", body)
		require.Equal(t, slow, fast, "body %q", body)
	} else {
		require.Equal(t, *new(T), fast, "a fast path that gives up must leave the request untouched")
	}
	return took
}

// batchBodies wraps every body of fastShaped and slowOnly in a batch, and
// adds batches of their own.
func batchBodies() (fast, slow []string) {
	var queries []string
	for _, b := range fastShaped {
		if !strings.Contains(b, `"vector"`) { // a legacy search body, not a query
			queries = append(queries, b)
		}
	}
	fast = []string{`{"searches": []}`, `{"searches": [` + strings.Join(queries, ",") + `]}`}
	slow = []string{`{"searches": null}`, `{"searches": [], "searches": []}`, `{"searches": [{}],}`, `{"searches": [{}] `,
		`{"searches": [{} {}]}`, `{"Searches": []}`, `{"searches": {}}`, `{"searches": [{}], "x": 1}`}
	for _, b := range slowOnly {
		slow = append(slow, `{"searches": [{"limit": 1}, `+b+`]}`)
	}
	return fast, slow
}

func TestFastDecodeAgreesWithEncodingJSON(t *testing.T) {
	fast, slow := batchBodies()
	for _, body := range fast {
		require.True(t, checkFastDecode[batchRequest[queryRequest]](t, body), "batch fast path left %q", body)
		checkFastDecode[batchRequest[searchRequest]](t, body)
	}
	for _, body := range slow {
		require.False(t, checkFastDecode[batchRequest[queryRequest]](t, body), "batch fast path took %q", body)
		require.False(t, checkFastDecode[batchRequest[searchRequest]](t, body), "batch fast path took %q", body)
	}
	for _, body := range fastShaped {
		q := checkFastDecode[queryRequest](t, body)
		s := checkFastDecode[searchRequest](t, body)
		require.True(t, q || s, "no fast path took %q", body)
	}
	for _, body := range slowOnly {
		require.False(t, checkFastDecode[queryRequest](t, body), "query fast path took %q", body)
		require.False(t, checkFastDecode[searchRequest](t, body), "search fast path took %q", body)
	}
}

func FuzzFastDecode(f *testing.F) {
	for _, b := range append(fastShaped, slowOnly...) {
		f.Add(b)
	}
	fast, slow := batchBodies()
	for _, b := range append(fast, slow...) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkFastDecode[queryRequest](t, body)
		checkFastDecode[searchRequest](t, body)
		checkFastDecode[batchRequest[queryRequest]](t, body)
	})
}

// randomScored makes points with the ids, scores, payloads and vectors
// an answer can hold, extremes included.
func randomScored(rng *rand.Rand, n int) scoredPoints {
	floats := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.1, 1e-6, 9.99e-7, 1e-30, 1e20, 1e21, 3.4e38,
		math.SmallestNonzeroFloat32, 123456789, 0.33333334}
	pick := func() float32 {
		if rng.IntN(2) == 0 {
			return floats[rng.IntN(len(floats))]
		}
		return float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-6)))
	}
	out := make(scoredPoints, n)
	for i := range out {
		p := scoredPoint{ID: pointid.FromNum(rng.Uint64() >> rng.IntN(64)), Version: rng.IntN(3), Score: pick()}
		if rng.IntN(3) == 0 {
			p.ID = pointid.FromUUID(uuid.New())
		}
		if rng.IntN(2) == 0 {
			p.Payload = filter.Payload{"title": "<Tom & Jerry>", "year": json.Number("1999"), "tags": []any{"a", 2.5, nil}}
		}
		if rng.IntN(2) == 0 {
			p.Vector = make([]float32, rng.IntN(5))
			for j := range p.Vector {
				p.Vector[j] = pick()
			}
		}
		out[i] = p
	}
	return out
}

func TestAppendJSONAgreesWithMarshal(t *testing.T) {
	rng := testseed.New(t)
	for i := range 500 {
		resp := queryResponse{Points: randomScored(rng, i%7)}
		if i%50 == 0 {
			resp.Points = nil
		}
		want, err := json.Marshal(resp)
		require.NoError(t, err)
		got, ok := resp.appendJSON(nil)
		require.True(t, ok)
		require.Equal(t, string(want), string(got))
	}
	for i := range 50 {
		var batch queryResponses
		var lists scoredPointLists
		for j := range i % 4 {
			batch = append(batch, queryResponse{Points: randomScored(rng, j)})
			lists = append(lists, randomScored(rng, j))
		}
		for _, v := range []jsonAppender{batch, lists} {
			want, err := json.Marshal(v)
			require.NoError(t, err)
			got, ok := v.appendJSON(nil)
			require.True(t, ok)
			require.Equal(t, string(want), string(got))
		}
	}
	for _, f := range []float64{0, 1e-7, 1.5e300, 123.456, -2e-9} {
		want, err := json.Marshal(f)
		require.NoError(t, err)
		got, ok := appendFloat(nil, f, 64)
		require.True(t, ok)
		require.Equal(t, string(want), string(got), fmt.Sprint(f))
	}
	_, ok := scoredPoints{{Score: float32(math.NaN())}}.appendJSON(nil)
	require.False(t, ok, "NaN has no JSON form")
}
