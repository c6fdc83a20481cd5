// Package eval scores recommenders offline under the protocol of
// BENCHMARKS.md §2: a per-user chronological split, rankings over the
// catalogue minus the user's own items with ties to the smaller item, and
// Recall, NDCG, hit rate, coverage and rating errors. It is apart from
// package recommend so that serving code does not carry the evaluation, and
// so that every model is scored by the same code.
package eval
