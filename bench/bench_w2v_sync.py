"""How the torch engine's processes keep their tables in step: the measurement behind the choice.

Trains skip-gram on the first --words words of WikiText-2 train in 1 process and in 2 CPU processes (gloo,
loopback, 1 thread each) with the table sync done several ways, and prints for each: words/s, the last
epoch's loss per example (the optimisation itself), analogy / WordSim353 (gensim's evaluators), and what
the syncs cost (count, rows and MB sent per sync, seconds).

    summed deltas, dirty rows   (the engine's choice) every 1 / 4 / 16 / 256 steps
    averaged tables             every 4 steps: each rank's step divided by the world size
    summed deltas, every row    every 4 steps: what a dense all-reduce of the tables costs

    python bench/bench_w2v_sync.py [--words 600000] [--epochs 2] [--batch-words 512]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time

from common import OUT, ROOT, machine, shared

sys.path.insert(0, str(ROOT))  # this checkout's wordshell, also in the spawned processes


def train(corpus, ckpt, batch, epochs, mode, every, nproc):
    from wordshell.fit import distributed
    from wordshell.vectors import torch_loop

    cfg = dict(kind="word2vec", dim=100, window=5, min_count=5, sg=True, negative=5, sample=1e-3, epochs=epochs,
               alpha=0.025, min_alpha=1e-4, seed=1)
    run = torch_loop.EngineRun(config=cfg, corpus=corpus, ckpt_dir=str(ckpt), meta={}, device="cpu",
                               batch_words=batch, sync_every=every, ckpt_seconds=0, threads=1, progress=False,
                               sync_mode=mode)
    t0 = time.perf_counter()
    result = distributed.launch(nproc, _worker, run) if nproc > 1 else _worker(run)
    return result, time.perf_counter() - t0


def _worker(run):
    from wordshell.progress import NullProgress
    from wordshell.vectors import torch_loop

    return torch_loop.train(run, NullProgress())


def quality(corpus, ckpt):
    from gensim.models import KeyedVectors
    from gensim.test.utils import datapath

    from wordshell.vectors import torch_ckpt

    tensors, _ = torch_ckpt.load(ckpt, "cpu")
    kv = KeyedVectors(100)
    kv.add_vectors(corpus.words, tensors["w_in"].numpy())
    acc, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"))
    ws = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    return 100 * acc, 100 * ws[1].statistic


def main():
    from wordshell.vectors.vocab_ids import read_ids

    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=600_000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-words", type=int, default=512)
    ap.add_argument("--every", type=int, nargs="+", default=[1, 4, 16, 256], help="sync intervals to try")
    args = ap.parse_args()
    text = shared("wikitext-2/wiki.train.tokens").read_text(encoding="utf-8").split("\n")
    lines, n = [], 0
    for line in text:
        if n >= args.words:
            break
        lines.append(line.split())
        n += len(lines[-1])
    corpus = read_ids(lines, 5)
    out = OUT / "w2v-sync"
    shutil.rmtree(out, ignore_errors=True)
    print(f"{corpus.raw_words:,} words, vocabulary {len(corpus.words):,}, {args.epochs} epochs, batch "
          f"{args.batch_words} words/step/process; machine: {machine()}", flush=True)
    configs = [("1 process", "sum", 1, 1)]
    configs += [(f"2 proc, summed deltas, every {k}", "sum", k, 2) for k in args.every]
    configs += [(f"2 proc, averaged tables, every {args.every[1]}", "mean", args.every[1], 2),
                (f"2 proc, summed deltas, all rows, every {args.every[1]}", "sum-dense", args.every[1], 2)]
    print(f"{'':44s} {'words/s':>9s} {'loss/ex':>8s} {'analogy':>8s} {'ws353':>6s}   syncs  rows/sync  MB/sync  "
          f"sync s", flush=True)
    for i, (label, mode, every, nproc) in enumerate(configs):
        ckpt = out / f"c{i}"
        result, secs = train(corpus, ckpt, args.batch_words, args.epochs, mode, every, nproc)
        wps = corpus.raw_words * args.epochs / sum(h["seconds"] for h in result["history"])
        acc, ws = quality(corpus, ckpt)
        s = result.get("sync") or {}
        per = max(1, s.get("syncs", 0))
        print(f"{label:44s} {wps:9,.0f} {result['history'][-1]['mean_loss']:8.4f} {acc:8.2f} {ws:6.2f}   "
              f"{s.get('syncs', 0):5d} {s.get('rows', 0) / per:10,.0f} {s.get('bytes', 0) / per / 1e6:8.2f} "
              f"{s.get('seconds', 0):7.2f}", flush=True)
    print(f"load after: {machine()}")


if __name__ == "__main__":
    main()
