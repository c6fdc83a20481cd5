package clusterapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
)

// InternalHeader marks a request one node sends another (a shard's
// write sent to the shard's leader); a node serves it itself, never
// sending it on, so it makes one hop.
const InternalHeader = "X-Quiver-Internal"

// shardRetryFor bounds how long a shard write waits for its group to
// have a leader (nothing is proposed meanwhile): an election, or a
// collection just created whose groups are starting.
const shardRetryFor = 10 * time.Second

// shardAnswer is the body of an internal shard write's answer.
type shardAnswer struct {
	// Kind is "" for success, else the error's kind (errorKinds).
	Kind   string `json:"kind,omitempty"`
	Error  string `json:"error,omitempty"`
	Leader string `json:"leader,omitempty"`
	// Commit is the leader's commit index after a members call
	// (moves.go).
	Commit uint64 `json:"commit,omitempty"`
}

// shardCall is one call to a shard group's leader: the internal route
// it is posted to, its body, and what runs when this node leads.
type shardCall struct {
	route string
	body  []byte
	local func(n *cluster.Node) (shardAnswer, error)
	// also are nodes to try besides the shard's replicas (a transfer's
	// target, which may lead by then).
	also []string
}

// Kinds of error an internal answer carries. notLeader: nothing was
// proposed, try the leader it names; unknown: the write may yet commit.
const (
	kindNotLeader = "not_leader"
	kindUnknown   = "unknown"
)

type errorKind struct {
	kind string
	err  error
}

var errorKinds = []errorKind{
	{"bad_request", index.ErrBadRequest},
	{"not_found", index.ErrNotFound},
	{"exists", index.ErrExists},
	{"too_large", index.ErrTooLarge},
}

// shardWriter sends shards' commands to their leaders.
type shardWriter struct {
	self   string
	url    func(id string) string // node id → HTTP base URL
	host   *cluster.Host
	client *http.Client
	apiKey string // sent to the peers, whose API checks it
	mu     struct {
		sync.Mutex
		leaders map[string]string // group name → the leader last heard of
	}
}

// applySharded splits ops by shard and applies each shard's part on its
// leader, the shards at once: atomic per shard only.
func (r *Replica) applySharded(ctx context.Context, collection string, p cluster.Placement, ops []index.Operation) error {
	parts := splitOps(ops, p.Shards())
	cmds := make([]*cluster.Command, len(parts))
	for s, part := range parts {
		if len(part) > 0 {
			cmds[s] = &cluster.Command{Apply: &cluster.ApplyOperations{Collection: collection, Ops: part}}
		}
	}
	return r.toShards(ctx, collection, p, cmds)
}

