#!/usr/bin/env python3
"""Writes a large synthetic corpus for measuring `slant score` throughput and memory.

Paragraphs are rebuilt from the sentences of labels/written.tsv (3 to 6 sentences each, drawn
with a fixed seed), so the text looks like the op-eds the model was trained for without any one
paragraph repeating often. Two layouts:

  articles DIR  one .txt article (8 to 30 paragraphs, a title line) per file, 1,000 per
                sub-directory, until the files total --mb megabytes
  jsonl FILE    one JSON Lines file of paragraph records {"id": "docN:k", "text", "outlet"},
                8 to 30 records per doc, until the file holds --mb megabytes

Example (see tests/README.md, "Throughput and memory"):
  python3 benches/gen_corpus.py articles /tmp/slant-corpus --mb 1024
  python3 benches/gen_corpus.py jsonl /tmp/slant-corpus.jsonl --mb 1024
"""

import argparse
import csv
import json
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTLETS = ["Dawn", "The News", "Express Tribune", "The Nation", "Business Recorder"]


def sentences():
    path = os.path.join(ROOT, "labels", "written.tsv")
    csv.field_size_limit(sys.maxsize)
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        out = []
        for row in rows:
            out.extend(s for s in re.split(r"(?<=[.?!])\s+", row["text"].strip()) if s)
    return out


def paragraph(rng, pool):
    return " ".join(rng.choice(pool) for _ in range(rng.randint(3, 6)))


def articles(target, rng, pool, out_dir):
    total = n = 0
    while total < target:
        sub = os.path.join(out_dir, f"{n // 1000:04d}")
        os.makedirs(sub, exist_ok=True)
        paras = [paragraph(rng, pool) for _ in range(rng.randint(8, 30))]
        title = " ".join(rng.choice(pool).split()[:6]).rstrip(".,;")
        body = title + "\n\n" + "\n\n".join(paras) + "\n"
        data = body.encode("utf-8")
        with open(os.path.join(sub, f"a{n:07d}.txt"), "wb") as f:
            f.write(data)
        total += len(data)
        n += 1
    return n, total


def jsonl(target, rng, pool, out_path):
    total = n = 0
    with open(out_path, "w", encoding="utf-8") as f:
        while total < target:
            outlet = OUTLETS[n % len(OUTLETS)]
            for k in range(1, rng.randint(8, 30) + 1):
                rec = {"id": f"doc{n:07d}:{k}", "text": paragraph(rng, pool), "outlet": outlet}
                line = json.dumps(rec, ensure_ascii=False) + "\n"
                f.write(line)
                total += len(line.encode("utf-8"))
            n += 1
    return n, total


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("layout", choices=["articles", "jsonl"])
    p.add_argument("out")
    p.add_argument("--mb", type=float, default=1024, help="size to write, in MiB")
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    rng = random.Random(a.seed)
    pool = sentences()
    target = int(a.mb * 1024 * 1024)
    if a.layout == "articles":
        n, total = articles(target, rng, pool, a.out)
    else:
        n, total = jsonl(target, rng, pool, a.out)
    print(f"wrote {n} articles, {total} bytes to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
