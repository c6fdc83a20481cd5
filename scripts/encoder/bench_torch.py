"""Time sentence-transformers on PyTorch CPU on the texts `quiver bench
encoder` uses: the first N MovieLens titles, encoded in batches of 1, 8, 32
and 128, with the same thread count, after one warm-up batch.

Usage: python3 scripts/encoder/bench_torch.py MODEL_DIR MOVIES_CSV [--texts 512] [--threads 2] [--json out.json]
Needs sentence-transformers and torch (see make_reference.py).
"""

import argparse
import csv
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("movies")
    p.add_argument("--texts", type=int, default=512)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", default="1,8,32,128")
    p.add_argument("--json")
    args = p.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    with open(args.movies, newline="", encoding="utf-8") as f:
        texts = [row["title"] for row in csv.DictReader(f)][: args.texts]
    model = SentenceTransformer(args.model, device="cpu")
    model.encode(texts[:32], batch_size=32)
    rows = []
    print("torch %s, sentence-transformers, %d titles, %d threads" % (torch.__version__, len(texts), torch.get_num_threads()))
    print("%6s %12s %12s %12s %16s" % ("batch", "sentences/s", "ms/sentence", "ms/batch", "sentences/CPU-s"))
    with torch.inference_mode():
        for bs in [int(b) for b in args.batch.split(",")]:
            start, cpu0 = time.perf_counter(), time.process_time()
            for lo in range(0, len(texts), bs):
                model.encode(texts[lo : lo + bs], batch_size=bs)
            el, cpu = time.perf_counter() - start, time.process_time() - cpu0
            batches = (len(texts) + bs - 1) // bs
            row = {"batch": bs, "sentences_per_s": len(texts) / el, "ms_per_sentence": el * 1e3 / len(texts), "ms_per_batch": el * 1e3 / batches,
                   "sentences_per_cpu_s": len(texts) / cpu}
            rows.append(row)
            print("%6d %12.1f %12.3f %12.3f %16.1f" % (bs, row["sentences_per_s"], row["ms_per_sentence"], row["ms_per_batch"], row["sentences_per_cpu_s"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": args.threads, "texts": len(texts), "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
