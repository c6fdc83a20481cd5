package httpapi

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadsRacingADrop: requests on a collection being dropped answer 200
// or 404, never 500, and another collection's requests go on meanwhile.
func TestReadsRacingADrop(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	for _, name := range []string{"doomed", "other"} {
		require.Equal(t, 200, ts.do("PUT", "/collections/"+name, `{"vectors": {"size": 4, "distance": "Cosine"}}`).Code)
		var pts []string
		for i := range 2000 {
			pts = append(pts, fmt.Sprintf(`{"id": %d, "vector": [1, %d, 2, 3], "payload": {"i": %d}}`, i, i%7, i))
		}
		require.Equal(t, 200, ts.do("PUT", "/collections/"+name+"/points", `{"points": [`+strings.Join(pts, ",")+`]}`).Code)
	}
	reads := []struct{ method, path, body string }{
		{"POST", "/points/query", `{"query": [1, 2, 3, 4], "limit": 50, "with_payload": true}`},
		{"POST", "/points/scroll", `{"limit": 500, "with_payload": true, "with_vector": true}`},
		{"POST", "/points", `{"ids": [1, 2, 3, 500, 1999], "with_payload": true}`},
		{"POST", "/points/count", `{}`},
		{"PUT", "/points", `{"points": [{"id": 5000, "vector": [1, 1, 1, 1]}]}`},
		{"GET", "", ``},
	}
	var wg, started sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for w := range 4 {
		started.Add(1)
		wg.Go(func() {
			for k := range 120 {
				if k == 10 {
					started.Done() // the drop waits for every reader to be running
				}
				rd := reads[(w+k)%len(reads)]
				var body any
				if rd.body != "" {
					body = rd.body
				}
				r := ts.do(rd.method, "/collections/doomed"+rd.path, body)
				mu.Lock()
				codes[r.Code]++
				mu.Unlock()
				require.Contains(t, []int{200, 404}, r.Code, "%s %s: %s", rd.method, rd.path, r.Error)
			}
		})
	}
	started.Wait()
	require.Equal(t, 200, ts.do("DELETE", "/collections/doomed", nil).Code)
	require.Equal(t, 200, ts.do("POST", "/collections/other/points/count", `{}`).Code)
	wg.Wait()
	t.Logf("statuses: %v", codes)
}
