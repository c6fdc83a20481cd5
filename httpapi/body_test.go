package httpapi

import (
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBodyMemoryFollowsBytesRead: a request that declares a 64 MiB body
// and sends a few bytes must not reserve the declared size.
func TestBodyMemoryFollowsBytesRead(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 20 {
		r := httptest.NewRequest("POST", "/", strings.NewReader(`{"limit": 3}`))
		r.ContentLength = 64 << 20
		var q queryRequest
		require.NoError(t, decodeJSON(r, &q))
	}
	runtime.ReadMemStats(&after)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "20 requests declaring 64 MiB each")
}

func TestMethodNotAllowedSaysWhatIs(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	r := ts.do("PATCH", "/collections/c/points/query", `{}`)
	require.Equal(t, 405, r.Code)
	// GET /points/{id} matches the path too, but the literal route is
	// the resource: only its methods are allowed, as the spec says.
	require.Equal(t, "POST", r.Header.Get("Allow"))
	// A name that cannot be a collection's is a 400 on every route, even
	// those answering false for a missing collection.
	ts.fails(400, "GET", "/collections/%C2%84/exists", nil, "collection name")
	ts.fails(400, "DELETE", "/collections/a%20b", nil, "collection name")
	// timeout takes any count of seconds (the server's own deadline
	// applies), and nothing else.
	require.Equal(t, 200, ts.do("DELETE", "/collections/c?timeout=36495873499350647459106783232", nil).Code)
	ts.fails(400, "DELETE", "/collections/c?timeout=-1", nil, "timeout")
	r = ts.do("POST", "/collections/c", `{}`)
	require.Equal(t, 405, r.Code)
	require.Equal(t, "GET, PUT, DELETE, PATCH", r.Header.Get("Allow"))
}

func TestTypeErrorsSpeakJSON(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	require.Equal(t, 200, ts.do("PUT", "/collections/c", `{"vectors": {"size": 2, "distance": "Dot"}}`).Code)
	r := ts.do("POST", "/collections/c/points/query", `{"query": [1, 2], "limit": "ten"}`)
	require.Equal(t, 400, r.Code)
	require.Equal(t, `field "limit": want an integer, got string`, r.Error)
	r = ts.do("POST", "/collections/c/points/scroll", `{"with_vector": true, "offset": 1, "limit": 1.5}`)
	require.Equal(t, 400, r.Code)
	require.Equal(t, `field "limit": want an integer, got number 1.5`, r.Error)
}
