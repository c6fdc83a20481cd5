// Package index is Quiver's collections as users see them: named sets of
// points (an id, a vector, a JSON payload) with nearest-neighbour search,
// filters, scroll and count, durable in a storage.Store.
//
// A Collection keeps its dense vectors in an HNSW graph (package hnsw),
// its sparse vectors in an inverted index (package sparse), and
// everything in Pebble (package storage).
//
// A collection has one unnamed vector or up to 255 named ones
// (Config.Vectors), each with its own size, distance, model and graph.
// Config maps each name to a storage vector space (1..255, assigned in
// name order at Create and never changed); the unnamed vector is space 0.
// Every graph of a collection uses the point's node as its node id, so the
// id map, payloads, filters and node bitsets serve all graphs alike; a
// point that lacks a name is absent from that name's graph. Requests name
// the vector they use (SearchRequest.Using, RankRequest.Using, Vectors,
// ReadOptions.VectorNames); "" is the unnamed vector. Every write is one synced
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
//     is published; a graph snapshot holds it for writing while it reads
//     the sequence number it is stored with, so the snapshot reflects every
//     write up to that number. It is exported while later writes go on and
//     may hold some of their effects: the log replay after that number, and
//     dropping graph nodes the store lacks, make the graphs agree with the
//     store on open (invariant 4).
//  3. Without named vectors the graph picks the node of every new or
//     replaced point (Graph.Insert); with them the collection's allocator
//     does (allocNodes), handing out only nodes free in every graph: a node
//     removed from the graphs is reused only after a cleanup of all of them
//     (saveGraph). Either happens before the commit; the node is published in the id map only after
//     the commit succeeds, and a node's point is unpublished before the
//     graph deletes the node, so the graph never hands out a node that the
//     id map still names. Search results whose node is not published are
//     dropped.
//  4. After open, each graph's live nodes are exactly the store's live
//     nodes that carry its vector (checked by checkGraph; a graph is rebuilt
//     from the stored vectors otherwise). All graphs are saved together at
//     one sequence number (storage.SaveGraphs), and on open the log is
//     replayed from the oldest snapshot's.
//  5. Filtered reads compute the set of matching live nodes first: payload
//     indexes and has_id answer what they can (exactly or as a superset),
//     and the payload of each remaining candidate decides the rest, with
//     filter.Filter.Matches as the single definition of a match.
//  6. The in-memory postings hold, for every live node, the terms the
//     store holds for it: they are loaded from the store at open and
//     changed, under c.mu, where a write publishes or unpublishes a node,
//     where a payload update rewrites a live node's terms in place (under
//     its id stripe and snapMu for reading, so the indexes are fixed), and
//     where payload indexes are rebuilt (under snapMu for writing).
//  7. With named vectors, vectorSpace.has holds, under c.mu, the live nodes
//     whose point carries that vector: set where the write publishes the
//     node, cleared where it unpublishes it. Filtered and exact reads
//     intersect their node sets with it (restrict).
//  8. Each sparse vector's inverted index (package sparse) holds exactly
//     the live nodes whose point carries it, with the vector the store
//     holds: built from the store at open (no snapshot, no log replay) and
//     changed under c.mu where a write publishes or unpublishes a node, so
//     its node count is the N of the idf modifier.
package index
