package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/gorilla/mux"

	"github.com/quiver-db/quiver/index"
)

// Admin is what the collection-management routes (aliases, config updates,
// snapshot files) need of Collections; *index.DB implements it.
type Admin interface {
	UpdateAliases(actions []index.AliasAction) error
	Aliases(collection string) ([]index.Alias, error)
	CreateSnapshotFile(ctx context.Context, collection string) (index.SnapshotFile, error)
	CreateFullSnapshotFile(ctx context.Context) (index.SnapshotFile, error)
	SnapshotFiles(collection string) ([]index.SnapshotFile, error)
	OpenSnapshotFile(collection, name string) (*os.File, index.SnapshotFile, error)
	// OpenSnapshotPath opens a file that must lie in SnapshotDir.
	OpenSnapshotPath(path string) (*os.File, error)
	DeleteSnapshotFile(collection, name string) error
	RecoverUpload(ctx context.Context, collection string, r io.Reader, checksum string) (*index.Collection, error)
	RecoverFile(ctx context.Context, collection, path, checksum string) (*index.Collection, error)
	// SnapshotDir is where snapshot files live and uploads are staged.
	SnapshotDir() string
	// OpenScratch opens a throwaway DB in dir with this one's limits, for
	// a cluster node's recovery to read a snapshot into (snaprecover.go).
	OpenScratch(ctx context.Context, dir string, log *slog.Logger) (*index.DB, error)
}

// snapshotOut is Qdrant's SnapshotDescription; creation_time is UTC
// without a zone, as Qdrant writes it.
type snapshotOut struct {
	Name         string `json:"name"`
	CreationTime string `json:"creation_time"`
	Size         int64  `json:"size"`
	Checksum     string `json:"checksum"`
}

func snapshotOutOf(f index.SnapshotFile) snapshotOut {
	return snapshotOut{Name: f.Name, CreationTime: f.Created.UTC().Format("2006-01-02T15:04:05"), Size: f.Size, Checksum: f.Checksum}
}

func (h *Handler) createSnapshot(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait"); err != nil {
		return nil, err
	}
	name := mux.Vars(r)["collection"]
	if _, _, sharded := h.sharded(name); sharded {
		points, err := h.reader(r)
		if err != nil {
			return nil, err
		}
		f, err := h.snapshotSharded(r.Context(), name, points)
		if err != nil {
			return nil, err
		}
		return snapshotOutOf(f), nil
	}
	f, err := h.db.CreateSnapshotFile(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return snapshotOutOf(f), nil
}

func (h *Handler) createFullSnapshot(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait"); err != nil {
		return nil, err
	}
	f, err := h.db.CreateFullSnapshotFile(r.Context())
	if err != nil {
		return nil, err
	}
	return snapshotOutOf(f), nil
}

func (h *Handler) listSnapshots(r *http.Request) (any, error) {
	return h.snapshotsOf(mux.Vars(r)["collection"])
}

func (h *Handler) listFullSnapshots(*http.Request) (any, error) {
	return h.snapshotsOf("")
}

func (h *Handler) snapshotsOf(collection string) (any, error) {
	files, err := h.db.SnapshotFiles(collection)
	if err != nil {
		return nil, err
	}
	out := make([]snapshotOut, len(files))
	for i, f := range files {
		out[i] = snapshotOutOf(f)
	}
	return out, nil
}

func (h *Handler) deleteSnapshot(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait"); err != nil {
		return nil, err
	}
	v := mux.Vars(r)
	if err := h.db.DeleteSnapshotFile(v["collection"], v["snapshot_name"]); err != nil {
		return nil, err
	}
	return true, nil
}

