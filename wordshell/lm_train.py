"""`train lm` behind the command: corpus -> vocabulary + ids -> model -> train.fit -> the store.

    <model>/vocab.txt               written first, so a run still in training can be queried
    <model>/ckpt/last.safetensors   every --ckpt-every steps (state.json beside it)
    <model>/weights.safetensors     the best weights, at the end
    <model>/model.json              LAST: its presence means "finished"

`--nproc N` runs `_worker` in N processes (distributed.launch); under torchrun every process
runs the whole command and rank 0 writes the model.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from wordshell import corpora
from wordshell.errors import BadInput
from wordshell.lm_data import EOS, Vocab, char_tokens, to_ids
from wordshell.store import Store
from wordshell.tokens import Tokenizer


@dataclass
class LMData:
    vocab: Vocab
    train_ids: object          # torch LongTensor (N,)
    valid_ids: object
    tokenizer: Tokenizer
    info: dict = field(default_factory=dict)


def prepare(store: Store, corpus_spec: str, tokenizer: Tokenizer, level: str, *, min_count: int,
            max_vocab: int | None, valid: str | None, valid_split: float, encoding: str | None,
            vocab: Vocab | None = None, progress=None) -> LMData:
    """Read, split (last `valid_split` of the text unless `valid` names a file/corpus) and encode."""
    if not 0 < valid_split < 1:
        raise BadInput("--valid-split must be between 0 and 1")
    corpus = corpora.resolve(store, corpus_spec, encoding=encoding, progress=progress)
    vcorpus = corpora.resolve(store, valid, encoding=encoding) if valid else None
    info = {"name": corpus.name, "origin": corpus.origin, "fingerprint": corpus.fingerprint(store),
            "valid": vcorpus.name if vcorpus else f"last {valid_split:g} of the corpus"}
    if level == "char":
        text_ids = list(char_tokens(corpus.lines()))
        if not any(t != EOS for t in text_ids):
            raise BadInput(f"corpus '{corpus.name}' is empty")
        if vcorpus is not None:
            train_toks, valid_toks = text_ids, list(char_tokens(vcorpus.lines()))
        else:
            cut = len(text_ids) - max(2, int(len(text_ids) * valid_split))
            train_toks, valid_toks = text_ids[:cut], text_ids[cut:]
        vocab = vocab or Vocab.build(Counter(train_toks), min_count, max_vocab, level="char")
        train_ids, valid_ids = to_ids(train_toks, vocab), to_ids(valid_toks, vocab)
    else:
        path, stats = corpus.token_file(store, tokenizer, progress)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if vcorpus is not None:
            train_lines = lines
            vpath, _ = vcorpus.token_file(store, tokenizer)
            with open(vpath, encoding="utf-8") as f:
                valid_lines = [line for line in f.read().split("\n") if line]
        else:
            if len(lines) < 2:
                raise BadInput(f"corpus '{corpus.name}' has only {len(lines)} line(s): too short to split off "
                               "a validation part", "give --valid FILE")
            n_valid = max(1, round(len(lines) * valid_split))
            train_lines, valid_lines = lines[:-n_valid], lines[-n_valid:]

        def toks(ls):
            for line in ls:
                yield from line.split()
                yield EOS

        if vocab is None:
            counts = Counter()
            for line in train_lines:
                counts.update(line.split())
            vocab = Vocab.build(counts, min_count, max_vocab, level="word")
            if len(vocab) <= 2:
                raise BadInput(f"no word occurs {min_count} times or more in '{corpus.name}'",
                               "lower --min-count or use a bigger corpus")
        train_ids, valid_ids = to_ids(toks(train_lines), vocab), to_ids(toks(valid_lines), vocab)
    info.update(tokens=int(train_ids.numel() + (0 if vcorpus else valid_ids.numel())),
                train_tokens=int(train_ids.numel()), valid_tokens=int(valid_ids.numel()),
                train_unk=int((train_ids == 1).sum()), valid_unk=int((valid_ids == 1).sum()))
    return LMData(vocab, train_ids, valid_ids, tokenizer, info)


def model_config(arch: str, vocab_size: int, emb, hidden, layers, dropout, tied, context,
                 adaptive: list | None = None) -> tuple[str, dict]:
    from wordshell.kinds import kind_of

    kind = kind_of("lm", arch)
    if adaptive and arch == "ffnn":
        raise BadInput("--adaptive is for the recurrent models (lstm, gru, rnn)")
    if arch == "ffnn":
        cfg = {"vocab_size": vocab_size, "context": context or 4, "emb": emb or 100, "hidden": hidden or 200,
               "layers": layers or 1, "dropout": 0.2 if dropout is None else dropout, "tied": bool(tied)}
        if tied and emb is None:  # tying needs emb == hidden
            cfg["emb"] = cfg["hidden"]
    else:
        cfg = {"vocab_size": vocab_size, "cell": arch, "emb": emb or 200, "hidden": hidden or 200,
               "layers": layers or 2, "dropout": 0.2 if dropout is None else dropout, "tied": bool(tied)}
        if adaptive:
            cfg["adaptive"] = [int(c) for c in adaptive if int(c) < vocab_size - 1] or None
        if tied and emb is None and hidden:
            cfg["emb"] = hidden
        if tied and hidden is None and emb:
            cfg["hidden"] = emb
    return kind, cfg


@dataclass
class RunSpec:
    """Everything a training process needs (picklable for --nproc)."""

    kind: str
    config: dict
    train: dict                # TrainConfig as a dict
    batch: int
    bptt: int
    train_ids: object
    valid_ids: object
    ckpt_dir: str
    resume: bool
    meta: dict
    progress: bool = True      # rank 0 prints progress to stderr (spawned processes)


def build_task(spec: RunSpec):
    import torch

    from wordshell.lm_data import LMTask
    from wordshell.kinds import build

    torch.manual_seed(spec.train.get("seed", 1))
    model = build(spec.kind, spec.config)
    return LMTask(model, spec.train_ids, spec.valid_ids, spec.batch, spec.bptt)


def run(spec: RunSpec, callbacks) -> dict:
    from wordshell.train import TrainConfig, fit

    task = build_task(spec)
    result = fit(task, TrainConfig.from_dict(spec.train), spec.ckpt_dir, callbacks, resume=spec.resume,
                 meta=spec.meta)
    result["params"] = sum(p.numel() for p in task.model.parameters())
    return result


def _worker(spec: RunSpec) -> dict:
    import os

    from wordshell import progress as prog

    rank0 = os.environ.get("RANK", "0") == "0"
    p = prog.for_stream(sys.stderr, quiet=not (spec.progress and rank0))
    return run(spec, [ProgressCallback(p, spec.meta.get("name", "lm"))])


def run_distributed(spec: RunSpec, nproc: int) -> dict:
    from wordshell.distributed import launch

    return launch(nproc, _worker, spec)


class ProgressCallback:
    """train.fit callbacks -> a wordshell Progress (bar on a TTY, lines in a pipe, job status)."""

    def __init__(self, progress, name: str):
        self.p = progress
        self.name = name
        self.ppl = None
        self.t0 = time.monotonic()

    def on_start(self, info):
        total = info["total_steps"]
        self.done0 = info["step"]
        self.p.start(f"train {self.name}", total, "steps")
        if info.get("resumed"):
            self.p.log(f"resumed at step {info['step']} (epoch {info['epoch']:.2f})")

    def on_step(self, info):
        from wordshell.progress import fmt_count, fmt_duration

        m = {"loss": round(info["avg_loss"], 3), "valid_ppl": self.ppl, "lr": f"{info['lr']:.3g}"}
        if info.get("tokens_per_sec"):
            m["tok/s"] = fmt_count(info["tokens_per_sec"])
        if info.get("eta") is not None and not info.get("total_steps"):
            m["eta"] = fmt_duration(info["eta"])
        self.p.update(info["step"], **m)

    def on_eval(self, info):
        m = info["metrics"]
        self.ppl = round(m.get("valid_ppl", float("nan")), 2)
        star = "  *best" if info.get("improved") else ""
        self.p.log(f"epoch {m['epoch']:.2f} step {m['step']}: train loss {m.get('train_loss', float('nan')):.4f}"
                   f"  valid loss {m['valid_loss']:.4f}  ppl {m['valid_ppl']:.2f}  lr {m['lr']:.3g}"
                   f"  {m['elapsed']:.0f}s{star}")

    def on_end(self, info):
        self.p.finish()


def finish(store: Store, name: str, meta: dict, result: dict) -> dict:
    """best.safetensors -> weights.safetensors, then model.json (last)."""
    from wordshell import checkpoint as ck
    from wordshell.train import training_summary

    d = store.model_dir(name)
    tensors, _ = ck.load_tensors(d / "ckpt" / "best.safetensors")
    ck.save_tensors(d / "weights.safetensors", tensors, {"kind": meta["kind"], "name": name})
    best, last = result.get("best") or {}, result.get("last") or {}
    metrics = {"valid_ppl": best.get("valid_ppl"), "best_valid_ppl": best.get("valid_ppl"),
               "valid_loss": best.get("valid_loss"), "valid_bits": best.get("valid_bits"),
               "last_valid_ppl": last.get("valid_ppl"), "best_step": best.get("step")}
    return store.write_model(name, {**meta, "params": result.get("params", 0), "metrics": metrics,
                                    "training": training_summary(result), "history": result["history"]})
