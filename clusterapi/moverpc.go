package clusterapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/index"
)

// Operations of POST /internal/shards/{c}/{s}/members, run by the shard
// group's leader.
const (
	opAddNonvoter = "add_nonvoter"
	opAddVoter    = "add_voter"
	opRemove      = "remove"
)

// memberOp changes a shard group's configuration.
type memberOp struct {
	Op   string `json:"op"`
	ID   string `json:"id"`
	Addr string `json:"addr,omitempty"`
	// Prefer is whom a leader that is to be removed hands its leadership
	// to (a voter; "" lets Raft choose).
	Prefer string `json:"prefer,omitempty"`
	// Require, set, refuses a remove once it is no longer a member: an
	// abort leaves a move that removed its source to finish.
	Require string `json:"require,omitempty"`
}

func jsonBytes(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cluster: encode: %w", err)
	}
	return b, nil
}

// runMemberOp runs op on n, the group's leader, and answers with its
// commit index after it. A leader asked to remove itself hands its
// leadership on and answers not-leader, so the caller asks the new one.
func runMemberOp(ctx context.Context, n *cluster.Node, op memberOp) (shardAnswer, error) {
	var err error
	switch op.Op {
	case opAddNonvoter:
		err = n.AddNonvoter(ctx, op.ID, op.Addr)
	case opAddVoter:
		err = n.AddVoter(ctx, op.ID, op.Addr)
	case opRemove:
		members, merr := n.Members(ctx)
		if merr != nil {
			return shardAnswer{}, fmt.Errorf("%w: %v", cluster.ErrNotLeader, merr)
		}
		if op.Require != "" && !slices.ContainsFunc(members, func(m cluster.Member) bool { return m.ID == op.Require }) {
			return shardAnswer{}, fmt.Errorf("node %s has left the shard's group already: the transfer finishes: %w", op.Require, index.ErrExists)
		}
		if self, _ := n.Leader(); self != op.ID {
			err = n.RemoveServer(ctx, op.ID)
			break
		}
		if op.Prefer != "" && slices.ContainsFunc(members, func(m cluster.Member) bool { return m.ID == op.Prefer && m.Voter }) {
			err = n.TransferLeadershipTo(ctx, op.Prefer)
		} else {
			err = n.TransferLeadership(ctx)
		}
		if err == nil {
			err = fmt.Errorf("%w: leadership handed on before removing %s", cluster.ErrNotLeader, op.ID)
		}
	default:
		return shardAnswer{}, fmt.Errorf("%w: members op %q", index.ErrBadRequest, op.Op)
	}
	return shardAnswer{Commit: n.CommitIndex()}, err
}

// serveMembers is POST /internal/shards/{collection}/{shard}/members:
// this node runs the memberOp if it leads the shard's group.
func (r *Replica) serveMembers(w http.ResponseWriter, req *http.Request) {
	n, err := r.shardGroup(req)
	if err != nil {
		writeAnswer(w, http.StatusMisdirectedRequest, shardAnswer{Kind: kindNotLeader, Error: err.Error()})
		return
	}
	var op memberOp
	if err := json.NewDecoder(io.LimitReader(req.Body, 1<<20)).Decode(&op); err != nil {
		writeAnswer(w, http.StatusBadRequest, shardAnswer{Kind: "bad_request", Error: err.Error()})
		return
	}
	if !n.IsLeader() {
		writeShardAnswer(w, n, shardAnswer{}, fmt.Errorf("%w: members", cluster.ErrNotLeader))
		return
	}
	ans, err := runMemberOp(req.Context(), n, op)
	writeShardAnswer(w, n, ans, err)
}

// groupState is a running group's state; with target above 0, whether
// it has caught up with that commit index (cluster.Node.CaughtUp).
// A leader's Commit is its LeaderCommitIndex, which followers wait for.
func groupState(ctx context.Context, n *cluster.Node, target uint64) (shardState, error) {
	leader, _ := n.Leader()
	st := shardState{Role: n.Stats()["state"], Leader: leader, Commit: n.CommitIndex()}
	if st.Role == "Leader" {
		var err error
		if st.Commit, err = leaderCommit(ctx, n); err != nil {
			return st, err
		}
	}
	if target > 0 {
		var err error
		if st.CaughtUp, err = n.CaughtUp(target); err != nil {
			return st, err
		}
	}
	return st, nil
}

// shardStateOf is node id's replica's state: this node's group, or the
// state route of another.
func (r *Replica) shardStateOf(ctx context.Context, id, collection string, p cluster.Placement, s int, target uint64) (shardState, error) {
	if id == r.self {
		n, ok := r.host.Group(collection, p, s)
		if !ok {
			return shardState{}, fmt.Errorf("node %s runs no group of shard %d", id, s)
		}
		return groupState(ctx, n, target)
	}
	url := fmt.Sprintf("%s/internal/shards/%s/%d/state?target=%d", r.shards.url(id), collection, s, target)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return shardState{}, err
	}
	r.shards.header(req)
	resp, err := r.shards.client.Do(req)
	if err != nil {
		return shardState{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return shardState{}, fmt.Errorf("node %s: %d %s", id, resp.StatusCode, msg)
	}
	var st shardState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return shardState{}, fmt.Errorf("node %s: state: %w", id, err)
	}
	return st, nil
}

// targetOf reads the state route's target parameter.
func targetOf(req *http.Request) (uint64, error) {
	v := req.URL.Query().Get("target")
	if v == "" {
		return 0, nil
	}
	return strconv.ParseUint(v, 10, 64)
}
