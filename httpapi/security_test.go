package httpapi

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// routeParams fills a route's path parameters with harmless values.
var routeParams = strings.NewReplacer(
	"{collection}", "c", "{snapshot_name}", "s.snapshot", "{id}", "1",
	"{field_name}", "f", "{user}", "u", "{shard_id}", "0", "{peer_id}", "1",
)

// rawStatus sends method path with an optional key and a "{}" body to
// routes that take one, without following redirects, and returns the
// status and body.
func rawStatus(t *testing.T, url, method, path, key string) (int, string) {
	t.Helper()
	var body io.Reader
	if method == "POST" || method == "PUT" || method == "PATCH" {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequest(method, url+path, body)
	require.NoError(t, err)
	// Keep the path exactly as written: no cleaning, no re-encoding.
	req.URL.Opaque = path
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("api-key", key)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err, "%s %s", method, path)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw)
}

// TestRouteTableAuth walks every route of the table: without a key only
// the public routes answer, and the read-only key is refused on every
// write route and accepted on every read route.
func TestRouteTableAuth(t *testing.T) {
	for _, publicMetrics := range []bool{false, true} {
		ts := newTestServer(t, t.TempDir(), func(c *Config) {
			c.APIKey, c.ReadOnlyAPIKey, c.PublicMetrics = "secret", "reader", publicMetrics
		})
		ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
		openPaths := map[string]bool{"/": true, "/healthz": true, "/readyz": true, "/livez": true, "/openapi.json": true, "/metrics": publicMetrics}
		routes := ts.h.routes()
		require.Greater(t, len(routes), 70, "the whole table")
		for _, rt := range routes {
			path := routeParams.Replace(rt.path)
			name := rt.method + " " + rt.path
			require.NotContains(t, path, "{", "%s: a path parameter the test does not fill", name)
			require.Equal(t, openPaths[rt.path], rt.access == public, "%s: public routes are exactly the probes and the spec", name)

			code, body := rawStatus(t, ts.url, rt.method, path, "")
			if openPaths[rt.path] {
				assert.Equal(t, http.StatusOK, code, "%s without a key: %s", name, body)
			} else {
				assert.Equal(t, http.StatusUnauthorized, code, "%s without a key: %s", name, body)
			}
			code, body = rawStatus(t, ts.url, rt.method, path, "wrong")
			if !openPaths[rt.path] {
				assert.Equal(t, http.StatusUnauthorized, code, "%s with a wrong key: %s", name, body)
			}

			code, body = rawStatus(t, ts.url, rt.method, path, "reader")
			if rt.access == write {
				assert.Equal(t, http.StatusForbidden, code, "%s with the read-only key: %s", name, body)
				assert.Contains(t, body, "read-only", name)
			} else {
				assert.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, code, "%s with the read-only key: %s", name, body)
				unsupported := code == http.StatusNotImplemented && strings.Contains(body, "not supported")
				assert.True(t, code < 500 || unsupported, "%s with the read-only key: %d %s", name, code, body)
			}
		}
		// The read-only key wrote nothing: the collection is still there.
		ts.ok("GET", "/collections/c", nil, nil)
	}
}

// traversalNames are collection and snapshot names that try to leave the
// data directory.
var traversalNames = []string{
	"..", "%2e%2e", "%2E%2E", "..%2F..%2Fvictim", "..%2f..%2fvictim", "a/../../b", "a%2F..%2F..%2Fb",
	"..%5C..%5Cvictim", "x%00y", "%00", "a%2Fb", "..%252F..%252Fvictim", "victim%00.snapshot",
	"%2e%2e%2f%2e%2e%2fvictim", ".%2e", "%2fetc%2fpasswd",
}

// TestRouteTableTraversal fills {collection} and {snapshot_name} of every
// route with traversal attempts, with the full key, and checks that each
// is refused and that nothing outside the data directory is read, created
// or deleted.
func TestRouteTableTraversal(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "a", "data")
	require.NoError(t, os.MkdirAll(data, 0o755))
	// A victim file two and three levels up, where ../../victim from a
	// collection or snapshot directory could land.
	const secret = "do-not-serve-me"
	for _, p := range []string{filepath.Join(root, "victim"), filepath.Join(root, "a", "victim"), filepath.Join(root, "victim.snapshot")} {
		require.NoError(t, os.WriteFile(p, []byte(secret), 0o644))
	}
	before := listTree(t, root, data)

	ts := newTestServer(t, data, func(c *Config) { c.APIKey = "secret" })
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	tried := 0
	for _, rt := range ts.h.routes() {
		for _, param := range []string{"{collection}", "{snapshot_name}"} {
			if !strings.Contains(rt.path, param) {
				continue
			}
			for _, bad := range traversalNames {
				path := routeParams.Replace(strings.ReplaceAll(rt.path, param, bad))
				code, body := rawStatus(t, ts.url, rt.method, path, "secret")
				tried++
				name := rt.method + " " + path
				if code == http.StatusNotImplemented && strings.Contains(body, "not supported") {
					continue // the unsupported routes answer before reading any name
				}
				assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusMovedPermanently},
					code, "%s: %s", name, body)
				assert.NotContains(t, body, secret, name)
			}
		}
	}
	require.Greater(t, tried, 500)
	ts.close()
	require.Equal(t, before, listTree(t, root, data), "nothing outside the data directory changed")
	for _, p := range []string{filepath.Join(root, "victim"), filepath.Join(root, "a", "victim"), filepath.Join(root, "victim.snapshot")} {
		raw, err := os.ReadFile(p)
		require.NoError(t, err, p)
		require.Equal(t, secret, string(raw))
	}
}

// listTree lists every path under root except those under skip.
func listTree(t *testing.T, root, skip string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		out = append(out, p)
		return nil
	}))
	return out
}
