"""SST-2 dev accuracy of wordshell's classifiers beside fastText supervised, trained in the same run.

    python bench/bench_clf_sst.py                          # bag vs fastText, 3 seeds
    python bench/bench_clf_sst.py --arch bag,bilstm --pretrain   # + bilstm with word2vec from WikiText-2

Data: ../shared/data/sst/stsa.binary.train (6,920 sentences) and stsa.binary.dev (872), as in the issue;
the dev set is also the validation set for early stopping (wordshell keeps the best epoch), so the
table gives the final-epoch accuracy too, which involves no selection on dev.
Peer: fastText (fasttext-numpy2) `train_supervised(epoch=10, wordNgrams=2)`, other settings default.
--pretrain first trains `wordshell train word2vec` on WikiText-2 train and passes it as --vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")


def ws(home: str, *args: str) -> str:
    env = {**os.environ, "WORDSHELL_HOME": home, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "wordshell", *args], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"wordshell {' '.join(args)} failed:\n{p.stderr}")
    return p.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=str(SHARED / "sst" / "stsa.binary.train"))
    ap.add_argument("--dev", default=None,
                    help="default: stsa.binary.dev, or GLUE's dev.tsv when --train is a GLUE file (the same 872 "
                         "sentences, written as GLUE writes them: '(' where stsa has '-lrb-', '/' for '\\/')")
    ap.add_argument("--arch", default="bag", help="comma-separated: bag,bilstm,bigru,rnn")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--pretrain", action="store_true", help="RNNs start from word2vec trained on WikiText-2")
    ap.add_argument("--corpus", default=str(SHARED / "wikitext-2" / "wiki.train.tokens"))
    ap.add_argument("--extra", default="", help="extra options for 'train classifier' (RNNs)")
    args = ap.parse_args()
    if args.dev is None:
        glue = Path(args.train).parent.name == "glue-sst2"
        args.dev = str(SHARED / "glue-sst2" / "dev.tsv") if glue else str(SHARED / "sst" / "stsa.binary.dev")
    home = tempfile.mkdtemp(prefix="bench_sst_")
    results: dict[str, list[tuple[float, float, float]]] = {}

    # -- peer: fastText ---------------------------------------------------------------------
    import fasttext

    sys.path.insert(0, str(ROOT))
    from wordshell.classify.data import read_labelled

    def to_ft(src: str, dst: Path) -> Path:
        d = read_labelled(None, [src])
        dst.write_text("".join(f"__label__{y} {t}\n" for t, y in zip(d.texts, d.labels)), encoding="utf-8")
        return dst

    tr, dv = to_ft(args.train, Path(home) / "train.ft"), to_ft(args.dev, Path(home) / "dev.ft")
    for seed in range(1, args.seeds + 1):
        t0 = time.perf_counter()
        m = fasttext.train_supervised(str(tr), epoch=10, wordNgrams=2, seed=seed, verbose=0)
        secs = time.perf_counter() - t0
        acc = m.test(str(dv))[1]
        results.setdefault("fastText supervised (epoch=10, wordNgrams=2)", []).append((acc, acc, secs))

    # -- wordshell --------------------------------------------------------------------------
    vec_args: list[str] = []
    if args.pretrain and any(a != "bag" for a in args.arch.split(",")):
        t0 = time.perf_counter()
        ws(home, "-q", "train", "word2vec", "wt2", "--corpus", args.corpus, "--punct", "--epochs", "10",
           "--min-count", "3")
        print(f"word2vec on {Path(args.corpus).name}: {time.perf_counter() - t0:.0f} s")
        vec_args = ["--vectors", "wt2"]
    for arch in args.arch.split(","):
        label = f"wordshell {arch}" + (" + word2vec(WikiText-2)" if vec_args and arch != "bag" else "")
        for seed in range(1, args.seeds + 1):
            name = f"{arch}-{seed}"
            extra = (vec_args + args.extra.split()) if arch != "bag" else []
            t0 = time.perf_counter()
            ws(home, "-q", "train", "classifier", name, "--data", args.train, "--valid", args.dev, "--arch", arch,
               "--seed", str(seed), *extra)
            secs = time.perf_counter() - t0
            meta = json.loads((Path(home) / "checkpoints" / name / "model.json").read_text())
            rep = json.loads(ws(home, "eval", "classifier", "--model", name, "--data", args.dev, "--format", "json"))
            final = meta["history"][-1]["valid_acc"]
            results.setdefault(label, []).append((rep["accuracy"], final, secs))
            print(f"{label} seed {seed}: dev {rep['accuracy']:.4f} (final epoch {final:.4f}), {secs:.0f} s",
                  flush=True)

    print(f"\nSST-2 dev accuracy ({args.seeds} seeds; train {Path(args.train).name}, dev {Path(args.dev).name})")
    print(f"{'model':52s} {'best/early-stopped':>20s} {'final epoch':>12s} {'train s':>8s}")
    for label, rs in results.items():
        accs, finals, secs = zip(*rs)
        print(f"{label:52s} {statistics.mean(accs):8.4f} [{min(accs):.3f}-{max(accs):.3f}] "
              f"{statistics.mean(finals):12.4f} {statistics.median(secs):8.1f}")


if __name__ == "__main__":
    main()
