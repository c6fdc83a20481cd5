// Package index is Quiver's collections as users see them: named sets of
// points (an id, a vector, a JSON payload) with nearest-neighbour search,
// filters, scroll and count, durable in a storage.Store.
//
// A Collection keeps its vectors in an HNSW graph (package hnsw) and
// everything else in Pebble (package storage). Every write is one synced
// Pebble batch (storage.Collection.Write); the graph is saved whole now and
// then and at Close, and on open the writes after the saved graph are
// replayed from the store's log, so a restart after kill -9 loses no
// acknowledged write and is fast.
//
// # Invariants
//
//  1. A write to a point holds the lock stripe of its id from before its
//     graph change until it is published, so writes to one id are applied
//     to the graph, the store and the id map in the same order, and reads
//     under the stripe see the three agree.
//  2. A write holds snapMu for reading from its first graph change until it
//     is published; a graph snapshot holds it for writing, so the snapshot
//     reflects exactly the writes with sequence numbers up to the one it is
//     stored with.
//  3. The graph picks the node of every new or replaced point (Graph.Insert)
//     before the commit; the node is published in the id map only after
//     the commit succeeds, and a node's point is unpublished before the
//     graph deletes the node, so the graph never hands out a node that the
//     id map still names. Search results whose node is not published are
//     dropped.
//  4. After open, the graph's live nodes are exactly the store's live
//     nodes (checked by checkGraph; the graph is rebuilt from the stored
//     vectors otherwise).
//  5. Filtered reads compute the set of matching live nodes first: payload
//     indexes and has_id answer what they can (exactly or as a superset),
//     and the payload of each remaining candidate decides the rest, with
//     filter.Filter.Matches as the single definition of a match.
//  6. The in-memory postings hold, for every live node, the terms the
//     store holds for it: they are loaded from the store at open and
//     changed, under c.mu, where a write publishes or unpublishes a node
//     and where payload indexes are rebuilt (under snapMu for writing).
package index
