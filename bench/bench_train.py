"""Word2Vec training throughput and quality: wordshell vs gensim called directly, same run.

Goal (issue 2): words/s within 5 % of gensim's with the same settings on WikiText-2 train
(skip-gram, 100 d, window 5, negative 5, 5 epochs, 2 workers); analogy accuracy and
WordSim353 Spearman within 1 point of gensim's.

    python bench/bench_train.py [--rounds 2] [--epochs 5] [--workers 2]

Runs are interleaved (ours, gensim, ours, gensim, ...). Both sides train on the same
whitespace-tokenised text: ours through `wordshell train word2vec` (a separate process,
as a user runs it), gensim through Word2Vec(corpus_iterable=LineSentence(...)) with
build_vocab and train timed apart, like our figure (training phase only). Quality is
measured by gensim's own evaluate_word_analogies / evaluate_word_pairs for gensim's model
and by `wordshell eval` for ours.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time

from common import OUT, env_for, machine, median, shared, wordshell

PEER = r"""
import json, sys, time
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath
path, epochs, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
m = Word2Vec(vector_size=100, window=5, min_count=5, sg=1, negative=5, hs=0, sample=1e-3, workers=workers, seed=1)
m.build_vocab(corpus_iterable=LineSentence(path))
t = time.perf_counter()
trained, raw = m.train(corpus_iterable=LineSentence(path), total_examples=m.corpus_count, epochs=epochs)
dt = time.perf_counter() - t
acc, _ = m.wv.evaluate_word_analogies(datapath("questions-words.txt"))
ws = m.wv.evaluate_word_pairs(datapath("wordsim353.tsv"))
print(json.dumps({"words_per_sec": raw / dt, "seconds": dt, "vocab": len(m.wv), "analogy": acc,
                  "ws353": ws[1].statistic if hasattr(ws[1], "statistic") else ws[1][0]}))
"""


def ours(home, path, epochs, workers):
    name = "bench-w2v"
    wordshell(home, "models", "rm", name, check=False)
    wordshell(home, "train", "word2vec", name, "--corpus", str(path), "--split", "whitespace", "--cased",
              "--sg", "--dim", "100", "--window", "5", "--negative", "5", "--min-count", "5", "--epochs", str(epochs),
              "--workers", str(workers), "--seed", "1", "-q")
    meta = json.loads(wordshell(home, "models", "info", name, "--format", "json").stdout)
    ana = [json.loads(l) for l in wordshell(home, "eval", "analogies", "-m", name, "--format", "json").stdout.splitlines()]
    sim = [json.loads(l) for l in wordshell(home, "eval", "similarity", "-m", name, "--format", "json").stdout.splitlines()]
    return {"words_per_sec": meta["training"]["per_second"], "seconds": meta["training"]["seconds"],
            "vocab": meta["vocab_size"], "analogy": ana[-1]["accuracy"],
            "ws353": next(r["spearman"] for r in sim if r["dataset"] == "wordsim353.tsv")}


def peer(home, path, epochs, workers):
    p = subprocess.run([sys.executable, "-c", PEER, str(path), str(epochs), str(workers)], env=env_for(home),
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--corpus", default=None, help="default: ../shared/data/wikitext-2/wiki.train.tokens")
    args = ap.parse_args()
    path = args.corpus or shared("wikitext-2/wiki.train.tokens")
    home = OUT / "ws-train"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    # tokenise once before timing (cached in the workspace, as for any user after the first run)
    wordshell(home, "corpus", "info", str(path), "--split", "whitespace", "--cased", "--top", "0", "-q")
    print(f"corpus: {path}   machine: {machine()}")
    rows = {"wordshell": [], "gensim": []}
    for r in range(args.rounds):
        for side, fn in (("wordshell", ours), ("gensim", peer)):
            t = time.perf_counter()
            res = fn(home, path, args.epochs, args.workers)
            rows[side].append(res)
            print(f"  round {r + 1} {side:9s}: {res['words_per_sec']:>9,.0f} words/s  train {res['seconds']:.1f} s  "
                  f"vocab {res['vocab']:,}  analogy {100 * res['analogy']:.2f}%  ws353 {res['ws353']:.4f}  "
                  f"(wall {time.perf_counter() - t:.0f} s)", flush=True)
    o = {k: median([x[k] for x in rows["wordshell"]]) for k in ("words_per_sec", "analogy", "ws353")}
    g = {k: median([x[k] for x in rows["gensim"]]) for k in ("words_per_sec", "analogy", "ws353")}
    print(f"median words/s: wordshell {o['words_per_sec']:,.0f}  gensim {g['words_per_sec']:,.0f}  "
          f"ratio {o['words_per_sec'] / g['words_per_sec']:.3f} (goal >= 0.95)")
    print(f"analogy accuracy: wordshell {100 * o['analogy']:.2f}  gensim {100 * g['analogy']:.2f}  "
          f"diff {100 * (o['analogy'] - g['analogy']):+.2f} points (goal within 1)")
    print(f"WordSim353 Spearman: wordshell {100 * o['ws353']:.2f}  gensim {100 * g['ws353']:.2f}  "
          f"diff {100 * (o['ws353'] - g['ws353']):+.2f} points (goal within 1)")


if __name__ == "__main__":
    main()
