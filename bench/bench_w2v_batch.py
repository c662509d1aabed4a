"""How many examples the torch engine's batched ops may update from the same tables: the measurement.

Every example of one batched update reads the tables as they were before it, and updates to one row add
up; word2vec.c updates after every example. This trains skip-gram for one epoch on the first --words
words of WikiText-2 train (1 process, 1 thread) at several step sizes, with the examples of a step applied
all at once or at most MAX_BATCHED (4096) at a time, and prints the epoch's loss per example (lower is
better; the smallest step is nearest to word2vec.c's one-by-one updates).

    python bench/bench_w2v_batch.py [--words 300000] [--steps 256 512 1024 2048 4096 8192 32768]
"""

from __future__ import annotations

import argparse
import sys
import time

from common import OUT, ROOT, machine, shared

sys.path.insert(0, str(ROOT))


def main():
    from wordshell.progress import NullProgress
    from wordshell.vectors import torch_loop
    from wordshell.vectors.vocab_ids import read_ids

    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=300_000)
    ap.add_argument("--steps", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096, 8192, 32768])
    args = ap.parse_args()
    lines, n = [], 0
    for line in shared("wikitext-2/wiki.train.tokens").read_text(encoding="utf-8").split("\n"):
        if n >= args.words:
            break
        lines.append(line.split())
        n += len(lines[-1])
    corpus = read_ids(lines, 5)
    print(f"{corpus.raw_words:,} words, 1 epoch, skip-gram, dim 100, negative 5; machine: {machine()}")
    print(f"{'tokens/step':>11s} {'all examples at once':>22s} {'<= 4096 at a time':>18s}   seconds")
    cfg = dict(kind="word2vec", dim=100, window=5, min_count=5, sg=True, negative=5, sample=1e-3, epochs=1,
               alpha=0.025, min_alpha=1e-4, seed=1)
    for step in args.steps:
        row = []
        t0 = time.perf_counter()
        for most in (10**9, torch_loop.MAX_BATCHED):
            run = torch_loop.EngineRun(config=cfg, corpus=corpus, ckpt_dir=str(OUT / "w2v-batch"), meta={},
                                       device="cpu", batch_words=step, ckpt_seconds=0, threads=1, max_batched=most)
            try:
                row.append(f"{torch_loop.train(run, NullProgress())['history'][-1]['mean_loss']:.4f}")
            except Exception as e:  # diverged to inf/nan
                row.append(type(e).__name__)
        print(f"{step:11d} {row[0]:>22s} {row[1]:>18s}   {time.perf_counter() - t0:7.1f}", flush=True)
    print(f"load after: {machine()}")


if __name__ == "__main__":
    main()
