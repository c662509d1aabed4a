"""The Task that fit() drives for a tagger (the contract is fit/loop.py's docstring).

Sentences are turned into ids once, up front. An epoch is a seeded shuffle; chunks of 50 batches are
sorted by length and cut into batches (little padding), and the batches shuffled again:

    sentences --TagEncoder--> word ids (N,), form of each token (N,), char ids per form (U, C), tag ids (N,);
                              sentence i is tokens [starts[i], starts[i+1])
    batch     --> words (B, T), forms (B, T), chars (Ub, Cb), tags (B, T)    0-padded; Ub = the batch's
                  distinct forms, Cb = its longest word; forms[b, t] = the row of chars of token (b, t)

The loss is summed over the batch's tokens and divided by their number (the CRF's sentence nll spread
over its tokens); `evaluate` decodes the validation sentences and reports valid_acc (tags) or, for span
tags, valid_f1 (entities, exact match) as the primary metric.
"""

from __future__ import annotations

import math

import numpy as np

from wordshell.tag.vocab import UNK, TagEncoder


class Encoded:
    """Sentences as ids. Characters are kept per distinct word form (U forms, U << N tokens), so the
    char features are computed once per form in a batch, not once per token."""

    def __init__(self, encoder: TagEncoder, words: list[list[str]], tags: list[list[str]] | None):
        index: dict[str, int] = {}
        flat = [w for s in words for w in s]
        self.lengths = np.array([len(s) for s in words], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.int64)
        self.form_of = np.fromiter((index.setdefault(w, len(index)) for w in flat), dtype=np.int64,
                                   count=len(flat))                          # (N,) token -> form
        forms = list(index)
        self.form_words = encoder.word_ids(forms) if forms else np.zeros(0, np.int64)           # (U,)
        self.words = self.form_words[self.form_of]                                              # (N,)
        self.chars = encoder.char_ids(forms) if forms else np.zeros((0, 1), np.int64)           # (U, C)
        self.char_len = (self.chars != 0).sum(1)                             # (U,)
        self.tags = encoder.tag_ids([t for s in tags for t in s]) if tags is not None else None

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, idx, drop: float = 0.0, rng=None, dropped=None, local: bool = True):
        """(words (B, T), forms (B, T), chars (U, Cb), tags (B, T)) torch tensors for sentences `idx`:
        forms[b, t] is the row of chars holding that token's characters. `drop`: that fraction of the
        words read as unknown (the words of `dropped`, a bool per word id, only). `local=False`: forms
        index all of self.chars (char features computed once for the whole set) and chars is None."""
        import torch

        T = int(self.lengths[idx].max())
        B = len(idx)
        pos = np.concatenate([np.arange(self.starts[i], self.starts[i + 1]) for i in idx])   # (n,) token rows
        row = np.repeat(np.arange(B), self.lengths[idx])
        col = np.concatenate([np.arange(n) for n in self.lengths[idx]])
        if local:
            uniq, form_idx = np.unique(self.form_of[pos], return_inverse=True)                # the batch's forms
            Cb = max(1, int(self.char_len[uniq].max()))
        else:
            form_idx = self.form_of[pos]
        w = self.words[pos]
        if drop:
            hit = rng.random(len(w)) < drop
            if dropped is not None:
                hit &= dropped[w]
            w = np.where(hit, UNK, w)
        words = np.zeros((B, T), dtype=np.int64)
        words[row, col] = w
        forms = np.zeros((B, T), dtype=np.int64)
        forms[row, col] = form_idx
        tags = np.zeros((B, T), dtype=np.int64)
        if self.tags is not None:
            tags[row, col] = self.tags[pos]
        chars = torch.from_numpy(np.ascontiguousarray(self.chars[uniq, :Cb])) if local else None
        return torch.from_numpy(words), torch.from_numpy(forms), chars, torch.from_numpy(tags)


class TaggerTask:
    unit = "tokens"

    def __init__(self, model, train: Encoded, valid: Encoded | None, batch_size: int, seed: int,
                 word_drop: float = 0.0, dropped=None, span: bool = False, decode_tags=None):
        self.model, self.train, self.valid = model, train, valid
        self.batch_size, self.seed, self.word_drop, self.dropped = batch_size, seed, word_drop, dropped
        self.span = span
        self.tags = list(model.config.tags)
        self.primary = ("valid_f1", "max") if span else ("valid_acc", "max")
        self._rng = np.random.default_rng(seed)

    def steps_per_epoch(self, world: int = 1) -> int:
        return math.ceil(len(self.train) / self.batch_size) // world or 1

    def batches(self, epoch: int, rank: int = 0, world: int = 1):
        rng = np.random.default_rng((self.seed, epoch))
        order = rng.permutation(len(self.train))
        chunk = self.batch_size * 50
        groups = []
        for s in range(0, len(order), chunk):
            part = order[s:s + chunk]
            part = part[np.argsort(self.train.lengths[part], kind="stable")]
            groups += [part[i:i + self.batch_size] for i in range(0, len(part), self.batch_size)]
        rng.shuffle(groups)
        n = self.steps_per_epoch(world)
        drop_rng = np.random.default_rng((self.seed, epoch, rank, 1))
        for g in groups[rank * n:(rank + 1) * n]:
            yield self.train.batch(g, self.word_drop, drop_rng, self.dropped)

    def loss(self, model, batch, state):
        words, forms, chars, tags = batch
        n = int((words != 0).sum())
        return model(words, forms, chars, tags) / max(1, n), n, None

    def evaluate(self, model) -> dict:
        data = self.valid if self.valid is not None else self.train
        gold, pred, loss = decode_all(model, data, self.tags)
        out = {"valid_loss": loss}
        right = sum(a == b for g, p in zip(gold, pred) for a, b in zip(g, p))
        out["valid_acc"] = right / max(1, int(data.lengths.sum()))
        if self.span:
            from wordshell.tag.metrics import span_report

            out["valid_f1"] = span_report(gold, pred)["overall"]["f1"]
        return out


def decode_all(model, data: Encoded, tags: list[str], batch: int = 256) -> tuple[list, list, float]:
    """(gold tag lists, predicted tag lists, loss per token) of every sentence of `data`."""

    device = next(model.parameters()).device
    order = np.argsort(data.lengths, kind="stable")
    gold, pred = [None] * len(data), [None] * len(data)
    loss_sum = 0.0
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        words, forms, chars, y = (t.to(device) for t in data.batch(idx))
        loss_sum += float(model.loss(words, forms, chars, y))
        best = model.decode(words, forms, chars).cpu().numpy()
        for r, i in enumerate(idx):
            n = int(data.lengths[i])
            gold[i] = [tags[k] for k in data.tags[data.starts[i]:data.starts[i] + n]]
            pred[i] = [tags[k] for k in best[r, :n]]
    return gold, pred, loss_sum / max(1, int(data.lengths.sum()))
