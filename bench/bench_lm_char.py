"""(c) Char-level Tiny Shakespeare: validation nats/char after a time budget (last 10 % = validation).

Ours: `wordshell train lm ... --level char --time <budget>` with the recipe below. Peer (same run,
after ours; --skip-peer to leave it out): a plain PyTorch loop like the issue's "quick 1-layer 512
LSTM + AdamW" (batch 32, bptt 128, lr 2e-3 constant), evaluated on the same split when its time is up.

    python bench/bench_lm_char.py [--minutes 10] [--data FILE] [--ours "ARGS"] [--skip-peer]
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import train_lm_cli  # noqa: E402
RECIPE = ("--arch lstm --layers 2 --hidden 384 --emb 64 --dropout 0.2 --batch 16 --bptt 128 "
          "--optimizer adamw --lr 0.002 --weight-decay 0.01 --clip 1 --schedule cosine --eval-every 1200 --bf16")


def run_ours(path: str, minutes: float, args: str) -> dict:
    home = Path(tempfile.mkdtemp(prefix="bench-char-"))
    meta, wall = train_lm_cli(home, "shakes", ["--corpus", path, "--level", "char", "--valid-split", "0.1",
                                               "--time", f"{minutes * 60:g}", *shlex.split(args)])
    m = meta["metrics"]
    return {"valid_loss": m["valid_loss"], "tokens_per_sec": meta["training"]["per_second"], "wall": wall}


def run_peer(path: str, minutes: float, batch=32, bptt=128, lr=2e-3, seed=1) -> dict:
    import torch
    import torch.nn as nn

    torch.manual_seed(seed)
    text = open(path, encoding="utf-8").read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text])
    n = int(0.9 * len(data))
    train, valid = data[:n], data[n:]

    class CharLSTM(nn.Module):
        def __init__(self, v, h=512):
            super().__init__()
            self.emb, self.rnn, self.out = nn.Embedding(v, 64), nn.LSTM(64, h, 1), nn.Linear(h, v)

        def forward(self, x, s=None):
            y, s = self.rnn(self.emb(x), s)
            return self.out(y), s

    def cols(d, b):
        r = len(d) // b
        return d[: r * b].view(b, r).t().contiguous()

    tr, va = cols(train, batch), cols(valid, 10)
    model = CharLSTM(len(chars))
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    deadline = time.time() + 60 * minutes
    t0, toks, state = time.time(), 0, None
    while time.time() < deadline:
        for i in range(0, tr.shape[0] - 1, bptt):
            x, y = tr[i:i + bptt], tr[i + 1:i + 1 + bptt]
            x = x[: len(y)]
            out, state = model(x, state)
            state = tuple(s.detach() for s in state)
            loss = nn.functional.cross_entropy(out.reshape(-1, len(chars)), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            toks += y.numel()
            if time.time() >= deadline:
                break
        state = None
    secs = time.time() - t0
    model.eval()
    total, cnt, s = 0.0, 0, None
    with torch.no_grad():
        for i in range(0, va.shape[0] - 1, 256):
            x, y = va[i:i + 256], va[i + 1:i + 257]
            x = x[: len(y)]
            out, s = model(x, s)
            total += float(nn.functional.cross_entropy(out.reshape(-1, len(chars)), y.reshape(-1), reduction="sum"))
            cnt += y.numel()
    return {"valid_loss": total / cnt, "tokens_per_sec": toks / secs, "wall": time.time() - t0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("SHAKESPEARE", "/work/shared/data/tinyshakespeare/input.txt"))
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--ours", default=RECIPE)
    ap.add_argument("--skip-peer", action="store_true")
    a = ap.parse_args()
    l0 = os.getloadavg()[0]
    mine = run_ours(a.data, a.minutes, a.ours)
    l1 = os.getloadavg()[0]
    print(f"wordshell: valid {mine['valid_loss']:.4f} nats/char ({mine['valid_loss'] / math.log(2):.3f} bits), "
          f"{mine['tokens_per_sec']:,.0f} chars/s, {mine['wall']:.0f}s wall incl. start-up  [{a.ours}]", flush=True)
    if not a.skip_peer:
        peer = run_peer(a.data, a.minutes)
        print(f"peer:      valid {peer['valid_loss']:.4f} nats/char, {peer['tokens_per_sec']:,.0f} chars/s")
    print(f"load average start/middle/end {l0:.2f}/{l1:.2f}/{os.getloadavg()[0]:.2f}; goal <= 1.42 nats/char")


if __name__ == "__main__":
    main()
