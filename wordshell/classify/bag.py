"""`bag`: fastText-style classifier: mean of word and word-n-gram embeddings -> linear.

    ids (B, T)  words + hashed n-grams (classify/text.py bag_features), 0 = padding
      -> EmbeddingBag(mean, padding ignored)   (B, D)
      -> Linear                                (B, C) logits

Nothing but a table lookup and one matrix product, which is why it trains in seconds
and why inference can skip torch: classify/predict.py's BagPredictor does the same in numpy from
weights.safetensors (`embed.weight`, `out.weight`, `out.bias`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class BagConfig:
    vocab_rows: int           # padding + unknown + vocabulary (text.TextEncoder.size)
    num_classes: int
    dim: int = 100
    buckets: int = 100_000    # hashed word n-gram rows after the vocabulary
    ngrams: int = 2           # longest word n-gram (1 = words only)
    sparse: bool = True       # sparse embedding gradients: an SGD step touches only the rows in the batch


class BagClassifier(nn.Module):
    Config = BagConfig

    def __init__(self, config: BagConfig):
        super().__init__()
        self.config = config
        rows = config.vocab_rows + (config.buckets if config.ngrams > 1 else 0)
        self.embed = nn.EmbeddingBag(rows, config.dim, mode="mean", padding_idx=0,
                                   sparse=config.sparse)
        self.out = nn.Linear(config.dim, config.num_classes)
        # fastText's small uniform inputs; unlike fastText the output layer keeps torch's random
        # init: with mini-batch SGD a zero output layer leaves the inputs without gradient for epochs
        nn.init.uniform_(self.embed.weight, -1.0 / config.dim, 1.0 / config.dim)
        with torch.no_grad():
            self.embed.weight[0].zero_()
        nn.init.zeros_(self.out.bias)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B, T) int64 -> logits (B, C). An all-padding row gives the bias alone."""
        return self.out(self.embed(ids))  # (B, D) -> (B, C)
