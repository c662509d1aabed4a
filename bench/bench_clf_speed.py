"""Throughput and memory of `wordshell classify` in a pipe, beside fastText's predict, in the same run.

    python bench/bench_clf_speed.py                      # SST-2 train texts, 100k lines, bag + bilstm
    python bench/bench_clf_speed.py --arch bag --lines 100000 --big 1000000

What is measured (medians of --repeat runs):
  ours     the whole process `wordshell classify --model M < in.txt > out.tsv` (start-up, model load,
           reading, tokenising, predicting, writing TSV), wall clock, lines/s; peak RSS via wait4.
  peer     fastText (fasttext-numpy2), supervised, epoch=10, wordNgrams=2, trained on the same data:
           (a) `model.predict(lines)` inside Python on the same lines (the figure usually quoted), and
           (b) the whole process: python -c 'load model, predict stdin, print labels'.
Peak RSS is compared between --lines and --big inputs: flat means streaming works.
The bilstm model is trained for one epoch only: this bench is about speed, not accuracy.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "sst" / "stsa.binary.train"
if not DATA.exists():
    DATA = Path("/work/shared/data/sst/stsa.binary.train")


def env(home: str) -> dict:
    return {**os.environ, "WORDSHELL_HOME": home, "PYTHONPATH": str(ROOT)}


def run_timed(cmd: list[str], stdin_path: str, environ: dict) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MB, output lines) of one process reading stdin_path."""
    with open(stdin_path, "rb") as fin, tempfile.TemporaryFile() as fout:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE, env=environ)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        err = p.stderr.read().decode()
        if status != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
        fout.seek(0)
        lines = sum(1 for _ in fout)
    return wall, usage.ru_maxrss // 1024, lines


def write_input(texts: list[str], n: int, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for t in itertools.islice(itertools.cycle(texts), n):
            f.write(t + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DATA), help="labelled training data (any format wordshell reads)")
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--big", type=int, default=1_000_000, help="bigger input for the peak-RSS check (bag)")
    ap.add_argument("--arch", default="bag,bilstm")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="OMP/MKL threads for every process (2 cores here)")
    ap.add_argument("--classify-threads", type=int, default=1,
                    help="'classify --threads' for the RNNs (1 is wordshell's default)")
    ap.add_argument("--extra", default="", help="extra 'train classifier' options for the RNNs, e.g. '--hidden 150'")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from wordshell.classify.data import read_labelled

    data = read_labelled(None, [args.data])
    home = tempfile.mkdtemp(prefix="bench_clf_")
    e = env(home)
    e["OMP_NUM_THREADS"] = e["MKL_NUM_THREADS"] = str(args.threads)
    work = Path(home)
    small, big = work / "in_small.txt", work / "in_big.txt"
    write_input(data.texts, args.lines, small)
    py = sys.executable
    print(f"data: {args.data} ({len(data):,} texts), input: {args.lines:,} lines, big: {args.big:,} lines")
    rows = []
    for arch in args.arch.split(","):
        extra = ["--epochs", "1", *args.extra.split()] if arch != "bag" else []
        subprocess.run([py, "-m", "wordshell", "-q", "train", "classifier", arch, "--data", args.data,
                        "--arch", arch, *extra], env=e, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        cmd = [py, "-m", "wordshell", "classify", "--model", arch]
        if arch != "bag" and args.classify_threads != 1:
            cmd += ["--threads", str(args.classify_threads)]
        runs = [run_timed(cmd, str(small), e) for _ in range(args.repeat)]
        assert all(r[2] == args.lines for r in runs), "one output line per input line"
        wall = statistics.median(r[0] for r in runs)
        rss_small = max(r[1] for r in runs)
        if arch == "bag":
            write_input(data.texts, args.big, big)
            _, rss_big, n = run_timed(cmd, str(big), e)
            assert n == args.big
            big_note = f"peak RSS {rss_small} MB at {args.lines:,} lines, {rss_big} MB at {args.big:,}"
        else:
            tenth = work / "in_tenth.txt"
            write_input(data.texts, args.lines // 10, tenth)
            _, rss_tenth, _ = run_timed(cmd, str(tenth), e)
            big_note = f"peak RSS {rss_tenth} MB at {args.lines // 10:,} lines, {rss_small} MB at {args.lines:,}"
        label = arch
        if arch != "bag":
            label += f" {args.extra}" * bool(args.extra) + f", --threads {args.classify_threads}"
        rows.append((f"wordshell classify ({label}), whole process", args.lines / wall, wall, big_note))

    # -- peer: fastText, trained on the same data -------------------------------------------
    import fasttext

    ft_train = work / "train.ft"
    with open(ft_train, "w", encoding="utf-8") as f:
        for t, y in zip(data.texts, data.labels):
            f.write(f"__label__{y} {t}\n")
    ft = fasttext.train_supervised(str(ft_train), epoch=10, wordNgrams=2, verbose=0, thread=args.threads)
    ft_path = work / "ft.bin"
    ft.save_model(str(ft_path))
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        with open(small, encoding="utf-8") as f:
            lines = f.read().splitlines()
        labels, _ = ft.predict(lines, k=1)
        times.append(time.perf_counter() - t0)
        assert len(labels) == args.lines
    wall = statistics.median(times)
    rows.append(("fastText predict(list), in-process (read + predict)", args.lines / wall, wall, ""))
    script = ("import sys, fasttext\nm = fasttext.load_model(sys.argv[1])\nlines = sys.stdin.read().splitlines()\n"
              "labels, probs = m.predict(lines, k=1)\n"
              "sys.stdout.writelines(f'{l[0][9:]}\\t{p[0]:.6g}\\t{t}\\n' for l, p, t in zip(labels, probs, lines))\n")
    runs = [run_timed([py, "-c", script, str(ft_path)], str(small), e) for _ in range(args.repeat)]
    wall = statistics.median(r[0] for r in runs)
    rows.append(("fastText whole process (load, predict stdin, print TSV)", args.lines / wall, wall,
                 f"peak RSS {max(r[1] for r in runs)} MB (reads all input)"))

    print(f"\n{'what':58s} {'lines/s':>10s} {'seconds':>8s}  memory")
    for what, speed, wall, note in rows:
        print(f"{what:58s} {speed:10,.0f} {wall:8.2f}  {note}")
    print(f"\n(medians of {args.repeat}; {os.cpu_count()} CPUs; threads {args.threads}; workspace {home})")


if __name__ == "__main__":
    main()
