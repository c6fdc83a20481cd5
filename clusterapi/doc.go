// Package clusterapi makes a cluster.Node the HTTP API's replica
// (httpapi.Replica): writes become Raft commands, the leader's HTTP
// address comes from the URLs the log recorded (else the static peer
// list), and GET /cluster reports Raft's state in Qdrant's shape. It also
// takes members over HTTP (httpapi.Membership: a node joins with
// Config.Join, a voter is removed, leadership moves), refuses writes on
// a node that is not a voter, and holds /readyz at 503 until the node has
// caught up with the leader's commit index (ready.go). And it shards
// collections (httpapi.Sharder): group 0 places them, a cluster.Host runs
// the shard groups this node keeps, writes are split by shard and sent to
// the shards' leaders (shardwrite.go), reads go through shard.Router over
// the local replicas and the other nodes' (shardread.go), those calls
// crossing the Raft port in the shard RPC's stream form (streams.go),
// and the nodes' other calls go to /internal/shards/ (Replica.Internal).
// It is apart
// from httpapi so the API does not link Raft, and apart from cluster so
// consensus knows no HTTP.
package clusterapi
