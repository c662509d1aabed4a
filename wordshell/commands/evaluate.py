"""`eval analogies` and `eval similarity` (intrinsic evaluation of word vectors)."""

from __future__ import annotations

import click

from wordshell.options import command, model_option, pass_session
from wordshell.result import Result


def _bundled(name: str) -> str:
    from wordshell.corpus.sources import gensim_data_dir

    return str(gensim_data_dir() / name)


@command("analogies")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--restrict", type=click.IntRange(1), default=300_000, show_default=True,
              help="Only the N most frequent words count (as gensim's restrict_vocab).")
@click.option("--case-sensitive", is_flag=True, help="Compare words as written (gensim: upper-cases both).")
@click.option("--cosmul", is_flag=True, help="Score with 3CosMul instead of 3CosAdd.")
@model_option()
@pass_session
def eval_analogies(session, file, restrict, case_sensitive, cosmul, model):
    """Analogy accuracy per section (default: Mikolov's questions-words.txt, bundled with gensim)."""
    from wordshell.vectors.evaluate import eval_analogies as run

    kv = session.vectors(model)
    path = file or _bundled("questions-words.txt")
    r = run(kv, path, restrict=restrict, case_insensitive=not case_sensitive, cosmul=cosmul,
            progress=session.progress())
    rows = [(s["section"], s["correct"], s["total"], s["oov"], s["accuracy"]) for s in r["sections"]]
    rows.append(("TOTAL", r["correct"], r["total"], r["oov"], r["accuracy"]))
    notes = [f"{r['method']}, first {r['restrict']:,} words; {r['oov']:,} questions skipped as OOV "
             f"({100 * r['oov_rate']:.1f}%)"]
    return Result(["section", "correct", "questions", "oov", "accuracy"], rows,
                  keys=["section", "correct", "total", "oov", "accuracy"],
                  title=f"Analogies: {kv.name} on {click.format_filename(path, shorten=True)}",
                  notes=notes, styles={0: "bold"})


@command("similarity")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--restrict", type=click.IntRange(1), default=300_000, show_default=True)
@click.option("--case-sensitive", is_flag=True)
@model_option()
@pass_session
def eval_similarity(session, files, restrict, case_sensitive, model):
    """Spearman/Pearson against human similarity scores (default: WordSim353 and SimLex-999)."""
    from wordshell.vectors.evaluate import eval_similarity as run

    kv = session.vectors(model)
    paths = list(files) or [_bundled("wordsim353.tsv"), _bundled("simlex999.txt")]
    rows = []
    for p in paths:
        r = run(kv, p, restrict=restrict, case_insensitive=not case_sensitive)
        rows.append((r["dataset"], r["pairs"], r["oov_rate"], r["spearman"], r["pearson"]))
    return Result(["dataset", "pairs", "oov rate", "spearman", "pearson"], rows,
                  title=f"Word similarity: {kv.name}", styles={0: "bold"})
