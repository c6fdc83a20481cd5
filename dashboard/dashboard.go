// Package dashboard is the web dashboard the server shows at /dashboard:
// collections, points, search, recommendations, a 2-D map of the vectors
// and the server's figures, for people who want to look rather than read
// JSON. The pages are plain ES modules with no build step, embedded in the
// binary so that it serves them offline; they call the same authenticated
// API as any client (the page asks for the api-key and keeps it in memory).
package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// Prefix is the path the dashboard is served under.
const Prefix = "/dashboard"

// csp lets the pages load only their own files and call only their own
// server: nothing comes from a CDN, and a stray inline script is refused.
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"

// Handler serves the dashboard's files under Prefix: Prefix itself
// redirects to Prefix/ so that the pages' relative links resolve.
func Handler() http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	fileServer := http.StripPrefix(Prefix, http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == Prefix {
			http.Redirect(w, r, "dashboard/", http.StatusMovedPermanently)
			return
		}
		if !strings.HasPrefix(r.URL.Path, Prefix+"/") {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		fileServer.ServeHTTP(w, r)
	})
}
