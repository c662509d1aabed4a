"""`compare lm`: several language models in one table (the slide's window LM vs RNN vs LSTM vs GRU).

Architecture, parameters and training speed come from each model.json; the test perplexity is
computed here on a text every model reads the same way (each with its own vocabulary: unknown
words score as <unk>, so models with different vocabularies are compared with a note).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wordshell.errors import BadInput, UsageError


@dataclass
class LMRow:
    name: str
    arch: str                   # "LSTM 2x200, emb 200" ...
    params: int | None
    vocab: int | None
    tokens_per_sec: float | None
    epochs: float | None
    seconds: float | None
    best_valid_ppl: float | None
    test_ppl: float | None
    test_unknown: float | None  # fraction of the test tokens that were <unk>
    corpus: str


def describe_arch(meta: dict) -> str:
    """'LSTM 2x200 e200', 'FFNN n=4 1x200 e100' (layers x hidden, embedding size) from model.json.

    >>> describe_arch({"kind": "ffnn-lm", "config": {"context": 4, "layers": 1, "hidden": 200, "emb": 100}})
    'FFNN n=4 1x200 e100'
    """
    cfg = meta.get("config") or {}
    kind = (meta.get("kind") or "?").replace("-lm", "").upper()
    window = f" n={cfg['context']}" if "context" in cfg else ""
    return (f"{kind}{window} {cfg.get('layers', 1)}x{cfg.get('hidden')} e{cfg.get('emb')}"
            + (" tied" if cfg.get("tied") else "") + (" adaptive" if cfg.get("adaptive") else ""))


def compare_lms(session, names: list[str], test_lines: list[str] | None) -> list[LMRow]:
    from wordshell.lm.use import load_lm, score

    if len(names) < 1:
        raise UsageError("give the language models to compare")
    rows = []
    for name in dict.fromkeys(names):
        lm = load_lm(session, name)
        meta = lm.meta
        t = meta.get("training") or {}
        hist = meta.get("history") or []
        test_ppl = unk = None
        if test_lines is not None:
            ids, unknown = lm.encode_lines(test_lines)
            n_tokens = sum(1 for i in ids)
            if not [i for i in ids if i != 0]:
                raise BadInput("no text to score in the test text")
            total, n = score(lm, ids)
            test_ppl, unk = math.exp(min(total / n, 700)), len(unknown) / max(1, n_tokens)
        rows.append(LMRow(name, describe_arch(meta), meta.get("params"), meta.get("vocab_size"),
                          t.get("per_second"), hist[-1].get("epoch") if hist else t.get("epochs"), t.get("seconds"),
                          (meta.get("metrics") or {}).get("valid_ppl"), test_ppl, unk,
                          (meta.get("corpus") or {}).get("name") or ""))
    return rows
