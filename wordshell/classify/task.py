"""The Task that fit() drives for a classifier (see fit/loop.py's docstring for the contract).

Texts are turned into ids once, up front; an epoch is a seeded shuffle cut into batches
(RNN batches are grouped by length so they pad little); the loss is cross-entropy; the
evaluation reports `valid_loss` and `valid_acc` (`train_eval_loss` and `train_acc` when
there is no validation data), which decide the best checkpoint and early stopping.

    texts --TextEncoder--> ids per text (bag: + hashed n-grams) --batches--> (B, T) ids, (B,) y
"""

from __future__ import annotations

import math

import numpy as np

from wordshell.classify.labelled import Labelled
from wordshell.classify.text import TextEncoder, bag_features, pad


class Encoded:
    """Ids of many texts in one flat array: text i is flat[starts[i]:starts[i+1]]."""

    def __init__(self, flat: np.ndarray, lengths: np.ndarray, y: np.ndarray):
        self.flat, self.lengths, self.y = flat, lengths, y
        self.starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.y)

    def batch(self, idx: np.ndarray, drop: float = 0.0, rng=None, drop_to: int = 0):
        """(ids (B, T) int64, labels (B,) int64) as torch tensors; `drop`: that fraction of ids -> `drop_to`
        (bag: padding, which the bag skips; RNNs: the unknown word, so the length stays)."""
        import torch

        pieces = [self.flat[self.starts[i]:self.starts[i + 1]] for i in idx]
        flat = np.concatenate(pieces) if pieces else self.flat[:0]
        if drop:
            flat = np.where(rng.random(len(flat)) < drop, drop_to, flat)
        return torch.from_numpy(pad(flat, self.lengths[idx])), torch.from_numpy(self.y[idx])


def encode(data: Labelled, encoder: TextEncoder, labels: list[str], config: dict, arch: str,
           max_len: int | None) -> Encoded:
    """Texts -> ids (bag: words + n-gram buckets, unknown words dropped; RNN: words, unknown = 1)."""
    index = {lab: i for i, lab in enumerate(labels)}
    y = np.array([index[lab] for lab in data.labels], dtype=np.int64)
    flat, lengths = encoder.flat(data.texts, max_len)
    if arch == "bag":
        ids, segs = bag_features(flat, lengths, config["vocab_rows"], config["ngrams"],
                                 config["buckets"] if config["ngrams"] > 1 else 0)
        order = np.argsort(segs, kind="stable")
        flat, lengths = ids[order], np.bincount(segs, minlength=len(y)).astype(np.int64)
    return Encoded(flat, lengths, y)


class ClassifierTask:
    """The Task for fit(): batches of (ids, labels), cross-entropy, validation accuracy.

    Without validation data it evaluates on the training set and says so in its keys: `train_acc` and
    `train_eval_loss` (eval mode, no dropout), never `valid_*`.
    """

    unit = "examples"

    def __init__(self, model, train: Encoded, valid: Encoded | None, batch_size: int, seed: int,
                 by_length: bool, feature_drop: float = 0.0, drop_to: int = 0):
        self.model = model
        self.train = train
        self.on_train = valid is None or not len(valid)
        self.valid = train if self.on_train else valid
        self.primary = ("train_acc" if self.on_train else "valid_acc", "max")
        self.batch_size = batch_size
        self.seed = seed
        self.by_length = by_length
        self.feature_drop = feature_drop  # drop words (bag: and n-grams) at random while training (a regulariser)
        self.drop_to = drop_to            # bag: 0 (padding, skipped); RNNs: UNK (word dropout)

    def steps_per_epoch(self, world: int) -> int:
        n = len(self.train)
        return n // (self.batch_size * world) if world > 1 else math.ceil(n / self.batch_size)

    def batches(self, epoch: int, rank: int, world: int):
        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(len(self.train))
        B = self.batch_size
        if self.by_length:
            # sort within windows of 50 batches: batches of similar length, still shuffled
            win = 50 * B * world
            for s in range(0, len(order), win):
                chunk = order[s:s + win]
                order[s:s + win] = chunk[np.argsort(self.train.lengths[chunk], kind="stable")]
        steps = self.steps_per_epoch(world)
        cuts = [order[i * B * world:(i + 1) * B * world] for i in range(steps)]
        drop_rng = np.random.default_rng([self.seed, epoch, rank, 1])
        for j in rng.permutation(steps) if self.by_length else range(steps):
            yield self.train.batch(cuts[j][rank::world] if world > 1 else cuts[j], self.feature_drop, drop_rng,
                                   self.drop_to)

    def loss(self, model, batch, state):
        import torch.nn.functional as F

        ids, y = batch
        return F.cross_entropy(model(ids), y), int(y.shape[0]), None

    def evaluate(self, model) -> dict:
        import torch.nn.functional as F

        device = next(model.parameters()).device
        data = self.valid
        order = np.argsort(data.lengths, kind="stable")
        loss_sum, correct = 0.0, 0
        for s in range(0, len(order), 512):
            ids, y = data.batch(order[s:s + 512])
            ids, y = ids.to(device), y.to(device)
            logits = model(ids).float()
            loss_sum += float(F.cross_entropy(logits, y, reduction="sum"))
            correct += int((logits.argmax(dim=1) == y).sum())
        n = max(1, len(data))
        if self.on_train:
            return {"train_eval_loss": loss_sum / n, "train_acc": correct / n}
        return {"valid_loss": loss_sum / n, "valid_acc": correct / n}
