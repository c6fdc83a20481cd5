// Package cluster tests a replicated Quiver as its processes run: three
// real `quiver serve --node-id` on loopback, clients writing through
// different nodes, the leader killed with SIGKILL midway and restarted,
// then every acknowledged write checked on every node. It is its own
// package because it needs the built binary.
package cluster
