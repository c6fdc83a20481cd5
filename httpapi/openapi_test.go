package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOpenAPIMatchesRoutes checks that the served document lists exactly
// the routes the server has, and that every $ref in it resolves.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	resp, err := http.Get(ts.url + "/openapi.json")
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	var spec struct {
		OpenAPI    string                           `json:"openapi"`
		Info       struct{ Version string }         `json:"info"`
		Paths      map[string]map[string]any        `json:"paths"`
		Components struct{ Schemas map[string]any } `json:"components"`
	}
	require.NoError(t, json.Unmarshal(raw, &spec))
	require.True(t, strings.HasPrefix(spec.OpenAPI, "3."))
	require.Equal(t, Version, spec.Info.Version)

	inSpec := map[string]bool{}
	for path, ops := range spec.Paths {
		for method := range ops {
			inSpec[strings.ToUpper(method)+" "+path] = true
		}
	}
	inServer := map[string]bool{}
	for _, rt := range ts.h.routes() {
		inServer[rt.method+" "+rt.path] = true
	}
	for r := range inServer {
		require.True(t, inSpec[r], "route %s is not in openapi.json", r)
	}
	for r := range inSpec {
		require.True(t, inServer[r], "openapi.json documents %s, which the server does not have", r)
	}

	for _, m := range regexp.MustCompile(`"\$ref": "#/components/schemas/([^"]+)"`).FindAllStringSubmatch(string(raw), -1) {
		require.Contains(t, spec.Components.Schemas, m[1], "dangling $ref")
	}
}
