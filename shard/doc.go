// Package shard reads one collection spread over shards as if it were one
// collection, for the query engine: a Router stands where query.Collection
// stands, scatters each read to every shard (or routes it by point id to
// the shard that holds the point) and gathers the answers in the order one
// collection would give them.
//
// It is its own package, apart from package cluster, because reading
// shards as one does not depend on how shards are replicated or placed on
// nodes: a Shard is anything that answers a collection's data reads, a
// local *index.Collection or a Client that asks another node through its
// Handler, an internal RPC at Prefix{collection}/{shard}/{method}: JSON,
// but for a search's request and answer, which cross in binary forms
// (binwire.go) because a scatter pays for them on every remote shard.
// The same calls cross over HTTP or, cheaper, in a stream form of
// framed calls on kept connections (stream.go, Streams, ServeStream).
//
// Invariants:
//  1. Shard i of n holds exactly the points whose id.Shard(n) is i
//     (pointid.ID.Shard); the Router routes id lookups by it.
//  2. A Router's answers equal those of one collection holding every
//     shard's points, with ties of score (or order value) broken by id.
//  3. Every value crosses the wire exactly: ids up to 2^64−1 and UUIDs,
//     payload numbers as their JSON text (json.Number), float32 vectors
//     and scores (as their bits in the binary forms, a JSON query vector
//     as its float32 bytes), filters in Qdrant's form
//     (filter.Marshal/filter.Parse).
//  4. An error keeps its kind across the wire (index.ErrBadRequest,
//     index.ErrNotFound, …); a node that cannot be reached is
//     ErrUnavailable.
package shard
