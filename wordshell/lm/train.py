"""`train lm`: options -> data -> model -> fit() -> the store, in that order, in this one module.

    LMOptions            every option of `train lm`, built once by the command
    train_lm(...)        the whole run; returns model.json's content (the command shapes the Result)

    <model>/vocab.txt               written first, so a run still in training can be queried
    <model>/ckpt/last.safetensors   every --ckpt-every steps (state.json beside it)
    <model>/weights.safetensors     the best weights, at the end
    <model>/model.json              LAST (store.write_model): its presence means "finished"

`--resume` takes the model, vocabulary and (unless given again) the training settings from the
checkpoint. `--nproc N` runs `_worker` in N processes (distributed.launch); under torchrun every
process runs the whole command and rank 0 writes the model.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, field, replace

from wordshell.fit import distributed
from wordshell.errors import BadInput, Cancelled
from wordshell.fit.progress import PPL, FitProgress
from wordshell.corpus.tokens import Tokenizer

DEFAULTS = {  # optimizer -> defaults that work at a fixed budget on PTB-sized data (see bench/)
    "sgd": {"lr": 20.0, "clip": 0.25, "schedule": "plateau", "weight_decay": 0.0},
    "adam": {"lr": 3e-3, "clip": 1.0, "schedule": "cosine", "weight_decay": 0.0},
    "adamw": {"lr": 3e-3, "clip": 1.0, "schedule": "cosine", "weight_decay": 0.01},
}
# options a resumed run takes from the checkpoint unless given again
TRAIN_KEYS_SAVED = ("optimizer", "lr", "weight_decay", "clip", "epochs", "max_steps", "time_budget",
                    "eval_every", "ckpt_every", "schedule", "anneal", "warmup", "patience", "seed", "threads",
                    "cpu_bf16", "bptt", "batch")
# options a resumed run takes from the checkpoint always (its model and vocabulary cannot change)
ARCH_KEYS = ("arch", "level", "min_count", "max_vocab", "layers", "hidden", "emb", "dropout", "tied", "context",
             "adaptive")


@dataclass
class LMOptions:
    """The options of `train lm` (None = the default for the architecture or optimizer)."""

    arch: str = "lstm"
    level: str = "word"
    min_count: int | None = None
    max_vocab: int | None = None
    layers: int | None = None
    hidden: int | None = None
    emb: int | None = None
    dropout: float | None = None
    tied: bool = False
    context: int | None = None
    adaptive: list | None = None
    bptt: int = 35
    batch: int = 20
    optimizer: str = "adamw"
    lr: float | None = None
    weight_decay: float | None = None
    clip: float | None = None
    schedule: str | None = None
    anneal: float = 4.0
    warmup: int = 0
    epochs: int | None = None
    time_budget: float = 0.0
    max_steps: int = 0
    patience: int = 0
    valid: str | None = None
    valid_split: float = 0.1
    eval_every: int = 0
    ckpt_every: int = 200
    seed: int = 1
    device: str = "auto"
    cpu_bf16: bool = False
    threads: int = 0
    nproc: int = 1
    encoding: str | None = None
    explicit: frozenset = field(default_factory=frozenset)  # the options the user gave (not defaults)


def train_lm(session, name: str, corpus: str, tokenizer: Tokenizer, opts: LMOptions, *, resume: bool,
             force: bool) -> dict | None:
    """Train language model `name`; return its model.json content (None on ranks other than 0)."""
    from wordshell.store import validate_name

    store = session.store
    validate_name(name)
    rank0 = distributed.env_world() <= 1 or distributed.env_rank() == 0
    with store.build(name, force=force, resume=resume, resumable=True, command=session.command_line,
                     lock=rank0) as build:
        if resume and not build.resumed:
            session.note(f"note: no checkpoint of '{name}' to resume; starting from scratch")
        return _train(session, build, corpus, tokenizer, opts, rank0)


def _train(session, build, corpus: str, tokenizer: Tokenizer, opts: LMOptions, rank0: bool) -> dict | None:
    from wordshell.fit.loop import read_state
    from wordshell.lm.data import Vocab, prepare

    store, name, d = session.store, build.name, build.dir
    saved = read_state(d / "ckpt") if build.resumed else None
    vocab = None
    if saved:
        opts, tokenizer = resumed_options(session, opts, saved)
        vocab = Vocab.load(d / "vocab.txt", opts.level)
    if opts.batch % opts.nproc:
        raise BadInput(f"--batch {opts.batch} is not divisible by {opts.nproc} processes",
                       "each process takes an equal share of the batch's columns")
    min_count = opts.min_count or (1 if opts.level == "char" else 2)
    progress = session.progress()
    data = prepare(store, corpus, tokenizer, opts.level, min_count=min_count, max_vocab=opts.max_vocab,
                   valid=opts.valid, valid_split=opts.valid_split, encoding=opts.encoding, vocab=vocab,
                   progress=progress)
    if saved:
        kind, config = saved["meta"]["kind"], saved["meta"]["config"]
        if saved["meta"].get("corpus", {}).get("fingerprint") != data.info["fingerprint"]:
            session.note("warning: the corpus differs from the one this checkpoint was trained on")
    else:
        kind, config = model_config(opts, len(data.vocab))
    tc = train_config(opts, config)
    if tc.cpu_bf16 and not opts.device.startswith("cuda"):
        from wordshell.fit.config import cpu_bf16_supported

        if not cpu_bf16_supported():
            session.note("note: this CPU has no native bfloat16 (avx512_bf16 or AMX): --bf16 is off, "
                         "training runs in float32")
    meta = {
        "kind": kind, "config": config, "level": opts.level, "tokenizer": tokenizer.spec(),
        "vocab_size": len(data.vocab), "min_count": min_count, "corpus": data.info,
        "train": {**asdict(tc), "bptt": opts.bptt, "batch": opts.batch, "nproc": opts.nproc},
        "command": session.command_line, "seed": opts.seed,
    }
    d.mkdir(parents=True, exist_ok=True)
    if not saved and rank0:
        data.vocab.save(d / "vocab.txt")
    spec = RunSpec(name, kind, config, asdict(tc), opts.batch, opts.bptt, data.train_ids, data.valid_ids,
                   str(d / "ckpt"), bool(saved), {**meta, "family": "lm", "name": name}, progress=not session.quiet)
    try:
        if opts.nproc > 1 and distributed.env_world() <= 1:
            result = distributed.launch(opts.nproc, _worker, spec)
        else:
            from wordshell.progress import NullProgress

            try:
                result = run(spec, [FitProgress(progress if rank0 else NullProgress(), f"train {name}", PPL)])
                if distributed.env_world() > 1:  # started by torchrun
                    distributed.shutdown()
            finally:
                progress.finish()
    except KeyboardInterrupt:
        raise Cancelled(f"training of '{name}' interrupted; continue with --resume") from None
    if not rank0:
        return None
    full = finish(build, meta, result)
    session.forget(name)
    return {**full, "data": data.info}


def resumed_options(session, opts: LMOptions, saved: dict) -> tuple[LMOptions, Tokenizer]:
    """The options of a resumed run: the checkpoint's model and vocabulary, and its training settings
    unless given again on the command line."""
    smeta, strain = saved.get("meta") or {}, saved.get("train") or {}
    ignored = sorted(k for k in ARCH_KEYS if k in opts.explicit)
    if ignored:
        session.note("note: --resume keeps the checkpoint's model and vocabulary; ignoring "
                     + ", ".join("--" + k.replace("_", "-") for k in ignored))
    saved_train = {**strain, **{k: v for k, v in (smeta.get("train") or {}).items() if k in ("bptt", "batch")}}
    changes = {k: saved_train[k] for k in TRAIN_KEYS_SAVED if k not in opts.explicit and k in saved_train}
    changes["level"] = smeta.get("level", "word")
    return replace(opts, **changes), Tokenizer.from_spec(smeta.get("tokenizer"))


def model_config(opts: LMOptions, vocab_size: int) -> tuple[str, dict]:
    """(kind, config) of a new model from the options; bad sizes fail here, before any file is written."""
    from wordshell.kinds import kind_of, model_class

    kind = kind_of("lm", opts.arch)
    emb, hidden, tied = opts.emb, opts.hidden, opts.tied
    if opts.adaptive and opts.arch == "ffnn":
        raise BadInput("--adaptive is for the recurrent models (lstm, gru, rnn)")
    if opts.arch == "ffnn":
        cfg = {"vocab_size": vocab_size, "context": opts.context or 4, "emb": emb or 100, "hidden": hidden or 200,
               "layers": opts.layers or 1, "dropout": 0.2 if opts.dropout is None else opts.dropout,
               "tied": bool(tied)}
        if tied and emb is None:  # tying needs emb == hidden
            cfg["emb"] = cfg["hidden"]
    else:
        cfg = {"vocab_size": vocab_size, "cell": opts.arch, "emb": emb or 200, "hidden": hidden or 200,
               "layers": opts.layers or 2, "dropout": 0.2 if opts.dropout is None else opts.dropout,
               "tied": bool(tied)}
        if opts.adaptive:
            cfg["adaptive"] = [int(c) for c in opts.adaptive if int(c) < vocab_size - 1] or None
        if tied and emb is None and hidden:
            cfg["emb"] = hidden
        if tied and hidden is None and emb:
            cfg["hidden"] = emb
    model_class(kind).Config(**cfg).check()
    return kind, cfg


def train_config(opts: LMOptions, config: dict):
    """The loop's TrainConfig: the options, else the optimizer's defaults."""
    from wordshell.fit.config import TrainConfig

    dflt = DEFAULTS[opts.optimizer]
    epochs = opts.epochs or (0 if opts.time_budget or opts.max_steps else 10)  # 0 = no epoch limit
    threads = opts.threads
    if not threads:
        threads = (auto_threads(config, opts.batch, opts.bptt) if opts.nproc == 1
                   else max(1, (os.cpu_count() or 1) // opts.nproc))
    tc = TrainConfig(optimizer=opts.optimizer, lr=opts.lr or dflt["lr"],
                     weight_decay=dflt["weight_decay"] if opts.weight_decay is None else opts.weight_decay,
                     clip=dflt["clip"] if opts.clip is None else opts.clip, epochs=epochs,
                     max_steps=opts.max_steps, time_budget=opts.time_budget, eval_every=opts.eval_every,
                     ckpt_every=opts.ckpt_every,
                     # a time budget has a known end: decay the LR towards it instead of waiting for plateaus
                     schedule=opts.schedule or ("cosine" if opts.time_budget else dflt["schedule"]),
                     anneal=opts.anneal, warmup=opts.warmup, patience=opts.patience, device=opts.device,
                     seed=opts.seed, threads=threads, cpu_bf16=opts.cpu_bf16)
    tc.check()
    return tc


def auto_threads(config: dict, batch: int, bptt: int) -> int:
    """1 thread for small models (OpenMP's barriers cost more than tiny matmuls gain), else auto-tune."""
    h, v = config.get("hidden", 200), config["vocab_size"]
    macs = batch * bptt * (8 * h * h * config.get("layers", 1) + h * v)
    return 1 if macs < 20_000_000 or (os.cpu_count() or 1) == 1 else -1  # -1: the loop tunes 1 vs all


# -- the run (in this process, or in each of --nproc processes) -------------------------------

@dataclass
class RunSpec:
    """Everything a training process needs (picklable for --nproc)."""

    name: str
    kind: str
    config: dict
    train: dict                # TrainConfig as a dict
    batch: int
    bptt: int
    train_ids: object          # torch LongTensor (N,)
    valid_ids: object
    ckpt_dir: str
    resume: bool
    meta: dict                 # stored in every checkpoint: a run in training can be loaded from ckpt/last
    progress: bool = True      # rank 0 prints progress to stderr (spawned processes)


def run(spec: RunSpec, callbacks) -> dict:
    import torch

    from wordshell.kinds import build
    from wordshell.lm.data import LMTask
    from wordshell.fit.loop import fit
    from wordshell.fit.config import TrainConfig

    torch.manual_seed(spec.train.get("seed", 1))
    task = LMTask(build(spec.kind, spec.config), spec.train_ids, spec.valid_ids, spec.batch, spec.bptt)
    result = fit(task, TrainConfig.from_dict(spec.train), spec.ckpt_dir, callbacks, resume=spec.resume,
                 meta=spec.meta)
    result["params"] = sum(p.numel() for p in task.model.parameters())
    return result


def _worker(spec: RunSpec) -> dict:
    from wordshell import progress as prog

    rank0 = distributed.env_rank() == 0
    p = prog.for_stream(sys.stderr, quiet=not (spec.progress and rank0))
    return run(spec, [FitProgress(p, f"train {spec.name}", PPL)])


def finish(build, meta: dict, result: dict) -> dict:
    """best.safetensors -> weights.safetensors, then model.json (last) and the model goes live."""
    from wordshell.fit import weights as ck
    from wordshell.fit.loop import training_summary

    name, d = build.name, build.dir
    tensors, _ = ck.load_tensors(d / "ckpt" / "best.safetensors")
    ck.save_tensors(d / "weights.safetensors", tensors, {"kind": meta["kind"], "name": name})
    best, last = result.get("best") or {}, result.get("last") or {}
    metrics = {"valid_ppl": best.get("valid_ppl"), "best_valid_ppl": best.get("valid_ppl"),
               "valid_loss": best.get("valid_loss"), "valid_bits": best.get("valid_bits"),
               "last_valid_ppl": last.get("valid_ppl"), "best_step": best.get("step")}
    return build.commit({**meta, "params": result.get("params", 0), "metrics": metrics,
                         "training": training_summary(result), "history": result["history"],
                         "grad_norms": result.get("grad_norms")})
