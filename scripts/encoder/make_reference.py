"""Write the reference data that encoder/ tests compare against.

  tokens:     token ids from the Hugging Face `tokenizers` library for every
              MovieLens title and tag plus hand-picked hard cases
              -> encoder/testdata/tokens_<name>.jsonl.gz
  embeddings: sentence-transformers vectors for >= 100 varied texts, each
              encoded alone (batch_size=1, so without padding)
              -> encoder/testdata/embeddings_<name>.json.gz

Usage (from the repository root):
  python3 scripts/encoder/make_reference.py tokens models/all-MiniLM-L6-v2 minilm
  python3 scripts/encoder/make_reference.py embeddings models/all-MiniLM-L6-v2 minilm [--pooling cls]

Needs: tokens: pip install tokenizers; embeddings: sentence-transformers on
CPU (e.g. Debian's python3-torch with sentence-transformers 2.7 in a venv
made with --system-site-packages). Runs offline (HF_HUB_OFFLINE=1).
"""

import argparse
import csv
import gzip
import json
import os
import random
import shutil
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from texts import hard_cases, long_text  # noqa: E402

DATA = os.environ.get("MOVIELENS", os.path.join(HERE, "..", "..", "..", "shared", "data", "ml-latest-small"))


def movielens():
    with open(os.path.join(DATA, "movies.csv"), newline="", encoding="utf-8") as f:
        titles = [row["title"] for row in csv.DictReader(f)]
    with open(os.path.join(DATA, "tags.csv"), newline="", encoding="utf-8") as f:
        tags = sorted({row["tag"] for row in csv.DictReader(f)})
    return titles, tags


def max_seq_length(model):
    with open(os.path.join(model, "sentence_bert_config.json")) as f:
        return json.load(f)["max_seq_length"]


def tokens(args):
    from tokenizers import Tokenizer, __version__

    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_seq_length(args.model))
    titles, tags = movielens()
    texts = hard_cases() + [long_text()] + titles + tags
    out = os.path.join(args.out, "tokens_%s.jsonl.gz" % args.name)
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(json.dumps({"tokenizers": __version__, "max_seq_length": max_seq_length(args.model)}) + "\n")
        for text, enc in zip(texts, tok.encode_batch(texts)):
            f.write(json.dumps({"text": text, "ids": enc.ids}, ensure_ascii=False) + "\n")
    print("wrote %s: %d texts" % (out, len(texts)))


def embedding_texts():
    titles, tags = movielens()
    rng = random.Random(4)
    return hard_cases() + [long_text()] + rng.sample(titles, 40) + rng.sample(tags, 20)


def pooled_variant(model, pooling):
    """Copy model into a temp dir with another pooling mode and no Normalize."""
    tmp = tempfile.mkdtemp()
    dst = os.path.join(tmp, os.path.basename(model.rstrip("/")) + "-" + pooling)
    shutil.copytree(model, dst)
    with open(os.path.join(dst, "1_Pooling", "config.json")) as f:
        pc = json.load(f)
    for k in list(pc):
        if k.startswith("pooling_mode"):
            pc[k] = False
    pc["pooling_mode_%s" % {"cls": "cls_token", "max": "max_tokens"}[pooling]] = True
    with open(os.path.join(dst, "1_Pooling", "config.json"), "w") as f:
        json.dump(pc, f)
    with open(os.path.join(dst, "modules.json")) as f:
        mods = [m for m in json.load(f) if not m["type"].endswith("Normalize")]
    with open(os.path.join(dst, "modules.json"), "w") as f:
        json.dump(mods, f)
    return dst


def embeddings(args):
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    model = args.model
    if args.pooling:
        model = pooled_variant(model, args.pooling)
    st = SentenceTransformer(model, device="cpu")
    texts = embedding_texts()
    if args.limit:
        texts = texts[: args.limit]
    vecs = [st.encode([t], batch_size=1, convert_to_numpy=True)[0] for t in texts]
    name = args.name + ("_" + args.pooling if args.pooling else "")
    out = os.path.join(args.out, "embeddings_%s.json.gz" % name)
    doc = {
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "pooling": args.pooling or "model",
        "texts": texts,
        "embeddings": [[round(float(x), 7) for x in v] for v in vecs],
    }
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
    print("wrote %s: %d texts" % (out, len(texts)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["tokens", "embeddings"])
    p.add_argument("model")
    p.add_argument("name")
    p.add_argument("--out", default=os.path.join(HERE, "..", "..", "encoder", "testdata"))
    p.add_argument("--pooling", choices=["cls", "max"])
    p.add_argument("--limit", type=int, default=0)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    {"tokens": tokens, "embeddings": embeddings}[args.what](args)


if __name__ == "__main__":
    main()