// downloadSnapshot streams a snapshot file (ranges and conditional
// requests included); v["collection"] is empty for a full snapshot.
func (h *Handler) downloadSnapshot(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	v := mux.Vars(r)
	f, info, err := h.db.OpenSnapshotFile(v["collection"], v["snapshot_name"])
	if err != nil {
		writeError(w, start, err)
		return
	}
	defer f.Close()
	// A collection snapshot is a zstd stream, which the gzip layer leaves
	// alone; a full one is a tar of them.
	ct := "application/zstd"
	if v["collection"] == "" {
		ct = "application/x-tar"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", info.Name))
	w.Header().Set("X-Checksum-Sha256", info.Checksum)
	http.ServeContent(w, r, info.Name, info.Created, f)
}

// uploadSnapshot answers POST /collections/{c}/snapshots/upload: the
// multipart field "snapshot" (as qdrant-client sends it) is streamed to a
// temporary file, at most Config.MaxSnapshotBytes, and recovered into the
// collection, replacing it if it exists (on a cluster node, through the
// log: recoverReplicated). priority is accepted and ignored: a single
// node has no replicas to prefer, and a cluster rebuilds every replica.
func (h *Handler) uploadSnapshot(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait", "priority", "checksum"); err != nil {
		return nil, err
	}
	if err := checkPriority(r.URL.Query().Get("priority")); err != nil {
		return nil, err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("body: want multipart/form-data with a file field \"snapshot\": %v", err)
	}
	part, err := mr.NextPart()
	if errors.Is(err, io.EOF) {
		return nil, badRequest("snapshot: required (a multipart file field)")
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return nil, fmt.Errorf("snapshot upload: %w", err)
	}
	if err != nil {
		return nil, badRequest("body: multipart: %v", err)
	}
	defer part.Close()
	if part.FormName() != "snapshot" {
		return nil, badRequest("multipart field %q: unknown (want \"snapshot\")", part.FormName())
	}
	err = h.recover(r, func(ctx context.Context, db Admin, name string) (*index.Collection, error) {
		return db.RecoverUpload(ctx, name, part, r.URL.Query().Get("checksum"))
	})
	if err != nil {
		return nil, err
	}
	return true, nil
}

// recoverRequest is the body of PUT /collections/{c}/snapshots/recover,
// Qdrant's SnapshotRecover.
type recoverRequest struct {
	Location string `json:"location"`
	Priority string `json:"priority"`
	Checksum string `json:"checksum"`
	APIKey   string `json:"api_key"`
}

// recoverSnapshot answers PUT /collections/{c}/snapshots/recover. The
// location must be a file:// URL inside the server's snapshot directory.
// http(s) locations are refused: the server would fetch whatever address
// a client with the write key names, internal ones included (cloud
// metadata endpoints, services bound to loopback), and an upload does the
// same job without that risk. On a cluster node the file is read where
// the request arrives: a follower sends it to the leader as an upload
// (forwardFile).
func (h *Handler) recoverSnapshot(r *http.Request) (any, error) {
	req, path, err := readRecoverRequest(r)
	if err != nil {
		return nil, err
	}
	err = h.recover(r, func(ctx context.Context, db Admin, name string) (*index.Collection, error) {
		return db.RecoverFile(ctx, name, path, req.Checksum)
	})
	if err != nil {
		return nil, err
	}
	return true, nil
}

// readRecoverRequest reads and checks a recover request; path is its
// location's.
func readRecoverRequest(r *http.Request) (req recoverRequest, path string, err error) {
	if err := checkQueryParams(r, "wait"); err != nil {
		return req, "", err
	}
	if err := decodeJSON(r, &req); err != nil {
		return req, "", err
	}
	if err := checkPriority(req.Priority); err != nil {
		return req, "", err
	}
	u, err := url.Parse(req.Location)
	if err != nil || req.Location == "" {
		return req, "", badRequest("location %q: want a file:// URL", req.Location)
	}
	switch {
	case u.Scheme == "http" || u.Scheme == "https":
		return req, "", badRequest("location %q: recovery from http(s) URLs is not supported (the server would fetch any address it is given); "+
			"upload the file to /collections/{collection}/snapshots/upload instead", req.Location)
	case u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") || !filepath.IsAbs(u.Path):
		return req, "", badRequest("location %q: want a file:// URL with an absolute path", req.Location)
	}
	return req, u.Path, nil
}

// recoverFunc recovers a snapshot into db's collection called name.
type recoverFunc func(ctx context.Context, db Admin, name string) (*index.Collection, error)

// recover runs a recovery into the route's collection and forgets the
// trained model of the collection it replaced. A cluster node recovers
// into a scratch DB and replays that through the Writer instead.
func (h *Handler) recover(r *http.Request, run recoverFunc) error {
	name := mux.Vars(r)["collection"]
	if h.cfg.Replica != nil {
		return h.recoverReplicated(r.Context(), name, run)
	}
	old, _ := h.db.Collection(name)
	c, err := run(r.Context(), h.db, name)
	if err != nil {
		return err
	}
	if old != nil && old != c {
		h.trainer.Forget(old)
	}
	return nil
}

// checkPriority accepts Qdrant's snapshot priorities, which a single node
// has no use for.
func checkPriority(p string) error {
	switch p {
	case "", "no_sync", "snapshot", "replica":
		return nil
	}
	return badRequest("priority %q: want no_sync, snapshot or replica", p)
}
