// Package bm25 turns text into BM25 sparse vectors on the server, the way
// FastEmbed's "Qdrant/bm25" model does on the client, so that a point or a
// query can carry {"text": ..., "model": "Qdrant/bm25"} where a sparse
// vector goes.
//
// A text becomes tokens (Tokens): split at every character that is not a
// Unicode letter, digit, mark or '_', lower-cased, stop words and tokens
// longer than 40 characters dropped, the rest stemmed by the Snowball
// stemmer of the language (github.com/kljensen/snowball). A token's term
// id is TokenID: the absolute value of its signed 32-bit MurmurHash3
// (x86, seed 0) over its UTF-8 bytes, FastEmbed's compute_token_id, so the
// ids are stable across restarts and versions and agree with vectors made
// by FastEmbed for the same tokens.
//
// A document's weight for a term is BM25's term-frequency part,
// tf·(k+1) / (tf + k·(1 − b + b·|d|/avg_len)), |d| its token count; the
// idf part is the collection's "idf" modifier, applied at query time. A
// query weighs each distinct term 1.
//
// Where this differs from FastEmbed: its stop words are NLTK's lists and
// its stemmer the Rust port of Snowball; here English uses NLTK's list
// too, the other languages the stemmer library's own lists, and the
// stemmer is the Go port, which follows the same Snowball algorithms.
package bm25
