"""Queries on stored vectors: similar, analogy, similarity, odd-one-out, vector, oov.

This module must stay importable without torch or gensim (tests/test_imports.py).
"""

from __future__ import annotations

import click

from wordshell.options import command, expression_words, model_option, pass_session
from wordshell.errors import UsageError
from wordshell.result import Result


def _oov_notes(kv, words) -> list[str]:
    notes = []
    for w in words:
        if not kv.has(w):
            notes.append(f"'{w}' is not in the vocabulary; its vector was built from character n-grams (see 'oov {w}')")
    return notes


@command("similar")
@click.argument("words", nargs=-1, required=True)
@click.option("--negative", "-n", "negative", multiple=True, metavar="WORD",
              help="Subtract this word (repeatable).")
@click.option("--top", "-k", default=10, show_default=True, type=click.IntRange(1, 10000), help="How many neighbours.")
@click.option("--restrict", type=click.IntRange(1), default=None,
              help="Search only the N most frequent words.")
@model_option()
@pass_session
def similar(session, words, negative, top, restrict, model):
    """Nearest neighbours by cosine similarity.

    Several words are averaged (unit vectors), --negative words subtracted, as in gensim's
    most_similar.

    \b
      similar king
      similar king woman --negative man --top 5
    """
    kv = session.vectors(model)
    rows = [(i + 1, w, s) for i, (w, s) in enumerate(kv.most_similar(words, negative, top, restrict))]
    label = " + ".join(words) + "".join(f" - {w}" for w in negative)
    return Result(["rank", "word", "similarity"], rows, title=f"Nearest to {label}  (model {kv.name})",
                  notes=_oov_notes(kv, [*words, *negative]), styles={1: "bold"})


@command("analogy", context_settings={"ignore_unknown_options": True})  # "- + -", "-man": expressions
@click.argument("expression", nargs=-1, required=True)
@click.option("--top", "-k", default=5, show_default=True, type=click.IntRange(1, 1000))
@click.option("--cosmul", is_flag=True, help="Also rank by 3CosMul (Levy & Goldberg 2014).")
@click.option("--expect", metavar="WORD", default=None, help="Report the rank of the expected answer.")
@click.option("--restrict", type=click.IntRange(1), default=None, help="Search only the N most frequent words.")
@model_option()
@pass_session
def analogy(session, expression, top, cosmul, expect, restrict, model):
    """Solve an analogy by vector arithmetic.

    \b
      analogy "king - man + woman"
      analogy man:king::woman:?  --expect queen --cosmul
    """
    from wordshell.vectors.expression import parse_expression

    text = expression_words(expression)
    positive, negative = parse_expression(text)
    kv = session.vectors(model)
    query, exclude = kv.mean_query(positive, negative)
    add_scores = kv.scores(query, restrict)
    add = kv.top(add_scores, top, exclude)
    notes = _oov_notes(kv, [*positive, *negative])
    if cosmul:
        mul_scores, _ = kv.cosmul_scores(positive, negative)
        if restrict:
            mul_scores = mul_scores[:restrict]
        mul = kv.top(mul_scores, top, exclude)
        rows = [(i + 1, a[0], a[1], m[0], m[1]) for i, (a, m) in enumerate(zip(add, mul))]
        headers = ["rank", "3CosAdd", "score", "3CosMul", "score"]
        keys = ["rank", "cosadd_word", "cosadd_score", "cosmul_word", "cosmul_score"]
        styles = {1: "bold", 3: "bold"}
    else:
        rows = [(i + 1, w, s) for i, (w, s) in enumerate(add)]
        headers, keys, styles = ["rank", "word", "3CosAdd"], ["rank", "word", "score"], {1: "bold"}
    if expect:
        if not kv.has(expect):
            raise kv.unknown(expect)
        r = kv.rank_of(add_scores, expect, exclude)
        note = f"expected '{expect}': rank {r} by 3CosAdd" if r else f"'{expect}' is one of the query words"
        if cosmul and r:
            note += f", rank {kv.rank_of(mul_scores, expect, exclude)} by 3CosMul"
        notes.append(note + f" (of {len(add_scores) - len(exclude):,} words)")
    return Result(headers, rows, title=f"{text}  (model {kv.name})", keys=keys, notes=notes, styles=styles)


