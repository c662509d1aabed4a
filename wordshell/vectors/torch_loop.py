"""The torch engine's own training loop (why not fit/loop.py: docs/ARCHITECTURE.md, "Word vectors on torch").

One process, or each of N (torchrun / --nproc), runs `train(run, progress)`:

    for epoch:                                   Epoch: this rank's shard, subsampled afresh
        for chunk c of S:                        S equal for every rank (ranks step together)
            alpha = linear decay over the whole run, alpha -> min_alpha (word2vec.c, gensim)
            examples of chunk c -> sg_step / cbow_step (torch_engine: sparse in-place updates)
            every sync_every chunks: TableSync (DDP), stop requests, a checkpoint when due
        epoch end: the epoch's loss (float64, summed over ranks) and words/s -> history, checkpoint

Progress goes to a wordshell Progress in words (raw corpus words, gensim's unit), with
'epoch k/E' and the last epoch's loss, and one line per epoch, as the gensim engine reports.
Ctrl-C / SIGTERM: a checkpoint at the next chunk boundary, then errors.Cancelled; --resume goes on
from it to the same tables as an uninterrupted run (on CPU, 1 process; CUDA's index_add_ adds in
no fixed order).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from wordshell.errors import BadInput, Cancelled
from wordshell.fit import distributed
from wordshell.vectors import torch_ckpt
from wordshell.vectors.torch_ckpt import RunState

# corpus tokens per step and rank (docs/ARCHITECTURE.md): on CUDA with Triton one launch runs a step's
# examples Hogwild-style; otherwise batched ops update at most MAX_BATCHED examples from the same tables
DEFAULT_BATCH = {"cpu": 512, "cuda": 16384, "cuda-fused": 131072}
MAX_BATCHED = 4096


@dataclass
class EngineRun:
    """Everything a training process needs (picklable for --nproc)."""

    config: dict                     # EmbeddingConfig as a dict (kind, dim, window, negative, ...)
    corpus: object                   # vocab_ids.CorpusIds
    ckpt_dir: str
    meta: dict                       # model.json so far: kept in every checkpoint
    resume: bool = False
    device: str = "auto"
    batch_words: int = 0             # 0: DEFAULT_BATCH of the device
    sync_every: int = 4              # chunks between DDP syncs
    ckpt_seconds: float = 300.0      # a checkpoint at the first sync point after this many seconds
    threads: int = 0                 # CPU threads of this process (0: leave as is)
    progress: bool = True            # spawned ranks: rank 0 prints progress to stderr
    sync_mode: str = "sum"           # benchmarks only: "mean" averages the tables instead
    fused: bool = True               # on CUDA, Triton kernels when Triton imports (False: batched ops)
    max_batched: int = 0             # benchmarks only: examples per batched update (0: MAX_BATCHED)
    extra: dict = field(default_factory=dict)


def train(run: EngineRun, progress) -> dict:
    """Train; return {history, elapsed, world, device, stopped, sync} (every rank; rank 0's is used).
    The tables are in ckpt_dir/last.safetensors at the end."""
    import torch

    from wordshell.fit.config import resolve_device

    kind = "cuda" if resolve_device(run.device).startswith("cuda") else "cpu"
    dist = distributed.setup(kind)
    device = resolve_device(run.device, dist.local_rank)
    before = torch.get_num_threads()
    if kind == "cuda":
        torch.cuda.set_device(torch.device(device))  # NCCL and the default stream follow this rank's GPU
    if run.threads > 0 and kind == "cpu":
        torch.set_num_threads(run.threads)
    try:
        with torch.no_grad():
            return Loop(run, dist, device, progress).loop()
    finally:
        torch.set_num_threads(before)


class Loop:
    def __init__(self, run: EngineRun, dist, device: str, progress):
        import torch

        from wordshell.vectors.torch_engine import init_tables
        from wordshell.vectors.vocab_ids import keep_probability, noise_cdf

        self.run, self.dist, self.device, self.p = run, dist, device, progress
        cfg = self.cfg = run.config
        corpus = run.corpus
        lo, hi = corpus.shard(dist.rank, dist.world)
        self.ids = torch.from_numpy(corpus.ids[lo:hi]).to(device)
        self.sent = torch.from_numpy(corpus.sent[lo:hi]).to(device)
        from wordshell.vectors import torch_fused

        self.fused = device.startswith("cuda") and run.fused and torch_fused.available()
        batch = run.batch_words or DEFAULT_BATCH["cuda-fused" if self.fused else
                                                 "cuda" if device.startswith("cuda") else "cpu"]
        sizes = [b - a for a, b in (corpus.shard(r, dist.world) for r in range(dist.world))]
        self.steps = max(1, max(math.ceil(n / batch) for n in sizes))
        self.keep = torch.from_numpy(keep_probability(corpus.counts, cfg["sample"])).float().to(device)
        self.cdf = torch.from_numpy(noise_cdf(corpus.counts)).to(device)
        self.subword = cfg["kind"] == "fasttext"
        sub = {k: cfg[k] for k in ("min_n", "max_n", "bucket")} if self.subword else None
        self.t = init_tables(len(corpus.words), cfg["dim"], seed=cfg["seed"], device=device, subword=sub,
                             words=corpus.words)
        self.ckpt = Path(run.ckpt_dir)
        self.state = RunState(steps=self.steps, world=dist.world)
        if run.resume and (self.ckpt / "last.safetensors").is_file():
            tensors, doc = torch_ckpt.load(self.ckpt, device)
            self.state = torch_ckpt.restore(self.t, tensors, doc, corpus.words)
            if self.state.steps != self.steps:  # another world size or batch: the same fraction of the epoch
                self.state.chunk = round(self.state.chunk * self.steps / max(1, self.state.steps))
                self.state.steps, self.state.world = self.steps, dist.world
        self.sync = None
        if dist.world > 1:
            from wordshell.vectors.torch_sync import TableSync

            self.sync = TableSync(self.t, dist.world, run.sync_mode)
            self.t.touched = self.sync.touch
        self.t0 = time.monotonic()
        self.elapsed0 = self.state.elapsed
        self.last_save = time.monotonic()

    # -- the loop ------------------------------------------------------------------------------
    def loop(self) -> dict:
        import torch

        from wordshell.fit.runtime import StopFlag
        from wordshell.vectors.torch_batches import Epoch, generator, seed_for

        cfg, st, dev = self.cfg, self.state, self.device
        epochs = cfg["epochs"]
        self.p.start(f"train {cfg['kind']} (torch, {dev}{f' x{self.dist.world}' if self.dist.world > 1 else ''})",
                     self.run.corpus.raw_words * epochs, "words")
        if st.step:
            self.p.log(f"resumed at epoch {st.epoch + 1}, {100 * st.chunk / self.steps:.0f}% into it")
        last_loss = st.history[-1]["loss"] if st.history else None
        with StopFlag() as flag:
            while st.epoch < epochs:
                ep = Epoch(self.ids, self.sent, self.keep, self.steps,
                           generator(dev, seed_for(cfg["seed"], self.dist.rank, st.epoch)))
                loss = torch.zeros((), dtype=torch.float64, device=dev)
                examples = 0
                t_epoch = time.monotonic() - st.epoch_elapsed
                for c in range(st.chunk, self.steps):
                    gen = generator(dev, seed_for(cfg["seed"], self.dist.rank, st.epoch, c))
                    step_loss, n = self.step(ep, c, self.alpha(st.epoch, c), gen)
                    if n:
                        loss += step_loss
                        examples += n
                    st.chunk, st.step = c + 1, st.step + 1
                    self.p.update(self.words_done(), epoch=f"{st.epoch + 1}/{epochs}", loss=last_loss)
                    at_end = st.chunk == self.steps
                    if at_end or self.dist.world == 1 or st.chunk % self.run.sync_every == 0:
                        stop, due = self.at_sync_point(flag.set, at_end)
                        st.stopped = "cancelled" if stop else ""
                        if (stop or due) and not at_end:
                            st.epoch_elapsed = time.monotonic() - t_epoch
                            loss, examples = self.fold(loss, examples)
                            self.save()
                        if stop:
                            if at_end:
                                self.end_epoch(loss, examples, t_epoch)
                            raise Cancelled(f"training stopped in epoch {min(st.epoch + 1, epochs)}; "
                                            "continue with --resume")
                last_loss = self.end_epoch(loss, examples, t_epoch)
        if st.stopped != "epochs":  # resumed after the last epoch's checkpoint: say it is complete
            st.stopped = "epochs"
            self.save()
        self.p.finish()
        return {"history": st.history, "elapsed": self.elapsed(), "world": self.dist.world, "device": dev,
                "stopped": st.stopped, "steps_per_epoch": self.steps, "kernels": "triton" if self.fused else "torch",
                "sync": None if self.sync is None else {"every": self.run.sync_every, "mode": self.sync.mode,
                                                        "syncs": self.sync.syncs, "rows": self.sync.rows_sent,
                                                        "bytes": self.sync.bytes_sent,
                                                        "seconds": round(self.sync.seconds, 3)}}

    def step(self, ep, c: int, alpha: float, gen):
        """One chunk's examples through the engine: (loss tensor, number of examples)."""
        from wordshell.vectors.torch_batches import noise

        cfg = self.cfg
        if cfg["sg"]:
            centers, pos, others, rounds = ep.sg_pairs(c, cfg["window"], gen)
            n = len(pos)
            if not n:
                return None, 0
            noise_words = noise(self.cdf, (n, cfg["negative"]), gen)
            # word2vec.c: the context word's vector predicts the center; fastText: the center's subwords
            # (their rows copied once per step into CenterRows: see torch_engine)
            rows, w = None, cfg["window"]
            levels = [w - r if r < w else r - w + 1 for r in range(2 * w)]   # |offset| of each round
            if not self.subword:
                inputs, targets = others, centers[pos]
            elif self.fused:
                inputs, targets = centers[pos], others
            else:
                from wordshell.vectors.torch_engine import CenterRows

                inputs, targets, rows = pos, others, CenterRows.of_rounds(self.t, centers, pos, rounds, levels)
            loss, a = None, 0
            for size, level in zip(rounds, levels):   # one offset at a time: see torch_batches.Epoch.sg_pairs
                if size:
                    part = self.update("sg", (inputs[a:a + size], targets[a:a + size], noise_words[a:a + size]),
                                       alpha, rows, level)
                    loss = part if loss is None else loss + part
                a += size
            if rows is not None:
                rows.write_back()
            return loss, n
        centers, ctx, real = ep.grid(c, cfg["window"], gen)
        some = real.any(1)                       # a center without neighbours trains nothing (word2vec.c)
        centers, ctx, real = centers[some], ctx[some], real[some]
        n = len(centers)
        if not n:
            return None, 0
        return self.update("cbow", (ctx, real, centers, noise(self.cdf, (n, cfg["negative"]), gen)), alpha), n

    def update(self, mode: str, examples: tuple, alpha: float, rows=None, level=None):
        """The examples' updates: one Triton launch (CUDA), else batched torch ops on slices of at most
        MAX_BATCHED examples (a larger batch reads staler rows: see DEFAULT_BATCH). fastText skip-gram
        on the batched ops: `rows` is the step's CenterRows, the inputs are positions in it, all of
        `level` or above."""
        from wordshell.vectors import torch_engine

        if self.fused:
            from wordshell.vectors import torch_fused

            try:
                return (torch_fused.sg_neg if mode == "sg" else torch_fused.cbow_neg)(self.t, *examples, alpha)
            except Exception as e:  # a Triton that cannot compile here: the batched ops do the same work
                self.fused = False
                self.p.log(f"note: fused kernels unavailable ({type(e).__name__}: {str(e).splitlines()[0][:120]}); "
                           "using batched torch ops")
        fn = torch_engine.sg_step if mode == "sg" else torch_engine.cbow_step
        extra = {"rows": rows, "level": level} if rows is not None else {}
        n, most = len(examples[-1]), self.run.max_batched or MAX_BATCHED
        loss = None
        for a in range(0, n, most):
            part = fn(self.t, *(x[a:a + most] for x in examples), alpha, **extra)
            loss = part if loss is None else loss + part
        return loss

    def alpha(self, epoch: int, chunk: int) -> float:
        """word2vec.c / gensim: linear from alpha to min_alpha over all the run's words."""
        a0, a1 = self.cfg["alpha"], self.cfg["min_alpha"]
        done = (epoch * self.steps + chunk) / (self.cfg["epochs"] * self.steps)
        return max(a1, a0 - (a0 - a1) * done)

    # -- sync points, checkpoints, epoch ends ----------------------------------------------
    def at_sync_point(self, stop_requested: bool, at_end: bool) -> tuple[bool, bool]:
        """Tables in step (DDP), then (stop?, checkpoint due?) agreed by every rank."""
        due = bool(self.run.ckpt_seconds) and time.monotonic() - self.last_save >= self.run.ckpt_seconds
        if self.sync is None:
            return stop_requested, due
        import torch
        import torch.distributed as tdist

        self.sync.sync()
        flags = torch.tensor([float(stop_requested), float(due and self.dist.main)], device=self.device)
        tdist.all_reduce(flags, op=tdist.ReduceOp.MAX)   # rank 0's clock decides checkpoints
        return bool(flags[0] > 0), bool(flags[1] > 0)

    def fold(self, loss, examples: int):
        """Add this stretch's loss and examples (all ranks) into the run state; fresh accumulators."""
        import torch

        t = torch.stack([loss.to(torch.float64), torch.tensor(float(examples), dtype=torch.float64,
                                                               device=loss.device)])
        if self.dist.world > 1:
            import torch.distributed as tdist

            tdist.all_reduce(t)
        self.state.loss += float(t[0])
        self.state.examples += int(t[1])
        return torch.zeros_like(loss), 0

    def end_epoch(self, loss, examples: int, t_epoch: float) -> float:
        st = self.state
        self.fold(loss, examples)
        secs = time.monotonic() - t_epoch
        raw = self.run.corpus.raw_words
        if not math.isfinite(st.loss):
            raise BadInput(f"training diverged in epoch {st.epoch + 1} (loss {st.loss})", "lower --alpha")
        row = {"epoch": st.epoch + 1, "seconds": round(secs, 3), "words_per_sec": round(raw / secs) if secs > 0 else None,
               "loss": st.loss, "examples": st.examples,
               "mean_loss": st.loss / st.examples if st.examples else None}
        st.history.append(row)
        self.p.update(self.words_done(), loss=row["loss"])
        self.p.log(f"epoch {row['epoch']}/{self.cfg['epochs']}  loss {row['loss']:.6g}  "
                   f"{row['words_per_sec'] or 0:,} words/s")
        st.epoch, st.chunk, st.loss, st.examples, st.epoch_elapsed = st.epoch + 1, 0, 0.0, 0, 0.0
        if st.epoch == self.cfg["epochs"] and st.stopped != "cancelled":
            st.stopped = "epochs"
        self.save()
        return row["loss"]

    def save(self) -> None:
        self.state.elapsed = self.elapsed()
        if self.dist.main:
            torch_ckpt.save(self.ckpt, self.t, self.state, self.run.meta, self.run.corpus.words)
        self.last_save = time.monotonic()

    def elapsed(self) -> float:
        return self.elapsed0 + time.monotonic() - self.t0

    def words_done(self) -> int:
        st = self.state
        return round(self.run.corpus.raw_words * (st.epoch + st.chunk / self.steps))
