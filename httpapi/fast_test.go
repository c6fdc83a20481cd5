package httpapi

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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
	`{"prefetch": []}`, `{"query": [1, 2], "prefetch": {"query": [1, 2]}}`, `{"query": [1, 2], "prefetch": [{"query": [1, 2], "limit": 5}]}`,
	`{"query": {"fusion": "rrf"}, "prefetch": [{"query": [1]}]}`, `{"query": {"nearest": [1, 2], "mmr": {"diversity": 0.5}}}`,
	`{"using": ""}`, `{"lookup_from": {"collection": "c"}}`, `{"vector": {"text": "x"}}`,
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
