"""One-shot `wordshell similar` vs a gensim script on the same stored vectors.

Goal (issue 2): median whole-process time <= 0.25 s, and <= 0.25 x the time of a Python
script that loads the same vectors with gensim and calls most_similar; neighbours identical.

    python bench/bench_query.py [--runs 15] [--compare OTHER_TREE]

Builds (once) a ~20k-word (min-count 6), 100-d Word2Vec model from WikiText-2 (../shared/data) in
bench/out/ws, exports it as word2vec .bin and as gensim's own .kv (+ .npy, mmap-able),
then times, interleaved run by run:
    ours          wordshell similar WORD --model wt2-20k        (TSV to a pipe)
    gensim .kv    gensim's KeyedVectors .kv file, mmap='r', then most_similar (its fastest load)
    gensim .bin   KeyedVectors.load_word2vec_format(bin, binary=True).most_similar
    --compare     the same `wordshell similar` from another checkout (e.g. the previous revision in a
                  git worktree), to show a change costs no start-up time. Run the script from outside
                  both checkouts: `python -m` puts the current folder first on sys.path, so from inside
                  this one both sides would run this checkout's code.
"""

from __future__ import annotations

import argparse
import sys

from pathlib import Path

from common import OUT, env_for, machine, median, shared, timed, wordshell

WORDS = ["king", "city", "music", "army", "river", "government", "war", "film"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--compare", default=None, metavar="TREE", help="Also time this checkout's wordshell.")
    args = ap.parse_args()
    home = OUT / "ws"
    home.mkdir(parents=True, exist_ok=True)
    model = "wt2-20k"
    if wordshell(home, "models", "info", model, check=False).returncode != 0:
        print("training the 20k x 100 model on WikiText-2 (once) ...", file=sys.stderr)
        wordshell(home, "train", "word2vec", model, "--corpus", str(shared("wikitext-2/wiki.train.tokens")),
                  "--split", "whitespace", "--cased", "--min-count", "6", "--epochs", "1", "--dim", "100")
    binf, kvf = OUT / "wt2-20k.bin", OUT / "wt2-20k.kv"
    if not binf.exists():
        wordshell(home, "models", "export", model, str(binf))
    if not kvf.exists():
        from gensim.models import KeyedVectors

        KeyedVectors.load_word2vec_format(str(binf), binary=True).save(str(kvf))
    info = wordshell(home, "models", "info", model, "--format", "json").stdout
    import json

    meta = json.loads(info)
    print(f"model: {meta['vocab_size']:,} words x {meta['dim']} dims   machine: {machine()}")

    env = env_for(home)
    other_env = None
    if args.compare:
        import os

        other_env = dict(env, PYTHONPATH=str(Path(args.compare).resolve()) + os.pathsep + env.get("PYTHONPATH", ""))
    ours_t, kv_t, bin_t, other_t = [], [], [], []
    mismatches = 0
    for i in range(args.runs):
        w = WORDS[i % len(WORDS)]
        dt, out = timed([sys.executable, "-m", "wordshell", "similar", w, "--model", model, "--top", "10"], env)
        ours_t.append(dt)
        ours = [line.split("\t")[1] for line in out.splitlines()]
        if other_env is not None:
            dt, out = timed([sys.executable, "-m", "wordshell", "similar", w, "--model", model, "--top", "10"],
                            other_env)
            other_t.append(dt)
            if [line.split("\t")[1] for line in out.splitlines()] != ours:
                mismatches += 1
        script = ("import sys; from gensim.models import KeyedVectors as K; "
                  f"kv=K.load({str(kvf)!r}, mmap='r'); print('\\n'.join(x for x,_ in kv.most_similar(sys.argv[1], topn=10)))")
        dt, out = timed([sys.executable, "-c", script, w], env)
        kv_t.append(dt)
        if out.split() != ours:
            mismatches += 1
        script = ("import sys; from gensim.models import KeyedVectors as K; "
                  f"kv=K.load_word2vec_format({str(binf)!r}, binary=True); "
                  "print('\\n'.join(x for x,_ in kv.most_similar(sys.argv[1], topn=10)))")
        dt, out = timed([sys.executable, "-c", script, w], env)
        bin_t.append(dt)
    o, k, b = median(ours_t), median(kv_t), median(bin_t)
    print(f"runs: {args.runs} (interleaved), whole-process wall time, median")
    print(f"  wordshell similar        {o * 1000:7.1f} ms")
    print(f"  gensim .kv (mmap)        {k * 1000:7.1f} ms   ratio ours/peer = {o / k:.3f}")
    print(f"  gensim word2vec .bin     {b * 1000:7.1f} ms   ratio ours/peer = {o / b:.3f}")
    if other_t:
        c = median(other_t)
        print(f"  {args.compare}: {c * 1000:7.1f} ms   ratio this/that = {o / c:.3f}")
    print(f"  neighbours identical to gensim's{' and the other tree' if other_t else ''}: "
          f"{args.runs - mismatches}/{args.runs}")
    print(f"  goal: ours <= 250 ms [{'ok' if o <= 0.25 else 'MISSED'}], "
          f"<= 0.25 x gensim [{'ok' if o <= 0.25 * min(k, b) else 'MISSED'}]")


if __name__ == "__main__":
    main()
