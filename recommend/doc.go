// Package recommend learns users and items as vectors from interactions and
// ranks items for a user, so that Quiver can serve recommendations through the
// same dot-product search it uses for embeddings.
//
// It works on dense indices only (users 0..U-1, items 0..I-1); mapping
// external ids, storage and HTTP live elsewhere. Every model is a Scorer: it
// writes a score for every item of a user, higher is better, and the factor
// models (IALS, BPR) score by <theta_u, phi_i> so their item vectors can be put
// in an HNSW graph with the Dot metric; so does DotHybrid, which blends
// iALS, content and popularity into one user and one item vector. Ratings
// predicts explicit ratings (recency-weighted biases).
//
// Invariants:
//
//  1. A Matrix is immutable after Build; its rows are sorted by column and
//     hold no duplicate (user, item) pair.
//  2. Training is deterministic given Options.Seed and the matrix, whatever
//     the number of workers: parallel solves write disjoint rows and read
//     only the previous half-step.
//  3. A model keeps a reference to the Matrix it was trained on and never
//     modifies it.
//  4. Rankings break score ties toward the smaller item index.
package recommend
