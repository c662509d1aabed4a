"""`explain onehot | pairs | prob | ngrams`: the embedding slides on the student's own models (numpy only).

The language-model views (`explain next | gradients | gates`) are in commands/explain_lm.py.
Each command returns Results (several tables on a terminal and in TSV; one JSON object with --format json).
"""

from __future__ import annotations

import click

from wordshell.errors import UsageError
from wordshell.options import command, model_option, pass_session
from wordshell.result import Result


def tables(session, parts: list[Result], data: dict, notes: list[str] = ()) -> Result | list[Result]:
    """Several tables for people (and TSV), or one JSON object holding them all (--format json)."""
    if session.fmt == "json":
        return Result(data=data, notes=list(notes))
    if notes:
        parts[-1].notes = list(parts[-1].notes) + list(notes)
    return parts


def rows_as_dicts(r: Result) -> list[dict]:
    keys = r.json_keys()
    return [dict(zip(keys, row)) for row in r.rows]


# -- explain onehot ------------------------------------------------------------------------

@command("onehot", short_help="One-hot vectors vs the dense ones: pairwise cosines.")
@click.argument("words", nargs=-1, required=True)
@model_option()
@pass_session
def onehot(session, words, model):
    """One-hot vectors (index in the vocabulary) vs the model's dense vectors: pairwise cosines.

    Two different one-hot vectors are always orthogonal (cosine 0): they cannot say that
    'cat' is closer to 'dog' than to 'car'. The dense vectors can.

    \b
      explain onehot king queen man car --model w2v
    """
    from wordshell.explain.words import onehot as compute

    kv = session.vectors(model)
    oh = compute(kv, words)
    vecs = Result(["word", "index", "one-hot (sparse)"], oh.words, styles={0: "bold"}, plain=(1,),
                  title=f"One-hot vectors: V = {oh.size:,} dimensions (the vocabulary of '{kv.name}'), one 1 each",
                  keys=["word", "index", "onehot"])
    cos = Result(["word 1", "word 2", "one-hot cosine", f"dense cosine ({kv.dim} d)"], oh.pairs,
                 title="Cosine similarity of every pair", keys=["word1", "word2", "onehot_cosine", "dense_cosine"],
                 styles={0: "bold", 1: "bold"})
    notes = ["one-hot: e_i . e_j = 0 for i != j, so every pair of different words is equally unrelated; "
             f"the dense {kv.dim}-d vectors of '{kv.name}' were learned from contexts and tell them apart"]
    return tables(session, [vecs, cos], {"model": kv.name, "vocab_size": oh.size, "dim": kv.dim,
                                         "words": rows_as_dicts(vecs), "pairs": rows_as_dicts(cos)}, notes)


# -- explain pairs -------------------------------------------------------------------------

@command("pairs", short_help="The skip-gram pairs and CBOW examples word2vec cuts from a sentence.")
@click.argument("sentence", nargs=-1, required=True)
@click.option("--window", "-w", type=click.IntRange(1, 100), default=2, show_default=True,
              help="The largest window (each centre word draws its own 1..window).")
@click.option("--model", "-m", "model", default=None, metavar="NAME",
              help="Use this model's vocabulary and corpus counts (subsampling needs them).")
