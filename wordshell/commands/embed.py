"""`train word2vec` and `train fasttext`: gensim training into the store."""

from __future__ import annotations

import click

from wordshell.options import background_option, command, corpus_options, pass_session, run_in_background, tokenizer_from
from wordshell.errors import UsageError
from wordshell.result import Result


def _embedding_options(fn):
    opts = [
        click.option("--sg/--cbow", "sg", default=True, show_default=True,
                     help="Skip-gram (predict context from word) or CBOW (predict word from context)."),
        click.option("--negative", type=click.IntRange(0), default=5, show_default=True,
                     help="Negative samples per positive pair (0 = none; then --hs)."),
        click.option("--hs", is_flag=True, help="Hierarchical softmax (use with --negative 0 for HS only)."),
        click.option("--dim", type=click.IntRange(1, 10000), default=100, show_default=True, help="Vector size."),
        click.option("--window", type=click.IntRange(1, 100), default=5, show_default=True,
                     help="Max distance between a word and its context words."),
        click.option("--min-count", type=click.IntRange(1), default=5, show_default=True,
                     help="Ignore words rarer than this."),
        click.option("--max-vocab", type=click.IntRange(1), default=None, help="Keep at most this many words."),
        click.option("--sample", type=click.FloatRange(0, 1, max_open=True), default=1e-3, show_default=True,
                     help="Down-sample frequent words above this relative frequency (0 = off)."),
        click.option("--epochs", type=click.IntRange(1, 1000), default=5, show_default=True),
        click.option("--alpha", type=click.FloatRange(0, 10, min_open=True), default=0.025, show_default=True,
                     help="Initial learning rate."),
        click.option("--workers", type=click.IntRange(1, 64), default=None,
                     help="Training threads (default: CPU cores, at most 8). gensim's loss is exact "
                          "only with 1 (its threads share the total without a lock)."),
        click.option("--seed", type=click.IntRange(0), default=1, show_default=True),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def _train(session, kind, name, corpus, force, **kw):
    from wordshell.corpus import sources as corpora
    from wordshell.vectors.train import EmbeddingConfig, default_workers, train_embeddings

    store = session.store
    if store.has_model(name) and not force:
        raise UsageError(f"model '{name}' exists", "use --force to replace it, or pick another name")
    tok = tokenizer_from(kw)
    progress = session.progress()
    c = corpora.resolve(store, corpus, encoding=kw.pop("encoding", None), progress=progress)
    cfg_keys = {"dim", "window", "min_count", "sg", "negative", "hs", "sample", "epochs", "alpha", "seed",
                "max_vocab", "min_n", "max_n", "bucket"}
    cfg = EmbeddingConfig(kind=kind, workers=kw.get("workers") or default_workers(),
                          **{k: v for k, v in kw.items() if k in cfg_keys and v is not None})
    meta = train_embeddings(store, name, c, tok, cfg, progress, command=session.command_line, force=force)
    session.forget(name)
    t = meta["training"]
    last = meta["history"][-1] if meta["history"] else {}
    rows = [
        ("model", name), ("kind", f"{kind} ({'skip-gram' if cfg.sg else 'CBOW'}, "
                                   f"{'HS' if cfg.hs else ''}{'+' if cfg.hs and cfg.negative else ''}"
                                   f"{f'negative {cfg.negative}' if cfg.negative else ''})"),
        ("corpus", f"{c.name} ({meta['corpus']['tokens']:,} tokens)"),
        ("vocabulary", meta["vocab_size"]), ("dimensions", meta["dim"]), ("epochs", cfg.epochs),
        ("time", f"{t['seconds']:.1f} s"), ("words/s", t["per_second"]),
    ]
    if "loss" in last:
        rows.append(("last epoch loss", last["loss"]))
    example = next((w for w, _ in meta_top_words(session, name)), "WORD")
    return Result(["", "value"], rows, title=f"Trained {kind} model '{name}'", keys=["field", "value"],
                  notes=[f"try: similar {example} --model {name}"], data=None)


EXAMPLE_WORDS = ("king", "government", "city", "music", "police", "film", "war", "water", "school", "france")


def meta_top_words(session, name):
    """A word worth asking about, for the 'try:' hint after training."""
    kv = session.vectors(name)
    for w in EXAMPLE_WORDS:
        if kv.has(w):
            yield kv.key(w), 0
            return
    for i, w in enumerate(kv.words[50:400]):
        if len(w) >= 6 and w.isalpha():
            yield w, i
            return
    if kv.words:
        yield kv.words[0], 0


@command("word2vec")
@click.argument("name")
@corpus_options
@_embedding_options
@click.option("--force", is_flag=True, help="Replace an existing model of this name.")
@background_option
@pass_session
def train_word2vec(session, name, corpus, force, background, **kw):
    """Train a Word2Vec model with gensim.

    \b
      train word2vec w2v --corpus lee --epochs 10
      train word2vec w2v --corpus ~/text/*.txt --cbow --hs --negative 0
    """
    if background:
        return run_in_background(session, name, "word2vec")
    return _train(session, "word2vec", name, corpus, force, **kw)


@command("fasttext")
@click.argument("name")
@corpus_options
@_embedding_options
@click.option("--min-n", type=click.IntRange(1, 20), default=3, show_default=True, help="Shortest character n-gram.")
@click.option("--max-n", type=click.IntRange(1, 20), default=6, show_default=True, help="Longest character n-gram.")
@click.option("--bucket", type=click.IntRange(1), default=200_000, show_default=True,
              help="Hash buckets for n-grams. 200k x 100 dims = 80 MB; fastText's 2M would be 800 MB.")
@click.option("--force", is_flag=True, help="Replace an existing model of this name.")
@background_option
@pass_session
def train_fasttext(session, name, corpus, force, background, **kw):
    """Train a FastText model (word vectors + character n-gram buckets) with gensim.

    Unseen words get vectors from their n-grams: see 'oov WORD'.

    \b
      train fasttext ft --corpus lee --epochs 10
    """
    if background:
        return run_in_background(session, name, "fasttext")
    return _train(session, "fasttext", name, corpus, force, **kw)
