"""The torch embedding engine against gensim, same settings, same run: quality, OOV neighbours, speed.

Goals (issue 16): on WikiText-2 train (sg and cbow, dim 100, window 5, negative 5, min_count 5, 5 epochs)
analogy accuracy (gensim's questions-words) and WordSim353 Spearman within 1.5 points of gensim's; the same
for FastText (torch subword model vs gensim's FastText), with OOV neighbours of a few rare words side by
side; words/s of both. On a GPU: skip-gram on WikiText-2 repeated to ~50M words >= 5M words/s and >= 2x
gensim using all the machine's CPU cores.

    python bench/bench_torch_w2v.py                              # quality + CPU speed, 2 workers each
    python bench/bench_torch_w2v.py --device cuda --gensim-workers 16 --speed-repeat 24   # the GPU run
    python bench/bench_torch_w2v.py --limit-words 200000 --epochs 1 --kinds sg   # a quick check of the script
    python bench/bench_torch_w2v.py --kinds sg,fasttext --seeds 3 --one-by-one   # what batching changes

Both sides train on the same whitespace-tokenised, cased text: gensim directly (LineSentence, training phase
timed, like bench_train.py), ours through `wordshell train ... --engine torch` in a separate process as a
user runs it (training phase from model.json). Both models are scored by gensim's own evaluators.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from common import OUT, env_for, machine, shared, wordshell

SETTINGS = dict(dim=100, window=5, negative=5, min_count=5, sample=1e-3, seed=1)
OOV_WORDS = ["microbiologists", "unsuccessfulness", "rechargeable", "hypersonically", "footballing", "pianists"]

PEER = r"""
import json, sys, time
from gensim.models import FastText, Word2Vec
from gensim.models.word2vec import LineSentence
path, kind, epochs, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
evaluate, oov, seed = sys.argv[5] == "eval", json.loads(sys.argv[6]), int(sys.argv[7])
cls = FastText if kind == "fasttext" else Word2Vec
kw = dict(vector_size=100, window=5, min_count=5, sg=int(kind != "cbow"), negative=5, hs=0, sample=1e-3,
          workers=workers, seed=seed)
if kind == "fasttext":
    kw.update(min_n=3, max_n=6, bucket=200000)
m = cls(**kw)
m.build_vocab(corpus_iterable=LineSentence(path))
t = time.perf_counter()
trained, raw = m.train(corpus_iterable=LineSentence(path), total_examples=m.corpus_count, epochs=epochs)
dt = time.perf_counter() - t
res = {"words_per_sec": raw / dt, "seconds": dt, "vocab": len(m.wv)}
if evaluate:  # gensim's own evaluators, in this process (nothing is saved and loaded back)
    from gensim.test.utils import datapath
    acc, _ = m.wv.evaluate_word_analogies(datapath("questions-words.txt"))
    ws = m.wv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    res.update(analogy=100 * acc, ws353=100 * ws[1].statistic)
    res["oov"] = {w: [x for x, _ in m.wv.most_similar(w, topn=5)] for w in oov if w not in m.wv.key_to_index}
