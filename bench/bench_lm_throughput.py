"""(a) Training throughput, tokens/s: `wordshell train lm` vs the plain PyTorch reference loop.

Same architecture and settings for both (2-layer LSTM 200/200, dropout 0.2, bptt 35, batch 20,
SGD lr 20, clip 0.25), same process, alternating rounds (ref, ours, ref, ours, ...) so machine
load hits both alike; the figure is the median of the per-round ratios.
Ours runs through the real command (progress callback, checkpoints every 200 steps, evals).

    python bench/bench_lm_throughput.py [--data DIR] [--steps 300] [--rounds 3]

With --compare TREE, instead: this checkout against another one (e.g. /work/main, before a change to
fit/loop.py), each `wordshell train lm` in its own process, alternating, for each --clip value given
(the gradient norm is new work only at --clip 0); the figure is model.json's training.per_second.

    python bench/bench_lm_throughput.py --compare /work/main --clip 0 --clip 0.25 --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

import lm_reference  # noqa: E402


def ours(data: str, steps: int, home: Path, name: str, extra=()) -> dict:
    from click.testing import CliRunner

    from wordshell.cli import cli
    from wordshell.session import Session

    args = ["train", "lm", name, "--corpus", f"{data}/ptb.train.txt", "--valid", f"{data}/ptb.valid.txt",
            "--split", "whitespace", "--min-count", "1", "--arch", "lstm", "--layers", "2", "--hidden", "200",
            "--emb", "200", "--dropout", "0.2", "--bptt", "35", "--batch", "20", "--optimizer", "sgd",
            "--lr", "20", "--clip", "0.25", "--max-steps", str(steps), "--force", *extra]
    r = CliRunner().invoke(cli, args, obj=Session(home, quiet=True), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    meta = json.loads((home / "checkpoints" / name / "model.json").read_text())
    return {**meta["metrics"], "tokens_per_sec": meta["training"]["per_second"]}


def args_for(data: str, steps: int, name: str, clip: str, threads: int) -> list[str]:
    return ["train", "lm", name, "--corpus", f"{data}/ptb.train.txt", "--valid", f"{data}/ptb.valid.txt",
            "--split", "whitespace", "--min-count", "1", "--arch", "lstm", "--layers", "2", "--hidden", "200",
            "--emb", "200", "--dropout", "0.2", "--bptt", "35", "--batch", "20", "--optimizer", "sgd",
            "--lr", "20", "--clip", clip, "--max-steps", str(steps), "--force", "-q",
            *(["--threads", str(threads)] if threads else [])]


def run_tree(tree: Path, home: Path, args: list[str]) -> float:
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(tree), "WORDSHELL_HOME": str(home)}
    p = subprocess.run([sys.executable, "-m", "wordshell", *args], env=env, capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"{tree}: {p.stderr[-2000:]}")
    meta = json.loads((home / "checkpoints" / args[2] / "model.json").read_text())
    return meta["training"]["per_second"]


def compare(a) -> None:
    here, other = Path(__file__).resolve().parent.parent, Path(a.compare).resolve()
    homes = {t: Path(tempfile.mkdtemp(prefix="bench-lm-cmp-")) for t in (here, other)}
    print(f"{a.steps} steps x {a.rounds} rounds, threads {a.threads or 'auto'}; this tree {here} vs {other}",
          flush=True)
    for t in (here, other):  # tokenise PTB once per workspace, outside the timing
        run_tree(t, homes[t], args_for(a.data, 5, "warm", "0", a.threads))
    for clip in a.clip or ["0", "0.25"]:
        ratios, mine, theirs = [], [], []
        for r in range(a.rounds):
            order = (other, here) if r % 2 == 0 else (here, other)
            got = {t: run_tree(t, homes[t], args_for(a.data, a.steps, "tp", clip, a.threads)) for t in order}
            mine.append(got[here])
            theirs.append(got[other])
            ratios.append(got[here] / got[other])
            print(f"clip {clip} round {r + 1}: other {got[other]:,.0f} tok/s, this {got[here]:,.0f} tok/s, "
                  f"ratio {ratios[-1]:.3f}  [load {os.getloadavg()[0]:.2f}]", flush=True)
        print(f"clip {clip} median: other {statistics.median(theirs):,.0f} tok/s, this "
              f"{statistics.median(mine):,.0f} tok/s, ratio {statistics.median(ratios):.3f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("PTB", "/work/shared/data/ptb"))
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0,
                    help="pin wordshell's threads (e.g. 2 = torch's default, like the reference) instead of "
                         "letting the loop choose: isolates the loop's own overhead from thread tuning")
    ap.add_argument("--compare", metavar="TREE", default=None,
                    help="time this checkout against another one (see the module docstring)")
    ap.add_argument("--clip", action="append", default=None, help="with --compare: clip values (repeatable)")
    a = ap.parse_args()
    if a.compare:
        return compare(a)
    home = Path(tempfile.mkdtemp(prefix="bench-lm-"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores; "
          f"{a.steps} steps x {a.rounds} rounds; wordshell threads: {a.threads or 'auto'}", flush=True)
    ours(a.data, 5, home, "warm")  # tokenise + cache PTB once, outside the timing
    ref_tps, our_tps, ratios = [], [], []
    for r in range(a.rounds):
        t = time.time()
        ref = lm_reference.run(a.data, max_steps=a.steps, log=lambda *_: None)["tokens_per_sec"]
        t_ref = time.time() - t
        t = time.time()
        mine = ours(a.data, a.steps, home, "tp", ["--threads", str(a.threads)] if a.threads else [])["tokens_per_sec"]
        t_ours = time.time() - t
        ref_tps.append(ref)
        our_tps.append(mine)
        ratios.append(mine / ref)
        print(f"round {r + 1}: reference {ref:,.0f} tok/s ({t_ref:.0f}s wall), wordshell {mine:,.0f} tok/s "
              f"({t_ours:.0f}s wall), ratio {mine / ref:.3f}  [load {os.getloadavg()[0]:.2f}]", flush=True)
    print(f"median: reference {statistics.median(ref_tps):,.0f} tok/s, wordshell {statistics.median(our_tps):,.0f} "
          f"tok/s, ratio {statistics.median(ratios):.3f} (goal >= 1.0)")


if __name__ == "__main__":
    main()