// toShards applies cmds[s] (when not nil) on shard s's leader, the
// shards at once, and joins their errors.
func (r *Replica) toShards(ctx context.Context, collection string, p cluster.Placement, cmds []*cluster.Command) error {
	errs := make([]error, len(cmds))
	var wg sync.WaitGroup
	for s, cmd := range cmds {
		if cmd == nil {
			continue
		}
		data, err := cluster.EncodeCommand(*cmd)
		if err != nil {
			return err
		}
		wg.Go(func() {
			if err := r.shards.apply(ctx, collection, p, s, data); err != nil {
				errs[s] = fmt.Errorf("shard %d: %w", s, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// apply applies one shard's command on its leader: here when this node
// leads the group, else by an internal request to the leader, retrying
// while the group has none.
func (w *shardWriter) apply(ctx context.Context, collection string, p cluster.Placement, s int, data []byte) error {
	_, err := w.onLeader(ctx, collection, p, s, shardCall{route: "apply", body: data, local: func(n *cluster.Node) (shardAnswer, error) {
		return shardAnswer{}, n.ApplyEncoded(ctx, data)
	}})
	return err
}

// onLeader makes call on the shard's leader, retrying while the group
// has none, for shardRetryFor at most.
func (w *shardWriter) onLeader(ctx context.Context, collection string, p cluster.Placement, s int, call shardCall) (shardAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, shardRetryFor)
	defer cancel()
	pause := 20 * time.Millisecond
	for {
		ans, err, retry := w.try(ctx, collection, p, s, call)
		if !retry {
			return ans, err
		}
		select {
		case <-time.After(pause):
			pause = min(2*pause, 200*time.Millisecond)
		case <-ctx.Done():
			return shardAnswer{}, fmt.Errorf("%w: no leader of the shard answered: %v", httpapi.ErrUnavailable, err)
		}
	}
}

// try makes one round of the shard's replicas, the leader heard of
// first; retry says nothing was proposed and another round may find a
// leader.
func (w *shardWriter) try(ctx context.Context, collection string, p cluster.Placement, s int, call shardCall) (ans shardAnswer, err error, retry bool) {
	group := p.Group(s)
	if n, ok := w.host.Group(collection, p, s); ok {
		if n.IsLeader() {
			ans, err := call.local(n)
			if errors.Is(err, cluster.ErrNotLeader) {
				return ans, err, true
			}
			return ans, unavailable(err), false
		}
		if id, _ := n.Leader(); id != "" {
			w.setLeader(group, id)
		}
	}
	tried := map[string]bool{w.self: true}
	next := func() string {
		if l := w.leader(group); l != "" && !tried[l] {
			return l
		}
		for _, q := range p.Replicas[s] {
			if !tried[q.ID] {
				return q.ID
			}
		}
		for _, id := range call.also {
			if !tried[id] {
				return id
			}
		}
		return ""
	}
	err = fmt.Errorf("%w: no leader known", cluster.ErrNotLeader)
	for id := next(); id != ""; id = next() {
		tried[id] = true
		ans, sendErr := w.post(ctx, id, collection, s, call)
		switch {
		case sendErr != nil && errors.Is(sendErr, syscall.ECONNREFUSED):
			err = sendErr // down: nothing was sent
			continue
		case sendErr != nil:
			return ans, fmt.Errorf("%w: %s to node %s: %w", httpapi.ErrUnavailable, cluster.ErrUnknownOutcome, id, sendErr), false
		case ans.Kind == "":
			w.setLeader(group, id)
			return ans, nil, false
		case ans.Kind == kindNotLeader:
			w.setLeader(group, ans.Leader)
			err = fmt.Errorf("%w: node %s: %s", cluster.ErrNotLeader, id, ans.Error)
			continue
		}
		return ans, ans.err(id), false
	}
	return shardAnswer{}, err, true
}

// post sends call to node id's internal route.
func (w *shardWriter) post(ctx context.Context, id, collection string, s int, call shardCall) (shardAnswer, error) {
	url := fmt.Sprintf("%s/internal/shards/%s/%d/%s", w.url(id), collection, s, call.route)
	data := call.body
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return shardAnswer{}, err
	}
	w.header(req)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return shardAnswer{}, err
	}
	defer resp.Body.Close()
	var ans shardAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ans); err != nil {
		return shardAnswer{}, fmt.Errorf("answer %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK && ans.Kind == "" {
		ans.Kind = kindUnknown
	}
	return ans, nil
}

// header marks req internal and authenticates it.
func (w *shardWriter) header(req *http.Request) {
	req.Header.Set(InternalHeader, "1")
	if w.apiKey != "" {
		req.Header.Set("api-key", w.apiKey)
	}
}

func (a shardAnswer) err(node string) error {
	for _, k := range errorKinds {
		if a.Kind == k.kind {
			return fmt.Errorf("%w: %s", k.err, a.Error)
		}
	}
	return fmt.Errorf("%w: node %s: %s", httpapi.ErrUnavailable, node, a.Error)
}

func (w *shardWriter) leader(group string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mu.leaders[group]
}

func (w *shardWriter) setLeader(group, id string) {
	if id == "" {
		return
	}
	w.mu.Lock()
	w.mu.leaders[group] = id
	w.mu.Unlock()
}

// serveApply is POST /internal/shards/{collection}/{shard}/apply: this
// node applies the command if it leads the shard's group, and never
// sends it on.
func (r *Replica) serveApply(w http.ResponseWriter, req *http.Request) {
	if req.Header.Get(InternalHeader) == "" {
		writeAnswer(w, http.StatusBadRequest, shardAnswer{Kind: "bad_request", Error: "internal route: the " + InternalHeader + " header is missing"})
		return
	}
	n, err := r.shardGroup(req)
	if err != nil {
		writeAnswer(w, http.StatusMisdirectedRequest, shardAnswer{Kind: kindNotLeader, Error: err.Error()})
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 256<<20))
	if err != nil {
		writeAnswer(w, http.StatusBadRequest, shardAnswer{Kind: "bad_request", Error: err.Error()})
		return
	}
	writeShardAnswer(w, n, shardAnswer{}, n.ApplyEncoded(req.Context(), data))
}

func writeAnswer(w http.ResponseWriter, code int, a shardAnswer) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(a)
}

// writeShardAnswer answers an internal call to a shard's leader: ans
// when err is nil, else err's kind.
func writeShardAnswer(w http.ResponseWriter, n *cluster.Node, ans shardAnswer, err error) {
	leader, _ := n.Leader()
	switch {
	case err == nil:
		ans.Leader = leader
		writeAnswer(w, http.StatusOK, ans)
	case errors.Is(err, cluster.ErrNotLeader):
		writeAnswer(w, http.StatusMisdirectedRequest, shardAnswer{Kind: kindNotLeader, Error: err.Error(), Leader: leader})
	default:
		kind, code := kindUnknown, http.StatusServiceUnavailable
		if i := slices.IndexFunc(errorKinds, func(k errorKind) bool { return errors.Is(err, k.err) }); i >= 0 {
			kind, code = errorKinds[i].kind, http.StatusBadRequest
		}
		writeAnswer(w, code, shardAnswer{Kind: kind, Error: err.Error(), Leader: leader})
	}
}

// shardGroup is this node's running group of the request's shard.
func (r *Replica) shardGroup(req *http.Request) (*cluster.Node, error) {
	collection := req.PathValue("collection")
	s, err := strconv.Atoi(req.PathValue("shard"))
	if err != nil {
		return nil, fmt.Errorf("shard %q: %w", req.PathValue("shard"), err)
	}
	p, ok := r.node.Placement(collection)
	if !ok || s < 0 || s >= p.Shards() {
		return nil, fmt.Errorf("collection %q has no shard %d here (yet)", collection, s)
	}
	n, ok := r.host.Group(collection, p, s)
	if !ok {
		return nil, fmt.Errorf("shard %d of %q does not run on node %s (yet)", s, collection, r.self)
	}
	return n, nil
}

// unavailable makes a Raft outcome error the API's ErrUnavailable.
func unavailable(err error) error {
	if errors.Is(err, cluster.ErrNotLeader) || errors.Is(err, cluster.ErrUnknownOutcome) {
		return fmt.Errorf("%w: %w", httpapi.ErrUnavailable, err)
	}
	return err
}
