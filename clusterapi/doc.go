// Package clusterapi makes a cluster.Node the HTTP API's replica
// (httpapi.Replica): writes become Raft commands, the leader's HTTP
// address comes from the static peer list, and GET /cluster reports
// Raft's state in Qdrant's shape. It is apart from httpapi so the API
// does not link Raft, and apart from cluster so consensus knows no HTTP.
package clusterapi
