package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quiver-db/quiver/index"
)

// HostConfig configures NewHost.
type HostConfig struct {
	// NodeID is this node's id in the placements.
	NodeID string
	// Dir holds the shard groups: Dir/<collection>/<created>/<shard> is
	// one group's Config.Dir (Placement.Created tells two incarnations
	// of a name apart).
	Dir string
	// Mux carries every group's Raft traffic.
	Mux *Mux
	// Group is the template of each group's Config: timeouts, snapshot
	// settings, index options, logger. NodeID, RaftAddr, Dir, Peers,
	// Transport and Init are set per group.
	Group Config
}

// Host runs the shard groups this node keeps: it is group 0's
// PlacementObserver, and starts a group when a placement names this
// node, stops it and removes its directory when the collection is
// dropped. The work runs on its own goroutine, in the order group 0
// applied it, so the FSM never waits for a group to open. It is safe for
// concurrent use.
type Host struct {
	cfg  HostConfig
	log  *slog.Logger
	wake chan struct{}
	stop chan struct{} // closed by Close
	done chan struct{} // closed when run returns
	// failures counts groups that failed to open.
	failures atomic.Int64
	mu       struct {
		sync.Mutex
		queue  []func()           // protected by mu; run in order
		groups map[groupKey]*Node // protected by mu: the running groups
		// placed is each collection's placement as the work done so far
		// left it: a retry of a start that failed runs only while its
		// incarnation is still placed, and with its newest replicas.
		placed map[string]Placement // protected by mu
		closed bool                 // protected by mu
	}
}

type groupKey struct {
	collection string
	created    uint64
	shard      int
}

var _ PlacementObserver = (*Host)(nil)

