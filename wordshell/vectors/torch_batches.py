"""Training examples generated on the device, a chunk of the corpus at a time.

One epoch of one rank (its shard of the corpus, token ids already on the device):

    ids   3 17 5 3 9 ...  |  sent 0 0 0 1 1 ...        (vocab_ids.CorpusIds)
    subsample (word2vec.c: keep w with P = (sqrt(c/t)+1) t/c)   ->  kept ids, kept sentence numbers
    chunk c of S: the centers kept from tokens [n*c/S, n*(c+1)/S)   (every rank has S chunks: DDP
                  ranks step together; a window reaches into the neighbouring chunks)
    per center: a reduced window b ~ U{1..W} (word2vec.c's `window - rand() % window`)

              offsets  -W .. -1  1 .. W             a (B, 2W) grid of neighbours; a neighbour is
    center i  [ i-W ... i-1 , i+1 ... i+W ]         real if |offset| <= b_i, inside the kept
                                                    tokens and in the same sentence

    skip-gram: every real (center, neighbour) becomes one pair (compacted: no work on holes), in
               rounds by offset (column by column of the grid): a round holds each center once
    CBOW:      the grid itself, with its mask (one example per center that has a neighbour)
    noise:     K words per example from the unigram^0.75 CDF (searchsorted of uniforms)

Randomness: each (epoch, chunk) draws from its own generator seeded by (seed, rank, epoch, chunk),
so a run resumed at chunk c draws what the uninterrupted run drew there.
"""

from __future__ import annotations

import numpy as np


def seed_for(seed: int, *parts: int) -> int:
    """A 63-bit seed for one (rank, epoch, chunk) of run `seed`.

    >>> seed_for(1, 0, 2, 5) == seed_for(1, 0, 2, 5) != seed_for(1, 0, 2, 6)
    True
    """
    return int(np.random.SeedSequence([int(seed), *(int(p) + 1 for p in parts)]).generate_state(1, np.uint64)[0]
               & (2**63 - 1))


def generator(device, seed: int):
    import torch

    return torch.Generator(device=device).manual_seed(seed)


class Epoch:
    """The subsampled tokens of one rank in one epoch, cut into `steps` chunks."""

    def __init__(self, ids, sent, keep_prob, steps: int, gen):
        import torch

        n = len(ids)
        u = torch.rand(n, generator=gen, device=ids.device)
        keep = u < keep_prob[ids.long()]
        self.ids = ids[keep].long()                                  # (N_kept,)
        self.sent = sent[keep]                                       # (N_kept,)
        # kept tokens before each chunk's first raw token: chunk c's centers are kept[bounds[c]:bounds[c+1]]
        before = torch.zeros(n + 1, dtype=torch.int64, device=ids.device)
        before[1:] = torch.cumsum(keep, 0)
        raw_bounds = torch.tensor([n * c // steps for c in range(steps + 1)], device=ids.device)
        self.bounds = before[raw_bounds].tolist()
        self.raw_bounds = raw_bounds.tolist()
        self.steps = steps

    def grid(self, c: int, window: int, gen):
        """Centers of chunk c (B,), their neighbours (B, 2W) and which of them are real (B, 2W)."""
        import torch

        a, b = self.bounds[c], self.bounds[c + 1]
        pos = torch.arange(a, b, device=self.ids.device)                                # (B,)
        reach = window - torch.randint(0, window, (b - a,), generator=gen, device=pos.device)   # (B,) 1..W
        return self.neighbours(pos, reach, window)

    def neighbours(self, pos, reach, window: int):
        """The (B, 2W) grid around kept positions `pos` (B,) with reduced windows `reach` (B,)."""
        import torch

        dev = pos.device
        offs = torch.cat([torch.arange(-window, 0, device=dev), torch.arange(1, window + 1, device=dev)])
        nb = pos[:, None] + offs[None, :]                                      # (B, 2W)
        inside = (nb >= 0) & (nb < len(self.ids))
        nbc = nb.clamp(0, max(len(self.ids) - 1, 0))
        real = inside & (offs.abs()[None, :] <= reach[:, None]) & (self.sent[nbc] == self.sent[pos][:, None])
        return self.ids[pos], self.ids[nbc], real

    def sg_pairs(self, c: int, window: int, gen):
        """The skip-gram pairs of chunk c: (centers (B,), pos (P,), neighbours (P,), rounds). Pair p is
        (centers[pos[p]], neighbours[p]); pairs come in rounds: first every pair at offset -W, then
        -W+1, ..., +W; `rounds` is the number of pairs of each round (2W ints).

        Within a round every center and every neighbour position occurs once, so a batched update of one
        round never sums several stale updates of one center's pairs (docs/ARCHITECTURE.md, "rounds")."""
        import torch

        centers, nb, real = self.grid(c, window, gen)
        real_t = real.T
        pos = torch.arange(len(centers), device=centers.device)
        return centers, pos[None, :].expand_as(real_t)[real_t], nb.T[real_t], real_t.sum(1).tolist()


def noise(cdf, shape, gen):
    """Noise words (shape) drawn from the CDF of noise_cdf (float64 on the device).

    Uniforms are float64 so that rare words keep their probability (float32 steps are 6e-8).
    """
    import torch

    u = torch.rand(shape, generator=gen, device=cdf.device, dtype=torch.float64)
    return torch.searchsorted(cdf, u, right=True).clamp_(max=len(cdf) - 1)
