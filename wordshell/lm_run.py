"""What `train lm`, `generate` and `perplexity` do (commands/lm.py holds only their options)."""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict

from wordshell.errors import BadInput, UsageError
from wordshell.render import isatty
from wordshell.result import Result

DEFAULTS = {  # optimizer -> defaults that work at a fixed budget on PTB-sized data (see bench/)
    "sgd": {"lr": 20.0, "clip": 0.25, "schedule": "plateau", "weight_decay": 0.0},
    "adam": {"lr": 3e-3, "clip": 1.0, "schedule": "cosine", "weight_decay": 0.0},
    "adamw": {"lr": 3e-3, "clip": 1.0, "schedule": "cosine", "weight_decay": 0.01},
}
# options a resumed run takes from the checkpoint unless given again
TRAIN_KEYS_SAVED = ("optimizer", "lr", "weight_decay", "clip", "epochs", "max_steps", "time_budget",
                    "eval_every", "ckpt_every", "schedule", "anneal", "warmup", "patience", "seed", "threads",
                    "cpu_bf16")
# options a resumed run takes from the checkpoint (its model and vocabulary cannot change)
ARCH_KEYS = ("arch", "level", "min_count", "max_vocab", "layers", "hidden", "emb", "dropout", "tied", "context",
             "adaptive")


