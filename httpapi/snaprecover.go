package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gorilla/mux"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/trainer"
)

// Bounds of a replayed recovery's writes, each one log entry (or one per
// shard): recoverBatch points, fewer when their vectors hold more than
// recoverFloats numbers (about 12 MB of JSON in the entry, under the 32
// MiB a point write's body may hold), and recoverInteractions
// interactions. Payloads are not counted: a point's is at most 1 MiB.
const (
	recoverBatch        = 256
	recoverFloats       = 1 << 20
	recoverInteractions = 1024
	recoverLogEvery     = 10 * time.Second
)

// recoverReplicated recovers a snapshot on a cluster node, group 0's
// leader (followers forward an upload, and send a recover's file as one):
// run recovers it into a scratch DB
// under the snapshot directory, which checks its checksum and format, and
// the scratch collection is then replayed through the Writer, so that
// every replica gets the same writes. The collection called name is
// dropped, created again (spread as it was, if sharded; else unsharded,
// as the snapshot's config says) with its payload indexes and aliases,
// its model published, then its points and interactions written in
// batches. A bad snapshot changes nothing; a failure after the drop
// leaves the collection partially restored, which the error says; a
// client that goes away meanwhile does not stop it.
func (h *Handler) recoverReplicated(ctx context.Context, name string, run recoverFunc) error {
	select {
	case h.recovering <- struct{}{}:
		defer func() { <-h.recovering }()
	case <-ctx.Done():
		return fmt.Errorf("%w: recover %q: waiting for another snapshot recovery: %w", ErrUnavailable, name, ctx.Err())
	}
	dir := h.db.SnapshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("snapshot directory: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-recover-")
	if err != nil {
		return fmt.Errorf("recover %q: scratch directory: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	scratch, err := h.db.OpenScratch(ctx, tmp, h.cfg.Logger.With("scratch", tmp))
	if err != nil {
		return fmt.Errorf("recover %q: scratch DB: %w", name, err)
	}
	defer scratch.Close()
	// What this node, a leader maybe just elected, knows of the
	// collection must include every write committed before.
	if err := h.cfg.Replica.Barrier(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if c, err := h.db.Collection(name); err == nil {
		name = c.Name() // recovering into an alias replaces its collection
	}
	src, err := run(ctx, scratch, name)
	if err != nil {
		return err
	}
	defer scratch.Drop(context.Background(), name) // a drop, unlike Close, saves no graph
	// Once the snapshot is read the replay runs to its end, or to the
	// request's deadline (Config.SnapshotTimeout), though the client goes
	// away: stopping midway would leave the collection partially restored.
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadlineOf(ctx))
	defer cancel()
	rp := &replay{h: h, name: name, src: src, started: time.Now()}
	if err := rp.prepare(ctx); err != nil {
		return err
	}
	h.cfg.Logger.Info("recover: replaying a snapshot through the cluster", "collection", name,
		"points", rp.total, "replaces", rp.exists, "sharded", rp.sharded, "model", rp.model != nil)
	if err := rp.run(ctx); err != nil {
		return fmt.Errorf("recover %q: the collection is partially restored (%s); recover it again: %w", name, rp.progress(), err)
	}
	h.cfg.Logger.Info("collection recovered from snapshot through the cluster", "collection", name,
		"points", rp.points, "interactions", rp.interactions, "sharded", rp.sharded, "elapsed", time.Since(rp.started))
	return nil
}

// forwardFile sends the file a follower's recover request names, in
// this node's snapshot directory, to the leader at base as an upload of
// the same collection: the file is read where the request arrived, as
// Qdrant reads it. Errors before the file is sent are this node's.
func (h *Handler) forwardFile(w http.ResponseWriter, r *http.Request, base string, start time.Time) {
	req, path, err := readRecoverRequest(r)
	if err != nil {
		writeError(w, start, err)
		return
	}
	f, err := h.db.OpenSnapshotPath(path)
	if err != nil {
		writeError(w, start, err)
		return
	}
	body, mw := io.Pipe()
	form := multipart.NewWriter(mw)
	go func() {
		// The transport closes body once done, which ends the copy.
		defer f.Close()
		part, err := form.CreateFormFile("snapshot", filepath.Base(path))
		if err == nil {
			_, err = io.Copy(part, f)
		}
		if err == nil {
			err = form.Close()
		}
		mw.CloseWithError(err)
	}()
	h.proxy(w, r, base, start, func(out *http.Request) {
		out.Method = http.MethodPost
		out.URL.Path = "/collections/" + mux.Vars(r)["collection"] + "/snapshots/upload"
		out.URL.RawPath = ""
		out.URL.RawQuery = url.Values{"checksum": {req.Checksum}}.Encode()
		out.Body, out.ContentLength = body, -1
		out.Header.Del("Content-Length")
		out.Header.Del("Content-Encoding")
		out.Header.Set("Content-Type", form.FormDataContentType())
	})
}

// deadlineOf is ctx's deadline; the request's always has one.
func deadlineOf(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(time.Hour)
}

// replay is one recovery's replay of src into the collection name.
type replay struct {
	h       *Handler
	name    string
	src     *index.Collection
	started time.Time

	// What prepare found: the collection being replaced, how it is
	// spread, its aliases, and the snapshot's model.
	exists   bool
	sharded  bool
	sharding Sharding
	aliases  []index.Alias
	model    []byte

	// step names the step under way; points and interactions count the
	// ones written, total the snapshot's points.
	step         string
	points       int
	total        int
	interactions int
}

// prepare reads what the replay needs before it changes anything.
func (rp *replay) prepare(ctx context.Context) error {
	h := rp.h
	if _, err := h.db.Collection(rp.name); err == nil {
		rp.exists = true
		aliases, err := h.db.Aliases(rp.name)
		if err != nil {
			return err
		}
		rp.aliases = aliases
	}
	_, rp.sharding, rp.sharded = h.sharded(rp.name)
	total, err := rp.src.Count(ctx, nil)
	if err != nil {
		return err
	}
	rp.total = total
	cfg := rp.src.Config()
	cfg.PayloadIndexes = nil
	if err := index.CheckCreate(rp.name, cfg); err != nil {
		return fmt.Errorf("snapshot's config: %w", err)
	}
	model, err := rp.src.LoadModel(ctx)
	switch {
	case errors.Is(err, index.ErrNotFound):
	case err != nil:
		return err
	case !h.trainer.Publishes():
		h.cfg.Logger.Warn("recover: the snapshot's trained model is skipped: this node's trainer does not publish models", "collection", rp.name)
	default:
		if err := h.trainer.CheckInstall(rp.src, trainer.Trained{Model: model}); err != nil {
			return fmt.Errorf("snapshot's model: %w", err)
		}
		rp.model = model
	}
	return nil
}

// run makes the writes, in order; an error leaves the ones done.
func (rp *replay) run(ctx context.Context) error {
	h, name := rp.h, rp.name
	cfg := rp.src.Config()
	indexes := cfg.PayloadIndexes
	cfg.PayloadIndexes = nil
	if rp.exists {
		rp.step = "drop"
		if err := h.writer.Drop(ctx, name); err != nil {
			return err
		}
	}
	rp.step = "create"
	var err error
	if rp.sharded {
		err = h.sharder().CreateSharded(ctx, name, cfg, rp.sharding)
	} else {
		err = h.writer.Create(ctx, name, cfg)
	}
	if err != nil {
		return err
	}
	rp.step = "payload indexes"
	keys := make([]string, 0, len(indexes))
	for k := range indexes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := h.writer.PayloadIndex(ctx, name, k, indexes[k]); err != nil {
			return err
		}
	}
	if err := rp.restoreAliases(ctx); err != nil {
		return err
	}
	if rp.model != nil {
		// Before the points: installing writes the item vectors of the
		// points that exist, none yet, and the points then bring the
		// snapshot's own.
		rp.step = "model"
		c, err := h.db.Collection(name)
		if err != nil {
			return err
		}
		if err := h.trainer.Publish(ctx, c, trainer.Trained{Model: rp.model}); err != nil {
			return err
		}
	}
	if err := rp.replayPoints(ctx); err != nil {
		return err
	}
	return rp.replayInteractions(ctx)
}

// restoreAliases points the aliases the drop removed at the new
// collection, as a single node's recovery keeps them.
func (rp *replay) restoreAliases(ctx context.Context) error {
	if len(rp.aliases) == 0 {
		return nil
	}
	rp.step = "aliases"
	cw, err := rp.h.catalogWriter("aliases")
	if err != nil || cw == nil {
		rp.h.cfg.Logger.Warn("recover: the collection's aliases are not restored", "collection", rp.name, "aliases", len(rp.aliases), "err", err)
		return nil
	}
	actions := make([]index.AliasAction, len(rp.aliases))
	for i, a := range rp.aliases {
		actions[i] = index.AliasAction{Create: &index.CreateAlias{Alias: a.Name, Collection: rp.name}}
	}
	return cw.UpdateAliases(ctx, actions)
}

// replayPoints upserts src's points, every vector and payload, a page at
// a time.
func (rp *replay) replayPoints(ctx context.Context) error {
	rp.step = "points"
	lastLog := time.Now()
	var from *pointid.ID
	for {
		page, err := rp.src.Scroll(ctx, index.ScrollRequest{Offset: from, Limit: recoverBatch,
			ReadOptions: index.ReadOptions{WithPayload: true, WithVector: true}})
		if err != nil {
			return err
		}
		if err := rp.upsert(ctx, page.Points); err != nil {
			return err
		}
		if time.Since(lastLog) >= recoverLogEvery {
			lastLog = time.Now()
			rp.h.cfg.Logger.Info("recover: replaying points", "collection", rp.name, "points", rp.points, "total", rp.total)
		}
		if page.Next == nil {
			return nil
		}
		from = page.Next
	}
}

// upsert writes records, as many to an entry as recoverFloats allows
// (one at least).
func (rp *replay) upsert(ctx context.Context, records []index.Record) error {
	for len(records) > 0 {
		n, floats := 0, 0
		for n < len(records) && (n == 0 || floats+valuesOf(records[n]) <= recoverFloats) {
			floats += valuesOf(records[n])
			n++
		}
		pts := make([]index.Point, n)
		for i, r := range records[:n] {
			pts[i] = index.Point{ID: r.ID, Vector: r.Vector, Vectors: r.Vectors, Sparse: r.Sparse, Payload: r.Payload}
		}
		if err := rp.apply(ctx, []index.Operation{{Upsert: pts}}); err != nil {
			return err
		}
		rp.points += n
		records = records[n:]
	}
	return nil
}

// recoverRetries bounds the tries of one batch of upserts.
const recoverRetries = 5

// apply applies ops, again while the answer is ErrUnavailable (a shard
// electing its leader, an outcome unknown) and this node still leads
// group 0, since an upsert written twice is written once.
func (rp *replay) apply(ctx context.Context, ops []index.Operation) error {
	return rp.retried(ctx, "points", func() error { return rp.h.writer.Apply(ctx, rp.name, ops) })
}

// retried runs write, again while it answers ErrUnavailable and this
// node still leads group 0, recoverRetries times at most: the replay's
// writes are idempotent (upserts, and interactions with their times).
func (rp *replay) retried(ctx context.Context, what string, write func() error) error {
	pause := 100 * time.Millisecond
	for try := 1; ; try++ {
		err := write()
		if !errors.Is(err, ErrUnavailable) || try == recoverRetries {
			return err
		}
		if self, _ := rp.h.cfg.Replica.Leader(); !self {
			return err
		}
		rp.h.cfg.Logger.Warn("recover: a batch again", "collection", rp.name, "of", what, "try", try, "err", err)
		select {
		case <-time.After(pause):
			pause *= 2
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		}
	}
}

// valuesOf counts the numbers r's vectors hold, sparse indices included.
func valuesOf(r index.Record) int {
	n := len(r.Vector)
	for _, v := range r.Vectors {
		n += len(v)
	}
	for _, v := range r.Sparse {
		n += 2 * len(v.Values)
	}
	return n
}

// replayInteractions records src's interactions in batches.
func (rp *replay) replayInteractions(ctx context.Context) error {
	rp.step = "interactions"
	return inBatches(ctx, rp.src, recoverInteractions, func(batch []index.Interaction) error {
		if err := rp.retried(ctx, "interactions", func() error { return rp.h.writer.Interact(ctx, rp.name, batch) }); err != nil {
			return err
		}
		rp.interactions += len(batch)
		return nil
	})
}

// inBatches calls flush with c's interactions, n at a time (the last
// batch shorter); flush must not keep the slice.
func inBatches(ctx context.Context, c *index.Collection, n int, flush func([]index.Interaction) error) error {
	batch := make([]index.Interaction, 0, n)
	err := c.ScanInteractions(ctx, func(it index.Interaction) error {
		batch = append(batch, it)
		if len(batch) < n {
			return nil
		}
		err := flush(batch)
		batch = batch[:0]
		return err
	})
	if err == nil && len(batch) > 0 {
		err = flush(batch)
	}
	return err
}

// progress says how far the replay got, for its error.
func (rp *replay) progress() string {
	return fmt.Sprintf("failed at the %s step, %d of %d points and %d interactions written", rp.step, rp.points, rp.total, rp.interactions)
}
