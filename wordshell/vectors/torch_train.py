"""`train word2vec|fasttext --engine torch`: corpus -> ids -> torch_loop -> the store, in that order.

The same store layout as the gensim engine (vectors.npy, vocab.txt, counts.npy, norms.npy, ngrams.npy for
fastText, plus context.npy: the output vectors), written through store.build and save_vectors, so every
query, `oov`, eval, export and plot reads either engine's model alike. model.json says `engine: torch`.

    <model>/ckpt/last.safetensors   the tables and run state while training (torch_ckpt.py); removed
                                    once the model is committed
    --nproc N                       N processes on this machine (fit/distributed.launch); under torchrun
                                    every process runs the whole command and rank 0 writes the model
"""

from __future__ import annotations

import sys
from dataclasses import asdict, replace

from wordshell.errors import BadInput, Cancelled
from wordshell.fit import distributed

# settings a resumed run takes from its checkpoint (its tables were shaped and trained by them)
MODEL_KEYS = ("kind", "dim", "window", "min_count", "sg", "negative", "sample", "epochs", "alpha", "min_alpha",
              "seed", "max_vocab", "min_n", "max_n", "bucket")


def train_torch(store, name: str, corpus, tokenizer, config, progress, *, command: str = "", force: bool = False,
                resume: bool = False, ckpt_minutes: float = 5.0, note=print) -> dict | None:
    """Train with the torch engine; return model.json's content (None on DDP ranks other than 0)."""
    from wordshell.fit.config import resolve_device

    device = resolve_device(config.device)  # a bad --device fails before anything is written
    if device.startswith("cuda") and config.nproc > 1:
        import torch

        if config.nproc > torch.cuda.device_count():
            raise BadInput(f"--nproc {config.nproc} on CUDA needs {config.nproc} GPUs (NCCL: one per process); "
                           f"this machine has {torch.cuda.device_count()}", "use --nproc 1, or --device cpu")
    rank0 = distributed.env_world() <= 1 or distributed.env_rank() == 0
    with store.build(name, force=force, resume=resume, resumable=True, command=command, lock=rank0) as build:
        if resume and not build.resumed:
            note(f"note: no checkpoint of '{name}' to resume; starting from scratch")
        return _train(store, build, corpus, tokenizer, config, progress, command, ckpt_minutes, rank0, note)


