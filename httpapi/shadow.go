package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// A path can fit a route with variables and, for other methods, a route
// with literals in their place: GET /collections/{c}/snapshots/recover
// fits GET .../snapshots/{snapshot_name}, but the resource is the
// literal route PUT .../snapshots/recover. The router takes the first
// fit for the method; shadowed turns that into the 405 the spec implies.

// shadow is a more literal route that can take a route's paths.
type shadow struct {
	segments []string // "" where the shadow has a variable
	methods  []string
}

// shadowsOf returns, for rt, the routes with the same number of segments
// and fewer variables whose literals sit where rt has variables.
func shadowsOf(rt route, all []route) []shadow {
	mine := strings.Split(rt.path, "/")
	vars := strings.Count(rt.path, "{")
	byPath := map[string]*shadow{}
	var order []string
	for _, o := range all {
		theirs := strings.Split(o.path, "/")
		if len(theirs) != len(mine) || strings.Count(o.path, "{") >= vars {
			continue
		}
		segs, fits := make([]string, len(theirs)), true
		for i, s := range theirs {
			switch {
			case strings.HasPrefix(s, "{"):
				fits = fits && strings.HasPrefix(mine[i], "{")
			case strings.HasPrefix(mine[i], "{") || mine[i] == s:
				segs[i] = s
			default:
				fits = false
			}
		}
		if !fits {
			continue
		}
		sh, ok := byPath[o.path]
		if !ok {
			sh = &shadow{segments: segs}
			byPath[o.path] = sh
			order = append(order, o.path)
		}
		sh.methods = append(sh.methods, o.method)
	}
	out := make([]shadow, 0, len(order))
	for _, p := range order {
		out = append(out, *byPath[p])
	}
	return out
}

// shadowed returns the methods of a more literal route that names path,
// or nil when none does.
func shadowed(shadows []shadow, path string) []string {
	if len(shadows) == 0 {
		return nil
	}
	segs := strings.Split(path, "/")
	for _, sh := range shadows {
		if len(segs) != len(sh.segments) {
			continue
		}
		match := true
		for i, s := range sh.segments {
			match = match && (s == "" || s == segs[i])
		}
		if match {
			return slices.Clone(sh.methods)
		}
	}
	return nil
}

// writeShadowed answers 405 for a path that names a literal route.
func writeShadowed(w http.ResponseWriter, r *http.Request, start time.Time, allow []string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeErrorStatus(w, start, http.StatusMethodNotAllowed,
		"method "+r.Method+" not allowed on "+r.URL.Path+" (allowed: "+strings.Join(allow, ", ")+")")
}
