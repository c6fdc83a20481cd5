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
	// GET matches too: it reads the point whose id is "query" (and
	// answers that the id is not one).
	require.Equal(t, "GET, POST", r.Header.Get("Allow"))
	r = ts.do("POST", "/collections/c", `{}`)
	require.Equal(t, 405, r.Code)
	require.Equal(t, "GET, PUT, DELETE", r.Header.Get("Allow"))
}