// NewHost returns a host that starts no group until group 0 tells it to.
func NewHost(cfg HostConfig) *Host {
	if cfg.Group.Logger == nil {
		cfg.Group.Logger = slog.Default()
	}
	h := &Host{cfg: cfg, log: cfg.Group.Logger, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	h.mu.groups = map[groupKey]*Node{}
	h.mu.placed = map[string]Placement{}
	go h.run()
	return h
}

// Group returns this node's replica of the collection's shard s, when
// it keeps one and the group is running.
func (h *Host) Group(collection string, p Placement, s int) (*Node, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, ok := h.mu.groups[groupKey{collection, p.Created, s}]
	return n, ok
}

// Placed implements PlacementObserver.
func (h *Host) Placed(collection string, p Placement) {
	h.enqueue(func() { h.start(collection, p) })
}

// Unplaced implements PlacementObserver.
func (h *Host) Unplaced(collection string, p Placement) {
	h.enqueue(func() { h.remove(collection, p.Created) })
}

// Restored implements PlacementObserver: the groups of collections
// dropped by upTo stop and their directories go; every placed one runs.
func (h *Host) Restored(all map[string]Placement, upTo uint64) {
	h.enqueue(func() {
		for _, key := range h.incarnations() {
			p, ok := all[key.collection]
			if key.created <= upTo && (!ok || p.Created != key.created) {
				h.remove(key.collection, key.created)
			}
		}
		for c, p := range all {
			h.start(c, p)
		}
	})
}

func (h *Host) enqueue(f func()) {
	h.mu.Lock()
	if !h.mu.closed {
		h.mu.queue = append(h.mu.queue, f)
	}
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *Host) run() {
	defer close(h.done)
	for {
		select {
		case <-h.wake:
		case <-h.stop:
			return
		}
		for {
			h.mu.Lock()
			if h.mu.closed || len(h.mu.queue) == 0 {
				closed := h.mu.closed
				h.mu.Unlock()
				if closed {
					return
				}
				break
			}
			f := h.mu.queue[0]
			h.mu.queue = h.mu.queue[1:]
			h.mu.Unlock()
			f()
		}
	}
}

func (h *Host) groupDir(collection string, created uint64) string {
	return filepath.Join(h.cfg.Dir, collection, strconv.FormatUint(created, 10))
}

// startRetry is how long a group that failed to open waits to try again.
const startRetry = time.Second

// start opens the groups of p's shards that this node keeps and that do
// not run yet; one that fails to open is tried again later, while the
// collection is still placed so.
func (h *Host) start(collection string, p Placement) {
	h.mu.Lock()
	h.mu.placed[collection] = p
	h.mu.Unlock()
	h.dropUnkept(collection, p)
	failed := false
	for s := range p.Shards() {
		if !p.Keeps(s, h.cfg.NodeID) {
			continue
		}
		key := groupKey{collection, p.Created, s}
		h.mu.Lock()
		_, running := h.mu.groups[key]
		h.mu.Unlock()
		if running {
			continue
		}
		n, err := h.open(collection, p, s)
		if err != nil {
			// The other replicas serve the shard meanwhile.
			h.log.Error("cluster: start shard group; trying again", "collection", collection, "shard", s, "in", startRetry, "err", err)
			failed = true
			h.failures.Add(1)
			continue
		}
		h.mu.Lock()
		closed := h.mu.closed
		if !closed {
			h.mu.groups[key] = n
		}
		h.mu.Unlock()
		if closed {
			n.Close()
		}
	}
	if failed {
		time.AfterFunc(startRetry, func() { h.enqueue(func() { h.retry(collection, p) }) })
	}
}

// retry starts p's groups again if the collection is still placed in
// p's incarnation, as its newest placement says.
func (h *Host) retry(collection string, p Placement) {
	h.mu.Lock()
	latest, ok := h.mu.placed[collection]
	h.mu.Unlock()
	if ok && latest.Created == p.Created {
		h.start(collection, latest)
	}
}

func (h *Host) open(collection string, p Placement, s int) (*Node, error) {
	tr, err := h.cfg.Mux.Transport(p.Group(s), h.log)
	if err != nil {
		return nil, err
	}
	cfg := h.cfg.Group
	cfg.NodeID, cfg.Dir = h.cfg.NodeID, h.shardDir(collection, p.Created, s)
	cfg.Peers, cfg.RaftAddr = h.bootstrap(collection, p, s)
	cfg.Transport, cfg.OwnTransport, cfg.Observer = tr, true, nil
	cfg.Logger = h.log.With("collection", collection, "shard", s)
	cfg.Init = func(ctx context.Context, db *index.DB) error {
		_, err := db.Create(ctx, collection, p.Config)
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := Open(ctx, cfg)
	if err != nil {
		tr.Close()
		return nil, err
	}
	return n, nil
}

// remove stops the groups of one incarnation of collection and deletes
// their directories.
func (h *Host) remove(collection string, created uint64) {
	h.mu.Lock()
	if h.mu.placed[collection].Created == created {
		delete(h.mu.placed, collection)
	}
	var stop []*Node
	for key, n := range h.mu.groups {
		if key.collection == collection && key.created == created {
			stop = append(stop, n)
			delete(h.mu.groups, key)
		}
	}
	h.mu.Unlock()
	var errs []error
	for _, n := range stop {
		errs = append(errs, n.Close())
	}
	errs = append(errs, os.RemoveAll(h.groupDir(collection, created)))
	// The collection's directory goes once no incarnation is left.
	os.Remove(filepath.Join(h.cfg.Dir, collection))
	if err := errors.Join(errs...); err != nil {
		h.log.Error("cluster: remove shard groups", "collection", collection, "err", err)
	}
}

// incarnations lists the collection incarnations with a directory.
func (h *Host) incarnations() []groupKey {
	var out []groupKey
	cols, _ := os.ReadDir(h.cfg.Dir)
	for _, c := range cols {
		subs, _ := os.ReadDir(filepath.Join(h.cfg.Dir, c.Name()))
		for _, sub := range subs {
			if created, err := strconv.ParseUint(sub.Name(), 10, 64); err == nil {
				out = append(out, groupKey{collection: c.Name(), created: created})
			}
		}
	}
	return out
}

// Close stops every group; work still queued is dropped (a restart
// redoes it from group 0's log).
func (h *Host) Close() error {
	h.mu.Lock()
	already := h.mu.closed
	h.mu.closed = true
	h.mu.Unlock()
	if already {
		return nil
	}
	close(h.stop)
	<-h.done
	h.mu.Lock()
	groups := h.mu.groups
	h.mu.groups = map[groupKey]*Node{}
	h.mu.Unlock()
	var errs []error
	for key, n := range groups {
		if err := n.Close(); err != nil {
			errs = append(errs, fmt.Errorf("shard %d of %q: %w", key.shard, key.collection, err))
		}
	}
	return errors.Join(errs...)
}