def train_command(session, name, corpus, tokenizer, kw: dict, explicit: set, *, resume: bool, force: bool):
    from wordshell import distributed
    from wordshell.lm_data import Vocab
    from wordshell.lm_train import ProgressCallback, RunSpec, finish, model_config, prepare, run, run_distributed
    from wordshell.store import validate_name
    from wordshell.tokens import Tokenizer
    from wordshell.train import TrainConfig, read_state

    store = session.store
    validate_name(name)
    d = store.model_dir(name)
    last = d / "ckpt" / "last.safetensors"
    rank0 = distributed.env_world() <= 1 or _env_rank() == 0
    if resume and not last.is_file():
        if store.has_model(name):
            raise UsageError(f"model '{name}' has no checkpoint to resume from")
        session.note(f"note: no checkpoint of '{name}' to resume; starting from scratch")
        resume = False
    if not resume:
        if store.has_model(name) and not force:
            raise UsageError(f"model '{name}' exists", "use --force to replace it, or --resume to train it further")
        if last.is_file() and not force:
            raise UsageError(f"an unfinished run of '{name}' left a checkpoint",
                             "continue it with --resume, or start over with --force")
        if d.exists() and force and rank0:
            store.remove_model(name)
    saved = read_state(d / "ckpt") if resume else None
    if saved:
        smeta, strain = saved.get("meta") or {}, saved.get("train") or {}
        ignored = sorted(k for k in ARCH_KEYS if k in explicit)
        if ignored:
            session.note("note: --resume keeps the checkpoint's model and vocabulary; ignoring "
                         + ", ".join("--" + k.replace("_", "-") for k in ignored))
        for k in TRAIN_KEYS_SAVED:
            if k not in explicit and k in strain:
                kw[k] = strain[k]
        for k in ("bptt", "batch"):
            if k not in explicit and k in smeta.get("train", {}):
                kw[k] = smeta["train"][k]
        kw["level"] = smeta.get("level", "word")
        tokenizer = Tokenizer.from_spec(smeta.get("tokenizer"))
        vocab = Vocab.load(d / "vocab.txt", kw["level"])
    else:
        vocab = None
    if kw["batch"] % kw["nproc"]:
        raise BadInput(f"--batch {kw['batch']} is not divisible by {kw['nproc']} processes",
                       "each process takes an equal share of the batch's columns")
    level = kw["level"]
    min_count = kw["min_count"] or (1 if level == "char" else 2)
    progress = session.progress()
    data = prepare(store, corpus, tokenizer, level, min_count=min_count, max_vocab=kw["max_vocab"],
                   valid=kw["valid"], valid_split=kw["valid_split"], encoding=kw["encoding"], vocab=vocab,
                   progress=progress)
    if saved:
        kind, config = saved["meta"]["kind"], saved["meta"]["config"]
        if saved["meta"].get("corpus", {}).get("fingerprint") != data.info["fingerprint"]:
            session.note("warning: the corpus differs from the one this checkpoint was trained on")
    else:
        kind, config = model_config(kw["arch"], len(data.vocab), kw["emb"], kw["hidden"], kw["layers"],
                                    kw["dropout"], kw["tied"], kw["context"], kw["adaptive"])
        from wordshell.kinds import model_class

        model_class(kind).Config(**config).check()  # bad sizes fail here, before any file is written
    opt = kw["optimizer"]
    dflt = DEFAULTS[opt]
    epochs = kw["epochs"] or (0 if kw["time_budget"] or kw["max_steps"] else 10)  # 0 = no epoch limit
    threads = kw["threads"]
    if not threads:
        import os

        threads = (auto_threads(config, kw["batch"], kw["bptt"]) if kw["nproc"] == 1
                   else max(1, (os.cpu_count() or 1) // kw["nproc"]))
    tc = TrainConfig(optimizer=opt, lr=kw["lr"] or dflt["lr"],
                     weight_decay=dflt["weight_decay"] if kw["weight_decay"] is None else kw["weight_decay"],
                     clip=dflt["clip"] if kw["clip"] is None else kw["clip"], epochs=epochs,
                     max_steps=kw["max_steps"], time_budget=kw["time_budget"], eval_every=kw["eval_every"],
                     ckpt_every=kw["ckpt_every"],
                     # a time budget has a known end: decay the LR towards it instead of waiting for plateaus
                     schedule=kw["schedule"] or ("cosine" if kw["time_budget"] else dflt["schedule"]),
                     anneal=kw["anneal"], warmup=kw["warmup"], patience=kw["patience"], device=kw["device"],
                     seed=kw["seed"], threads=threads, cpu_bf16=kw["cpu_bf16"])
    tc.check()
    if tc.cpu_bf16 and not kw["device"].startswith("cuda"):
        from wordshell.train import cpu_bf16_supported

        if not cpu_bf16_supported():
            session.note("note: this CPU has no native bfloat16 (avx512_bf16 or AMX): --bf16 is off, "
                         "training runs in float32")
    meta = {
        "name": name, "kind": kind, "family": "lm", "config": config, "level": level,
        "tokenizer": tokenizer.spec(), "vocab_size": len(data.vocab), "min_count": min_count,
        "corpus": data.info,
        "train": {**asdict(tc), "bptt": kw["bptt"], "batch": kw["batch"], "nproc": kw["nproc"]},
        "command": session.command_line, "seed": kw["seed"],
    }
    d.mkdir(parents=True, exist_ok=True)
    if not saved and rank0:
        data.vocab.save(d / "vocab.txt")
    spec = RunSpec(kind, config, asdict(tc), kw["batch"], kw["bptt"], data.train_ids, data.valid_ids,
                   str(d / "ckpt"), resume, meta, progress=not session.quiet)
    try:
        if kw["nproc"] > 1 and distributed.env_world() <= 1:
            result = run_distributed(spec, kw["nproc"])
        else:
            cb = ProgressCallback(progress if rank0 else _null(), name)
            try:
                result = run(spec, [cb])
                if distributed.env_world() > 1:  # started by torchrun
                    distributed.shutdown()
            finally:
                progress.finish()
    except KeyboardInterrupt:
        from wordshell.errors import Cancelled

        raise Cancelled(f"training of '{name}' interrupted; continue with --resume") from None
    if not rank0:
        return None
    full = finish(store, name, meta, result)
    session.forget(name)
    return _train_result(name, full, data)


def auto_threads(config: dict, batch: int, bptt: int) -> int:
    """1 thread for small models (OpenMP's barriers cost more than tiny matmuls gain), else auto-tune."""
    import os

    h, v = config.get("hidden", 200), config["vocab_size"]
    macs = batch * bptt * (8 * h * h * config.get("layers", 1) + h * v)
    return 1 if macs < 20_000_000 or (os.cpu_count() or 1) == 1 else -1  # -1: the loop tunes 1 vs all


def _env_rank() -> int:
    import os

    try:
        return int(os.environ.get("RANK", "0"))
    except ValueError:
        return 0


def _null():
    from wordshell.progress import NullProgress

    return NullProgress()


def _train_result(name, meta, data) -> Result:
    m, t = meta["metrics"], meta["training"]
    cfg = meta["config"]
    arch = meta["kind"].replace("-lm", "").upper()
    shape = (f"{arch} {cfg.get('layers')}x{cfg.get('hidden')}, emb {cfg.get('emb')}"
             + (f", context {cfg['context']}" if "context" in cfg else "") + (", tied" if cfg.get("tied") else "")
             + (f", adaptive softmax {cfg['adaptive']}" if cfg.get("adaptive") else ""))
    unit = "char" if meta["level"] == "char" else "token"
    rows = [
        ("model", name), ("kind", f"{meta['kind']} ({meta['level']}-level): {shape}"),
        ("corpus", f"{data.info['name']}: {data.info['train_tokens']:,} train / {data.info['valid_tokens']:,} "
                   f"valid {unit}s ({data.info['valid']})"),
        ("vocabulary", meta["vocab_size"]), ("parameters", meta["params"]),
        ("best valid ppl", round(m["valid_ppl"], 2) if m.get("valid_ppl") else None),
        (f"bits per {unit}", round(m["valid_bits"], 4) if m.get("valid_bits") else None),
        ("steps / epochs", f"{t['steps']} / {meta['history'][-1]['epoch'] if meta['history'] else 0:g}"),
        ("time", f"{t['seconds']:.1f} s ({t['stopped']})"),
        (f"{unit}s/s", round(t["per_second"]) if t.get("per_second") else None),
    ]
    example = "the" if meta["level"] == "word" else "T"
    return Result(["", "value"], rows, title=f"Trained language model '{name}'", keys=["field", "value"],
                  notes=[f"try: generate \"{example}\" --model {name}"])


# -- generate ----------------------------------------------------------------------

COLOURS = ((0.5, "32"), (0.1, "33"), (0.01, "38;5;208"), (0.0, "31"))  # green, yellow, orange, red


def generate_command(session, prompt, model, length, temperature, top_k, top_p, greedy, samples, seed,
                     allow_unk, show_probs):
    import torch

    from wordshell.lm_use import check_text, describe_prompt, generate, load_lm
    from wordshell.render import default_format

    check_text(prompt)
    lm = load_lm(session, model)
    length = length or (300 if lm.level == "char" else 30)
    ids, unknown = describe_prompt(lm, prompt)
    if unknown:
        session.note(f"warning: not in the vocabulary of '{lm.name}', read as <unk>: "
                     + ", ".join(dict.fromkeys(unknown)))
    gen = torch.Generator().manual_seed(seed if seed is not None else int(time.time_ns() % 2**62))
    fmt = session.fmt or default_format(session.stdout)
    char = lm.level == "char"

    def piece(i: int, first: bool) -> str:
        if i == 0:
            return "\n"
        tok = lm.vocab.itos[i]
        return tok if char or first else " " + tok

    def one(s: int):
        prev_nl = not prompt or char
        for i, p, h in generate(lm, ids, length, temperature=temperature, top_k=top_k, top_p=top_p,
                                greedy=greedy, allow_unk=allow_unk, generator=gen):
            yield s, i, piece(i, prev_nl), p, h
            prev_nl = i == 0

    if show_probs and fmt != "table" or fmt == "json":
        if show_probs:
            def rows():
                for s in range(samples):
                    for pos, (_, i, text, p, h) in enumerate(one(s)):
                        yield s + 1, pos + 1, lm.vocab.itos[i], round(p, 6), round(h, 4)

            return Result(["sample", "position", "token", "p", "entropy bits"], rows(),
                          keys=["sample", "position", "token", "p", "entropy"])

        def texts():
            for s in range(samples):
                out = "".join(t for _, _, t, _, _ in one(s))
                yield s + 1, prompt, prompt + out

        return Result(["sample", "prompt", "text"], texts())

    def stream():
        for s in range(samples):
            if s:
                yield "\n\n"
            yield prompt
            for _, i, text, p, h in one(s):
                if show_probs:
                    code = next(c for lim, c in COLOURS if p >= lim)
                    text = text if i == 0 else f"\x1b[{code}m{text}\x1b[0m"
                yield text
        yield "\n"

    notes = (["colours: green p>=0.5, yellow >=0.1, orange >=0.01, red <0.01"] if show_probs else [])
    return Result(text=stream(), notes=notes)


# -- perplexity ----------------------------------------------------------------------

def perplexity_command(session, file, model, encoding, text):
    from wordshell.lm_use import check_text, load_lm, score
    from wordshell.textio import read_lines, stdin_lines

    lm = load_lm(session, model)
    if text is not None:
        lines = check_text(text, "--text").split("\n")
        source = "--text"
    elif file in (None, "-"):
        if file is None and isatty(sys.stdin, default=True):
            raise UsageError("give a FILE, '-' for standard input, or --text", "e.g. perplexity --model M notes.txt")
        lines, source = list(stdin_lines(encoding=encoding or "utf-8")), "stdin"
    else:
        lines, source = list(read_lines(file, encoding or "utf-8")), file
    ids, unknown = lm.encode_lines(lines)
    if not [i for i in ids if i != 0]:
        raise BadInput(f"no text to score in {source}")
    total, n = score(lm, ids)
    mean = total / n
    unit = "char" if lm.level == "char" else "token"
    rows = [("model", lm.name + (" (checkpoint)" if lm.source == "checkpoint" else "")), ("text", source),
            (f"{unit}s", n), ("unknown", f"{len(unknown)} ({100 * len(unknown) / n:.1f}%)"),
            ("nll per " + unit, round(mean, 4)), ("perplexity", round(math.exp(min(mean, 700)), 3)),
            (f"bits per {unit}", round(mean / math.log(2), 4))]
    notes = []
    if unknown and lm.level == "word":
        notes.append(f"{len(unknown)} out-of-vocabulary tokens scored as <unk> "
                     f"(e.g. {', '.join(list(dict.fromkeys(unknown))[:5])})")
    r = Result(["", "value"], rows, title=f"Perplexity under '{lm.name}'", keys=["field", "value"], notes=notes)
    if session.fmt == "json":
        return Result(data={"model": lm.name, "source": source, "tokens": n, "unit": unit, "unknown": len(unknown),
                            "nll": mean, "perplexity": math.exp(min(mean, 700)), "bits": mean / math.log(2)},
                      notes=notes)
    return r
