// Package hnsw is the Hierarchical Navigable Small World graph of Malkov and
// Yashunin (2018): approximate nearest-neighbour search over float32 vectors
// with concurrent inserts, searches and deletes.
//
// A Graph stores vectors in one contiguous arena indexed by dense uint32 node
// ids, links on layer 0 in a second arena (2·M per node) and links on upper
// layers (M per node and layer) in small per-node blocks. A quantized graph
// (quantize.go) keeps a third arena beside them: per node one uint8 code per
// component and the float32 ‖x‖²; a search may walk the codes and re-score
// its final candidates with the vectors. Searches take no
// lock per node: link lists are read and written with atomic operations, so a
// reader sees each link either before or after a concurrent change, and every
// link it sees names a node whose vector was written before the link was.
//
// Invariants (checked by checkGraph in the tests):
//
//  1. A node's layer-0 list holds at most 2·M links, an upper-layer list at
//     most M; no list links a node to itself or holds a duplicate.
//  2. Links name nodes that are live or tombstoned, never a free slot: a
//     deleted node's slot is freed only after a cleanup has removed every link
//     to it, and only while no search is running (Graph.mu held for writing).
//  3. The entry point is a live node of the highest level, or none when the
//     graph is empty.
//  4. A quantized graph's codes are those of its vectors under its current
//     bounds: each insert encodes before it links, and a (re)training
//     encodes every node into a new arena while inserts wait.
//  5. After a Cleanup, every live node is reachable from the entry point
//     over the links of all layers. Between cleanups inserts keep nodes from
//     losing their last in-link, which in practice keeps this true.
//
// Concurrency: every operation holds Graph.mu for reading; growing the arenas
// and freeing deleted slots hold it for writing. Inserts, deletes and
// cleanups also hold Graph.writers for reading, which Export holds for
// writing to copy a still graph while searches continue. Writers to a node's
// link lists hold that node's stripe mutex. The entry point changes under
// entryMu.
package hnsw
