// Package query is Quiver's query engine: a typed query tree, and the one
// place that checks, plans and runs it.
//
// It sits between the API and the index because a query combines what the
// index answers one primitive at a time. A request's text documents become
// vectors in one batch per model (an Embedder), point ids become vectors
// read from the graph's memory (in the queried collection or in lookup_from),
// a recommendation strategy scores candidate sets, and results are cut by
// offset, limit and score threshold. Keeping this here and not in httpapi
// means a Go program using the index can recommend and search by text, the
// API only translates JSON, and the nodes of the tree (prefetch, fusion,
// MMR, recommendations for users, groups) and a cluster router
// (standing where Collection stands) have one place to go.
//
// A query's path:
//
//	httpapi    JSON body → Request                  Result → JSON answer
//	              │                                      ▲
//	query      Check (the whole prefetch tree: depth ≤ 8, Σ limits ≤ MaxLimit)
//	              → resolve every node's documents (one Embedder batch per
//	                model for the call) and ids (Collection.Vectors), for its Using
//	              → exec, prefetches first (each with its parent's filter too):
//	                  fusion rrf / dbsf → fuse the lists → Scroll for the records
//	                  a query over prefetches → the same query restricted
//	                      to the union of their points, scored exactly
//	                  no query, one prefetch → its list
//	              → run: nearest → Collection.Search
//	                     nearest with mmr → Search (SearchSparse) for the
//	                         candidates, Collection.Vectors (SparseVectors),
//	                         then MMR's order in memory
//	                     nearest on a sparse vector (a BM25 document becomes
//	                     a query vector here) → Collection.SearchSparse
//	                     recommend average_vector → Search on the combined vector
//	                     recommend best_score / sum_scores, discover,
//	                         context → Collection.Rank (discover.go)
//	                     order_by → Collection.ScrollOrdered (a walk of
//	                         the key's numeric payload index)
//	                     no query → Collection.Scroll
//	   RunGroups: the same, widening the candidates until the groups
//	   fill (groups.go); the hits' records and lookups read at the end
//	              │
//	index      filters (payload indexes), id map, records
//	hnsw       graph walk, exact scoring of node sets (SearchNodes, RankNodes)
//	sparse     inverted index, exact top k by dot product (MaxScore)
//	storage    payloads and vectors in Pebble
//
// Imports only point down: query imports index, hnsw, filter and pointid,
// never httpapi (make test checks the direction).
//
// Named vectors: Request.Using names the vector a query ranks by ("" is
// the unnamed one). Run checks it exists before anything else (errors
// begin `using "x": `), encodes documents with that vector's model, checks
// inputs against its size and metric, and reads point ids' vectors of that
// name; with LookupFrom, ids stand for LookupFrom's LookupVector (its
// unnamed vector when empty, as Qdrant's lookup_from.vector).
//
// Errors: a query that cannot run as given wraps index.ErrBadRequest, a
// point or collection that does not exist index.ErrNotFound, a document
// naming a model the engine lacks ErrNoModel.
package query
