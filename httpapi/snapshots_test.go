package httpapi

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// get fetches path with the test server's key and returns status and body.
func (ts *testServer) get(path string) (int, []byte) {
	ts.t.Helper()
	req, err := http.NewRequest("GET", ts.url+path, nil)
	require.NoError(ts.t, err)
	req.Header.Set("api-key", ts.key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(ts.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(ts.t, err)
	return resp.StatusCode, body
}

// upload posts file as the multipart field "snapshot", as qdrant-client
// does, and returns the status and error message.
func (ts *testServer) upload(collection string, query string, field string, file []byte) (int, string) {
	ts.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, "x.snapshot")
	require.NoError(ts.t, err)
	_, err = fw.Write(file)
	require.NoError(ts.t, err)
	require.NoError(ts.t, mw.Close())
	req, err := http.NewRequest("POST", ts.url+"/collections/"+collection+"/snapshots/upload"+query, &body)
	require.NoError(ts.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("api-key", ts.key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(ts.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(ts.t, err)
	return resp.StatusCode, string(raw)
}

func (ts *testServer) count(collection string) int {
	ts.t.Helper()
	var out struct {
		Count int `json:"count"`
	}
	ts.ok("POST", "/collections/"+collection+"/points/count", map[string]any{}, &out)
	return out.Count
}

// TestSnapshotRoutes creates, lists, downloads, uploads, recovers and
// deletes snapshots over real HTTP, and refuses names and locations
// that leave the snapshot directory.
func TestSnapshotRoutes(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, dir, func(c *Config) { c.APIKey = "k" })
	createSmall(ts, "c")
	ts.ok("POST", "/collections/aliases", map[string]any{"actions": []any{
		map[string]any{"create_alias": map[string]any{"collection_name": "c", "alias_name": "live"}}}}, nil)

	var snap snapshotOut
	ts.ok("POST", "/collections/live/snapshots?wait=true", nil, &snap)
	require.Regexp(t, `^c-.*\.snapshot$`, snap.Name)
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`, snap.CreationTime)
	var list []snapshotOut
	ts.ok("GET", "/collections/c/snapshots", nil, &list)
	require.Equal(t, []snapshotOut{snap}, list)

	code, file := ts.get("/collections/c/snapshots/" + snap.Name)
	require.Equal(t, http.StatusOK, code)
	sum := sha256.Sum256(file)
	require.Equal(t, snap.Checksum, hex.EncodeToString(sum[:]))
	require.Equal(t, snap.Size, int64(len(file)))

	// Upload into a new collection, and over c after more writes.
	code, msg := ts.upload("copy", "?priority=snapshot&checksum="+snap.Checksum, "snapshot", file)
	require.Equal(t, http.StatusOK, code, msg)
	require.Equal(t, 2, ts.count("copy"))
	ts.ok("PUT", "/collections/c/points?wait=true", map[string]any{"points": []any{map[string]any{"id": 9, "vector": []float32{1, 1}}}}, nil)
	require.Equal(t, 3, ts.count("live"))
	code, msg = ts.upload("live", "", "snapshot", file)
	require.Equal(t, http.StatusOK, code, msg)
	require.Equal(t, 2, ts.count("c"))

	// Recover from the file by its file:// location.
	ts.ok("PUT", "/collections/c/points?wait=true", map[string]any{"points": []any{map[string]any{"id": 9, "vector": []float32{1, 1}}}}, nil)
	path := filepath.Join(dir, "snapshots", "c", snap.Name)
	ts.ok("PUT", "/collections/c/snapshots/recover", map[string]any{"location": "file://" + path, "checksum": snap.Checksum}, nil)
	require.Equal(t, 2, ts.count("c"))

	outside := filepath.Join(t.TempDir(), "x.snapshot")
	require.NoError(t, os.WriteFile(outside, file, 0o644))
	for _, bad := range []struct {
		loc  string
		want string
	}{
		{"file://" + outside, "not in the snapshot directory"},
		{"file://" + filepath.Join(dir, "snapshots", "c", "..", "..", "..", outside), "location"},
		{"http://169.254.169.254/latest/meta-data", "http(s)"},
		{"https://example.com/x.snapshot", "upload"},
		{"ftp://x/y", "file://"},
		{"relative/path.snapshot", "file://"},
		{"", "location"},
	} {
		r := ts.do("PUT", "/collections/c/snapshots/recover", map[string]any{"location": bad.loc})
		require.True(t, r.Code == http.StatusBadRequest || r.Code == http.StatusNotFound, "%s: %d %s", bad.loc, r.Code, r.Error)
		if r.Code == http.StatusBadRequest {
			require.Contains(t, r.Error, bad.want, bad.loc)
		}
	}
	ts.fails(http.StatusBadRequest, "PUT", "/collections/c/snapshots/recover", map[string]any{"location": "file://" + path, "checksum": "00"}, "checksum")
	ts.fails(http.StatusBadRequest, "PUT", "/collections/c/snapshots/recover", map[string]any{"location": "file://" + path, "priority": "first"}, "priority")
	code, msg = ts.upload("c", "", "file", file)
	require.Equal(t, http.StatusBadRequest, code, msg)
	require.Contains(t, msg, `multipart field`)
	code, msg = ts.upload("c", "", "snapshot", []byte("garbage"))
	require.Equal(t, http.StatusBadRequest, code, msg)
	code, msg = ts.upload("c", "?checksum=abc", "snapshot", file)
	require.Equal(t, http.StatusBadRequest, code, msg)
	require.Contains(t, msg, "checksum")
	require.Equal(t, 2, ts.count("c"), "refused recoveries change nothing")

	// Names that could reach outside the directory serve no file (a
	// cleaned ".." path is redirected to the route it names).
	require.NoError(t, os.WriteFile(filepath.Join(dir, "snapshots", "secret.snapshot"), file, 0o644))
	for _, name := range []string{".hidden.snapshot", "x", "..%2Fsecret.snapshot", "%2e%2e%2Fsecret.snapshot", "%2e%2e"} {
		code, body := ts.get("/collections/c/snapshots/" + name)
		require.Less(t, code, 500, name)
		require.NotEqual(t, file, body, name)
	}
	ts.fails(http.StatusBadRequest, "GET", "/collections/c/snapshots/.hidden.snapshot", nil, "snapshot name")
	ts.fails(http.StatusNotFound, "GET", "/collections/c/snapshots/missing.snapshot", nil, "missing")
	ts.fails(http.StatusBadRequest, "DELETE", "/collections/c/snapshots/x.tmp", nil, "snapshot name")

	ts.ok("DELETE", "/collections/c/snapshots/"+snap.Name, nil, nil)
	ts.ok("GET", "/collections/c/snapshots", nil, &list)
	require.Empty(t, list)
	ts.fails(http.StatusNotFound, "DELETE", "/collections/c/snapshots/"+snap.Name, nil)
	ts.fails(http.StatusNotFound, "POST", "/collections/nope/snapshots", nil, "nope")
}

// TestFullSnapshotRoutes creates a full snapshot over HTTP and reads the
// archive it downloads.
func TestFullSnapshotRoutes(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	createSmall(ts, "a")
	createSmall(ts, "b")
	var snap snapshotOut
	ts.ok("POST", "/snapshots", nil, &snap)
	var list []snapshotOut
	ts.ok("GET", "/snapshots", nil, &list)
	require.Equal(t, []snapshotOut{snap}, list)
	code, file := ts.get("/snapshots/" + snap.Name)
	require.Equal(t, http.StatusOK, code)
	tr := tar.NewReader(bytes.NewReader(file))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, h.Name)
		if h.Name == "b.snapshot" {
			entry, err := io.ReadAll(tr)
			require.NoError(t, err)
			code, msg := ts.upload("b2", "", "snapshot", entry)
			require.Equal(t, http.StatusOK, code, msg)
		}
	}
	require.Equal(t, []string{"a.snapshot", "b.snapshot", "aliases.json"}, names)
	require.Equal(t, 2, ts.count("b2"))
	ts.ok("DELETE", "/snapshots/"+snap.Name, nil, nil)
	ts.fails(http.StatusNotFound, "GET", "/snapshots/"+snap.Name, nil)
}

// TestSnapshotUploadLimit refuses an upload beyond MaxSnapshotBytes.
func TestSnapshotUploadLimit(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.MaxSnapshotBytes = 4096 })
	createSmall(ts, "c")
	code, msg := ts.upload("c", "", "snapshot", bytes.Repeat([]byte("x"), 8192))
	require.Equal(t, http.StatusRequestEntityTooLarge, code, msg)
	require.Equal(t, 2, ts.count("c"))
}
