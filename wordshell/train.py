"""THE training loop for every torch model (language models, classifiers).

What a Task must provide (duck-typed; this is the contract)
-------------------------------------------------------------
    task.model                      the torch.nn.Module to train (fit moves it to the device)
    task.batches(epoch, rank, world) -> iterable of batches for THIS rank, in an order fixed by
                                    (the task's seed, epoch): same arguments, same batches. Every
                                    rank must yield the same NUMBER of batches (DDP steps in lock
                                    step). A batch is a tensor or a tuple/list/dict of tensors
                                    (CPU is fine: fit moves tensors to the device). On --resume fit
                                    skips the batches already done this epoch with itertools.islice,
                                    so producing a batch should be cheap (slicing, not training work).
    task.loss(model, batch, state) -> (loss, n_items, new_state)
                                    `loss` a scalar tensor: the MEAN over this rank's items (DDP
                                    averages gradients over ranks, so equal shards give the global
                                    mean); `n_items` an int (tokens, examples) for throughput and the
                                    train-loss average; `state` is whatever the task carries from
                                    batch to batch (an RNN's hidden state, DETACHED by the task) or
                                    None. fit passes state=None at the start of every epoch and
                                    checkpoints it (nested tuples/lists/dicts of tensors).
                                    `model` may be the DDP wrapper: call it, don't reach inside.
    task.evaluate(model) -> dict    at least "valid_loss" and the primary metric, e.g.
                                    {"valid_loss": 4.9, "valid_ppl": 134.3}. Runs under no_grad and
                                    model.eval(); find the device with next(model.parameters()).device.
                                    Every rank calls it (same weights -> same numbers).
    task.primary = ("valid_ppl", "min") | ("valid_acc", "max") | ...   what "best" means
  optional:
    task.unit = "tokens"            names throughput ("tokens_per_sec" in history), default "items"
    task.steps_per_epoch(world) -> int      for ETA and step-based LR schedules
    task.ddp_find_unused = True     when some parameters get no gradient in some steps (DDP needs to know)

The loop, top to bottom: lr (schedule) -> batch -> forward/loss (autocast bf16 on CUDA; on CPU
with cpu_bf16) ->
backward -> clip (config.clip > 0) -> optimizer step -> [eval] -> [checkpoint]. Evaluation runs
every `eval_every` steps (0 = only at epoch ends) and at every epoch end; a checkpoint
(`ckpt_dir/last.safetensors` + `state.json`, atomic) every `ckpt_every` steps, at every eval
and at the end; `ckpt_dir/best.safetensors` whenever the primary metric improves.

Callbacks: objects with any of on_start(info), on_step(info), on_eval(info),
on_checkpoint(info), on_end(info); info is a dict (step, epoch, loss, lr, items_per_sec,
elapsed, eta, ...; on_eval adds the metrics and "best"). Called on rank 0 only.

Stopping: epochs done, max_steps, time budget, patience (evals without improvement),
Ctrl-C / SIGTERM (a checkpoint is written, then errors.Cancelled is raised; `--resume`
continues). `fit(..., resume=True)` restores weights, optimizer, RNG states, the carried
state and the position inside the epoch, so a resumed run matches an uninterrupted one.

    >>> result = fit(task, TrainConfig(optimizer="sgd", lr=20, clip=0.25, epochs=3), "ckpt")  # doctest: +SKIP
    >>> result["best"]["valid_ppl"]                                                               # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields
from itertools import islice
from pathlib import Path

from wordshell import checkpoint as ck
from wordshell import distributed
from wordshell.errors import BadInput, Cancelled, CorruptFile
from wordshell.train_runtime import StopFlag, ThreadTuner

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
                                    #   on CPUs with avx512_bf16/AMX, slower on CPUs without (measure)
    seed: int = 1
    threads: int = 0                # torch.set_num_threads; 0 = torch's default; -1 = auto-tune on CPU
                                    #   (time 1 vs all threads, keep the faster: train_runtime.ThreadTuner)

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


class Callback:
    """Base class with no-op hooks (subclassing is optional: fit calls whatever exists)."""

    def on_start(self, info: dict) -> None: ...
    def on_step(self, info: dict) -> None: ...
    def on_eval(self, info: dict) -> None: ...
    def on_checkpoint(self, info: dict) -> None: ...
    def on_end(self, info: dict) -> None: ...


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


@dataclass
class RunState:
    """Everything besides tensors that a resumed run needs (saved as JSON)."""

    step: int = 0
    epoch: int = 0                  # epochs completed
    batch_in_epoch: int = 0         # batches done in the current epoch
    elapsed: float = 0.0            # seconds of training so far, over all sessions
    items: int = 0                  # items (tokens, examples) seen, all ranks
    lr_scale: float = 1.0           # plateau annealing
    bad_evals: int = 0
    best: float | None = None
    best_metrics: dict = field(default_factory=dict)
    last_metrics: dict = field(default_factory=dict)
    last_eval_step: int = -1
    loss_sum: float = 0.0           # train loss since the last eval (sum of mean-loss x items)
    loss_items: int = 0
    history: list = field(default_factory=list)
    stopped: str = ""               # why the last session ended: epochs | max_steps | time | patience | cancelled


def fit(task, config: TrainConfig, ckpt_dir: str | os.PathLike, callbacks=(), resume: bool = False,
        meta: dict | None = None) -> dict:
    """Train task.model; return {"best", "last", "history", "step", "epoch", "stopped", ...}.

    `meta` (JSON) is stored in every checkpoint's state (the LM command keeps the model's kind,
    config and tokenizer there, so a model still in training can be loaded from ckpt/last).
    """
    import torch

    config.check()
    threads = torch.get_num_threads()
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    try:
        return _fit(task, config, ckpt_dir, callbacks, resume, meta)
    finally:
        torch.set_num_threads(threads)


def _fit(task, config, ckpt_dir, callbacks, resume, meta) -> dict:
    import torch

    kind = "cuda" if resolve_device(config.device).startswith("cuda") else "cpu"
    dist = distributed.setup(kind)
    device = resolve_device(config.device, dist.local_rank)
    ckpt_dir = Path(ckpt_dir)
    callbacks = list(callbacks or [])
    unit = getattr(task, "unit", "items")
    primary, direction = getattr(task, "primary", ("valid_loss", "min"))

    def fire(hook: str, info: dict) -> None:
        if dist.main:
            for cb in callbacks:
                fn = getattr(cb, hook, None)
                if fn is not None:
                    fn(info)

    model = task.model.to(device)
    opt = make_optimizer(model, config)
    run, carry = RunState(), None
    last = ckpt_dir / "last.safetensors"
    if resume and last.is_file():
        state, carry = ck.restore_run(last, model, opt, dist, device)
        try:
            run = RunState(**state["run"])
        except TypeError as e:
            raise CorruptFile(f"cannot resume from {last}: {e}") from None
    else:
        import random

        import numpy as np

        torch.manual_seed(config.seed + 7919 * dist.rank)
        random.seed(config.seed + dist.rank)
        np.random.seed((config.seed + dist.rank) % 2**32)
    train_model = model
    if dist.world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        train_model = DDP(model, device_ids=[device] if kind == "cuda" else None,
                          find_unused_parameters=bool(getattr(task, "ddp_find_unused", False)))
    steps_per_epoch = task.steps_per_epoch(dist.world) if hasattr(task, "steps_per_epoch") else None
    total_steps = steps_per_epoch * config.epochs if steps_per_epoch and config.epochs else None
    if config.max_steps:
        total_steps = min(total_steps or config.max_steps, config.max_steps)
    amp = (torch.autocast("cuda", dtype=torch.bfloat16) if kind == "cuda" and config.amp else nullcontext())
    # CPU bf16 speeds up the training steps only; evaluation stays float32 (the reported metric is exact)
    cpu_bf16 = kind == "cpu" and config.cpu_bf16 and cpu_bf16_supported()  # else float32 (see the function)
    train_amp = torch.autocast("cpu", dtype=torch.bfloat16) if cpu_bf16 else amp
    params = [p for p in model.parameters() if p.requires_grad]
    t_session = time.monotonic()
    elapsed0, items0, eval_secs = run.elapsed, run.items, 0.0

    def elapsed() -> float:  # training seconds over all sessions of this run
        return elapsed0 + time.monotonic() - t_session

    def speed() -> float | None:
        secs = time.monotonic() - t_session - eval_secs
        return (run.items - items0) / secs if secs > 0 and run.items > items0 else None

    def current_lr() -> float:
        lr = config.lr * run.lr_scale
        if config.schedule in ("cosine", "linear"):
            fracs = [run.step / total_steps] if total_steps else []
            if config.time_budget:
                fracs.append(elapsed() / config.time_budget)
            p = min(1.0, max(fracs)) if fracs else 0.0
            shape = 0.5 * (1 + math.cos(math.pi * p)) if config.schedule == "cosine" else 1 - p
            lr *= config.min_lr_frac + (1 - config.min_lr_frac) * shape
        if config.warmup and run.step < config.warmup:
            lr *= (run.step + 1) / config.warmup
        return lr

    def eta() -> float | None:
        s = speed()
        guesses = []
        if total_steps and run.step and s:
            per_step = (time.monotonic() - t_session) / max(1, run.step - start_step)
            guesses.append(max(0.0, (total_steps - run.step) * per_step))
        if config.time_budget:
            guesses.append(max(0.0, config.time_budget - elapsed()))
        return min(guesses) if guesses else None

    def info(**extra) -> dict:
        spe = steps_per_epoch or 0
        return {"step": run.step, "epoch": run.epoch + (run.batch_in_epoch / spe if spe else 0),
                "steps_per_epoch": steps_per_epoch, "total_steps": total_steps, "lr": current_lr(),
                "items": run.items, f"{unit}_per_sec": speed(), "items_per_sec": speed(), "unit": unit,
                "elapsed": elapsed(), "eta": eta(), "world": dist.world, "device": device, **extra}

    def save_last() -> None:
        run.elapsed = elapsed()
        ck.save_run(last, model, opt, {"run": asdict(run), "train": asdict(config), "meta": meta or {}}, carry, dist)
        fire("on_checkpoint", info(path=str(last)))

    def evaluate() -> bool:
        """Validation + best/plateau/patience bookkeeping; True = stop (patience)."""
        nonlocal eval_secs
        t0 = time.monotonic()
        model.eval()
        with torch.no_grad(), amp:
            metrics = dict(task.evaluate(model))
        model.train()
        eval_secs += time.monotonic() - t0
        row = {"step": run.step, "epoch": round(info()["epoch"], 4)}
        if dist.world > 1:  # the train loss over all ranks' items
            import torch.distributed as tdist

            t = torch.tensor([run.loss_sum, float(run.loss_items)], dtype=torch.float64, device=device)
            tdist.all_reduce(t)
            run.loss_sum, run.loss_items = float(t[0]), int(t[1])
        if run.loss_items:
            row["train_loss"] = run.loss_sum / run.loss_items
        row.update({k: float(v) for k, v in metrics.items()})
        row.update(lr=current_lr(), elapsed=round(elapsed(), 3))
        if speed():
            row[f"{unit}_per_sec"] = round(speed(), 1)
        run.loss_sum, run.loss_items, run.last_eval_step = 0.0, 0, run.step
        value = metrics.get(primary)
        improved = value is not None and (run.best is None or
                                          (value < run.best if direction == "min" else value > run.best))
        if improved:
            run.best, run.best_metrics, run.bad_evals = float(value), dict(row), 0
            if dist.main:
                ck.save_weights(model, ckpt_dir / "best.safetensors", {"step": run.step, primary: value})
        elif value is not None:
            run.bad_evals += 1
            if config.schedule == "plateau":
                run.lr_scale /= config.anneal
        run.history.append(row)
        run.last_metrics = dict(row)
        fire("on_eval", info(metrics=row, best=run.best, improved=improved))
        return bool(config.patience and run.bad_evals >= config.patience)

    start_step = run.step
    fire("on_start", info(resumed=run.step > 0))
    stop = ""
    if run.stopped == "epochs" and config.epochs and run.epoch >= config.epochs:
        stop = "done"  # a finished run resumed with nothing more to do
    if config.max_steps and run.step >= config.max_steps:
        stop = "max_steps"
    if config.time_budget and run.elapsed >= config.time_budget:
        stop = "time"
    tuner = None
    if config.threads < 0 and kind == "cpu" and dist.world == 1 and torch.get_num_threads() > 1:
        tuner = ThreadTuner(torch.get_num_threads())
    model.train()
    with StopFlag() as flag:
        while not stop and (run.epoch < config.epochs or not config.epochs):
            batches = task.batches(run.epoch, dist.rank, dist.world)
            if run.batch_in_epoch:
                batches = islice(batches, run.batch_in_epoch, None)
            else:
                carry = None
            for batch in batches:
                lr = current_lr()
                for g in opt.param_groups:
                    g["lr"] = lr
                batch = to_device(batch, device)
                if tuner is not None:
                    tuner.before_step()
                with train_amp:
                    loss, n, carry = task.loss(train_model, batch, carry)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                grad_norm = None
                if config.clip > 0:
                    grad_norm = torch.nn.utils.clip_grad_norm_(params, config.clip)
                opt.step()
                loss_value = float(loss.detach())
                if tuner is not None:
                    tuner.after_step()
                if not math.isfinite(loss_value):
                    raise BadInput(f"training diverged at step {run.step + 1} (loss {loss_value})",
                                   "lower --lr or set --clip (e.g. 0.25)")
                run.step += 1
                run.batch_in_epoch += 1
                run.items += int(n) * dist.world
                run.loss_sum += loss_value * int(n)
                run.loss_items += int(n)
                fire("on_step", info(lr=lr, loss=loss_value, avg_loss=run.loss_sum / run.loss_items,
                                     grad_norm=None if grad_norm is None else float(grad_norm)))
                if config.max_steps and run.step >= config.max_steps:
                    stop = "max_steps"
                if config.time_budget and elapsed() >= config.time_budget:
                    stop = "time"
                if distributed.any_flag(bool(stop) or flag.set, dist, device):
                    stop = stop or ("cancelled" if flag.set else "other rank")
                if config.eval_every and run.step % config.eval_every == 0 and not stop:
                    if evaluate():
                        stop = "patience"
                    save_last()
                elif config.ckpt_every and run.step % config.ckpt_every == 0 and not stop:
                    save_last()
                if stop:
                    break
            else:  # the epoch ran to its end
                run.epoch += 1
                run.batch_in_epoch = 0
                if run.last_eval_step != run.step and evaluate():
                    stop = "patience"
                save_last()
        stop = stop or "epochs"
        if stop == "cancelled" or flag.set:
            run.stopped = "cancelled"
            save_last()
            raise Cancelled(f"training stopped at step {run.step}; continue with --resume")
        if run.last_eval_step != run.step:
            evaluate()
        run.stopped = stop if stop != "done" else "epochs"
        save_last()
    result = {"step": run.step, "epoch": run.epoch, "stopped": run.stopped, "best": run.best_metrics,
              "last": run.last_metrics, "history": run.history, "elapsed": elapsed(), "device": device,
              "world": dist.world, f"{unit}_per_sec": speed(), "items": run.items, "unit": unit, "cpu_bf16": cpu_bf16,
              "best_path": str(ckpt_dir / "best.safetensors")}
    fire("on_end", info(result=result))
    return result


def training_summary(result: dict) -> dict:
    """model.json's `training` section from what fit returned."""
    speed = result.get(f"{result['unit']}_per_sec")
    return {"seconds": round(result["elapsed"], 2), "unit": result["unit"],
            "per_second": round(speed, 1) if speed else None, "steps": result["step"], "epochs": result["epoch"],
            "stopped": result["stopped"], "device": result.get("device"), "world": result.get("world")}


def read_state(ckpt_dir: str | os.PathLike) -> dict:
    """The JSON state of ckpt_dir/last.safetensors (NotFound if there is none)."""
    return ck.read_run_state(ckpt_dir)