@click.option("--sample", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Subsampling threshold [the model's, else 1e-3]; 0 = off.")
@click.option("--no-dynamic", "fixed", is_flag=True, help="Always the full window (word2vec draws one per word).")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="Seed of the subsampling and window draws.")
@click.option("--show", type=click.Choice(["all", "tokens", "skipgram", "cbow"]), default="all", show_default=True)
@pass_session
def pairs(session, sentence, window, model, sample, fixed, seed, show):
    """The training examples word2vec cuts from a sentence: skip-gram pairs and CBOW examples.

    With --model, words outside its vocabulary are dropped and frequent words are subsampled
    before the windows are cut, as word2vec does.

    \b
      explain pairs "I saw a cute grey cat playing in the garden" --window 2
      explain pairs "the cat sat on the mat" --model w2v --seed 3
    """
    from wordshell.corpus.tokens import Tokenizer
    from wordshell.explain.pairs import make_pairs

    text = " ".join(sentence)
    counts = None
    tokenizer = Tokenizer()
    if model:
        kv = session.vectors(model)
        tokenizer = kv.tokenizer or tokenizer
        if kv.counts is None:
            raise UsageError(f"model '{kv.name}' has no corpus counts (imported vectors)",
                             "leave out --model, or use a model trained here")
        counts = {w: int(c) for w, c in zip(kv.words, kv.counts)}
        if sample is None:
            sample = float((kv.meta.get("config") or {}).get("sample", 1e-3))
    ex = make_pairs(tokenizer(text), window, counts, sample or 0.0, dynamic=not fixed, seed=seed)
    toks = Result(["#", "word", "count", "P(keep)", "kept", "window"],
                  [(t.position, t.word, t.count, t.keep, t.kept, t.window) for t in ex.tokens],
                  title=f"The words (subsampling {sample or 0:g}, dynamic window 1..{window})"
                  if not fixed else f"The words (subsampling {sample or 0:g}, window {window})",
                  keys=["position", "word", "count", "keep_probability", "kept", "window"], styles={1: "bold"})
    sg = Result(["centre", "->", "context", "distance"], [(p.centre, "->", p.context, p.distance) for p in ex.skipgram],
                title=f"Skip-gram: {len(ex.skipgram)} (centre -> context) pairs: predict each context word "
                      "from the centre", keys=["centre", "arrow", "context", "distance"], styles={0: "bold"})
    cb = Result(["context (averaged)", "->", "centre"], [(" ".join(c.context), "->", c.centre) for c in ex.cbow],
                title=f"CBOW: {len(ex.cbow)} examples: predict the centre from the mean of its context",
                keys=["context", "arrow", "centre"], styles={2: "bold"})
    chosen = {"tokens": [toks], "skipgram": [sg], "cbow": [cb]}.get(show, [toks, sg, cb])
    if show == "all" and _is_table(session):  # a projector: each centre's pairs on its own row, not 30 rows
        contexts: dict[int, list[str]] = {}
        for p in ex.skipgram:
            contexts.setdefault(p.position, []).append(p.context)
        toks.headers = [*toks.headers, "skip-gram pairs: centre -> each of"]
        toks.rows = [(*row, ", ".join(contexts.get(t.position, []))) for row, t in zip(toks.rows, ex.tokens)]
        toks.title += f"; skip-gram: {len(ex.skipgram)} (centre -> context) pairs"
        chosen = [toks, cb]
    data = {"window": window, "sample": sample or 0.0, "dynamic": not fixed, "seed": seed,
            "tokens": rows_as_dicts(toks), "skipgram": [{"centre": p.centre, "context": p.context,
                                                          "distance": p.distance} for p in ex.skipgram],
            "cbow": [{"context": c.context, "centre": c.centre} for c in ex.cbow]}
    return tables(session, chosen, data, ex.notes)


def _is_table(session) -> bool:
    from wordshell.render import default_format

    return (session.fmt or default_format(session.stdout)) == "table"


# -- explain prob --------------------------------------------------------------------------

@command("prob", short_help="P(o|c): full softmax, negative sampling, hierarchical softmax.")
@click.argument("context")
@click.option("--center", "--centre", "-c", "centre", required=True, metavar="WORD", help="The centre word c.")
@click.option("--top", "-k", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="How many predicted context words of the centre.")
@click.option("--negative", "-n", "k", type=click.IntRange(0, 100), default=None,
              help="Negative samples for the objective [the model's --negative, else 5].")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="Seed of the negative draws.")
