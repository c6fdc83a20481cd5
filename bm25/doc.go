// Package bm25 turns text into BM25 sparse vectors on the server, the way
// FastEmbed's "Qdrant/bm25" model does on the client, so that a point or a
// query can carry {"text": ..., "model": "Qdrant/bm25"} where a sparse
// vector goes.
//
// A text becomes tokens (Tokens): split at every character that is not a
// Unicode letter, number or '_' (Python's \w, which FastEmbed splits at),
// lower-cased, stop words and tokens
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
// Where this differs from FastEmbed: for English, nowhere we know of.
// TestMatchesFastEmbed holds tokens, ids and weights to those computed by
// FastEmbed's own pieces (scripts/bm25_reference.py: its tokenizer
// expressions, the Rust Snowball stemmer, mmh3, NLTK's stop words) over
// texts with punctuation, contractions, Unicode and long tokens. For the
// other languages the stemmers are the same Snowball algorithms (unchecked
// here), but the stop words are the stemmer library's lists, not NLTK's,
// so some common words may be kept or dropped where FastEmbed does the
// opposite. Lower-casing is Go's, which differs from Python's for a few
// characters (Python lower-cases 'İ' to two runes). FastEmbed's other
// languages (Arabic, Danish, Dutch, …) are refused, not approximated.
package bm25
