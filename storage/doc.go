// Package storage keeps Quiver's durable state in one Pebble database per
// data directory: the collection catalog, each collection's points (external
// id ↔ internal node mapping, vectors, payloads, payload-index terms), an
// operation log, and snapshots of the HNSW graphs.
//
// All point writes flow through one path, Collection.Write, which takes an
// ordered batch of Ops (upsert or delete, each carrying a sequence number)
// and commits them as one Pebble batch with Sync: a write is acknowledged
// only after it is in Pebble's WAL and fsynced. Pebble group-commits
// concurrent synced batches, so concurrent writers share fsyncs. The same Op
// sequence is what a replication log would carry.
//
// The graph is not rewritten per insert. A collection's graph (one per
// vector space) is saved whole (hnsw Export) with the sequence number it
// reflects; on open the caller loads it and replays the log entries after
// that sequence number (see package index).
//
// Aliases (0x04) needed no format change either: a database from before
// them has no such key, and a build from before them ignores the keys.
//
// Named vectors needed no format change: format 2 already keys vectors and
// graph snapshots by space, and a database without named vectors uses only
// space 0, so FormatVersion stays 2. Sparse vectors did not either: their
// section 's' is new, and a database from before them has no such key.
//
// ExportCollection and ImportCollection copy one collection's keys through
// a zstd-compressed snapshot file (format in snapshot.go), read from one
// Pebble snapshot and restored under a fresh prefix.
//
// # Disk space
//
// A full disk must fail writes, not hang them. Pebble cannot take a
// context: once a commit is inside it, the commit waits for whatever Pebble
// waits for, and when a memtable flush fails with ENOSPC Pebble retries it
// at once and for ever while writes queue behind the stall (with their id
// locks held above). So writes are stopped before they reach Pebble
// (diskspace.go, after CockroachDB's store-level disk handling):
//
//   - Every gated batch (point writes, catalog changes, graph snapshots)
//     is admitted only if the disk's free space, less what was admitted
//     since the last reading, stays above a reserve (Options.DiskReserveBytes)
//     that leaves Pebble room to flush its memtables and compact. Otherwise
//     it fails at once with ErrNoSpace. Reads are never gated; dropping a
//     collection is not held to the reserve, since it is how space is freed.
//   - An ENOSPC inside Pebble (any write through the file system, a failed
//     flush or compaction) refuses every gated write until space returns,
//     and deletes a ballast file (Options.BallastBytes), so that what
//     Pebble has in flight (vfs.OnDiskFull retries the failed write once)
//     completes instead of stalling.
//   - During a Pebble write stall, new batches wait for its end within their
//     context, rather than inside Pebble beyond any deadline.
//   - A monitor re-reads the free space every DiskCheckInterval and accepts
//     writes again once the disk has room for the reserve and the ballast
//     and Pebble's flushes succeed; it then lays the ballast again. No
//     restart is needed.
//   - A fatal Pebble error in a commit (a failed WAL sync) fails that write
//     and every later one with ErrFailed but keeps reads served; fatal errors
//     in Pebble's background work end the process, as Pebble intends.
//
// # Key layout
//
// Every key starts with a one-byte space tag. Integers are big-endian so that
// byte order is numeric order. C below is the collection's 4-byte internal
// prefix, N a 4-byte node id, S a one-byte vector space (0 is the default,
// unnamed vector; named vectors get 1, 2, …, as the caller's collection
// config assigns them), ID an encoded point id
// (0x01 + 8-byte integer, or 0x02 + 16 UUID bytes; see pointid.ID.AppendKey).
//
//	0x01 "format"                 → uint32 format version (FormatVersion)
//	0x01 "next_prefix"            → uint32, the next collection prefix to hand out
//	0x02 name                     → collection record: uint32 C, then the caller's config bytes
//	0x04 alias                    → the name of the collection the alias names
//	0x03 C 'i' ID                 → N            (id → node)
//	0x03 C 'n' N                  → ID           (node → id)
//	0x03 C 'v' S N                → vector, float32 little-endian
//	0x03 C 's' S N                → sparse vector in sparse space S (1..255,
//	                                numbered apart from dense spaces): count
//	                                uint32, the indices uint32, then the
//	                                values float32, all little-endian
//	0x03 C 'p' N                  → payload: codec byte (0 raw JSON, 1 zstd) + body
//	0x03 C 't' N                  → the point's payload-index terms (encodeTerms)
//	0x03 C 'l' seq(8)             → log entry: op kind byte, N, ID, and for an
//	                                upsert that replaced a point its old N
//	0x03 C 'u' U ID               → interaction of user U with point ID:
//	                                weight float32, Unix seconds int64 (big-endian);
//	                                U is userid.ID.AppendKey
//	0x03 C 'm' 'h'                → the trained model's header: length(8), chunks(4)
//	0x03 C 'm' 'c' chunk(4)       → the model's bytes (an opaque blob; SaveModel)
//	0x03 C 'g' S 'h'              → graph snapshot header: seq(8), length(8), chunks(4)
//	0x03 C 'g' S 'c' chunk(4)     → graph snapshot bytes, in chunks of graphChunk
//
// Retired sections, never reused for anything else:
//
//	0x03 C 'x' term N             → empty: format 1's inverted payload index,
//	                                deleted by the upgrade to format 2
//
// # Invariants
//
//  1. The format key exists and equals FormatVersion in every database this
//     package has opened. Open upgrades an older version it knows one step
//     at a time, each step and the new version in one synced batch
//     (upgrade.go), and refuses a newer or unknown one with ErrFormat.
//  2. For a live point, the 'i', 'n', 'p' and 't' keys exist together and
//     agree: 'i'(ID) = N and 'n'(N) = ID. Its 'v' keys are those of the
//     vectors it carries: in a collection without named vectors exactly
//     'v' 0 N; in one with named vectors 'v' S N for each name it carries
//     (the caller maps names to spaces 1..255 and never reuses a space), and
//     none in space 0. Its 's' keys are those of the sparse vectors it
//     carries, likewise. A deleted point has none of these keys. One Pebble
//     batch writes or removes them all; removal deletes 'v' S N for every
//     space of the collection (Op.Spaces) and 's' S N for every sparse
//     space (Op.SparseSpaces) without reading. A replaced point
//     moves to a new node: the batch removes the old node's keys and writes
//     the new node's, so a node never changes its vectors while live.
//  3. 't'(N) is the only durable form of the payload index: the caller
//     derives the terms from the payload when it writes the point (and
//     rewrites them with SetTerms when the indexes change), and loads its
//     in-memory postings from them with ScanTerms. No key is derived from
//     a point's terms, so removing a point reads nothing, and no 'x' key
//     exists.
//  4. Every committed point Op (upsert, delete) has a log entry under its sequence number, written
//     in the same batch as the point keys. Sequence numbers are unique and
//     increase per collection in the order the caller assigned them; a
//     number whose batch failed is never reused and leaves a gap.
//  5. A graph snapshot header with sequence s means the snapshot reflects
//     every Op with seq ≤ s and none after it; header and chunks are written
//     in one batch, together with the deletion of log entries ≤ s.
//  6. Interactions ('u') are written by the same Write as points
//     (OpInteract, OpForgetUser), take no node and no log entry, and are
//     keyed by user first, so forgetting a user is one range deletion.
//     They may name points deleted since: readers skip those.
//  7. Dropping a collection deletes its record, the aliases naming it and
//     its whole 0x03 C range in one batch; prefixes are never reused, so a
//     new collection with the same name starts empty.
//  8. A payload update (OpPayload) rewrites the 'p' and 't' keys of a
//     live node in place and takes no log entry: it changes no vector, so
//     no graph replays it, and the node keeps the keys of invariant 2.
package storage