@command("similarity")
@click.argument("word1")
@click.argument("word2")
@model_option()
@pass_session
def similarity(session, word1, word2, model):
    """Cosine similarity of two words (-1 .. 1)."""
    kv = session.vectors(model)
    s = kv.similarity(word1, word2)
    return Result(["word1", "word2", "cosine"], [(word1, word2, s)], notes=_oov_notes(kv, [word1, word2]))


@command("odd-one-out")
@click.argument("words", nargs=-1, required=True)
@model_option()
@pass_session
def odd_one_out(session, words, model):
    """Which word does not belong: the one farthest from the mean of all (gensim's doesnt_match).

    \b
      odd-one-out breakfast lunch dinner car
    """
    if len(words) < 3:
        raise UsageError("give at least three words")
    kv = session.vectors(model)
    ranked = kv.odd_one_out(words)
    rows = [(w, s, i == 0) for i, (w, s) in enumerate(ranked)]
    return Result(["word", "cosine to mean", "odd one"], rows, title=f"odd one out: {ranked[0][0]}",
                  keys=["word", "cosine_to_mean", "odd"], notes=_oov_notes(kv, words))


@command("vector")
@click.argument("words", nargs=-1, required=True)
@model_option()
@pass_session
def vector(session, words, model):
    """Print word vectors (TSV: word, then the values separated by spaces, as in .vec files)."""
    kv = session.vectors(model)
    rows = []
    for w in words:
        v = kv.get(w)
        rows.append((w, [float(x) for x in v]))
    return Result(["word", "vector"], rows, notes=_oov_notes(kv, words))


@command("oov")
@click.argument("word")
@click.option("--top", "-k", default=10, show_default=True, type=click.IntRange(1, 1000))
@model_option()
@pass_session
def oov(session, word, top, model):
    """Show how FastText builds a vector for a word from its character n-grams.

    Each n-gram is marked by whether it occurs in any training-vocabulary word (its bucket
    was trained); the composed vector's nearest in-vocabulary words follow.
    """
    import numpy as np

    from wordshell.vectors.ngrams import char_ngrams, ft_hash

    kv = session.vectors(model)
    if not kv.is_fasttext:
        raise UsageError(f"model '{kv.name}' is {kv.meta.get('kind')}, which has no character n-grams",
                         "train one with 'train fasttext'")
    w = kv.tokenizer.normalize(word) if kv.tokenizer else word
    min_n, max_n, buckets = int(kv.meta["min_n"]), int(kv.meta["max_n"]), kv.ngrams.shape[0]
    grams = char_ngrams(w, min_n, max_n)
    if not grams:
        raise UsageError(f"'{word}' has no {min_n}..{max_n}-character n-grams")
    text = kv.vocab_text()
    rows = []
    seen = 0
    for g in grams:
        s = g.decode("utf-8")
        found = s in text
        seen += found
        b = ft_hash(g) % buckets
        rows.append((s, b, found, float(np.linalg.norm(kv.ngrams[b]))))
    in_vocab = kv.has(word)
    vec = kv.get(word)
    norm = float(np.linalg.norm(vec))
    neighbours = []
    if norm > 0:
        exclude = {kv.idx(word)} if in_vocab else set()
        neighbours = kv.top(kv.scores(vec.astype(np.float64) / norm), top, exclude)
    cov = seen / len(grams)
    status = "in the vocabulary (stored vector)" if in_vocab else "not in the vocabulary (vector = mean of n-gram buckets)"
    grams_result = Result(["n-gram", "bucket", "seen in vocab", "norm"], rows,
                          title=f"'{word}': {status}; {len(grams)} n-grams ({min_n}..{max_n}), "
                                f"{seen} seen in training words ({100 * cov:.0f}% coverage)",
                          keys=["ngram", "bucket", "seen", "norm"], styles={0: "bold"}, plain=(1,),
                          data=None)
    near = Result(["rank", "word", "similarity"], [(i + 1, n, s) for i, (n, s) in enumerate(neighbours)],
                  title=f"Nearest in-vocabulary words to '{word}'", styles={1: "bold"})
    if session.fmt == "json":
        return Result(data={"word": word, "in_vocab": in_vocab, "min_n": min_n, "max_n": max_n,
                            "coverage": cov, "ngrams": [dict(zip(grams_result.keys, r)) for r in rows],
                            "neighbours": [{"word": n, "similarity": s} for n, s in neighbours]})
    return [grams_result, near]
