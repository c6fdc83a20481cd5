package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/mux"
)

// Replica is this server's node of a replicated Quiver (Config.Replica;
// package clusterapi makes one of a cluster.Node). Nil means a single
// node. Its Writer methods propose writes to the cluster; they are called
// on the leader only, and return an error wrapping ErrUnavailable when
// the node cannot say the write was applied (not the leader any more, or
// the outcome unknown: the write may yet commit).
type Replica interface {
	Writer
	// Leader reports whether this node is the leader, and otherwise the
	// leader's HTTP base URL ("" when no leader is known).
	Leader() (self bool, url string)
	// Barrier returns once this node, the leader, has applied every write
	// committed before the call: a read after it is linearizable.
	Barrier(ctx context.Context) error
	// Status is GET /cluster's answer, in Qdrant's shape.
	Status(ctx context.Context) (any, error)
}

// ErrUnavailable marks a request this node cannot serve now but may
// soon (no leader, leadership moving): 503 with Retry-After.
var ErrUnavailable = errors.New("unavailable")

// ForwardedHeader marks a request a follower forwarded to the leader; a
// node never forwards such a request again, so a request makes at most
// one hop even while nodes disagree on who leads.
const ForwardedHeader = "X-Quiver-Forwarded"

// replication says how a route behaves on a cluster node.
type replication int

const (
	// byAccess: reads are served locally (or by the leader, with a
	// consistency parameter); writes are refused, not being replicated.
	byAccess replication = iota
	// replicated writes go through the Writer, on the leader: a follower
	// forwards them there.
	replicated
	// nodeLocal writes change this node only, by design (its write lock,
	// its snapshot files), and are served where they arrive.
	nodeLocal
	// pointWrites are replicated writes of points only: on a sharded
	// collection any node serves them, its Writer sending each shard's
	// part to that shard's leader, with no hop to group 0's leader, which
	// they do not change; otherwise as replicated.
	pointWrites
	// snapshotFile is a recovery from a file of the node the request
	// reaches: as replicated, but a follower sends the leader the file as
	// an upload (forwardFile) rather than the request.
	snapshotFile
)

// replicate routes r on a cluster node: it returns true when it answered
// (forwarded, refused), false when this node serves r itself. With a
// consistency stronger than local, a read is served by the leader after
// a barrier.
func (h *Handler) replicate(w http.ResponseWriter, r *http.Request, rt route, start time.Time) bool {
	rep := h.cfg.Replica
	if rep == nil {
		return false
	}
	strong := false
	switch {
	case rt.access == write && rt.replication == byAccess:
		writeError(w, start, fmt.Errorf("%w: %s %s: not replicated yet; on a cluster node it would change this node only",
			ErrNotSupported, rt.method, rt.path))
		return true
	case rt.access == write && rt.replication == nodeLocal, rt.access == public:
		return false
	case rt.access == read:
		var err error
		if strong, err = strongConsistency(r); err != nil {
			writeError(w, start, err)
			return true
		}
		if !strong {
			return false
		}
	}
	if rt.access == write && h.refuseNonMember(w, start) {
		return true
	}
	// On a sharded collection point writes are split here, and strong
	// reads of points barrier on each shard's leader (the Sharder's
	// router): group 0's leader and its barrier would add a hop and a log
	// entry each.
	if (rt.replication == pointWrites || strong && !rt.users) && h.shardedRequest(r) {
		return false
	}
	self, leader := rep.Leader()
	if self {
		// A leader just elected may not have applied what earlier
		// leaders committed yet: a write to a collection it lacks waits
		// for a barrier before the handler looks the collection up.
		if strong || rt.access == write && h.lacksCollection(r) {
			if err := rep.Barrier(r.Context()); err != nil {
				writeError(w, start, fmt.Errorf("%w: %w", ErrUnavailable, err))
				return true
			}
		}
		return false
	}
	if r.Header.Get(ForwardedHeader) != "" {
		writeError(w, start, fmt.Errorf("%w: forwarded here as to the leader, but this node is not the leader (leader: %q)", ErrUnavailable, leader))
		return true
	}
	if leader == "" {
		writeError(w, start, fmt.Errorf("%w: no leader known; the cluster is electing one", ErrUnavailable))
		return true
	}
	if rt.replication == snapshotFile {
		h.forwardFile(w, r, leader, start)
		return true
	}
	h.forward(w, r, leader, start)
	return true
}

// shardedRequest reports whether r names a sharded collection (or an
// alias of one) as this node knows its placements. A node that has not
// applied the collection's creation yet forwards to the leader.
func (h *Handler) shardedRequest(r *http.Request) bool {
	name, ok := mux.Vars(r)["collection"]
	if !ok {
		return false
	}
	_, _, sharded := h.sharded(name)
	return sharded
}

// lacksCollection reports whether r names a collection this node lacks.
func (h *Handler) lacksCollection(r *http.Request) bool {
	name, ok := mux.Vars(r)["collection"]
	if !ok {
		return false
	}
	_, err := h.db.Collection(name)
	return err != nil
}

// forward proxies r, as it came, to the leader at base.
func (h *Handler) forward(w http.ResponseWriter, r *http.Request, base string, start time.Time) {
	h.proxy(w, r, base, start, nil)
}

// proxy sends r to the leader at base, changed by change when set, and
// its answer back.
func (h *Handler) proxy(w http.ResponseWriter, r *http.Request, base string, start time.Time, change func(out *http.Request)) {
	target, err := url.Parse(base)
	if err != nil {
		writeError(w, start, fmt.Errorf("leader address %q: %w", base, err))
		return
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
			pr.Out.Header.Set(ForwardedHeader, "1")
			if change != nil {
				change(pr.Out)
			}
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// The request may have reached the leader: a write's outcome
			// is unknown.
			writeError(w, start, fmt.Errorf("%w: forward to the leader at %s: %v", ErrUnavailable, base, err))
		},
	}
	proxy.ServeHTTP(w, r)
}

// strongConsistency reads Qdrant's consistency parameter: absent, 1 or
// "local"-like values read this node's replica; "majority", "quorum",
// "all" or a number above 1 read through the leader.
func strongConsistency(r *http.Request) (bool, error) {
	v := r.URL.Query().Get("consistency")
	switch v {
	case "":
		return false, nil
	case "majority", "quorum", "all":
		return true, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return false, badRequest("query parameter consistency=%q: want a positive integer, majority, quorum or all", v)
	}
	return n > 1, nil
}
