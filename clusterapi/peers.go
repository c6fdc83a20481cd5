package clusterapi

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Peer is a member of the cluster's initial configuration.
type Peer struct {
	// ID is the node's Raft server ID.
	ID string
	// RaftAddr is the host:port its Raft transport listens on.
	RaftAddr string
	// URL is the base URL of its HTTP API, where followers forward to.
	URL string
}

// ParsePeers reads the --peers flag: comma-separated ID=RAFTADDR=URL,
// such as "1=10.0.0.1:7000=http://10.0.0.1:6333". It reports every bad
// entry.
func ParsePeers(s string) ([]Peer, error) {
	var peers []Peer
	var errs []error
	seen := map[string]bool{}
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		parts := strings.SplitN(entry, "=", 3)
		if len(parts) != 3 {
			errs = append(errs, fmt.Errorf("peers[%d] %q: want ID=RAFTADDR=URL", i, entry))
			continue
		}
		p := Peer{ID: parts[0], RaftAddr: parts[1], URL: strings.TrimRight(parts[2], "/")}
		if err := p.check(); err != nil {
			errs = append(errs, fmt.Errorf("peers[%d] %q: %w", i, entry, err))
			continue
		}
		if seen[p.ID] {
			errs = append(errs, fmt.Errorf("peers[%d] %q: id %q appears twice", i, entry, p.ID))
		}
		seen[p.ID] = true
		peers = append(peers, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return peers, nil
}

func (p Peer) check() error {
	if p.ID == "" {
		return errors.New("empty id")
	}
	if _, _, err := net.SplitHostPort(p.RaftAddr); err != nil {
		return fmt.Errorf("raft address: %w", err)
	}
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q: want http://HOST:PORT", p.URL)
	}
	return nil
}

// peerID is the number Qdrant's API calls a peer by: the node's ID when
// it is a number, else a hash of it.
func peerID(id string) uint64 {
	if n, err := strconv.ParseUint(id, 10, 64); err == nil {
		return n
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}