print(json.dumps(res))
"""


def evaluate(kv) -> dict:
    from gensim.test.utils import datapath

    acc, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"))
    ws = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    return {"analogy": 100 * acc, "ws353": 100 * (ws[1].statistic if hasattr(ws[1], "statistic") else ws[1][0])}


def gensim_run(home, path, kind, epochs, workers, evaluate: bool, seed: int = 1) -> dict:
    oov = OOV_WORDS if kind == "fasttext" else []
    p = subprocess.run([sys.executable, "-c", PEER, str(path), kind, str(epochs), str(workers),
                        "eval" if evaluate else "-", json.dumps(oov), str(seed)], env=env_for(home),
                       capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"gensim failed: {p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def torch_run(home, path, kind, epochs, args, seed: int = 1, one_by_one: bool = False) -> dict:
    """`wordshell train ... --engine torch`; one_by_one: the same examples applied one at a time
    (bench/one_by_one.py), which isolates what the batched updates change."""
    name = f"torch{'-1by1' if one_by_one else ''}-{kind}"
    cmd = ["train", "fasttext" if kind == "fasttext" else "word2vec", name, "--corpus", str(path),
           "--split", "whitespace", "--cased", "--engine", "torch", "--device", args.device,
           "--cbow" if kind == "cbow" else "--sg", "--epochs", str(epochs), "--force", "-q",
           *[f"--{k.replace('_', '-')}={v}" for k, v in {**SETTINGS, "seed": seed}.items()]]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if args.batch_words:
        cmd += ["--batch-words", str(args.batch_words)]
    if one_by_one:
        p = subprocess.run([sys.executable, str(Path(__file__).with_name("one_by_one.py")), *cmd], env=env_for(home),
                           capture_output=True, text=True)
    else:
        p = wordshell(home, *cmd, check=False)
    if p.returncode:
        sys.exit(f"wordshell failed: {p.stderr[-2000:]}")
    meta = json.loads((home / "checkpoints" / name / "model.json").read_text())
    t = meta["training"]
    best_epoch = max((h.get("words_per_sec") or 0) for h in meta["history"])
    return {"words_per_sec": t["per_second"], "seconds": t["seconds"], "vocab": meta["vocab_size"],
            "best_epoch_words_per_sec": best_epoch, "device": f"{t['device']}, {t.get('kernels')} kernels",
            "dir": home / "checkpoints" / name}


def load_ours(d: Path):
    import numpy as np
    from gensim.models import KeyedVectors

    words = (d / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    vec = np.load(d / "vectors.npy")
    kv = KeyedVectors(vec.shape[1])
    kv.add_vectors(words, vec)
    return kv


def oov_side_by_side(home, theirs: dict, ours: Path) -> list[str]:
    """Neighbours of words neither model has seen: gensim's FastText vs `wordshell similar` on ours."""
    lines = []
    for w, their in theirs.items():
        p = wordshell(home, "similar", w, "--model", ours.name, "--top", "5", "--format", "json", check=False)
        mine = [json.loads(line)["word"] for line in p.stdout.splitlines()] if p.returncode == 0 else [p.stderr.strip()]
        lines.append(f"  {w:18s} gensim: {', '.join(their)}\n  {'':18s} torch:  {', '.join(mine)}")
    return lines


def repeated(path: Path, times: int, limit: int, dest: Path) -> tuple[Path, int]:
    """`times` copies of the text (its first `limit` words if given) in one file, and its word count."""
    text = path.read_text(encoding="utf-8")
    if limit:
        text = " ".join(text.split()[:limit]) + "\n"
    if not text.endswith("\n"):
        text += "\n"
    dest.write_text(text * times, encoding="utf-8")
    return dest, len(text.split()) * times


def c_run(path, kind, args, seed: int = 1) -> dict:
    """word2vec.c (bench/word2vec_c.py) with the same settings, one thread; scored by gensim's evaluators."""
    from gensim.models import KeyedVectors

    import word2vec_c

    vec, rate = word2vec_c.run(path, kind, args.epochs, 1, seed, SETTINGS)
    return {"words_per_sec": rate, **evaluate(KeyedVectors.load_word2vec_format(str(vec)))}


FT_REF = r"""
import json, sys, time
import fasttext
import numpy as np
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
path, epochs, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
import fasttext.FastText
fasttext.FastText.unsupervised_default["seed"] = seed   # the Python API takes no seed; its default is passed on
t = time.perf_counter()
m = fasttext.train_unsupervised(path, model="skipgram", dim=100, ws=5, neg=5, minCount=5, t=1e-3, minn=3, maxn=6,
                                bucket=200000, lr=0.025, epoch=epochs, thread=1, verbose=0)
dt = time.perf_counter() - t
words = [w for w in m.get_words() if w != "</s>"]
kv = KeyedVectors(100)
kv.add_vectors(words, np.stack([m.get_word_vector(w) for w in words]))
acc, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"))
ws = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
print(json.dumps({"seconds": dt, "analogy": 100 * acc, "ws353": 100 * ws[1].statistic}))
"""


