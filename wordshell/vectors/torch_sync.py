"""Keeping the embedding tables of several processes in step: the rows each rank changed, summed.

Each rank trains its shard of the corpus on its own copy of the tables. Every `sync_every` steps:

    dirty   = rows this rank touched since the last sync       bool (R,) per table
    union   = all_reduce(dirty, MAX)                           the rows anyone touched
    delta_r = W_r[union] - W_ref[union]                        this rank's change to them
    W[union] = W_ref[union] + all_reduce(delta_r, SUM)         everyone's changes, on every rank
    W_ref[union] = W[union]

Summing the deltas (not averaging the tables) keeps word2vec's learning rate per word: a word seen
by one rank moves as far as in a 1-process run; averaging would divide each rank's step by the
world size. Between syncs a rank reads rows that lack its peers' latest updates, the staleness
Hogwild threads already have inside word2vec.c. Only touched rows travel: a step touches a few
thousand of the vocabulary's rows (and of fastText's n-gram buckets), so a sync sends a fraction of
the tables. docs/ARCHITECTURE.md has the measurement behind this choice and the default interval.
"""

from __future__ import annotations


import time

MODES = ("sum", "mean", "sum-dense")   # sum-dense: every row every time (the measurement's baseline only)


class TableSync:
    """Reference copies and dirty-row masks of a Tables' trainable tensors (see the module docstring)."""

    def __init__(self, tables, world: int, mode: str = "sum"):
        assert mode in MODES, mode
        self.tables, self.world, self.mode = tables, world, mode
        self.names = list(tables.tensors())
        self.ref = {k: v.clone() for k, v in tables.tensors().items()}
        self.dirty = {k: self._mask(v) for k, v in tables.tensors().items()}
        self.bytes_sent = 0
        self.rows_sent = 0
        self.syncs = 0
        self.seconds = 0.0

    @staticmethod
    def _mask(t):
        import torch

        return torch.zeros(t.shape[0], dtype=torch.uint8, device=t.device)

    def touch(self, name: str, rows) -> None:
        """Mark rows of table `name` as changed by this rank."""
        self.dirty[name][rows] = 1

    def sync(self) -> None:
        """Collective: every rank calls it at the same step."""
        import torch
        import torch.distributed as dist

        t0 = time.perf_counter()
        masks = torch.cat([self.dirty[k] for k in self.names])
        if self.mode == "sum-dense":
            masks.fill_(1)
        else:
            dist.all_reduce(masks, op=dist.ReduceOp.MAX)
        start = 0
        for k in self.names:
            table, ref = self.tables.tensors()[k], self.ref[k]
            n = table.shape[0]
            rows = torch.nonzero(masks[start:start + n], as_tuple=True)[0]
            start += n
            if len(rows) == 0:
                continue
            delta = table.index_select(0, rows) - ref.index_select(0, rows)
            dist.all_reduce(delta)
            if self.mode == "mean":
                delta /= self.world
            new = ref.index_select(0, rows) + delta
            table.index_copy_(0, rows, new)
            ref.index_copy_(0, rows, new)
            self.bytes_sent += delta.numel() * delta.element_size()
            self.rows_sent += len(rows)
            self.dirty[k].zero_()
        self.syncs += 1
        if masks.is_cuda:
            torch.cuda.synchronize()
        self.seconds += time.perf_counter() - t0
