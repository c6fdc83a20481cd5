package cluster

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
)

// leftMark is the file a node leaves beside a shard group's directory
// when it stops keeping the shard: if the node restarts and replays
// group 0 from the collection's creation, the create's placement names
// it a replica again until the later entries are applied, and without
// the mark it would bootstrap a group of the creation's replicas, alone
// in its own configuration and serving an empty shard meanwhile.
const leftMark = ".left"

func (h *Host) shardDir(collection string, created uint64, s int) string {
	return filepath.Join(h.groupDir(collection, created), strconv.Itoa(s))
}

// bootstrap returns the peers shard s's group bootstraps with on this
// node when it has no state (none: it waits for the group's leader to
// add it: it has left the group before, or is a transfer's target), and
// this node's address in the group.
func (h *Host) bootstrap(collection string, p Placement, s int) ([]Peer, string) {
	addr := ""
	for _, q := range p.Replicas[s] {
		if q.ID == h.cfg.NodeID {
			addr = q.Addr
		}
	}
	if t, ok := p.Transfer(s); ok && t.To.ID == h.cfg.NodeID {
		addr = t.To.Addr
	}
	_, err := os.Stat(h.shardDir(collection, p.Created, s) + leftMark)
	if !p.Bootstraps(s) || !p.Holds(s, h.cfg.NodeID) || err == nil {
		return nil, addr
	}
	return p.Replicas[s], addr
}

// dropUnkept stops the groups of p's shards that this node does not keep
// (its replica moved or dropped, a transfer to it aborted) and deletes
// their directories, leaving the mark (leftMark). By then the group's
// leader has removed this node from the group's configuration
// (doc.go, "Moving replicas").
func (h *Host) dropUnkept(collection string, p Placement) {
	for s := range p.Shards() {
		if p.Keeps(s, h.cfg.NodeID) {
			continue
		}
		key := groupKey{collection, p.Created, s}
		h.mu.Lock()
		n, running := h.mu.groups[key]
		delete(h.mu.groups, key)
		h.mu.Unlock()
		dir := h.shardDir(collection, p.Created, s)
		if _, err := os.Stat(dir); !running && err != nil {
			continue
		}
		var errs []error
		if running {
			errs = append(errs, n.Close())
		}
		if err := os.WriteFile(dir+leftMark, nil, 0o644); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, os.RemoveAll(dir))
		if err := errors.Join(errs...); err != nil {
			h.log.Error("cluster: remove a shard group this node no longer keeps", "collection", collection, "shard", s, "err", err)
			continue
		}
		h.log.Info("cluster: shard group removed: this node no longer keeps it", "collection", collection, "shard", s)
	}
}
