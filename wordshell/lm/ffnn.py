"""Bengio et al. (2003) feed-forward window language model.

The next token is predicted from the previous `context` tokens only:

    x[t-context+1] ... x[t]  -> Embedding each -> concatenate (context*E) -> tanh(Linear) (H)
                             -> dropout -> Linear (V)           [+ direct: Linear(context*E -> V)]

It speaks the same interface as RNNLM (time-major tokens (T, B), a carried state), so one
training task, one generator and one perplexity scorer serve both: the "state" is just the
last context-1 tokens of the previous window (B columns), id 0 (= <eos>) at the very start.

    >>> m = FFNNLM(FFNNLM.Config(vocab_size=50, context=3))              # doctest: +SKIP
    >>> logits, state = m(torch.zeros(35, 4, dtype=torch.long))          # doctest: +SKIP
    >>> logits.shape, state.shape                                        # doctest: +SKIP
    (torch.Size([35, 4, 50]), torch.Size([2, 4]))
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from wordshell.errors import BadInput


@dataclass
class FFNNLMConfig:
    vocab_size: int
    context: int = 4            # tokens of history (n-gram order minus one)
    emb: int = 100
    hidden: int = 200
    layers: int = 1             # hidden tanh layers
    dropout: float = 0.2
    direct: bool = False        # Bengio's direct connections from the embeddings to the output
    tied: bool = False          # output layer = embedding matrix (needs emb == hidden)
    init_range: float = 0.1

    def check(self) -> None:
        if min(self.vocab_size, self.context, self.emb, self.hidden, self.layers) < 1:
            raise BadInput("vocabulary, --context, --emb, --hidden and --layers must be at least 1")
        if not 0 <= self.dropout < 1:
            raise BadInput("--dropout must be in [0, 1)")
        if self.tied and self.emb != self.hidden:
            raise BadInput(f"--tied needs --emb == --hidden (got {self.emb} and {self.hidden})")


class FFNNLM(nn.Module):
    Config = FFNNLMConfig

    def __init__(self, config: FFNNLMConfig):
        super().__init__()
        config.check()
        self.config = config
        k, e, h = config.context, config.emb, config.hidden
        self.encoder = nn.Embedding(config.vocab_size, e)
        layers: list[nn.Module] = []
        for i in range(config.layers):
            layers += [nn.Linear(k * e if i == 0 else h, h), nn.Tanh(), nn.Dropout(config.dropout)]
        self.hidden = nn.Sequential(*layers)
        self.drop = nn.Dropout(config.dropout)
        self.decoder = nn.Linear(h, config.vocab_size)
        self.direct = nn.Linear(k * e, config.vocab_size, bias=False) if config.direct else None
        if config.tied:
            self.decoder.weight = self.encoder.weight
        r = config.init_range
        nn.init.uniform_(self.encoder.weight, -r, r)
        nn.init.zeros_(self.decoder.bias)
        if self.direct is not None:
            nn.init.zeros_(self.direct.weight)

    def forward(self, tokens: torch.Tensor, state=None, targets: torch.Tensor | None = None):
        """tokens (T, B) -> (logits (T, B, V), last context-1 tokens (context-1, B)).

        With `targets` (T, B): (mean cross-entropy, state) instead of the logits.
        """
        k = self.config.context
        T, B = tokens.shape
        if state is None:
            state = tokens.new_zeros((k - 1, B))                 # <eos> = 0 before the text
        seq = torch.cat([state, tokens], 0)                      # (k-1+T, B)
        windows = seq.unfold(0, k, 1)                            # (T, B, k): x[t-k+1..t]
        x = self.drop(self.encoder(windows).reshape(T, B, -1))   # (T, B, k*E)
        logits = self.decoder(self.hidden(x))                    # (T, B, V)
        if self.direct is not None:
            logits = logits + self.direct(x)
        state = seq[seq.shape[0] - (k - 1):]
        if targets is not None:
            return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1)), state
        return logits, state
