"""What the training loop is told (TrainConfig) and the small pure functions it computes with.

    lr_at(config, step, total_steps, elapsed, lr_scale)   the learning rate of a step
    eta(steps_left, secs_per_step, budget_left)           seconds to go
    Clock                                                 elapsed time and speed of one session of a run

plus where it runs (resolve_device, cpu_bf16_supported) and what steps (make_optimizer).

>>> cfg = TrainConfig(lr=1.0, schedule="linear", epochs=1)
>>> [round(lr_at(cfg, s, 4, 0.0, 1.0), 2) for s in range(4)]
[1.0, 0.75, 0.5, 0.25]
>>> eta(steps_left=10, secs_per_step=0.5, budget_left=3.0)
3.0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields

from wordshell.errors import BadInput

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("none", "plateau", "cosine", "linear")


@dataclass
class TrainConfig:
    optimizer: str = "adamw"        # sgd | adam | adamw
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.0           # SGD only
    betas: list = field(default_factory=lambda: [0.9, 0.999])  # Adam(W) only
    clip: float = 0.0               # max gradient norm; 0 = off (watch gradients explode)
    epochs: int = 10                # 0 = no epoch limit (then max_steps or time_budget must be set)
    max_steps: int = 0              # 0 = no limit
    time_budget: float = 0.0        # seconds of training (evals included); 0 = no limit
    eval_every: int = 0             # steps; 0 = at epoch ends only
    ckpt_every: int = 200           # steps; 0 = at evals only
    schedule: str = "plateau"       # none | plateau (lr /= anneal when the metric does not improve)
    anneal: float = 4.0             #   | cosine | linear (decay to min_lr_frac at the end of the
    min_lr_frac: float = 0.0        #     epochs, steps or time budget, whichever ends first)
    warmup: int = 0                 # steps of linear warm-up
    patience: int = 0               # stop after this many evals without improvement; 0 = off
    device: str = "auto"            # auto | cpu | cuda | cuda:N
    amp: bool = True                # bf16 autocast on CUDA
    cpu_bf16: bool = False          # bf16 autocast for the training steps on CPU too (matmuls in bfloat16,
                                    #   weights, optimizer and evaluation in float32): ~1.7x faster LSTMs
                                    #   on CPUs with avx512_bf16/AMX; float32 on CPUs without them
    seed: int = 1
    threads: int = 0                # torch.set_num_threads; 0 = torch's default; -1 = auto-tune on CPU
                                    #   (time 1 vs all threads, keep the faster: runtime.ThreadTuner)

    def check(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise BadInput(f"unknown optimizer {self.optimizer!r}", "choose " + ", ".join(OPTIMIZERS))
        if self.schedule not in SCHEDULES:
            raise BadInput(f"unknown LR schedule {self.schedule!r}", "choose " + ", ".join(SCHEDULES))
        if not self.lr > 0:
            raise BadInput("--lr must be positive")
        if self.clip < 0 or self.epochs < 0 or self.max_steps < 0 or self.time_budget < 0:
            raise BadInput("--clip, --epochs, --max-steps and --time must not be negative")
        if not (self.epochs or self.max_steps or self.time_budget):
            raise BadInput("nothing bounds the training: give epochs, max steps or a time budget")
        if self.anneal < 1:
            raise BadInput("the annealing factor must be at least 1")

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# -- pure functions --------------------------------------------------------------------

def lr_at(cfg: TrainConfig, step: int, total_steps: int | None, elapsed: float, lr_scale: float) -> float:
    """The learning rate of step `step` (0-based): base lr x plateau scale x decay x warm-up.

    cosine/linear decay to `min_lr_frac` by the end of the steps or of the time budget, whichever
    comes first; warm-up ramps linearly over the first `warmup` steps.
    """
    lr = cfg.lr * lr_scale
    if cfg.schedule in ("cosine", "linear"):
        fracs = [step / total_steps] if total_steps else []
        if cfg.time_budget:
            fracs.append(elapsed / cfg.time_budget)
        p = min(1.0, max(fracs)) if fracs else 0.0
        shape = 0.5 * (1 + math.cos(math.pi * p)) if cfg.schedule == "cosine" else 1 - p
        lr *= cfg.min_lr_frac + (1 - cfg.min_lr_frac) * shape
    if cfg.warmup and step < cfg.warmup:
        lr *= (step + 1) / cfg.warmup
    return lr


def eta(steps_left: int | None, secs_per_step: float | None, budget_left: float | None) -> float | None:
    """Seconds to go: the sooner of 'steps left at the current pace' and 'time budget left'."""
    guesses = []
    if steps_left is not None and secs_per_step:
        guesses.append(max(0.0, steps_left * secs_per_step))
    if budget_left is not None:
        guesses.append(max(0.0, budget_left))
    return min(guesses) if guesses else None


def planned_steps(cfg: TrainConfig, steps_per_epoch: int | None) -> int | None:
    """Steps the run will take if nothing stops it early (None when only a time budget bounds it)."""
    total = steps_per_epoch * cfg.epochs if steps_per_epoch and cfg.epochs else None
    if cfg.max_steps:
        total = min(total or cfg.max_steps, cfg.max_steps)
    return total


@dataclass
class Clock:
    """Time and items of this session of a run; a resumed run carries `elapsed0` seconds over."""

    elapsed0: float = 0.0           # seconds of earlier sessions
    items0: int = 0                 # items seen before this session
    step0: int = 0                  # the step this session started at
    t0: float = field(default_factory=time.monotonic)
    eval_secs: float = 0.0          # time spent evaluating (not counted in the speed)

    def elapsed(self) -> float:
        """Training seconds over all sessions (evaluations included)."""
        return self.elapsed0 + time.monotonic() - self.t0

    def speed(self, items: int) -> float | None:
        """Items per second of training in this session (evaluations excluded)."""
        secs = time.monotonic() - self.t0 - self.eval_secs
        return (items - self.items0) / secs if secs > 0 and items > self.items0 else None

    def secs_per_step(self, step: int) -> float | None:
        return (time.monotonic() - self.t0) / (step - self.step0) if step > self.step0 else None


# -- where and with what ------------------------------------------------------------------

def resolve_device(spec: str, local_rank: int = 0) -> str:
    import torch

    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise BadInput("--device cuda: no CUDA GPU is available here", "use --device cpu")
        if spec == "cuda":
            spec = f"cuda:{local_rank % torch.cuda.device_count()}"
    elif spec != "cpu":
        raise BadInput(f"unknown device {spec!r}", "use cpu, cuda or cuda:N")
    return spec


def cpu_bf16_supported() -> bool:
    """Whether this CPU runs bfloat16 natively (avx512_bf16 / AMX). Without it oneDNN cannot build a bf16
    LSTM at all ("could not create a primitive descriptor"), and emulated bf16 would be slower than float32,
    so `cpu_bf16` falls back to float32 there (the LM command says so)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def make_optimizer(model, cfg: TrainConfig):
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    cls = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
    return cls(params, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay)


def to_device(batch, device):
    import torch

    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch
