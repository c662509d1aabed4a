"""`models list|info|rm|import|export` and `use`."""

from __future__ import annotations

import os

import click

from wordshell.commands.pretrained import download, imported_message, index
from wordshell.errors import UsageError
from wordshell.options import command, group, pass_session
from wordshell.render import human_bytes
from wordshell.result import Result, message


@group("models")
@click.pass_context
def models(ctx):
    """List, inspect, import, export and remove models (no subcommand = list)."""
    if ctx.invoked_subcommand is None:
        return ctx.invoke(list_models)
    return None


def _size(path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def _summary(meta: dict) -> str:
    cfg = meta.get("config") or {}
    fam = meta.get("family")
    if fam == "vectors":
        bits = [f"{meta.get('vocab_size', 0):,} words x {meta.get('dim')}"]
        if meta.get("kind") in ("word2vec", "fasttext") and "sg" in cfg:
            bits.append("skip-gram" if cfg.get("sg") else "CBOW")
        if meta.get("kind") == "fasttext":
            bits.append(f"n-grams {meta.get('min_n')}-{meta.get('max_n')}")
        return ", ".join(bits)
    metrics = {**(meta.get("metrics") or {}), **({"params": meta["params"]} if "params" in meta else {})}
    bits = []
    for k in ("valid_ppl", "valid_acc", "train_acc", "valid_f1", "params"):
        if metrics.get(k) is not None:
            v = metrics[k]
            bits.append(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}")
    return ", ".join(bits)


def context_text(kept: dict | None) -> str:
    """models info's line on the output vectors that `explain prob` needs."""
    if not kept:
        return "none (imported, or trained with --no-context-vectors): 'explain prob' cannot compute P(o|c)"
    parts = []
    if kept.get("negative"):
        parts.append(f"{kept['negative']} (output vectors of negative sampling)")
    if kept.get("hs"):
        parts.append(f"{kept['hs']} (Huffman tree of hierarchical softmax)")
    return "; ".join(parts)


@command("list")
@pass_session
def list_models(session):
    """All models in the workspace."""
    rows = []
    active = session.active_model
    from wordshell.jobs.status import ACTIVE, current, read_status
    from wordshell.store import unfinished_text

    store = session.store
    for name, meta in store.iter_models():
        d = store.model_dir(name)
        job = current(read_status(d / "job.json") or {})
        run = store.unfinished(name)
        training = job.get("state") in ACTIVE or store.lock_holder(name) is not None
        if meta is None:
            if training:
                label, summary = "(training)", "see 'jobs'" if job else "in another process"
            elif run is not None:
                label, summary = "(unfinished)", unfinished_text(run)
            elif job:
                label, summary = f"(job {job.get('state', '?')})", "see 'jobs'"
            else:
                label, summary = "(incomplete)", "its run stopped before a first checkpoint; train it again"
            kind = (run or {}).get("meta", {}).get("kind")
            rows.append((name, f"{kind} {label}" if kind else label, "", summary, human_bytes(_size(d)), False))
            continue
        summary = _summary(meta)
        if training:
            summary += " (a new version is training)"
        elif run is not None and run["staging"]:
            summary += f" (a --force run beside it: {unfinished_text(run)})"
        data = meta.get("data") or {}
        corpus = ((meta.get("corpus") or {}).get("name") or (meta.get("imported") or {}).get("format")
                  or data.get("name") or os.path.basename(data.get("source") or ""))
        rows.append((name, meta.get("kind", "?"), corpus, summary, human_bytes(_size(d)), name == active))
    if not rows:
        return message(f"no models in {session.store.checkpoints_dir} yet; try 'demo' or 'train word2vec'")
    return Result(["name", "kind", "corpus", "summary", "size", "active"], rows, title="Models",
                  styles={0: "bold"})


@command("info")
@click.argument("name", required=False)
@pass_session
def info(session, name):
    """Everything model.json records: kind, hyperparameters, corpus, training, metrics."""
    name = session.model_name(name)
    store = session.store
    run = store.unfinished(name)
    if not store.has_model(name) and run is not None:
        return _unfinished_info(session, name, run)
    meta = store.model_meta(name)
    notes = []
    if run is not None and run["staging"]:
        from wordshell.store import unfinished_text

        notes.append(f"a --force run of '{name}' waits beside it: {unfinished_text(run)}")
    if session.fmt == "json":
        return Result(data=meta, notes=notes)
    rows = [("kind", meta.get("kind")), ("family", meta.get("family"))]
    if meta.get("kind") in ("word2vec", "fasttext"):  # which engine trained it (models before issue 16: gensim)
        rows.append(("engine", meta.get("engine") or "gensim"))
    for key in ("vocab_size", "dim", "min_n", "max_n", "bucket", "params"):
        if key in meta:
            rows.append((key, meta[key]))
    if meta.get("family") == "vectors":
        rows.append(("context vectors", context_text(meta.get("context_vectors"))))
    for section in ("config", "train", "tokenizer", "corpus", "data", "training", "imported", "metrics"):
        val = meta.get(section)
        if isinstance(val, dict):
            for k, v in val.items():
                if v is not None and k != "top":
                    rows.append((f"{section}.{k}", v))
    hist = meta.get("history") or []
    if hist:
        first, last = hist[0], hist[-1]
        for k in ("loss", "train_loss", "valid_ppl", "valid_acc", "train_acc", "valid_f1"):
            if k in first and k in last:
                rows.append((f"history.{k}", f"{first[k]:.4g} -> {last[k]:.4g} over {len(hist)} evals"))
    for key in ("command", "created", "seed"):
        if meta.get(key) not in (None, ""):
            rows.append((key, meta[key]))
    rows.append(("versions", ", ".join(f"{k} {v}" for k, v in (meta.get("versions") or {}).items())))
    rows.append(("path", str(session.store.model_dir(name))))
    return Result(["field", "value"], [(k, v if not isinstance(v, (dict, list)) else str(v)) for k, v in rows],
                  notes=notes,
                  title=f"Model '{name}'", styles={0: "bold"})


def _with_resume(command: str) -> str:
    """The command that continues a run (a resumed run's own command line already says --resume).

    >>> _with_resume("wordshell train lm x --resume"), _with_resume("wordshell train lm x")
    ('wordshell train lm x --resume', 'wordshell train lm x --resume')
    """
    return command if " --resume " in f" {command} " else f"{command} --resume"


def _unfinished_info(session, name: str, run: dict) -> Result:
    """`models info` of a run that stopped before its end: what its last checkpoint holds."""
    from wordshell.store import unfinished_text

    meta = run.get("meta") or {}
    best = run.get("best_metrics") or {}
    rows = [("kind", meta.get("kind")), ("state", unfinished_text(run)), ("step", run.get("step")),
            ("epochs done", run.get("epoch")), ("seconds", round(run.get("elapsed") or 0, 1))]
    rows += [(f"best so far.{k}", v) for k, v in best.items() if k in ("valid_ppl", "valid_acc", "valid_loss", "step")]
    rows += [(f"config.{k}", v) for k, v in (meta.get("config") or {}).items()]
    if meta.get("command"):
        rows.append(("command", meta["command"]))
    if session.fmt == "json":
        return Result(data={"name": name, "unfinished": True, **{k: v for k, v in run.items() if k != "history"}})
    return Result(["field", "value"], [(k, str(v) if isinstance(v, (dict, list)) else v) for k, v in rows],
                  title=f"Model '{name}' (unfinished)", styles={0: "bold"},
                  notes=[f"continue it: {_with_resume(meta['command'])}" if meta.get("command") else
                         "continue it with the same 'train' command and --resume"])


@command("rm")
@click.argument("names", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask (one-shot runs never ask).")
@pass_session
def rm(session, names, yes):
    """Remove models (and their checkpoints)."""
    for name in names:
        job = session.jobs.job_of(name) if (session.store.model_dir(name) / "job.json").exists() else None
        if job is not None and job.active:
            raise UsageError(f"model '{name}' is being trained by job {job.id}",
                             f"cancel it first: 'jobs cancel {job.id}'")
        session.store.remove_model(name)
        session.forget(name)
        if session.active_model == name:
            session.use(None)
    return message(f"removed {', '.join(names)}", removed=list(names))


@command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.argument("name")
@click.option("--file-format", "-F", "vformat", type=click.Choice(["word2vec", "word2vec-text", "glove", "fasttext",
                                                              "fasttext-vec"]),
              default=None, help="File format (default: detected).")
@click.option("--limit", type=click.IntRange(1), default=None,
              help="Keep the first N words (pretrained files list the most frequent first).")
@click.option("--dtype", type=click.Choice(["float32", "float16"]), default="float32", show_default=True,
              help="Storage precision: float16 halves disk and page cache (queries compute in float32).")
@click.option("--skip-bad", is_flag=True, help="Drop malformed lines and nan/inf vectors (counted) instead of refusing.")
@click.option("--lowercase/--cased", default=None, help="Lower-case query words (default: exact, then lower case).")
@click.option("--force", is_flag=True, help="Replace an existing model of this name.")
@pass_session
def import_(session, path, name, vformat, limit, dtype, skip_bad, lowercase, force):
    """Import vectors: word2vec .bin/.txt, GloVe .txt, fastText .bin (with n-grams) or .vec
    (also .gz/.bz2/.xz/.zip). Streams: memory stays the vocabulary plus a few blocks.

    \b
      models import ~/glove.6B.100d.txt glove100 --file-format glove
      models import cc.en.300.bin ft-en --limit 200000 --dtype float16
    """
    from wordshell.vectors.formats import import_vectors
    from wordshell.store import validate_name

    validate_name(name)
    if session.store.has_model(name) and not force:
        raise UsageError(f"model '{name}' exists", "use --force to replace it")
    if vformat == "fasttext-vec":
        vformat = "word2vec-text"
    meta = import_vectors(session.store, path, name, vformat, limit, lowercase, command=session.command_line,
                          force=force, dtype=dtype, skip_bad=skip_bad, progress=session.progress())
    session.forget(name)
    return imported_message(meta, name)


import_.name = "import"


@command("export")
@click.argument("name")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--file-format", "-F", "vformat", type=click.Choice(["word2vec", "word2vec-text", "glove", "fasttext-vec"]),
              default=None, help="Default: by extension (.bin word2vec, .vec fasttext-vec, .txt word2vec-text).")
@pass_session
def export(session, name, path, vformat):
    """Export vectors for gensim, fastText, spaCy and others.

    \b
      models export w2v w2v.bin
      models export w2v vectors.txt --file-format glove
    """
    from wordshell.vectors.formats import export_vectors

    if vformat is None:
        vformat = {".bin": "word2vec", ".vec": "fasttext-vec"}.get(os.path.splitext(path)[1], "word2vec-text")
    kv = session.vectors(name)
    out = export_vectors(kv, path, vformat)
    note = []
    if kv.is_fasttext:
        note.append("only the word vectors were exported; the n-gram buckets stay in the workspace")
    r = message(f"wrote {len(kv):,} vectors to {out} ({vformat})", path=str(out), format=vformat, words=len(kv))
    r.notes = note
    return r


for _c in (list_models, info, rm, import_, export):
    models.add_command(_c)


models.add_command(download)
models.add_command(index)


@command("use")
@click.argument("name", required=False)
@click.option("--none", "clear", is_flag=True, help="Clear the active model.")
@pass_session
def use(session, name, clear):
    """Set the active model, used when a command gets no --model (kept in the workspace)."""
    if clear:
        session.use(None)
        return message("no active model")
    if not name:
        return message(f"active model: {session.active_model or '(none)'}", model=session.active_model)
    session.use(name)
    meta = session.store.model_meta(name)
    return message(f"using '{name}' ({meta.get('kind')}, {_summary(meta)})", model=name)
