"""(d) Generation speed of a 2x200 LSTM with PTB's 10k vocabulary: tokens/s and first-token latency.

Ours: `load_lm` + `lm/use.py generate` (what `wordshell generate` runs), timed after the model is
loaded. Peer: the sampling loop of pytorch/examples word_language_model/generate.py
(model(input, hidden) -> exp(logits / T) -> multinomial), same weights, same process.
The weights are random (speed does not depend on them); pass --model NAME --home DIR to time a
trained one instead.

    python bench/bench_lm_generate.py [--tokens 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402


def make_model(home: Path, name: str = "gen") -> None:
    """A 2x200 LSTM with a 10k vocabulary written to the store like a trained one."""
    from wordshell.fit import weights as ck
    from wordshell.lm.data import EOS, UNK, Vocab
    from wordshell.kinds import build
    from wordshell.store import Store

    store = Store(home)
    d = store.model_dir(name)
    d.mkdir(parents=True, exist_ok=True)
    vocab = Vocab([EOS, UNK] + [f"w{i}" for i in range(9998)])
    vocab.save(d / "vocab.txt")
    cfg = {"vocab_size": 10000, "cell": "lstm", "emb": 200, "hidden": 200, "layers": 2, "dropout": 0.2}
    torch.manual_seed(0)
    ck.save_weights(build("lstm-lm", cfg), d / "weights.safetensors")
    store.write_model_meta(name, {"kind": "lstm-lm", "family": "lm", "config": cfg, "level": "word",
                                  "tokenizer": {"lowercase": True, "punct": False, "split": "whitespace"}})


def peer(model, n: int, seed: int) -> tuple[float, float]:
    """pytorch/examples generate.py's loop; returns (first-token seconds, tokens/s)."""
    torch.manual_seed(seed)
    hidden = None
    inp = torch.zeros(1, 1, dtype=torch.long)
    t0 = time.perf_counter()
    first = None
    with torch.no_grad():
        for i in range(n):
            output, hidden = model(inp, hidden)
            word_weights = output.squeeze().div(1.0).exp()
            word_idx = torch.multinomial(word_weights, 1)[0]
            inp.fill_(word_idx)
            if first is None:
                first = time.perf_counter() - t0
    return first, n / (time.perf_counter() - t0)


def ours(lm, n: int, seed: int) -> tuple[float, float]:
    from wordshell.lm.use import generate

    g = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    first = None
    for _ in generate(lm, [], n, generator=g, allow_unk=True):
        if first is None:
            first = time.perf_counter() - t0
    return first, n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--home", default=None)
    ap.add_argument("--model", default=None)
    a = ap.parse_args()
    from wordshell.lm.use import load_lm
    from wordshell.session import Session

    home = Path(a.home) if a.home else Path(tempfile.mkdtemp(prefix="bench-gen-"))
    name = a.model or "gen"
    if not a.model:
        make_model(home)
    session = Session(home, quiet=True)
    t = time.perf_counter()
    lm = load_lm(session, name)
    load_s = time.perf_counter() - t
    print(f"load_lm: {1000 * load_s:.0f} ms (torch already imported); {a.tokens} tokens x {a.rounds} rounds")
    firsts, speeds, pfirsts, pspeeds = [], [], [], []
    for r in range(a.rounds):
        pf, ps = peer(lm.model, a.tokens, r)
        f, s = ours(lm, a.tokens, r)
        firsts.append(f)
        speeds.append(s)
        pfirsts.append(pf)
        pspeeds.append(ps)
        print(f"round {r + 1}: peer {ps:,.0f} tok/s (first {1000 * pf:.1f} ms), "
              f"wordshell {s:,.0f} tok/s (first {1000 * f:.1f} ms)", flush=True)
    print(f"median: peer {statistics.median(pspeeds):,.0f} tok/s, first {1000 * statistics.median(pfirsts):.1f} ms; "
          f"wordshell {statistics.median(speeds):,.0f} tok/s, first {1000 * statistics.median(firsts):.1f} ms "
          f"(goal >= 200 tok/s, first <= 100 ms)")


if __name__ == "__main__":
    main()
