// Package clusterapi makes a cluster.Node the HTTP API's replica
// (httpapi.Replica): writes become Raft commands, the leader's HTTP
// address comes from the static peer list, and GET /cluster reports
// Raft's state in Qdrant's shape. It also shards collections
// (httpapi.Sharder): group 0 places them, a cluster.Host runs the shard
// groups this node keeps, writes are split by shard and sent to the
// shards' leaders (shardwrite.go), reads go through shard.Router over
// the local replicas and the other nodes' (shardread.go), and the nodes
// call each other at /internal/shards/ (Replica.Internal). It is apart
// from httpapi so the API does not link Raft, and apart from cluster so
// consensus knows no HTTP.
package clusterapi
