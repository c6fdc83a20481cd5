// Package cluster replicates a Quiver database with Raft
// (github.com/hashicorp/raft): every write is a Command in the Raft log,
// and each node's finite state machine applies the log, in order, to its
// own index.DB. It is its own package, consensus layered over the
// single-node index, so that index stays free of replication and a
// single-node server never links Raft.
//
// Invariants:
//
//  1. Only the FSM writes to a node's index.DB; reads may go to it
//     directly (Node.DB). A read that must see every acknowledged write
//     goes to the leader after Node.Barrier.
//  2. A command is validated on the leader, as the replicas will decode
//     it, before it is proposed (Node.Apply): a bad request is refused
//     with the index's error and never enters the log.
//  3. Applying a command is deterministic: the same log prefix applied to
//     the same starting state gives the same state and the same error on
//     every replica (command.go says why). An error that is not the
//     command's own (a disk full, a storage failure) would make the
//     replica diverge, so the FSM panics on it instead: the node restarts
//     and rebuilds its state as invariant 4 says.
//  4. A node's index.DB is derived state, rebuilt at every Open: Open
//     deletes DIR/index, and Raft restores the newest snapshot and
//     replays the log after it. So no entry is ever applied to a state
//     that already holds it, which would not be harmless: "set c=1
//     where b=1" then "set b=1", replayed over the state after both,
//     adds c to a point that never had it; a batch refused for a point that did not
//     exist yet succeeds when replayed over a state where it does. The
//     alternative, storing the last applied Raft index in the DB
//     atomically with each write, needs each command to be one Pebble
//     batch, which Collection.Apply is not (it is atomic per operation).
//     The price is a restart that costs a snapshot restore plus the log
//     tail; the Raft log and snapshots under DIR are the node's durable
//     state. TestRestartCatchesUp fails without the rebuild.
//  5. A snapshot is taken at exactly the applied index: FSM.Snapshot
//     writes the full snapshot while Apply waits (Raft calls both from
//     one goroutine), and Persist then streams the file to Raft. Applies
//     stall meanwhile; a Pebble checkpoint would shorten that.
//
// Acknowledged means committed: Node.Apply returns nil only after a
// majority of voters has the entry in its synced log (cluster/raftstore
// syncs every append) and the leader has applied it.
//
// All nodes must run the same Quiver version and the same index.Options
// limits (payload size, and the like), since validation on apply depends
// on them. Replicated: collections created, dropped and reconfigured
// (UpdateConfig), their payload indexes, point writes (Apply) and users'
// interactions (stamped with the proposer's clock). Aliases, forgetting
// a user and training are not replicated yet.
package cluster
