"""The global gradient norm of every step, before clipping, kept in bounded memory (the lecture's
exploding gradients: `plot training --metric grad_norm`).

    norm = total_norm(params)          one reduction over all gradients (what clipping computes anyway)
    log.add(step, norm, clipped)       every step
    log.interval()                     mean / max / clipped fraction since the last evaluation (a history row)
    log.points                         [[step, max norm of the window ending at step], ...]

The points keep between `cap` and 2*`cap` entries for a run of any length: each holds the MAX over a
window of `stride` steps, and when 2*cap accumulate, neighbours merge (max) and the stride doubles.
A spike is never averaged away, so a clip-0 run's explosions stay visible on a 100k-step run.

>>> log = GradLog(cap=2)
>>> for s, g in enumerate([1.0, 5.0, 2.0, 3.0, 9.0], 1):
...     log.add(s, g, clipped=g > 4)
>>> log.points, log.stride            # 4 points merged into 2 windows of 2 steps; step 5 waits
([[2, 5.0], [4, 3.0]], 2)
>>> log.interval()
{'grad_norm': 4.0, 'grad_norm_max': 9.0, 'clipped': 0.4}
>>> log.total_clipped, log.total_steps
(2, 5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


def total_norm(params):
    """The global L2 norm of the gradients of `params` (a 0-d tensor; not synchronised to the host).

    This is the norm `torch.nn.utils.clip_grad_norm_` computes and compares with max_norm. A sparse
    gradient (the bag classifier's embeddings) counts by its coalesced values: the norm of the dense
    gradient it stands for.
    """
    import torch

    grads = [p.grad.coalesce().values() if p.grad.is_sparse else p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.nn.utils.get_total_norm(grads, 2.0)


def clip_with_norm(params, max_norm: float, norm) -> None:
    """Scale the gradients by max_norm / norm when norm > max_norm (clip_grad_norm_'s second half)."""
    import torch

    grads = [p for p in params if p.grad is not None and not p.grad.is_sparse]
    torch.nn.utils.clip_grads_with_norm_(grads, max_norm, norm)
    scale = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
    for p in params:
        if p.grad is not None and p.grad.is_sparse:
            p.grad.mul_(scale)


@dataclass
class GradLog:
    cap: int = 512                  # points kept: between cap and 2*cap
    stride: int = 1                 # steps per point
    points: list = field(default_factory=list)
    win_max: float = 0.0            # the window being filled
    win_n: int = 0
    sum: float = 0.0                # since the last evaluation
    max: float = 0.0
    n: int = 0                      #   finite norms
    k: int = 0                      #   steps
    clipped: int = 0
    total_clipped: int = 0          # the whole run
    total_steps: int = 0
    nonfinite: int = 0              # steps whose norm was inf/nan (not in the figures)

    def add(self, step: int, norm: float, clipped: bool) -> None:
        self.total_steps += 1
        self.total_clipped += bool(clipped)
        self.clipped += bool(clipped)
        self.k += 1
        if not math.isfinite(norm):
            self.nonfinite += 1
            return
        self.sum += norm
        self.n += 1
        self.max = max(self.max, norm)
        self.win_max = max(self.win_max, norm) if self.win_n else norm
        self.win_n += 1
        if self.win_n >= self.stride:
            self.points.append([step, round(self.win_max, 6)])
            self.win_n = 0
            if len(self.points) >= 2 * self.cap:
                p = self.points
                self.points = [[p[i + 1][0], max(p[i][1], p[i + 1][1])] for i in range(0, len(p) - 1, 2)]
                self.stride *= 2

    def interval(self) -> dict:
        """{grad_norm (mean), grad_norm_max, clipped (fraction of steps)} since the last call; {} if none."""
        out = {}
        if self.n:
            out = {"grad_norm": round(self.sum / self.n, 6), "grad_norm_max": round(self.max, 6)}
        if self.k:
            out["clipped"] = round(self.clipped / self.k, 4)
        self.sum, self.max, self.n, self.k, self.clipped = 0.0, 0.0, 0, 0, 0
        return out

    def summary(self) -> dict:
        """For model.json: the points and how often clipping fired over the whole run."""
        return {"stride": self.stride, "points": [list(p) for p in self.points],
                "clipped_steps": self.total_clipped, "steps": self.total_steps, "nonfinite": self.nonfinite}
