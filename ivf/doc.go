// Package ivf is a partitioned nearest-neighbour index in the manner of
// ScaNN and faiss's IVF-PQ fast scan: k-means cells, each point stored in
// its nearest cell and a second one chosen as SOAR does (soarAssign), its
// residual from each cell's centroid product-quantized to 4-bit codes,
// cells scanned 32 codes at a time with in-register table lookups
// (simd.ScanPQ4), and the best candidates re-scored exactly from
// half-precision vectors.
//
// It sits beside hnsw rather than in it because it answers the same
// question another way. A graph walk pays a cache miss per vector it
// scores, wherever in memory the vector lies; a cell scan reads codes
// that lie next to each other and scores 32 per instruction sequence, so on
// hard sets such as GloVe it visits more points for the same recall and
// still spends less time. It also builds in a fraction of a graph's time.
// What it lacks is the graph's adaptation to new data: its cells are
// trained once and Add only files new points into them, so it suits
// collections that are built, then mostly read, and rebuilt as they grow.
//
// # Invariants
//
//  1. An Index changes only by Add, which appends a point to the cells
//     trained at Build; Search is safe for concurrent use with Search, and
//     the caller keeps Add apart from both.
//  2. Each of point p's Spill cells holds p's code for that cell at some
//     position j with cell.ids[j] = p; a block's lanes past the cell's
//     count hold zero codes and are never reported. A point found in two
//     cells is re-scored once.
//  3. The approximate score of p in cell c is ⟨q, centroid_c⟩ + Σ_s
//     ⟨q_s, codebook_s[code_s(p)]⟩; the table sums of the scan are that
//     sum's sub-space terms, shifted and scaled per query into bytes, so
//     the scan ranks as the approximation does up to rounding.
package ivf
