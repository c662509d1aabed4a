"""`explain next | gradients | gates` and `compare lm`: the language-model slides on the student's models.

The work is in explain/ (torch, imported inside the functions); this module shapes Results.
"""

from __future__ import annotations

import click

from wordshell.commands.explain import rows_as_dicts, tables
from wordshell.errors import UsageError
from wordshell.options import command, pass_session
from wordshell.result import Result

LM_OPTION = dict(default=None, metavar="NAME", help="Language model (default: the active one).")


def _text(words) -> str:
    from wordshell.lm.use import check_text

    return check_text(" ".join(words))


# -- explain next ----------------------------------------------------------------------------

@command("next", short_help="The next-token distribution after a prompt, and what the model sees.")
@click.argument("prompt", nargs=-1)
@click.option("--top", "-k", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--model", "-m", "model", **LM_OPTION)
@pass_session
def next_token(session, prompt, top, model):
    """The next-token distribution p(x_i | x_<i) after a prompt: top k, probability, entropy.

    For a window (ffnn) model it also shows the n tokens it actually sees.

    \b
      explain next "the students opened their" --model lstm
    """
    from wordshell.explain.nextword import next_token as compute
    from wordshell.lm.use import load_lm

    lm = load_lm(session, model)
    nt = compute(lm, _text(prompt), top)
    cum, rows = 0.0, []
    for i, (tok, p) in enumerate(nt.top, 1):
        cum += p
        rows.append((i, tok, p, cum))
    shown = " ".join(nt.tokens) or "(nothing: the start of a text)"
    r = Result(["rank", "next token", "p", "cumulative"], rows, keys=["rank", "token", "p", "cumulative"],
               styles={1: "bold"}, title=f"p(next | {shown})  (model {lm.name})")
    sees = (f"a window model: it sees only the last {nt.window} tokens: {' '.join(nt.seen)}" if nt.window
            else f"a recurrent model: it has read all {len(nt.seen)} tokens (<eos> first) into its state")
    notes = [f"entropy {nt.entropy:.2f} bits: as uncertain as {nt.perplexity:,.1f} equally likely tokens", sees]
    if nt.unknown:
        notes.append("not in the vocabulary (read as <unk>): " + ", ".join(nt.unknown))
    data = {"model": lm.name, "prompt": nt.tokens, "seen": nt.seen, "window": nt.window, "entropy_bits": nt.entropy,
            "top": rows_as_dicts(r), "unknown": nt.unknown}
    return tables(session, [r], data, notes)


# -- explain gradients -------------------------------------------------------------------------

@command("gradients", short_help="|| d loss_T / d h_t || for every position: vanishing gradients.")
@click.argument("text", nargs=-1, required=True)
@click.option("--model", "-m", "models", multiple=True, metavar="NAME",
              help="Language model (repeatable: one column and one line per model).")
@click.option("--wrt", type=click.Choice(["auto", "hidden", "embedding"]), default="auto", show_default=True,
              help="hidden: d loss / d h_t (recurrent models); embedding: d loss / d e_t (any model); "
                   "auto: hidden unless a window model is among them.")
@click.option("--draw", is_flag=True, help="Also draw the norms (one line per model, log scale).")
@click.option("--out", "-o", default=None, metavar="FILE", help="Write the drawing as an image (.png/.svg/.pdf).")
@pass_session
def gradients(session, text, models, wrt, draw, out):
    """How much the last token's loss depends on each earlier position: || d loss_T / d h_t ||.

    Vanishing gradients: in a tanh RNN the norm shrinks fast with the distance from the end;
    LSTM and GRU keep more of it. Compare models trained on the same corpus:

    \b
      explain gradients "the cat that the dogs chased across the garden was black" -m rnn -m lstm -m gru
      explain gradients "..." -m rnn -m lstm --draw          (or --out grads.png)
    """
    from wordshell.explain.gradients import explain_gradients, is_recurrent
    from wordshell.lm.use import load_lm

    line = _text(text)
    lms = [load_lm(session, m) for m in (dict.fromkeys(models) or [None])]
    if wrt == "auto":
        wrt = "hidden" if all(is_recurrent(lm.model) for lm in lms) else "embedding"
    grads = [explain_gradients(lm, line, wrt) for lm in lms]
    n = {len(g.tokens) for g in grads}
    if len(n) > 1:
        raise UsageError("the models split this text into different numbers of tokens (word vs char level?)",
                         "compare models of the same level")
    first = grads[0]
    T = len(first.tokens)
    what = "h_t" if wrt == "hidden" else "e_t"
    rows = [(t, tok, T - t, *[g.norms[t] for g in grads]) for t, tok in enumerate(first.tokens)]
    headers = ["t", "token", "steps back", *[lm.name for lm in lms]]
    keys = ["t", "token", "steps_back", *[f"norm_{lm.name}" for lm in lms]]
    r = Result(headers, rows, keys=keys, styles={1: "bold"}, plain=(0,),
               title=f"|| d loss_T / d {what} ||: the loss of predicting '{first.target}' after the last token, "
                     f"differentiated w.r.t. each position")
    notes = ["loss_T: " + ", ".join(f"{lm.name} {g.loss:.3f}" for lm, g in zip(lms, grads)) + " nats"]
    shrink = [f"{lm.name} {g.norms[-1] / g.norms[0]:,.3g}x" for lm, g in zip(lms, grads) if g.norms[0] > 0]
    if shrink:
        notes.append(f"from 1 to {T} steps back the norm shrinks: " + ", ".join(shrink))
    if wrt == "hidden":
        notes.append("h_t: the top layer's hidden state after reading token t")
    parts = [r]
    if draw or out:
        parts += _gradient_chart(session, lms, grads, what, out)
    data = {"wrt": wrt, "target": first.target, "tokens": first.tokens,
            "models": {lm.name: {"norms": g.norms, "loss": g.loss} for lm, g in zip(lms, grads)}}
    return tables(session, parts, data, notes)


def _gradient_chart(session, lms, grads, what, out) -> list[Result]:
    from wordshell.plots.history import Chart, Curve

    curves = [Curve(lm.name, "", list(map(float, range(len(g.norms)))), g.norms) for lm, g in zip(lms, grads)]
    logy = all(v > 0 for g in grads for v in g.norms)
    chart = Chart(curves, "position t", f"||d loss_T / d {what}||", f"gradient norm by position ({'log' if logy else 'linear'} scale)",
                  logy=logy)
    if out:
        from wordshell.plots.image import image_format, save_chart

        image_format(out)
        save_chart(chart, out, 1000, 600)
        return [Result(message=f"wrote {out}")]
    import shutil

    from wordshell.plots.terminal import draw_chart
    from wordshell.render import isatty

    cols, lines = shutil.get_terminal_size((100, 30))
    return [Result(text=[draw_chart(chart, max(40, min(cols, 140)), max(12, min(lines - 6, 24)),
                                    colour=isatty(session.stdout))])]


# -- explain gates ------------------------------------------------------------------------------

@command("gates", short_help="LSTM / GRU gates per token, on the model's own weights.")
@click.argument("text", nargs=-1, required=True)
@click.option("--model", "-m", "model", **LM_OPTION)
@click.option("--layer", type=click.IntRange(1, 16), default=None, help="Which layer [the top one].")
@click.option("--gate", type=click.Choice(["input", "forget", "output", "update", "reset"]), default=None,
              help="The gate drawn as a strip over units [forget for LSTM, update for GRU].")
@click.option("--units", type=click.IntRange(1, 400), default=40, show_default=True,
              help="Units in the strip (the first N).")
@pass_session
def gates(session, text, model, layer, gate, units):
    """Per token: the mean of each LSTM gate (input, forget, output) and the cell norm, or the GRU's update/reset.

    Computed by the LSTM/GRU equations written out on the model's own weights. The strip shows one
    gate unit by unit: ' ' = 0 (closed) ... '█' = 1 (open).

    \b
      explain gates "the cat sat on the mat" --model lstm
      explain gates "the cat sat on the mat" --model gru --gate reset
    """
    from wordshell.explain.gates import explain_gates
    from wordshell.lm.use import load_lm

    lm = load_lm(session, model)
    g = explain_gates(lm, _text(text), layer, gate, units)
    names = list(g.rows[0].means)
    lstm = g.cell == "lstm"
    rows = [(r.position, r.token, *[r.means[n] for n in names], *([r.cell_norm] if lstm else []), r.hidden_norm,
             r.strip) for r in g.rows]
    headers = ["t", "token", *names, *(["|c_t|"] if lstm else []), "|h_t|", f"{g.gate} gate, units 1-{g.units}"]
    keys = ["t", "token", *names, *(["cell_norm"] if lstm else []), "hidden_norm", "strip"]
    r = Result(headers, rows, keys=keys, styles={1: "bold"}, plain=(0,),
               title=f"{g.cell.upper()} gates of '{lm.name}', layer {g.layer} of {g.layers} ({g.hidden} units): "
                     "mean over units per token")
    notes = [("input: how much of the new candidate enters the cell; forget: how much of the old cell stays; "
              "output: how much of the cell is shown as h_t") if lstm else
             ("update z: how much of the old state is kept (h' = (1-z) n + z h); reset r: how much of the old "
              "state the candidate n may read"),
             "strip: ' ' = 0 (closed) ... '█' = 1 (open), one character per unit"]
    return tables(session, [r], {"model": lm.name, "cell": g.cell, "layer": g.layer, "gate": g.gate,
                                 "rows": rows_as_dicts(r)}, notes)


# -- compare lm ------------------------------------------------------------------------------------

@command("lm", short_help="Language models side by side: size, speed, perplexity.")
@click.argument("models", nargs=-1, required=True)
@click.option("--test", "test", default=None, metavar="FILE|CORPUS|-",
              help="Also score this text: test perplexity under each model.")
@click.option("--text", default=None, help="Score this text instead of a file.")
@pass_session
def compare_lm(session, models, test, text):
    """Language models side by side: architecture, parameters, tokens/s, best valid and test perplexity.

    \b
      compare lm ffnn rnn lstm gru --test lee-test
    """
    from wordshell.explain.compare import compare_lms

    lines = None
    if text is not None:
        lines = _text([text]).split("\n")
    elif test is not None:
        from wordshell.corpus import sources

        lines = list(sources.resolve(session.store, test).lines())
    rows = compare_lms(session, list(models), lines)
    def num(v, digits):
        return None if v is None else (round(v) if digits == 0 else round(v, digits))

    scored = lines is not None
    out = [(r.name, r.arch, r.params, r.vocab, num(r.tokens_per_sec, 0), f"{r.epochs:.3g}" if r.epochs is not None
            else None, num(r.seconds, 1), num(r.best_valid_ppl, 2), *([num(r.test_ppl, 2)] if scored else []))
           for r in rows]
    notes = []
    if lines is not None:
        notes.append("test: " + (test or "--text") + "; unknown tokens: "
                     + ", ".join(f"{r.name} {100 * r.test_unknown:.1f}%" for r in rows)
                     + " (each model scores with its own vocabulary)")
    corpora = {r.corpus for r in rows}
    if len(corpora) > 1:
        notes.append("trained on different corpora: " + ", ".join(f"{r.name}: {r.corpus}" for r in rows))
    test = ["test ppl"] if scored else []
    return Result(["model", "architecture", "parameters", "vocab", "tokens/s", "epochs", "seconds",
                   "best valid ppl", *test], out, title="Language models (architecture: layers x hidden, "
                                                        "e = embedding size, n = window)", styles={0: "bold"},
                  keys=["model", "architecture", "params", "vocab", "tokens_per_sec", "epochs", "seconds",
                        "best_valid_ppl", *(["test_ppl"] if scored else [])], notes=notes)
