// Package sparse is the inverted index of one sparse vector space: each
// term id holds the postings (node, weight) of the nodes whose vector has
// a nonzero weight for it, and a search returns the exact top k nodes by
// dot product with a sparse query.
//
// It exists apart from hnsw because sparse vectors (BM25 term weights,
// SPLADE outputs) have millions of dimensions and a few dozen nonzeros
// each: a graph over them is useless, while postings make the exact
// answer cheap. The index knows nothing of collections or the store;
// package index keeps one per sparse vector and fills it at open.
//
// # Invariants
//
//  1. A node is in a term's postings exactly when its current vector has
//     that term; postings are sorted by node, one entry per node.
//  2. A list's max and min bound every weight in it (they may be loose
//     after a removal, never wrong), which is what lets Search skip the
//     lists that cannot lift a node into the top k (MaxScore).
//  3. Search returns exactly the nodes that a brute-force dot product over
//     the nodes sharing at least one term with the query would, ties at
//     the k-th score aside; a node without a shared term is never a result.
//  4. Readers hold the read lock for a whole search, writers the write
//     lock for a whole Set or Delete: a search sees each node's old vector
//     or its new one, never a mix.
package sparse
