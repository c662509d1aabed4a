"""`plot words | analogy | training`: word maps, analogy arrows, training curves.

Where the picture goes:
    --out FILE.png|.svg|.pdf   an image (matplotlib, no display), written atomically; prints the path
    a terminal                 drawn in the terminal (plotext), with labels and a legend line
    a pipe / --format tsv|table|json   the numbers: (word, x, y, group) or (model, curve, x, y)

This module must stay importable without torch, gensim, matplotlib or plotext.
"""

from __future__ import annotations

import os
import re
import shutil

import click

from wordshell.options import CONTEXT, command, expression_words, model_option, pass_session
from wordshell.atomic import output_path
from wordshell.errors import UsageError
from wordshell.render import isatty
from wordshell.result import Result


@click.group("plot", context_settings=CONTEXT, invoke_without_command=True)
@click.pass_context
def plot(ctx):
    """Pictures: word maps, analogy arrows, training curves (terminal, PNG, SVG).

    \b
      plot words --group "countries: france italy" --pairs france:paris italy:rome
      plot words --neighbours king --top 20 --out king.png
      plot analogy "king - man + woman"
      plot training w2v --out loss.svg
    """
    if ctx.invoked_subcommand is None:        # `plot` alone: its help, not an error
        return Result(text=[ctx.get_help() + "\n"])
    return None


# -- options shared by the three pictures --------------------------------------------

