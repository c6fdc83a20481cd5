"""Deterministic embeddings for the framework tests: no model, no hub.

dense() hashes a text's character trigrams (of each lower-cased word,
padded with spaces) into DIM buckets and normalises the counts, so texts
that share word pieces have a high cosine. sparse() counts the text's
words, each hashed to a 20-bit index: a bag of words whose dot product
rewards exact shared words. Both are pure functions of the text."""

import math
import re
import zlib

DIM = 64
WORD = re.compile(r"[a-z0-9]+")


def words(text):
    return WORD.findall(text.lower())


def _bucket(s, mod):
    return zlib.crc32(s.encode()) % mod


def dense(text):
    v = [0.0] * DIM
    for w in words(text):
        padded = f" {w} "
        for i in range(len(padded) - 2):
            v[_bucket(padded[i : i + 3], DIM)] += 1.0
    n = math.sqrt(sum(x * x for x in v))
    if n == 0:
        v[0], n = 1.0, 1.0  # an empty text still needs a valid cosine vector
    return [x / n for x in v]


def sparse(text):
    """The text's hashed word counts as sorted (indices, values)."""
    counts = {}
    for w in words(text):
        i = _bucket(w, 1 << 20)
        counts[i] = counts.get(i, 0.0) + 1.0
    idx = sorted(counts)
    return idx, [counts[i] for i in idx]


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b))


def sparse_dot(a, b):
    bi = dict(zip(*b))
    return sum(v * bi.get(i, 0.0) for i, v in zip(*a))
