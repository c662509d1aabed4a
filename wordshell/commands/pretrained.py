"""`models download` (pretrained vectors from the catalog) and `models index` (an ANN index)."""

from __future__ import annotations

import os

import click

from wordshell.errors import UsageError
from wordshell.options import command, pass_session
from wordshell.render import human_bytes
from wordshell.result import Result, message


def _size(n) -> str:
    return human_bytes(n) if n else "?"


def _list(session, lang: str | None) -> Result:
    from wordshell.vectors.catalog import catalog

    rows = []
    for name, e in sorted(catalog().items(), key=lambda kv: (kv[1].get("source") != "gensim-data", kv[0])):
        if lang and e.get("lang") != lang:
            continue
        words = e.get("words")
        approx = "~" if e.get("source") == "fastText" and words else ""
        rows.append((name, f"{approx}{words:,}" if words else "?", e.get("dim") or "?", _size(e.get("size")),
                     e.get("format"), "md5" if e.get("checksum") else "none", e.get("license"), e.get("lang")))
    if not rows:
        raise UsageError(f"no pretrained vectors for language {lang!r}", "see 'models download --list'")
    notes = ["fastText publishes no checksums and no file sizes: its files are checked by the size the "
             "server announces only"] if any(r[5] == "none" for r in rows) else []
    return Result(["name", "words", "dim", "size", "format", "checksum", "license", "lang"], rows,
                  title="Pretrained vectors ('models download NAME')", notes=notes, styles={0: "bold"})


@command("download")
@click.argument("name", required=False)
@click.option("--list", "list_", is_flag=True, help="List the catalog (names, sizes, licenses).")
@click.option("--lang", default=None, metavar="CODE", help="With --list: only this language (e.g. ru).")
@click.option("--as", "as_", default=None, metavar="MODEL", help="Model name (default: the catalog name).")
@click.option("--limit", type=click.IntRange(1), default=None, help="Keep the N most frequent words.")
@click.option("--dtype", type=click.Choice(["float32", "float16"]), default="float32", show_default=True,
              help="Storage precision (float16 halves disk; queries compute in float32).")
@click.option("--keep", is_flag=True, help="Keep the downloaded file (default: deleted after the import).")
@click.option("--force", is_flag=True, help="Replace an existing model of this name.")
@pass_session
def download(session, name, list_, lang, as_, limit, dtype, keep, force):
    """Download pretrained vectors (gensim-data, fastText cc.<lang>.300) and import them.

    The transfer resumes where a broken one stopped (run the same command again); the file is
    checked (md5 where the publisher gives one), then imported while it is decompressed.

    \b
      models download --list --lang ru
      models download glove-wiki-gigaword-100
      models download cc.ru.300 --limit 200000 --dtype float16
    """
    if list_ or not name:
        if not list_:
            raise UsageError("give a NAME to download, or --list")
        return _list(session, lang)
    from wordshell.store import validate_name
    from wordshell.vectors.catalog import entry
    from wordshell.vectors.fetch import fetch
    from wordshell.vectors.formats import import_vectors

    e = entry(name)
    model = validate_name(as_ or name)
    if session.store.has_model(model) and not force:
        raise UsageError(f"model '{model}' exists", "use --force to replace it, or --as another name")
    dest = session.store.state_dir / "downloads" / os.path.basename(e["url"].split("?")[0])
    fetch(e["url"], dest, size=e.get("size"), checksum=e.get("checksum"), progress=session.progress())
    source = {"name": name, "url": e["url"], "license": e.get("license"), "checksum": e.get("checksum")}
    try:
        meta = import_vectors(session.store, str(dest), model, e.get("format"), limit, None,
                              command=session.command_line, force=force, dtype=dtype,
                              progress=session.progress(), source=source)
    finally:
        if not keep:
            dest.unlink(missing_ok=True)
    session.forget(model)
    r = imported_message(meta, model)
    r.notes.append(f"license: {e.get('license')}")
    if keep:
        r.notes.append(f"kept the download: {dest}")
    return r


@command("index")
@click.argument("name")
@click.option("--lists", "nlist", type=click.IntRange(16, 1 << 20), default=None,
              help="Inverted lists (default ~2 sqrt(words)).")
@click.option("--target", type=click.FloatRange(0.5, 1.0), default=0.97, show_default=True,
              help="Recall@10 to reach when tuning how many lists a query scans.")
@click.option("--drop", is_flag=True, help="Remove the model's index.")
@pass_session
def index(session, name, nlist, target, drop):
    """Build an approximate-search index for a big vectors model (optional: pip install 'wordshell[ann]').

    The shell then answers 'similar' from it in milliseconds (re-scored exactly; --exact scans all).
    """
    from wordshell.build import ModelLock
    from wordshell.store import validate_name
    from wordshell.vectors.ann import INDEX, INFO, build

    validate_name(name)
    kv = session.vectors(name)
    d = session.store.model_dir(name)
    lock = ModelLock(session.store, name, session.command_line)
    lock.acquire()
    try:
        if drop:
            for f in (INDEX, INFO):
                (d / f).unlink(missing_ok=True)
            session.forget(name)
            return message(f"removed the index of '{name}'", model=name)
        info = build(kv, d, nlist=nlist, target=target, progress=session.progress())
    finally:
        lock.release()
    session.forget(name)
    return message(f"indexed {info['words']:,} words of '{name}' in {info['seconds']:.0f} s: {info['nlist']} lists, "
                   f"{info['nprobe']} scanned per query, recall@10 {info['recall_at_10']:.3f}", model=name, **info)


def imported_message(meta: dict, name: str):
    """The one-line answer of an import (and of a download), with what was dropped as notes."""
    extra = f", n-grams {meta['min_n']}-{meta['max_n']} in {meta['bucket']:,} buckets" if meta.get("bucket") else ""
    imp = meta["imported"]
    dtype = f", {imp['dtype']}" if imp.get("dtype", "float32") != "float32" else ""
    r = message(f"imported {meta['vocab_size']:,} vectors of {meta['dim']} dims as '{name}' "
                f"({imp['format']}{extra}{dtype}) in {imp['seconds']:.1f} s", model=name,
                words=meta["vocab_size"], dim=meta["dim"], duplicates=imp.get("duplicates", 0),
                skipped=imp.get("skipped", 0))
    r.notes = list(meta.get("notes") or [])
    return r
