"""`bilstm` / `bigru` / `rnn`: a recurrent sentence classifier.

    ids (B, T), 0 = padding
      -> Embedding                         (B, T, E)   (optionally from word2vec/FastText vectors)
      -> stacked (bi)LSTM/GRU/RNN, packed  (B, T, H*dirs)  padding never enters the recurrence
      -> pooling: last | max | mean        (B, H*dirs)  last = final state of each direction
      -> dropout -> Linear                 (B, C) logits
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
POOLINGS = ("last", "max", "mean")


@dataclass
class RNNConfig:
    vocab_rows: int           # padding + unknown + vocabulary (text.TextEncoder.size)
    num_classes: int
    cell: str = "lstm"        # lstm | gru | rnn (tanh)
    emb_dim: int = 100
    hidden: int = 64          # per direction
    layers: int = 1
    bidirectional: bool = True
    pooling: str = "max"      # last | max | mean
    dropout: float = 0.5      # after pooling, and between stacked layers

    def __post_init__(self):
        assert self.cell in CELLS, self.cell
        assert self.pooling in POOLINGS, self.pooling


class RNNClassifier(nn.Module):
    Config = RNNConfig

    def __init__(self, config: RNNConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_rows, config.emb_dim, padding_idx=0)
        self.rnn = CELLS[config.cell](config.emb_dim, config.hidden, num_layers=config.layers,
                                      batch_first=True, bidirectional=config.bidirectional,
                                      dropout=config.dropout if config.layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)
        dirs = 2 if config.bidirectional else 1
        self.out = nn.Linear(config.hidden * dirs, config.num_classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B, T) int64 -> logits (B, C). Empty texts (all padding) read one padding token."""
        B, T = ids.shape
        lengths = (ids != 0).sum(dim=1).clamp(min=1)                      # (B,)
        x = self.embed(ids)                                               # (B, T, E)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        if self.config.pooling == "last":
            h_n = state[0] if isinstance(state, tuple) else state         # (layers*dirs, B, H)
            dirs = 2 if self.config.bidirectional else 1
            pooled = torch.cat(list(h_n[-dirs:]), dim=-1)                 # (B, H*dirs)
        else:
            seq, _ = pad_packed_sequence(out, batch_first=True, total_length=T)  # (B, T, H*dirs)
            mask = (torch.arange(T, device=ids.device)[None, :] < lengths[:, None]).unsqueeze(-1)  # (B, T, 1)
            if self.config.pooling == "max":
                pooled = seq.masked_fill(~mask, float("-inf")).max(dim=1).values
            else:
                pooled = (seq * mask).sum(dim=1) / lengths[:, None].to(seq.dtype)
        return self.out(self.drop(pooled))
