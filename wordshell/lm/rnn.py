"""Recurrent language models: RNN (tanh), LSTM, GRU; stacked, with dropout and tied embeddings.

    tokens (T, B) -> Embedding -> dropout -> RNN/LSTM/GRU x layers -> dropout -> Linear -> logits (T, B, V)

Time-major tensors (T, B), as in pytorch/examples word_language_model: the BPTT windows
are slices of a (rows, B) matrix, so no transpose is needed and the CPU LSTM kernel runs
on contiguous time steps. The hidden state is carried between windows by the caller.

    >>> m = RNNLM(RNNLM.Config(vocab_size=50, cell="gru", emb=16, hidden=16, layers=1))  # doctest: +SKIP
    >>> logits, state = m(torch.zeros(35, 4, dtype=torch.long))                           # doctest: +SKIP
    >>> logits.shape                                                                        # doctest: +SKIP
    torch.Size([35, 4, 50])
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from wordshell.errors import BadInput

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class RNNLMConfig:
    vocab_size: int
    cell: str = "lstm"          # rnn (tanh) | lstm | gru
    emb: int = 200
    hidden: int = 200
    layers: int = 2
    dropout: float = 0.2
    tied: bool = False          # share the input embedding and the output layer (needs emb == hidden)
    adaptive: list = None       # adaptive softmax cutoffs, e.g. [2000, 5000] (Grave et al. 2017); None = full
    init_range: float = 0.1

    def check(self) -> None:
        if self.cell not in CELLS:
            raise BadInput(f"unknown cell {self.cell!r}", "choose rnn, lstm or gru")
        if min(self.vocab_size, self.emb, self.hidden, self.layers) < 1:
            raise BadInput("vocabulary, --emb, --hidden and --layers must be at least 1")
        if not 0 <= self.dropout < 1:
            raise BadInput("--dropout must be in [0, 1)")
        if self.tied and self.emb != self.hidden:
            raise BadInput(f"--tied needs --emb == --hidden (got {self.emb} and {self.hidden})")
        if self.adaptive:
            cuts = list(self.adaptive)
            if self.tied:
                raise BadInput("--tied and --adaptive do not go together")
            if cuts != sorted(set(cuts)) or cuts[0] < 1 or cuts[-1] >= self.vocab_size:
                raise BadInput(f"--adaptive cutoffs must increase and stay below the vocabulary size "
                               f"({self.vocab_size}); got {cuts}")


class RNNLM(nn.Module):
    Config = RNNLMConfig

    def __init__(self, config: RNNLMConfig):
        super().__init__()
        config.check()
        self.config = config
        self.drop = nn.Dropout(config.dropout)
        self.encoder = nn.Embedding(config.vocab_size, config.emb)
        kwargs = {"nonlinearity": "tanh"} if config.cell == "rnn" else {}
        self.rnn = CELLS[config.cell](config.emb, config.hidden, config.layers,
                                      dropout=config.dropout if config.layers > 1 else 0.0, **kwargs)
        if config.adaptive:  # frequent words in a small head, rare ones in smaller tail clusters
            # tail cluster i projects to hidden // div**(i+1) dims: keep the smallest at 16+ when possible
            n = len(config.adaptive)
            div = next((d for d in (4.0, 2.0) if config.hidden // d ** n >= 16), 1.0)
            self.decoder = nn.AdaptiveLogSoftmaxWithLoss(config.hidden, config.vocab_size, list(config.adaptive),
                                                         div_value=div)
        else:
            self.decoder = nn.Linear(config.hidden, config.vocab_size)
        if config.tied:
            self.decoder.weight = self.encoder.weight
        r = config.init_range
        nn.init.uniform_(self.encoder.weight, -r, r)
        if not config.adaptive:
            nn.init.zeros_(self.decoder.bias)
            if not config.tied:
                nn.init.uniform_(self.decoder.weight, -r, r)

    def forward(self, tokens: torch.Tensor, state=None, targets: torch.Tensor | None = None):
        """tokens (T, B) long -> (logits (T, B, V), new state); state None = zeros.

        With `targets` (T, B): (mean cross-entropy, new state) instead, without materialising
        the full softmax when the output layer is adaptive.
        """
        x = self.drop(self.encoder(tokens))          # (T, B, E)
        out, state = self.rnn(x, state)              # (T, B, H); state (L, B, H) or ((L,B,H), (L,B,H))
        out = self.drop(out)
        if targets is not None:
            flat = out.reshape(-1, out.shape[-1]).float()
            if self.config.adaptive:
                return self.decoder(flat, targets.reshape(-1)).loss, state
            return nn.functional.cross_entropy(self.decoder(flat), targets.reshape(-1)), state
        if self.config.adaptive:                     # log-probabilities serve as logits
            return self.decoder.log_prob(out.reshape(-1, out.shape[-1])).view(*out.shape[:2], -1), state
        return self.decoder(out), state              # (T, B, V)
