"""The next-token distribution p(x_i | x_<i) of a language model after a prompt, and what the model sees.

A recurrent model reads the whole prompt (through its state); a window (ffnn) model sees only its last
`context` tokens, padded with <eos> at the start of a text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from wordshell.errors import BadInput


@dataclass
class NextToken:
    tokens: list[str]                 # the prompt as the model's tokens (<unk> for unknown words)
    seen: list[str]                   # what the model conditions on: all of them, or a window
    window: int | None                # ffnn: its context size
    top: list[tuple[str, float]]      # (token, probability), most likely first
    entropy: float                    # bits
    unknown: list[str] = field(default_factory=list)

    @property
    def perplexity(self) -> float:
        """2 ** entropy: how many equally likely choices the distribution is worth."""
        return 2.0 ** self.entropy


def next_token(lm, text: str, top: int = 10) -> NextToken:
    import torch

    ids, unknown = lm.encode_lines([text]) if text else ([0], [])
    ids = ids[:-1]                                              # no <eos> after the prompt
    inputs = [0] + ids                                          # a text starts after <eos>
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            logits, _ = lm.model(torch.tensor(inputs, dtype=torch.long).view(-1, 1), None)
            logp = torch.log_softmax(logits[-1, 0].float(), -1)           # (V,)
    finally:
        torch.set_num_threads(threads)
    p = logp.exp()
    entropy = float(-(p * logp).sum()) / math.log(2)
    k = min(top, p.numel())
    vals, idx = torch.topk(p, k)
    itos = lm.vocab.itos
    tokens = [itos[i] for i in ids]
    window = getattr(lm.model.config, "context", None) if not hasattr(lm.model, "rnn") else None
    if window:
        pad = ["<eos>"] * max(0, window - len(inputs))
        seen = pad + [itos[i] for i in inputs[-window:]]
    else:
        seen = [itos[i] for i in inputs]
    if not math.isfinite(entropy):
        raise BadInput("the model's distribution is not finite (a broken checkpoint?)")
    return NextToken(tokens, seen, window, [(itos[int(i)], float(v)) for v, i in zip(vals, idx)], entropy,
                     list(dict.fromkeys(unknown)))
