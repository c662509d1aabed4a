"""(b) PTB validation perplexity after the same CPU time budget: wordshell's recipe vs the reference loop.

Back to back in one run: the reference (pytorch/examples style, 2x200 LSTM, SGD lr 20, anneal /4)
for --minutes, then `wordshell train lm ... --time <minutes>` with the recipe below; both report the
validation perplexity of the model they hold when the time is up (the reference evaluates at each
epoch end and once more when the budget runs out; ours counts its evaluations inside the budget).

The recipe (default --ours): the same 2x200 LSTM but with an adaptive softmax (2000/5000 cutoffs:
the 10k-way output layer is most of the work, and frequent words rarely need the tail), SGD lr 20
with clip 0.25 decayed along a cosine to the END OF THE TIME BUDGET (instead of waiting for plateaus),
and the loop's thread auto-tuning (1 vs 2 threads, re-checked as load changes).

    python bench/bench_lm_quality.py [--minutes 10] [--data DIR] [--ours "ARGS"] [--skip-reference]
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import train_lm_cli  # noqa: E402

RECIPE = ("--arch lstm --layers 2 --hidden 200 --emb 200 --dropout 0.2 --adaptive 2000,5000 --bptt 35 --batch 20 "
          "--optimizer sgd --lr 20 --clip 0.25 --schedule cosine")


def run_ours(data: str, minutes: float, args: str, home: Path, name: str = "ptb") -> dict:
    meta, wall = train_lm_cli(home, name, ["--corpus", f"{data}/ptb.train.txt", "--valid", f"{data}/ptb.valid.txt",
                                           "--split", "whitespace", "--min-count", "1", "--force",
                                           "--time", f"{minutes * 60:g}", *shlex.split(args)])
    return {"valid_ppl": meta["metrics"]["valid_ppl"], "tokens_per_sec": meta["training"]["per_second"],
            "wall": wall, "history": meta["history"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("PTB", "/work/shared/data/ptb"))
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--ours", default=RECIPE)
    ap.add_argument("--skip-reference", action="store_true")
    a = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-lmq-"))
    # tokenise/cache PTB once so that neither side pays for it inside the budget
    run_ours(a.data, 0.05, "--arch lstm --hidden 16 --emb 16 --layers 1", home, "warm")
    load0 = os.getloadavg()[0]
    ref = None
    if not a.skip_reference:
        import lm_reference

        t = time.time()
        ref = lm_reference.run(a.data, minutes=a.minutes, log=lambda m: print(m, flush=True))
        ref["wall"] = time.time() - t
    load1 = os.getloadavg()[0]
    mine = run_ours(a.data, a.minutes, a.ours, home)
    load2 = os.getloadavg()[0]
    print(f"\nbudget {a.minutes:g} min; load average at start/middle/end {load0:.2f}/{load1:.2f}/{load2:.2f}")
    if ref:
        print(f"reference: valid ppl {ref['valid_ppl']:.2f} after {ref['wall']:.0f}s wall, "
              f"{ref['tokens_per_sec']:,.0f} tok/s, {len(ref['history'])} evals")
    print(f"wordshell: valid ppl {mine['valid_ppl']:.2f} after {mine['wall']:.0f}s wall (incl. start-up), "
          f"{mine['tokens_per_sec']:,.0f} tok/s  [{a.ours}]")
    if ref:
        print(f"ratio wordshell/reference: {mine['valid_ppl'] / ref['valid_ppl']:.3f} (goal <= 0.9)")


if __name__ == "__main__":
    main()