def _train(store, build, corpus, tokenizer, config, progress, command, ckpt_minutes, rank0, note):
    from wordshell.progress import NullProgress
    from wordshell.vectors import torch_loop
    from wordshell.vectors.vocab_ids import read_ids

    ckpt = build.dir / "ckpt"
    saved = None
    if build.resumed:
        from wordshell.vectors import torch_ckpt

        saved = torch_ckpt.read_doc(ckpt)["meta"]
        config, tokenizer = _resumed(config, saved, note)
    tokens = corpus.sentences(store, tokenizer, progress)
    stats = tokens.stats
    if saved and saved.get("corpus", {}).get("fingerprint") != stats["fingerprint"]:
        note("warning: the corpus differs from the one this checkpoint was trained on")
    progress.start(f"vocab {corpus.name}", stats["tokens"], "words")
    try:
        ids = read_ids(tokens, config.min_count, config.max_vocab, progress)
    except KeyboardInterrupt:
        raise Cancelled("training cancelled; nothing was saved") from None
    finally:
        progress.finish()
    meta = _meta(config, tokenizer, corpus, stats, command)
    workers = max(1, config.workers // max(1, config.nproc))
    run = torch_loop.EngineRun(config=asdict(config), corpus=ids, ckpt_dir=str(ckpt), meta=meta,
                               resume=build.resumed, device=config.device, batch_words=config.batch_words,
                               sync_every=config.sync_every, ckpt_seconds=60.0 * ckpt_minutes, threads=workers,
                               progress=not isinstance(progress, NullProgress))
    try:
        if config.nproc > 1 and distributed.env_world() <= 1:
            result = distributed.launch(config.nproc, _worker, run)
        else:
            result = torch_loop.train(run, progress if rank0 else NullProgress())
            if distributed.env_world() > 1:  # started by torchrun
                distributed.shutdown()
    except KeyboardInterrupt:
        raise Cancelled(f"training of '{build.name}' interrupted; continue with --resume") from None
    finally:
        progress.finish()
    if not rank0:
        return None
    return _save(build, ids, config, meta, result)


def _worker(run) -> dict:
    """One of --nproc processes: rank 0 shows progress on stderr."""
    from wordshell import progress as prog
    from wordshell.vectors import torch_loop

    quiet = not (run.progress and distributed.env_rank() == 0)
    return torch_loop.train(run, prog.for_stream(sys.stderr, quiet=quiet))


def _resumed(config, saved: dict, note):
    """The checkpoint's model settings (and tokenizer); the engine settings (device, processes) as given now."""
    from wordshell.corpus.tokens import Tokenizer

    old = saved.get("config") or {}
    changed = sorted(k for k in MODEL_KEYS if k in old and old[k] != getattr(config, k))
    if changed:
        note("note: --resume keeps the checkpoint's settings; ignoring " +
             ", ".join("--" + k.replace("_", "-") for k in changed))
    config = replace(config, **{k: old[k] for k in MODEL_KEYS if k in old})
    return config, Tokenizer.from_spec(saved.get("tokenizer"))


def _meta(config, tokenizer, corpus, stats: dict, command: str) -> dict:
    cfg = asdict(config)
    if config.kind != "fasttext":
        for k in ("min_n", "max_n", "bucket"):
            cfg.pop(k)
    cfg.pop("hs", None)  # negative sampling only
    meta = {
        "kind": config.kind, "engine": "torch", "config": cfg, "tokenizer": tokenizer.spec(),
        "corpus": {"name": corpus.name, "fingerprint": stats["fingerprint"], "tokens": stats["tokens"],
                   "sentences": stats["sentences"], "types": stats["types"], "origin": corpus.origin},
        "command": command, "seed": config.seed,
    }
    if config.kind == "fasttext":
        meta.update(min_n=config.min_n, max_n=config.max_n, bucket=config.bucket)
    return meta


def _save(build, ids, config, meta: dict, result: dict) -> dict:
    """The final tables (from the last checkpoint) -> vectors.npy, context.npy, ngrams.npy; model.json."""
    import shutil

    from wordshell.vectors import torch_ckpt
    from wordshell.vectors.keyed import save_vectors
    from wordshell.vectors.torch_engine import composed_vectors, init_tables

    ckpt = build.dir / "ckpt"
    tensors, doc = torch_ckpt.load(ckpt, "cpu")
    sub = {k: getattr(config, k) for k in ("min_n", "max_n", "bucket")} if config.kind == "fasttext" else None
    tables = init_tables(len(ids.words), config.dim, seed=config.seed, device="cpu", subword=sub, words=ids.words)
    torch_ckpt.restore(tables, tensors, doc, ids.words)
    vectors = composed_vectors(tables).numpy()
    hist = result["history"]
    seconds = result["elapsed"]
    raw = ids.raw_words * config.epochs
    meta = {**meta, "history": hist, "training": {
        "seconds": round(seconds, 3), "unit": "words", "per_second": round(raw / seconds) if seconds > 0 else None,
        "epochs": config.epochs, "raw_words": int(raw), "effective_words": int(len(ids.ids) * config.epochs),
        "examples": int(sum(h["examples"] for h in hist)), "engine": "torch", "device": result["device"],
        "world": result["world"], "steps_per_epoch": result["steps_per_epoch"], "sync": result.get("sync"),
        "kernels": result.get("kernels"),
        "loss_note": None}}
    full = save_vectors(build, ids.words, vectors, meta, counts=ids.counts,
                        ngrams=tables.ngrams[:-1].numpy() if tables.subword else None,
                        context=tables.w_out.numpy() if config.context_vectors else None)
    shutil.rmtree(build.store.model_dir(build.name) / "ckpt", ignore_errors=True)  # the model holds the tables now
    return full