def _output_options(fn):
    opts = [
        click.option("--out", "-o", "out", default=None, metavar="FILE",
                     help="Write an image (.png, .svg or .pdf) instead of drawing in the terminal."),
        click.option("--size", default=None, metavar="WxH",
                     help="Image size in pixels with --out (default 1000x750), else the drawing's size "
                          "in characters (default: the terminal's)."),
        click.option("--width", type=click.IntRange(10, 20000), default=None, help="Width (see --size)."),
        click.option("--height", type=click.IntRange(5, 20000), default=None, help="Height (see --size)."),
        click.option("--draw", is_flag=True,
                     help="Draw as text even when the output is not a terminal (default there: the numbers)."),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def _size(size: str | None, width: int | None, height: int | None, default: tuple[int, int]) -> tuple[int, int]:
    w, h = default
    if size:
        m = re.fullmatch(r"\s*(\d+)\s*[xX×,]\s*(\d+)\s*", size)
        if not m:
            raise UsageError(f"bad --size {size!r}", "write WIDTHxHEIGHT, e.g. 1200x800")
        w, h = int(m.group(1)), int(m.group(2))
    w, h = width or w, height or h
    if not (10 <= w <= 20000 and 5 <= h <= 20000):
        raise UsageError(f"size {w}x{h} is out of range")
    return w, h


def _want_drawing(session, draw: bool) -> bool:
    """Draw as text when nothing asked for numbers: a terminal with no --format, or --draw."""
    if session.fmt == "json":
        return False
    if draw:
        return True
    return session.fmt is None and isatty(session.stdout)


def _terminal_size(size, width, height) -> tuple[int, int]:
    cols, lines = shutil.get_terminal_size((100, 30))
    return _size(size, width, height, (max(40, min(cols, 140)), max(14, min(lines - 4, 40))))


def _colour(session) -> bool:
    return isatty(session.stdout) and not os.environ.get("NO_COLOR")


def _written(session, path: str, size: tuple[int, int], notes: list[str], rows_result: Result) -> Result:
    notes = notes + [f"wrote {path} ({size[0]}x{size[1]} px)"] if session.fmt == "json" else notes
    if session.fmt == "json":
        rows_result.notes = notes
        return rows_result
    return Result(message=path, notes=notes, data={"path": path, "width": size[0], "height": size[1]})


def _show(session, rows: Result, notes: list[str], out, size, width, height, draw, default: tuple[int, int],
          save, draw_text) -> Result:
    """One plot, three ways: an image file with --out, a text drawing on a terminal, else the numbers.
    save(path, w, h) writes the image; draw_text(w, h, colour) returns the drawing."""
    px = _size(size, width, height, default)           # a bad --size is an error wherever the output goes
    if out:
        out = str(output_path(out))
        from wordshell.plots.image import image_format

        image_format(out)
        save(out, *px)
        return _written(session, out, px, notes, rows)
    if _want_drawing(session, draw):
        w, h = _terminal_size(size, width, height)
        return Result(text=[draw_text(w, h, _colour(session))], notes=notes)
    return rows


def _show_map(session, wm, out, size, width, height, draw) -> Result:
    def save(path, w, h):
        from wordshell.plots.image import save_map

        save_map(wm, path, w, h)

    def draw_text(w, h, colour):
        from wordshell.plots.terminal import draw_map

        return draw_map(wm, w, h, colour=colour)

    rows = Result(["word", "x", "y", "group"], wm.rows(), title=wm.title, notes=wm.notes, styles={0: "bold"})
    return _show(session, rows, wm.notes, out, size, width, height, draw, (1000, 750), save, draw_text)


# -- plot words -----------------------------------------------------------------------

@command("words")
@click.argument("words", nargs=-1)
@click.option("--group", "-g", "groups", multiple=True, metavar="'NAME: W1 W2 ...'",
              help="A group of words drawn in one colour (repeatable).")
@click.option("--pairs", "-p", "pairs", multiple=True, metavar="FROM:TO",
              help="Draw an arrow FROM -> TO (repeatable; a word written FROM:TO is a pair too).")
@click.option("--neighbours", "--neighbors", "-n", "neighbours", multiple=True, metavar="WORD",
              help="Plot WORD and its --top nearest neighbours (repeatable).")
@click.option("--top", "-k", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="How many neighbours with --neighbours.")
@click.option("--method", type=click.Choice(["pca", "tsne"]), default="pca", show_default=True,
              help="pca: linear, keeps directions (numpy); tsne: keeps neighbourhoods (needs scikit-learn).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Seed for t-SNE.")
@click.option("--perplexity", type=click.FloatRange(1, 1000), default=None, help="t-SNE perplexity (default: min(30, (n-1)/3)).")
@click.option("--raw", is_flag=True, help="Project the raw vectors (default: unit-length, as cosine sees them).")
@click.option("--skip-unknown", is_flag=True, help="Leave out words not in the vocabulary (listed in a note).")
@_output_options
@model_option()
@pass_session
def words(session, words, groups, pairs, neighbours, top, method, seed, perplexity, raw, skip_unknown,
          out, size, width, height, draw, model):
    """A 2-D map of words: groups in colours, arrows between pairs, a word's neighbourhood.

    \b
      plot words king queen man woman
      plot words --group 'countries: france italy germany' --group 'capitals: paris rome berlin'
      plot words france:paris italy:rome germany:berlin --out capitals.png
      plot words --neighbours government --top 30 --method tsne
      plot words king queen --format json        # the coordinates
    """
    from wordshell.plots.wordmap import words_map

    kv = session.vectors(model)
    wm = words_map(kv, words, groups, pairs, neighbours, top, skip_unknown)
    wm.project(method, seed, perplexity, unit=not raw)
    wm.title = wm.title or f"{len(wm.points)} words, {method.upper() if method == 'pca' else 't-SNE'} " \
                           f"(model {kv.name})"
    return _show_map(session, wm, out, size, width, height, draw)


# -- plot analogy ------------------------------------------------------------------------

@command("analogy", context_settings={"ignore_unknown_options": True})  # "- + -", "-man": expressions
@click.argument("expression", nargs=-1, required=True)
@click.option("--top", "-k", type=click.IntRange(1, 50), default=1, show_default=True,
              help="Also plot the next best candidates.")
@click.option("--raw", is_flag=True, help="Project the raw vectors (default: unit-length, as 3CosAdd uses).")
@_output_options
@model_option()
@pass_session
def analogy(session, expression, top, raw, out, size, width, height, draw, model):
    """The analogy a : b :: c : ? as arrows: a -> b, and c -> the 3CosAdd answer.

    The dashed arrow is a -> b moved to start at c; it ends at the point b - a + c, and the
    answer is the word nearest (by cosine) to that point. PCA keeps parallel lines parallel.

    \b
      plot analogy "king - man + woman"
      plot analogy man:king::woman:? --top 3 --out royal.png
    """
    from wordshell.plots.wordmap import analogy_map
    from wordshell.vectors.expression import parse_expression

    positive, negative = parse_expression(expression_words(expression))
    kv = session.vectors(model)
    wm = analogy_map(kv, positive, negative, top, unit=not raw)
    wm.project("pca", unit=not raw)
    return _show_map(session, wm, out, size, width, height, draw)


# -- plot training ------------------------------------------------------------------------

@command("training")
@click.argument("models", nargs=-1)
@click.option("--metric", default="loss", show_default=True, metavar="NAME",
              help="loss, ppl, acc, lr, speed, or any column of the history (e.g. valid_ppl).")
@click.option("--x", "xaxis", type=click.Choice(["auto", "step", "epoch", "time"]), default="auto",
              show_default=True, help="Horizontal axis (auto: step if logged, else epoch).")
@click.option("--logy", is_flag=True, help="Logarithmic vertical axis (perplexities).")
@_output_options
@pass_session
def training(session, models, metric, xaxis, logy, out, size, width, height, draw):
    """Training curves from the models' history, several models on one chart.

    Train curves are solid, validation curves dashed. A model still training is read from
    its last checkpoint (ckpt/state.json).

    \b
      plot training w2v
      plot training rnn lstm gru --metric ppl --logy --out ppl.png
    """
    from wordshell.plots.history import training_chart

    if not models:
        models = (session.model_name(None),)
    _size(size, width, height, (1000, 600))
    chart = training_chart(session.store, list(models), metric, xaxis, logy)
    rows = [(cv.model, cv.name, x, y) for cv in chart.curves for x, y in zip(cv.xs, cv.ys)]
    result = Result(["model", "curve", chart.xlabel, chart.ylabel], rows, title=chart.title,
                    keys=["model", "curve", "x", "y"], notes=chart.notes, styles={0: "bold"})

    def save(path, w, h):
        from wordshell.plots.image import save_chart

        save_chart(chart, path, w, h)

    def draw_text(w, h, colour):
        from wordshell.plots.terminal import draw_chart

        return draw_chart(chart, w, min(h, 30), colour=colour)

    return _show(session, result, chart.notes, out, size, width, height, draw, (1000, 600), save, draw_text)


for _cmd in (words, analogy, training):
    plot.add_command(_cmd)
