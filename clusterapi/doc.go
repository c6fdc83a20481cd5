// Package clusterapi makes a cluster.Node the HTTP API's replica
// (httpapi.Replica): writes become Raft commands, the leader's HTTP
// address comes from the URLs the log recorded (else the static peer
// list), and GET /cluster reports Raft's state in Qdrant's shape. It also
// takes members over HTTP (httpapi.Membership: a node joins with
// Config.Join, a voter is removed, leadership moves), refuses writes on
// a node that is not a voter, and holds /readyz at 503 until the node has
// caught up with the leader's commit index (ready.go). It is apart from
// httpapi so the API does not link Raft, and apart from cluster so
// consensus knows no HTTP.
package clusterapi
