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

The loop, top to bottom (`Run.loop`): lr (schedule) -> batch -> forward/loss (autocast bf16 on CUDA;
on CPU with cpu_bf16) -> backward -> gradient norm (every step, logged: fit/gradients.py) -> clip
(config.clip > 0) -> optimizer step -> [eval] -> [checkpoint].
The schedule, speed and ETA are small pure functions in fit/config.py. Evaluation runs
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

(Over 300 lines: the Task contract above is a fifth of it, and the loop's steps read best in one place.)
"""

from __future__ import annotations

import math
import os
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

from wordshell.fit import checkpoint as ck
from wordshell.fit import distributed
from wordshell.fit.gradients import GradLog, clip_with_norm, total_norm
from wordshell.fit.weights import save_weights
from wordshell.errors import BadInput, Cancelled, CorruptFile
from wordshell.fit.config import (Clock, TrainConfig, cpu_bf16_supported, eta, lr_at, make_optimizer,
                                    planned_steps, resolve_device, to_device)
from wordshell.fit.runtime import StopFlag, ThreadTuner


class Callback:
    """Base class with no-op hooks (subclassing is optional: fit calls whatever exists)."""

    def on_start(self, info: dict) -> None: ...
    def on_step(self, info: dict) -> None: ...
    def on_eval(self, info: dict) -> None: ...
    def on_checkpoint(self, info: dict) -> None: ...
    def on_end(self, info: dict) -> None: ...


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
    grads: dict = field(default_factory=dict)   # fit/gradients.GradLog: norms before clipping, clip count
    stopped: str = ""               # why the last session ended: epochs | max_steps | time | patience | cancelled


def fit(task, config: TrainConfig, ckpt_dir: str | os.PathLike, callbacks=(), resume: bool = False,
        meta: dict | None = None) -> dict:
    """Train task.model; return {"best", "last", "history", "step", "epoch", "stopped", ...}.

    `meta` (JSON) is stored in every checkpoint's state (the LM command keeps the model's kind,
    config and tokenizer there, so a model still in training can be loaded from ckpt/last).
    Threads set for the run (config.threads) are restored afterwards.
    """
    import torch

    config.check()
    threads = torch.get_num_threads()
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    try:
        return Run(task, config, Path(ckpt_dir), list(callbacks or []), resume, meta).loop()
    finally:
        torch.set_num_threads(threads)


class Run:
    """One call of `fit`: the model, optimizer and run state, and the steps of the loop as methods."""

    def __init__(self, task, config: TrainConfig, ckpt_dir: Path, callbacks: list, resume: bool,
                 meta: dict | None):
        import torch

        self.task, self.config, self.ckpt_dir, self.callbacks, self.meta = task, config, ckpt_dir, callbacks, meta
        kind = "cuda" if resolve_device(config.device).startswith("cuda") else "cpu"
        self.dist = distributed.setup(kind)
        self.device = resolve_device(config.device, self.dist.local_rank)
        self.unit = getattr(task, "unit", "items")
        self.primary, self.direction = getattr(task, "primary", ("valid_loss", "min"))
        self.model = task.model.to(self.device)
        self.opt = make_optimizer(self.model, config)
        self.last = ckpt_dir / "last.safetensors"
        self.state, self.carry = RunState(), None
        if resume and self.last.is_file():
            saved, self.carry = ck.restore_run(self.last, self.model, self.opt, self.dist, self.device)
            try:
                self.state = RunState(**saved["run"])
            except TypeError as e:
                raise CorruptFile(f"cannot resume from {self.last}: {e}") from None
        else:
            import random

            import numpy as np

            torch.manual_seed(config.seed + 7919 * self.dist.rank)
            random.seed(config.seed + self.dist.rank)
            np.random.seed((config.seed + self.dist.rank) % 2**32)
        self.train_model = self.model
        if self.dist.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            self.train_model = DDP(self.model, device_ids=[self.device] if kind == "cuda" else None,
                                   find_unused_parameters=bool(getattr(task, "ddp_find_unused", False)))
        self.steps_per_epoch = task.steps_per_epoch(self.dist.world) if hasattr(task, "steps_per_epoch") else None
        self.total_steps = planned_steps(config, self.steps_per_epoch)
        self.amp = torch.autocast("cuda", dtype=torch.bfloat16) if kind == "cuda" and config.amp else nullcontext()
        # CPU bf16 speeds up the training steps only; evaluation stays float32 (the reported metric is exact)
        self.cpu_bf16 = kind == "cpu" and config.cpu_bf16 and cpu_bf16_supported()
        self.train_amp = torch.autocast("cpu", dtype=torch.bfloat16) if self.cpu_bf16 else self.amp
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.tuner = None
        if config.threads < 0 and kind == "cpu" and self.dist.world == 1 and torch.get_num_threads() > 1:
            self.tuner = ThreadTuner(torch.get_num_threads())
        self.clock = Clock(self.state.elapsed, self.state.items, self.state.step)
        self.grads = GradLog(**self.state.grads)

    # -- the loop ----------------------------------------------------------------------
    def loop(self) -> dict:
        config, state = self.config, self.state
        self.fire("on_start", self.info(resumed=state.step > 0))
        stop = self.stop_before_start()
        self.model.train()
        with StopFlag() as flag:
            while not stop and (state.epoch < config.epochs or not config.epochs):
                batches = self.task.batches(state.epoch, self.dist.rank, self.dist.world)
                if state.batch_in_epoch:  # resumed inside an epoch: skip what is done
                    batches = islice(batches, state.batch_in_epoch, None)
                else:
                    self.carry = None
                for batch in batches:
                    lr = self.lr()
                    loss, grad_norm = self.step(batch, lr)
                    self.fire("on_step", self.info(lr=lr, loss=loss, avg_loss=state.loss_sum / state.loss_items,
                                                   grad_norm=grad_norm))
                    stop = self.stop_after_step(flag)
                    if config.eval_every and state.step % config.eval_every == 0 and not stop:
                        if self.evaluate():
                            stop = "patience"
                        self.save()
                    elif config.ckpt_every and state.step % config.ckpt_every == 0 and not stop:
                        self.save()
                    if stop:
                        break
                else:  # the epoch ran to its end
                    state.epoch += 1
                    state.batch_in_epoch = 0
                    if state.last_eval_step != state.step and self.evaluate():
                        stop = "patience"
                    self.save()
            stop = stop or "epochs"
            if stop == "cancelled" or flag.set:
                state.stopped = "cancelled"
                self.save()
                raise Cancelled(f"training stopped at step {state.step}; continue with --resume")
            if state.last_eval_step != state.step:
                self.evaluate()
            state.stopped = stop if stop != "done" else "epochs"
            self.save()
        result = {"step": state.step, "epoch": state.epoch, "stopped": state.stopped, "best": state.best_metrics,
                  "last": state.last_metrics, "history": state.history, "elapsed": self.clock.elapsed(),
                  "device": self.device, "world": self.dist.world, f"{self.unit}_per_sec": self.speed(),
                  "items": state.items, "unit": self.unit, "cpu_bf16": self.cpu_bf16,
                  "grad_norms": self.grads.summary(),
                  "best_path": str(self.ckpt_dir / "best.safetensors")}
        self.fire("on_end", self.info(result=result))
        return result

    def step(self, batch, lr: float) -> tuple[float, float]:
        """One optimizer step on one batch: (its mean loss, the global gradient norm before clipping)."""
        state = self.state
        for g in self.opt.param_groups:
            g["lr"] = lr
        batch = to_device(batch, self.device)
        if self.tuner is not None:
            self.tuner.before_step()
        with self.train_amp:
            loss, n, self.carry = self.task.loss(self.train_model, batch, self.carry)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        # the norm clipping needs anyway; with clip 0 it is one extra reduction (bench_lm_throughput.py)
        norm = total_norm(self.params)
        if self.config.clip > 0:
            clip_with_norm(self.params, self.config.clip, norm)
        self.opt.step()
        grad_norm = float(norm)
        value = float(loss.detach())
        if self.tuner is not None:
            self.tuner.after_step()
        if not math.isfinite(value):
            raise BadInput(f"training diverged at step {state.step + 1} (loss {value})",
                           "lower --lr or set --clip (e.g. 0.25)")
        state.step += 1
        self.grads.add(state.step, grad_norm, clipped=self.config.clip > 0 and grad_norm > self.config.clip)
        state.batch_in_epoch += 1
        state.items += int(n) * self.dist.world
        state.loss_sum += value * int(n)
        state.loss_items += int(n)
        return value, grad_norm

    def evaluate(self) -> bool:
        """Validation + best/plateau/patience bookkeeping; True = stop (patience)."""
        import torch

        state = self.state
        t0 = time.monotonic()
        self.model.eval()
        with torch.no_grad(), self.amp:
            metrics = dict(self.task.evaluate(self.model))
        self.model.train()
        self.clock.eval_secs += time.monotonic() - t0
        row = {"step": state.step, "epoch": round(self.epoch_progress(), 4)}
        if self.dist.world > 1:  # the train loss over all ranks' items
            import torch.distributed as tdist

            t = torch.tensor([state.loss_sum, float(state.loss_items)], dtype=torch.float64, device=self.device)
            tdist.all_reduce(t)
            state.loss_sum, state.loss_items = float(t[0]), int(t[1])
        if state.loss_items:
            row["train_loss"] = state.loss_sum / state.loss_items
        row.update(self.grads.interval())     # grad_norm (mean), grad_norm_max, clipped (fraction of steps)
        row.update({k: float(v) for k, v in metrics.items()})
        row.update(lr=self.lr(), elapsed=round(self.clock.elapsed(), 3))
        if self.speed():
            row[f"{self.unit}_per_sec"] = round(self.speed(), 1)
        state.loss_sum, state.loss_items, state.last_eval_step = 0.0, 0, state.step
        value = metrics.get(self.primary)
        improved = value is not None and (state.best is None or
                                          (value < state.best if self.direction == "min" else value > state.best))
        if improved:
            state.best, state.best_metrics, state.bad_evals = float(value), dict(row), 0
            if self.dist.main:
                save_weights(self.model, self.ckpt_dir / "best.safetensors", {"step": state.step, self.primary: value})
        elif value is not None:
            state.bad_evals += 1
            if self.config.schedule == "plateau":
                state.lr_scale /= self.config.anneal
        state.history.append(row)
        state.last_metrics = dict(row)
        self.fire("on_eval", self.info(metrics=row, best=state.best, improved=improved))
        return bool(self.config.patience and state.bad_evals >= self.config.patience)

    def save(self) -> None:
        """ckpt/last: weights, optimizer, RNG, carried state and the run state, in one atomic file."""
        self.state.elapsed = self.clock.elapsed()
        self.state.grads = asdict(self.grads)
        ck.save_run(self.last, self.model, self.opt, {"run": asdict(self.state), "train": asdict(self.config),
                                                      "meta": self.meta or {}}, self.carry, self.dist)
        self.fire("on_checkpoint", self.info(path=str(self.last)))

    # -- when to stop ----------------------------------------------------------------------
    def stop_before_start(self) -> str:
        state, config = self.state, self.config
        stop = ""
        if state.stopped == "epochs" and config.epochs and state.epoch >= config.epochs:
            stop = "done"  # a finished run resumed with nothing more to do
        if config.max_steps and state.step >= config.max_steps:
            stop = "max_steps"
        if config.time_budget and state.elapsed >= config.time_budget:
            stop = "time"
        return stop

    def stop_after_step(self, flag: StopFlag) -> str:
        state, config = self.state, self.config
        stop = ""
        if config.max_steps and state.step >= config.max_steps:
            stop = "max_steps"
        if config.time_budget and self.clock.elapsed() >= config.time_budget:
            stop = "time"
        if distributed.any_flag(bool(stop) or flag.set, self.dist, self.device):  # every rank stops together
            stop = stop or ("cancelled" if flag.set else "other rank")
        return stop

    # -- figures for the callbacks ------------------------------------------------------------
    def lr(self) -> float:
        return lr_at(self.config, self.state.step, self.total_steps, self.clock.elapsed(), self.state.lr_scale)

    def speed(self) -> float | None:
        return self.clock.speed(self.state.items)

    def epoch_progress(self) -> float:
        spe = self.steps_per_epoch or 0
        return self.state.epoch + (self.state.batch_in_epoch / spe if spe else 0)

    def info(self, **extra) -> dict:
        state, config = self.state, self.config
        per_step = self.clock.secs_per_step(state.step) if self.speed() else None
        budget_left = config.time_budget - self.clock.elapsed() if config.time_budget else None
        steps_left = self.total_steps - state.step if self.total_steps else None
        return {"step": state.step, "epoch": self.epoch_progress(), "steps_per_epoch": self.steps_per_epoch,
                "total_steps": self.total_steps, "lr": self.lr(), "items": state.items,
                f"{self.unit}_per_sec": self.speed(), "items_per_sec": self.speed(), "unit": self.unit,
                "elapsed": self.clock.elapsed(), "eta": eta(steps_left, per_step, budget_left),
                "world": self.dist.world, "device": self.device, **extra}

    def fire(self, hook: str, info: dict) -> None:
        if self.dist.main:
            for cb in self.callbacks:
                fn = getattr(cb, hook, None)
                if fn is not None:
                    fn(info)


def training_summary(result: dict) -> dict:
    """model.json's `training` section from what fit returned."""
    speed = result.get(f"{result['unit']}_per_sec")
    grads = result.get("grad_norms") or {}
    return {"seconds": round(result["elapsed"], 2), "unit": result["unit"],
            "per_second": round(speed, 1) if speed else None, "steps": result["step"], "epochs": result["epoch"],
            "stopped": result["stopped"], "device": result.get("device"), "world": result.get("world"),
            "clipped_steps": grads.get("clipped_steps")}


def read_state(ckpt_dir: str | os.PathLike) -> dict:
    """The JSON state of ckpt_dir/last.safetensors (NotFound if there is none)."""
    return ck.read_run_state(ckpt_dir)
