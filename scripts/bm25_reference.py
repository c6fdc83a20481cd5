"""Writes bm25/testdata/fastembed.json: BM25 document and query vectors of
bm25/testdata/texts.txt (one text a line) computed the way FastEmbed's
Qdrant/bm25 computes them, with the pieces FastEmbed itself uses: its
tokenizer's regular expressions, the Rust Snowball stemmer
(py-rust-stemmers), MurmurHash3 (mmh3), NLTK's English stop words, k 1.2,
b 0.75, avg_len 256. bm25's golden test holds the Go package to it.

    python3 -m venv /tmp/bm25ref && /tmp/bm25ref/bin/pip install mmh3 py-rust-stemmers
    /tmp/bm25ref/bin/python scripts/bm25_reference.py
"""

import json
import re
from collections import Counter
from pathlib import Path

import mmh3
from py_rust_stemmers import SnowballStemmer

# NLTK's English list (the file FastEmbed ships with Qdrant/bm25); the
# entries with apostrophes can never match a token, which splits there.
STOP = set((Path(__file__).parent / "nltk_english_stopwords.txt").read_text().split())
K, B, AVG_LEN, MAX_LEN = 1.2, 0.75, 256.0, 40
stemmer = SnowballStemmer("english")


def tokens(text):
    words = re.sub(r"\s+", " ", re.sub(r"[^\w]", " ", text.lower())).strip().split()
    out = []
    for w in words:
        if w in STOP or len(w) > MAX_LEN:
            continue
        s = stemmer.stem_word(w)
        if s:
            out.append(s)
    return out


def token_id(t):
    return abs(mmh3.hash(t))


def main():
    root = Path(__file__).resolve().parent.parent / "bm25" / "testdata"
    out = []
    for text in (root / "texts.txt").read_text(encoding="utf-8").splitlines():
        toks = tokens(text)
        n = len(toks)
        doc = {}
        for t, f in Counter(toks).items():
            doc[token_id(t)] = f * (K + 1) / (f + K * (1 - B + B * n / AVG_LEN))
        idx = sorted(doc)
        out.append({"text": text, "tokens": toks, "indices": idx, "values": [doc[i] for i in idx],
                    "query": sorted({token_id(t) for t in toks})})
    (root / "fastembed.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
