"""What recording the gradient norm costs when clipping is off (--clip 0), step by step, in one process.

fit/loop.py now computes the global gradient norm at every step (fit/gradients.total_norm: one reduction
over all gradients, plus a host sync to read it). With --clip > 0 clip_grad_norm_ computed that norm
before, so nothing changes there; at --clip 0 it is new work. This bench times training steps of the
bench_lm_throughput model (2-layer LSTM 200/200, dropout 0.2, bptt 35, batch 20, V = 10,000 as PTB,
SGD) alternating A (forward, backward, SGD step: the loop at clip 0 before) and B (the same + the norm),
so machine load hits both alike, and reports the medians and the norm's own time.

    python bench/bench_grad_norm.py [--steps 200] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from wordshell.fit.gradients import total_norm  # noqa: E402
from wordshell.kinds import build  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200, help="steps of each kind (A and B)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--vocab", type=int, default=10_000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = build("lstm-lm", {"vocab_size": a.vocab, "cell": "lstm", "emb": 200, "hidden": 200, "layers": 2,
                              "dropout": 0.2})
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=1.0)
    x = torch.randint(0, a.vocab, (35, 20))
    y = torch.randint(0, a.vocab, (35, 20))
    times = {"A": [], "B": [], "norm": []}

    def step(with_norm: bool) -> None:
        t0 = time.perf_counter()
        loss, _ = model(x, None, targets=y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if with_norm:
            t1 = time.perf_counter()
            float(total_norm(params))
            times["norm"].append(time.perf_counter() - t1)
        opt.step()
        float(loss.detach())
        times["B" if with_norm else "A"].append(time.perf_counter() - t0)

    for _ in range(5):  # warm-up
        step(False)
        step(True)
    times = {k: [] for k in times}
    for i in range(a.steps):
        for with_norm in ((False, True) if i % 2 == 0 else (True, False)):
            step(with_norm)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    n = sum(p.numel() for p in params)
    print(f"torch {torch.__version__}, {a.threads} thread(s), {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
          f"{n:,} parameters; {a.steps} steps of each")
    print(f"median step: A (no norm) {med['A']:.1f} ms, B (with norm) {med['B']:.1f} ms, "
          f"ratio B/A {med['B'] / med['A']:.3f}; the norm itself {med['norm']:.2f} ms "
          f"({100 * med['norm'] / med['A']:.1f}% of a step)")


if __name__ == "__main__":
    main()
