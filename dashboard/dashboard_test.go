package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Result()
}

func TestServesTheApp(t *testing.T) {
	resp := get(t, "/dashboard")
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	assert.Equal(t, "/dashboard/", resp.Header.Get("Location"))

	resp = get(t, "/dashboard/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(body), `<script type="module" src="app.js">`)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")

	for path, ctype := range map[string]string{"/dashboard/app.js": "text/javascript", "/dashboard/pages.js": "text/javascript", "/dashboard/style.css": "text/css"} {
		resp := get(t, path)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, resp.Header.Get("Content-Type"), ctype, path)
	}
	assert.Equal(t, http.StatusNotFound, get(t, "/dashboard/nope.js").StatusCode)
	assert.Equal(t, http.StatusNotFound, get(t, "/dashboards").StatusCode)
}
