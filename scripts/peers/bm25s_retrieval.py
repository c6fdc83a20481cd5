#!/usr/bin/env python3
"""bm25s (PyPI) beside `quiver bench retrieval`, driven over stdin/stdout.

Usage: bm25s_retrieval.py --text FILE.json --k 100
       bm25s_retrieval.py --ids CORPUS.u32 --queries QUERIES.u32 --k 10

--text: a JSON object {"docs": [...], "queries": [...]} of texts, tokenised
by bm25s's own tokenizer made as close as it goes to Quiver's (FastEmbed's)
BM25 text: lower-case, words of \\w characters (single letters kept, not
bm25s's default of two or more), NLTK's English stop words (FastEmbed's
list, not bm25s's shorter one), PyStemmer's English Snowball stemmer.
--ids: corpora already turned into term ids by the Go side, each file a
little-endian uint32 array: count n, n lengths, then the ids; every id is
given to bm25s as the string of its number, so both sides index the same
terms. A query's ids are distinct.

Both use method "lucene" with k1 1.2 and b 0.75, which ranks as Quiver's
BM25 with the idf modifier does (the same idf, and a term-frequency part
that differs only by the constant factor k1 + 1), the corpus's real
average length, and the numba backend when numba is installed.

It prints one JSON line when its index is built, then answers each line
"pass" on stdin with a JSON line holding the seconds of one pass over all
queries, one query at a time (tokenising included in text mode); "pass
results" also returns each query's top k document indexes (documents
scoring 0 left out, as Quiver never returns them); "quit" ends it.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import bm25s

# NLTK's English list, as FastEmbed ships it for Qdrant/bm25 (the entries
# with apostrophes cannot match a token, which splits there).
NLTK_EN = (Path(__file__).resolve().parent.parent / "nltk_english_stopwords.txt").read_text().split()
TOKEN_PATTERN = r"(?u)\b\w+\b"


def backend():
    try:
        import numba  # noqa: F401
        return "numba"
    except ImportError:
        return "numpy"


def read_u32(path):
    """Returns the lists of ids of a count/lengths/ids file."""
    a = np.fromfile(path, dtype="<u4")
    n = int(a[0])
    lens = a[1:1 + n].astype(np.int64)
    ids = a[1 + n:]
    if len(ids) != int(lens.sum()):
        raise SystemExit(f"{path}: {len(ids)} ids, lengths say {int(lens.sum())}")
    return np.split(ids, np.cumsum(lens)[:-1]) if n else []


class TextSide:
    def __init__(self, path, k):
        import Stemmer
        with open(path) as f:
            data = json.load(f)
        self.k = k
        self.stemmer = Stemmer.Stemmer("english")
        self.queries = data["queries"]
        tokens = self.tokenize(data["docs"])
        self.retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene", backend=backend())
        self.retriever.index(tokens, show_progress=False)
        self.docs = len(data["docs"])

    def tokenize(self, texts):
        return bm25s.tokenize(texts, lower=True, token_pattern=TOKEN_PATTERN, stopwords=NLTK_EN,
                              stemmer=self.stemmer, return_ids=False, show_progress=False)

    def query(self, i):
        toks = [t for t in self.tokenize([self.queries[i]])[0] if t in self.retriever.vocab_dict]
        if not toks:
            return [], []
        return self.retriever.retrieve([toks], k=self.k, show_progress=False, n_threads=0)


class IDSide:
    def __init__(self, corpus, queries, k):
        docs = read_u32(corpus)
        all_ids = np.concatenate(docs) if docs else np.zeros(0, dtype="<u4")
        vocab = np.unique(all_ids)  # term ids → 0..V-1, bm25s's column numbers
        vocab_dict = {str(int(t)): i for i, t in enumerate(vocab)}
        ids = [np.searchsorted(vocab, d).tolist() for d in docs]
        del docs, all_ids
        self.retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene", backend=backend())
        self.retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab_dict), show_progress=False)
        self.docs = len(ids)
        self.k = k
        self.queries = [[str(int(t)) for t in q] for q in read_u32(queries)]

    def query(self, i):
        toks = [t for t in self.queries[i] if t in self.retriever.vocab_dict]
        if not toks:
            return [], []
        return self.retriever.retrieve([toks], k=self.k, show_progress=False, n_threads=0)


def run_pass(side, results):
    out = []
    start = time.perf_counter()
    for i in range(len(side.queries)):
        docs, scores = side.query(i)
        if results:
            out.append([int(d) for d, s in zip(docs[0], scores[0]) if s > 0] if len(docs) else [])
    secs = time.perf_counter() - start
    line = {"seconds": secs}
    if results:
        line["results"] = out
    return line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--text")
    ap.add_argument("--ids")
    ap.add_argument("--queries")
    ap.add_argument("--k", type=int, default=10)
    a = ap.parse_args()
    start = time.perf_counter()
    if a.text:
        side = TextSide(a.text, a.k)
    elif a.ids and a.queries:
        side = IDSide(a.ids, a.queries, a.k)
    else:
        raise SystemExit("want --text FILE or --ids CORPUS --queries QUERIES")
    indexed = time.perf_counter()
    # Warm up (numba compiles on the first call) before anything is timed.
    for i in range(min(3, len(side.queries))):
        side.query(i)
    print(json.dumps({"ready": True, "version": bm25s.__version__, "backend": side.retriever.backend,
                      "docs": side.docs, "queries": len(side.queries), "index_seconds": indexed - start,
                      "warmup_seconds": time.perf_counter() - indexed}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if cmd[:1] == ["quit"]:
            return
        if cmd[:1] != ["pass"]:
            raise SystemExit(f"unknown command {line!r}")
        print(json.dumps(run_pass(side, cmd[1:] == ["results"])), flush=True)


if __name__ == "__main__":
    main()