@model_option()
@pass_session
def prob(session, context, centre, top, k, seed, model):
    """P(context | centre) by the full softmax, and what negative sampling / hierarchical softmax compute instead.

    \b
      explain prob queen --center king --model w2v
      explain prob paris --center france --model w2v-hs       # a --hs model: the Huffman path
    """
    from wordshell.explain.prob import explain_prob, load_context

    kv = session.vectors(model)
    ctx = load_context(session.store, kv)
    if k is None:
        k = int((kv.meta.get("config") or {}).get("negative") or 5)
    view = explain_prob(kv, ctx, centre, context, top, k, seed)
    c, o = view.centre, view.context
    parts: list[Result] = []
    data: dict = {"model": kv.name, "centre": c, "context": o}
    if view.softmax_p is not None:
        rows = [("u_o . v_c (score)", view.score), ("log sum_w exp(u_w . v_c)", view.log_z),
                (f"P({o}|{c}) = exp(score - log Z)", view.softmax_p),
                (f"rank of '{o}' among {len(kv):,} words", view.softmax_rank)]
        parts.append(Result(["full softmax over the vocabulary", "value"], rows, keys=["quantity", "value"],
                            styles={0: "bold"},
                            title=f"P({o} | {c}) = exp(u_{o} . v_{c}) / sum over {len(kv):,} words"))
        data["softmax"] = {"score": view.score, "log_z": view.log_z, "p": view.softmax_p, "rank": view.softmax_rank}
    if view.positive is not None:
        rows = [("positive", view.positive.word, view.positive.score, view.positive.value, view.positive.log)]
        rows += [("negative", t.word, t.score, t.value, t.log) for t in view.negatives]
        rows.append(("objective", "", None, None, view.objective))
        parts.append(Result(["term", "word", "u·v_c", "σ(±u·v_c)", "log σ"], rows,
                            keys=["term", "word", "score", "sigma", "log"], styles={1: "bold"},
                            title=f"Negative sampling instead: log σ(u_{o}·v_{c}) + Σ log σ(−u_k·v_{c}), "
                                  f"{len(view.negatives)} negatives from count^0.75 (seed {seed})"))
        data["negative_sampling"] = {"objective": view.objective, "terms": rows_as_dicts(parts[-1])[:-1]}
    if view.hs_p is not None:
        rows = [(d, n, b, s, p) for d, n, b, s, p in view.path]
        parts.append(Result(["depth", "node", "code bit", "u_node . v_c", "P(this way)"], rows, plain=(1,),
                            keys=["depth", "node", "bit", "score", "p"],
                            title=f"Hierarchical softmax: '{o}' is a leaf {len(rows)} nodes deep; "
                                  f"P({o}|{c}) = product = {view.hs_p:.4g}"))
        parts[-1].notes = [f"P(w|{c}) summed over all {len(kv):,} leaves of the tree: {view.hs_total:.6f}"]
        data["hierarchical_softmax"] = {"p": view.hs_p, "path": rows_as_dicts(parts[-1]), "total": view.hs_total}
    parts.append(Result(["rank", "context word", "P(w|c)"], [(i + 1, w, p) for i, (w, p) in enumerate(view.top)],
                        keys=["rank", "word", "p"], styles={1: "bold"},
                        title=f"The most likely context words of '{c}' ({view.top_by})"))
    data["top"] = rows_as_dicts(parts[-1])
    return tables(session, parts, data, view.notes)


# -- explain ngrams ------------------------------------------------------------------------

@command("ngrams", short_help="A word's character n-grams, as fastText cuts them.")
@click.argument("word")
@click.option("--min-n", type=click.IntRange(1, 20), default=None, help="Shortest n-gram [the model's, else 3].")
@click.option("--max-n", type=click.IntRange(1, 20), default=None, help="Longest n-gram [the model's, else 3].")
@click.option("--model", "-m", "model", default=None, metavar="NAME",
              help="A FastText model: add each n-gram's bucket and whether training saw it.")
@pass_session
def ngrams(session, word, min_n, max_n, model):
    """A word's character n-grams as fastText cuts them: '<where>' -> <wh whe her ere re> (+ the whole word).

    Works for any word, in or out of the vocabulary ('oov WORD' adds the composed vector's neighbours).

    \b
      explain ngrams where
      explain ngrams unbelievable --model ft
    """
    from wordshell.explain.words import ngram_norms, ngram_rows

    if not word.strip():
        raise UsageError("give a word", "e.g. explain ngrams where")
    kv = None
    if model:
        kv = session.vectors(model)
        if not kv.is_fasttext:
            raise UsageError(f"model '{kv.name}' is {kv.meta.get('kind')}: it has no character n-grams",
                             "give a FastText model, or no --model")
        min_n = min_n or int(kv.meta["min_n"])
        max_n = max_n or int(kv.meta["max_n"])
    min_n = min_n or 3
    max_n = max_n or max(3, min_n)
    w = kv.tokenizer.normalize(word) if kv is not None and kv.tokenizer else word
    rows = ngram_rows(w, min_n, max_n, kv)
    title = f"'<{w}>': {sum(r.what == 'n-gram' for r in rows)} character n-grams, n = {min_n}..{max_n}"
    if kv is None:
        result = Result(["n-gram", "what"], [(r.ngram, r.what) for r in rows], title=title, styles={0: "bold"},
                        keys=["ngram", "what"])
        result.notes = ["fastText's vector of a word = its own vector (if in the vocabulary) + the n-grams' "
                        "vectors, averaged; an unseen word gets the n-grams' alone"]
        return result
    norms = ngram_norms(kv, rows)
    in_vocab = kv.has(word)
    result = Result(["n-gram", "what", "bucket", "seen in training", "norm"],
                    [(r.ngram, r.what, r.bucket, r.seen, n) for r, n in zip(rows, norms)],
                    title=title + f"; '{w}' is {'in' if in_vocab else 'NOT in'} the vocabulary of '{kv.name}'",
                    keys=["ngram", "what", "bucket", "seen", "norm"], styles={0: "bold"}, plain=(2,))
    result.notes = [f"buckets: fastText's FNV-1a hash % {kv.ngrams.shape[0]:,}; see 'oov {word} --model {kv.name}' "
                    "for the composed vector's neighbours"]
    return result
