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
//  6. Shards: a collection created with shard_number S and
//     replication_factor R is one create_sharded entry in group 0 (the
//     metadata group, which also replicates the unsharded collections
//     whole on every node, as before). It carries the placement, computed
//     on the leader by Place: shard s is kept by the voters (sorted by
//     id) s..s+R-1 mod N. Group 0 holds the schema collection, empty, so
//     listing, aliases and GET /collections/{c} work as for any
//     collection, and the placement, which the FSM keeps beside the DB
//     and writes into its snapshot stream (a version 2 header, before
//     the DB's tar). The placement is consensus state, not the index's:
//     storing it in the DB would put cluster metadata in a package that
//     knows nothing of replication, and would make the snapshot's
//     placements depend on the index's own snapshot format.
//  7. Each shard is a Raft group of its R replicas, run by a Host on each
//     of them, on the node's one port (Mux: a versioned header names the
//     group). Placement.Created, the index of the create entry, names the
//     groups and their directories, DIR/shards/COLLECTION/CREATED/SHARD,
//     so a collection dropped and created again never meets an old
//     group's log. A shard group's DB starts with the collection
//     created from the placement's config (Config.Init) and is then
//     rebuilt from its own snapshot and log, as invariant 4 says. The
//     FSM of group 0 only queues the Host's work (PlacementObserver), so
//     opening a group never stalls group 0's apply loop; the Host does it
//     in log order. A restart replays group 0, which places the collections
//     again and reopens their groups, each catching up from its peers.
//  8. A write to a sharded collection is split by pointid.ID.Shard, each
//     shard's part one command in its group's log, committed by a
//     majority of that shard's replicas (synced there); an operation
//     that selects by filter goes to every shard. A batch that spans
//     shards is atomic per shard only, as in Qdrant: one shard may
//     acknowledge while another refuses or is unavailable.
//  9. Moving replicas: a shard's Raft configuration is the truth of who
//     replicates it; group 0's placement follows it. A change (a move,
//     a replicate, a drop) is a transfer: group 0 records it
//     (ChangeReplicas Begin, one a shard at a time), the transfer's
//     target starts the shard's group with no bootstrap (Placement.Keeps;
//     Host), the shard's leader adds it as a nonvoter (Raft sends it the
//     shard's snapshot, then the log tail), promotes it once it has
//     caught up, then removes the leaving replica (handing its leadership
//     on first if it leads), and only then does group 0 record the new
//     replicas (ChangeReplicas Replicas), on which every node's Host
//     stops the groups it no longer keeps and deletes their directories.
//     Add before remove: the shard keeps its majority, so its writes,
//     throughout. Reconciliation: every step is idempotent (adding a
//     member twice, removing one that left, changes nothing), and the
//     record stays in group 0 until the end, so whichever node leads
//     group 0 (after a failover or a restart) runs a recorded transfer
//     again from its first step (clusterapi's driver), which brings the
//     configuration to the transfer's end and then the placement to the
//     configuration. Until then the placement lists the replicas that
//     were there before, which are still members (a removed source stays
//     until the end is recorded, serving reads from its last state).
//     An abort removes the target from the configuration before the
//     record ends, and is refused once a move has removed its source. A
//     node that stopped keeping a shard leaves a mark beside its
//     directory, so a replay of group 0 from the collection's creation
//     never bootstraps the creation's replicas again on it; only
//     replicas of a shard whose replicas never changed bootstrap
//     (Placement.Bootstraps), the others wait to be added.
//
// Acknowledged means committed: Node.Apply returns nil only after a
// majority of voters has the entry in its synced log (cluster/raftstore
// syncs every append) and the leader has applied it.
//
// All nodes must run the same Quiver version and the same index.Options
// limits (payload size, and the like), since validation on apply depends
// on them. Replicated: collections created, dropped and reconfigured
// (UpdateConfig), their payload indexes, point writes (Apply), users'
// interactions (stamped with the proposer's clock), aliases (one command
// per request, so a list of actions applies all or none everywhere),
// forgetting a user (its interactions and its row of the model), trained
// models, and the nodes' HTTP URLs (kinds.go); sharded collections'
// placements, and their shards' points, payload indexes and config
// updates in the shard groups. A sharded collection's users stay in
// group 0: its schema copy keeps their interactions and the trained
// model (index.Collection.SetItemsElsewhere), and its items' vectors a
// model implies go to the shard groups (InstallModel.VectorsOnly), each
// writing those of its own points.
//
// Training: the leader trains and proposes the result (InstallModel: the
// model's saved form and the content vector cold items are mapped from);
// every replica installs it, item vectors included, in its apply. The
// other way, a command that carries the seed and every replica training
// from it, was rejected: a training runs for seconds to minutes and would
// stall every replica's apply loop (every write waits behind it) and cost
// the CPU of a training on every node, and its result would have to be
// bit-identical across replicas for invariant 3 to hold, which no test
// can promise of a parallel float computation. Installing is deterministic:
// the model's bytes are the same everywhere, and the vectors it implies
// are computed from them and from the collection as the log left it. The
// price is an entry as large as the model (ids and factors of every user
// and item); the job runs on the leader only, so its status (GET .../train)
// is the leader's, and the trainer never repairs vectors on load (a write
// outside the log would diverge).
//
// Membership: a node joins by asking the leader (over HTTP, package
// clusterapi) to add it; the leader proposes the node's URL as a SetPeer
// command (and, the first time, the bootstrap nodes' URLs), then adds it
// as a voter (Node.AddVoter), and the node catches up from a snapshot and
// the log. The URLs are replicated state, in the log and in every
// snapshot, rather than packed into Raft's server address: that address
// is what the transport dials, and Raft's configuration has no room for
// anything else. So by the time a joined node can lead, every node can
// forward to it. A snapshot holds, after the index of its last command,
// the URLs (as JSON), the placements (as JSON), then the DB's full
// snapshot, aliases included. A node that joins after a sharded
// collection was created keeps none of its shards until a transfer gives
// it one (invariant 9); a removed node stays a member of its shards'
// groups, a replica down, until its replicas are moved or dropped.
//
// Caught up (Node.CaughtUp): a node has applied every command up to a
// commit index the leader reported. The FSM's own index stays below a
// commit index it has caught up with when the last entries are ones Raft
// never gives the FSM (a leader's no-op, a configuration change), so the
// entries past it are read from the log: caught up when none is a command.
package cluster
