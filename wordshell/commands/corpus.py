"""`corpus list|add|download|info|rm`."""

from __future__ import annotations

import click

from wordshell.options import command, group, pass_session, tokenizer_from
from wordshell.result import Result, message


@group("corpus")
@click.pass_context
def corpus(ctx):
    """Corpora: bundled samples, downloads, your files (no subcommand = list)."""
    if ctx.invoked_subcommand is None:
        return ctx.invoke(list_corpora)
    return None


@command("list")
@click.option("--available", is_flag=True, help="Also list downloadable corpora not fetched yet.")
@pass_session
def list_corpora(session, available):
    """Corpora in the workspace, the bundled samples, and (with --available) the download catalog."""
    from wordshell.corpus import sources as corpora
    from wordshell.render import human_bytes
    from wordshell.corpus.corpus import cached_stats
    from wordshell.corpus.tokens import Tokenizer

    store = session.store
    rows = []
    registered = corpora.registered_names(store)
    for name in registered:
        try:
            c = corpora.resolve(store, name)
            st = cached_stats(store, c, Tokenizer())
            rows.append((name, "workspace", c.format, human_bytes(c.size_bytes), st["tokens"] if st else None,
                         c.description or c.origin))
        except Exception as e:  # one broken corpus must not hide the others
            rows.append((name, "workspace", "?", "", None, f"unreadable: {e}"))
    data_dir = corpora.gensim_data_dir()
    for name, (fname, fmt, desc) in corpora.BUILTIN.items():
        if name not in registered:
            size = (data_dir / fname).stat().st_size if (data_dir / fname).exists() else 0
            rows.append((name, "bundled", "labelled" if fmt == "fasttext" else "text", human_bytes(size), None, desc))
    for name, entry in corpora.catalog().items():
        if name not in registered and available:
            rows.append((name, "download", entry.get("format", "text"), "", None, entry.get("description", "")))
    notes = [] if available else ["more with 'corpus list --available' (downloaded on first use)"]
    return Result(["name", "where", "format", "size", "tokens", "description"], rows, title="Corpora",
                  notes=notes, styles={0: "bold"})


@command("add")
@click.argument("name")
@click.argument("path")
@click.option("--copy", is_flag=True, help="Copy the files into the workspace (default: refer to them).")
@click.option("--labelled", is_flag=True, help="Lines carry fastText __label__ tags (stripped for embeddings).")
@click.option("--encoding", default="utf-8", show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing corpus of this name.")
@pass_session
def add(session, name, path, copy, labelled, encoding, force):
    """Register a file, directory, glob, .gz/.bz2 file, or - (stdin, copied) as a named corpus.

    \b
      corpus add novels ~/books/*.txt
      zcat dump.gz | wordshell corpus add dump -
    """
    from wordshell.corpus import sources as corpora

    c = corpora.add(session.store, name, path, copy=copy, fmt="fasttext" if labelled else "text",
                    encoding=encoding, force=force)
    return message(f"added corpus '{name}': {len(c.files)} file(s), {c.size_bytes:,} bytes", corpus=name,
                   files=[str(f) for f in c.files])


@command("download")
@click.argument("name")
@click.option("--force", is_flag=True, help="Download again even if present.")
@pass_session
def download(session, name, force):
    """Download a corpus from the catalog (checked against its checksum)."""
    from wordshell.corpus import sources as corpora

    c = corpora.download(session.store, name, session.progress(), force=force)
    return message(f"corpus '{name}' ready: {c.files[0]} ({c.size_bytes:,} bytes)", corpus=name)


@command("info")
@click.argument("name")
@click.option("--top", "-k", default=20, show_default=True, type=click.IntRange(0, 50))
@click.option("--encoding", default=None)
@click.option("--lowercase/--cased", "lowercase", default=True, show_default=True)
@click.option("--punct/--no-punct", "punct", default=False, show_default=True)
@click.option("--split", type=click.Choice(["words", "whitespace", "chars"]), default="words", show_default=True)
@pass_session
def info(session, name, top, encoding, **tok):
    """Tokens, types, sentences, size and the most frequent words of a corpus."""
    from wordshell.corpus import sources as corpora
    from wordshell.render import human_bytes

    tokenizer = tokenizer_from(tok)
    progress = session.progress()
    c = corpora.resolve(session.store, name, encoding=encoding, progress=progress)
    _, st = c.token_file(session.store, tokenizer, progress)
    summary = [("corpus", c.name), ("source", c.origin), ("files", len(c.files)),
               ("size", human_bytes(c.size_bytes)), ("tokens", st["tokens"]), ("types", st["types"]),
               ("sentences (lines)", st["sentences"]),
               ("tokens per sentence", round(st["tokens"] / max(1, st["sentences"]), 1)),
               ("types seen once", st["hapax"]), ("tokenizer", tokenizer.key)]
    if session.fmt == "json":
        return Result(data={"corpus": c.name, "source": c.origin, "files": [str(f) for f in c.files],
                            "bytes": c.size_bytes, "tokens": st["tokens"], "types": st["types"],
                            "sentences": st["sentences"], "hapax": st["hapax"], "tokenizer": tokenizer.spec(),
                            "top": st["top"][:top]})
    total = st["tokens"]
    words = Result(["rank", "word", "count", "share"],
                   [(i + 1, w, n, n / total) for i, (w, n) in enumerate(st["top"][:top])],
                   title="Most frequent", styles={1: "bold"})
    return [Result(["", "value"], summary, title=f"Corpus '{c.name}'", keys=["field", "value"]), words]


@command("rm")
@click.argument("name")
@pass_session
def rm(session, name):
    """Forget a corpus (deletes copied/downloaded files; files you pointed at stay)."""
    from wordshell.corpus import sources as corpora

    corpora.remove(session.store, name)
    return message(f"removed corpus '{name}'")


for _c in (list_corpora, add, download, info, rm):
    corpus.add_command(_c)