def ft_run(home, path, args, seed: int = 1) -> dict:
    """fastText's own trainer (the fasttext-numpy2 wheel), skip-gram with subwords, the same settings, one
    thread: a referee for the subword model as word2vec.c is for word2vec. Its own choices differ from
    gensim's in places (noise words from count^0.5, '</s>' a word of every line); its vectors are scored
    by gensim's evaluators, '</s>' left out."""
    p = subprocess.run([sys.executable, "-c", FT_REF, str(path), str(args.epochs), str(seed)], env=env_for(home),
                       capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"fastText failed: {p.stderr[-2000:]}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    # the raw words of the text over the whole call (its vocabulary pass included)
    res["words_per_sec"] = len(path.read_text(encoding="utf-8").split()) * args.epochs / res["seconds"]
    return res


def seeds(home, path, kind, args, out) -> None:
    """Seeds 1..N of each engine, alternating: per-seed figures, means, and each engine's spread."""
    import statistics

    engines = ["gensim", "torch"] + (["word2vec.c"] if args.word2vec_c and kind != "fasttext" else []) + \
        (["fastText"] if args.fasttext_ref and kind == "fasttext" else []) + \
        (["1-by-1"] if args.one_by_one and kind != "cbow" else [])
    runs = {e: [] for e in engines}
    for seed in range(1, args.seeds + 1):
        g = gensim_run(home, path, kind, args.epochs, args.gensim_workers, True, seed)
        g.pop("oov", None)
        o = torch_run(home, path, kind, args.epochs, args, seed)
        o.update(evaluate(load_ours(o.pop("dir"))))
        runs["gensim"].append(g)
        runs["torch"].append(o)
        if "word2vec.c" in runs:
            runs["word2vec.c"].append(c_run(path, kind, args, seed))
        if "fastText" in runs:
            runs["fastText"].append(ft_run(home, path, args, seed))
        if "1-by-1" in runs:
            r = torch_run(home, path, kind, args.epochs, args, seed, one_by_one=True)
            r.update(evaluate(load_ours(r.pop("dir"))))
            runs["1-by-1"].append(r)
        print(f"{kind:8s} seed {seed}: " + " | ".join(
            f"{e} analogy {runs[e][-1]['analogy']:6.2f} ws353 {runs[e][-1]['ws353']:6.2f} "
            f"{runs[e][-1]['words_per_sec']:>9,.0f} w/s" for e in engines), flush=True)
    summary = {}
    for engine, rs in runs.items():
        summary[engine] = {m: {"mean": statistics.fmean(r[m] for r in rs), "min": min(r[m] for r in rs),
                               "max": max(r[m] for r in rs)} for m in ("analogy", "ws353", "words_per_sec")}
    out["quality"][kind] = {"runs": runs, "summary": summary}
    print(f"{kind:8s} mean of {args.seeds} seeds: " + " | ".join(
        f"{e} analogy {summary[e]['analogy']['mean']:6.2f} ({summary[e]['analogy']['min']:.2f}-"
        f"{summary[e]['analogy']['max']:.2f}) ws353 {summary[e]['ws353']['mean']:6.2f} "
        f"({summary[e]['ws353']['min']:.2f}-{summary[e]['ws353']['max']:.2f})" for e in engines), flush=True)
    for a, b in [("torch", "gensim"), ("torch", "word2vec.c"), ("word2vec.c", "gensim"), ("torch", "fastText"),
                 ("fastText", "gensim"), ("torch", "1-by-1"), ("1-by-1", "gensim"), ("1-by-1", "word2vec.c"),
                 ("1-by-1", "fastText")]:
        if a in summary and b in summary:
            x, y = summary[a], summary[b]
            print(f"{kind:8s} {a} - {b}: analogy {x['analogy']['mean'] - y['analogy']['mean']:+.2f} ws353 "
                  f"{x['ws353']['mean'] - y['ws353']['mean']:+.2f}"
                  f"{' (goal: within 1.5)' if (a, b) == ('torch', 'gensim') else ''} speed "
                  f"{x['words_per_sec']['mean'] / y['words_per_sec']['mean']:.3f}x", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None, help="default: ../shared/data/wikitext-2/wiki.train.tokens")
    ap.add_argument("--kinds", default="sg,cbow,fasttext")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", type=int, default=1, help="torch engine CPU threads (1: its default)")
    ap.add_argument("--gensim-workers", type=int, default=2)
    ap.add_argument("--batch-words", type=int, default=0)
    ap.add_argument("--limit-words", type=int, default=0, help="train on the first N words only (script check)")
    ap.add_argument("--speed-repeat", type=int, default=0, help="skip-gram speed on the data repeated N times")
    ap.add_argument("--speed-epochs", type=int, default=1)
    ap.add_argument("--json", default=None, help="write the figures here too")
    ap.add_argument("--word2vec-c", action="store_true", help="word2vec.c too (sg, cbow), the original tool, "
                    "compiled from the registry's `word2vec` sdist (bench/word2vec_c.py), one thread")
    ap.add_argument("--fasttext-ref", action="store_true", help="fastText's own trainer too (fasttext kind, "
                    "the fasttext-numpy2 wheel of the bench extra), one thread")
    ap.add_argument("--one-by-one", action="store_true", help="the torch engine's own examples applied one at a "
                    "time too (sg, fasttext; bench/one_by_one.py): what batching the updates changes")
    ap.add_argument("--seeds", type=int, default=1, help="seeds 1..N for both engines: means, and each "
                    "engine's own seed-to-seed spread (how much of a difference is noise)")
    args = ap.parse_args()
    data = Path(args.data) if args.data else shared("wikitext-2/wiki.train.tokens")
    home = OUT / "ws-torch-w2v"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    path = repeated(data, 1, args.limit_words, home / "train.txt")[0] if args.limit_words else data
    print(f"data: {path}  machine: {machine()}  device: {args.device}", flush=True)
    out = {"machine": machine(), "device": args.device, "quality": {}, "speed": None}
    for kind in [k for k in args.kinds.split(",") if k]:
        if args.seeds > 1 or args.one_by_one:
            seeds(home, path, kind, args, out)
            continue
        g = gensim_run(home, path, kind, args.epochs, args.gensim_workers, True)
        o = torch_run(home, path, kind, args.epochs, args)
        o.update(evaluate(load_ours(o["dir"])))
        out["quality"][kind] = {"gensim": {k: v for k, v in g.items() if k != "oov"}, "torch": {k: v for k, v in o.items() if k != "dir"}}
        if args.word2vec_c and kind != "fasttext":
            c = out["quality"][kind]["word2vec.c"] = c_run(path, kind, args)
            print(f"{kind:8s} word2vec.c: analogy {c['analogy']:6.2f}  ws353 {c['ws353']:6.2f}  "
                  f"{c['words_per_sec']:>11,.0f} words/s (1 thread)", flush=True)
        print(f"{kind:8s} gensim: analogy {g['analogy']:6.2f}  ws353 {g['ws353']:6.2f}  {g['words_per_sec']:>11,.0f} "
              f"words/s ({args.gensim_workers} threads)\n{'':8s} torch:  analogy {o['analogy']:6.2f}  ws353 "
              f"{o['ws353']:6.2f}  {o['words_per_sec']:>11,.0f} words/s ({o['device']})   diff: analogy "
              f"{o['analogy'] - g['analogy']:+.2f}  ws353 {o['ws353'] - g['ws353']:+.2f} points (goal within 1.5)  "
              f"speed {o['words_per_sec'] / g['words_per_sec']:.3f}x", flush=True)
        if kind == "fasttext":
            print("OOV neighbours (words in neither vocabulary):")
            print("\n".join(oov_side_by_side(home, g.pop("oov"), o["dir"])), flush=True)
    if args.speed_repeat:
        big, words = repeated(data, args.speed_repeat, args.limit_words, home / "repeated.txt")
        g = gensim_run(home, big, "sg", args.speed_epochs, args.gensim_workers, False)
        o = torch_run(home, big, "sg", args.speed_epochs, args)
        out["speed"] = {"words": words, "gensim": g, "torch": {k: v for k, v in o.items() if k != "dir"}}
        print(f"speed, skip-gram on {words:,} words x {args.speed_epochs} epochs: torch ({o['device']}) "
              f"{o['words_per_sec']:,.0f} words/s (best epoch {o['best_epoch_words_per_sec']:,.0f}); gensim "
              f"({args.gensim_workers} threads) {g['words_per_sec']:,.0f} words/s; ratio "
              f"{o['words_per_sec'] / g['words_per_sec']:.2f}x (goal >= 5M words/s and >= 2x)", flush=True)
    print(f"load after: {machine()}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
