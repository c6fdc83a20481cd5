package httpapi

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDashboardIsPublicItsAPINot: the pages load without the api-key,
// the calls they make still need it.
func TestDashboardIsPublicItsAPINot(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.APIKey = "k" })
	for _, path := range []string{"/dashboard/", "/dashboard/app.js", "/dashboard/pages.js", "/dashboard/style.css"} {
		resp, err := http.Get(ts.url + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.NotEmpty(t, body, path)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(ts.url + "/dashboard")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)

	resp, err = http.Get(ts.url + "/collections")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, err = http.Post(ts.url+"/collections/c/points/projection", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
