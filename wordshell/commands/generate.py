"""`generate` and `perplexity`: using a language model from the command line, the shell and pipes.

The model work is in lm/use.py (load, generate, score); this module shapes what it yields into
Results: streamed text (with Spans coloured by probability for --show-probs on a terminal) or rows.
"""

from __future__ import annotations

import math
import sys
import time

import click

from wordshell.options import command, pass_session
from wordshell.errors import BadInput, UsageError
from wordshell.render import isatty
from wordshell.result import Result, Span

@command("generate")
@click.argument("prompt", default=None, required=False)
@click.option("--model", "-m", "model", default=None, metavar="NAME", help="Language model (default: the active one).")
@click.option("--length", "-n", type=click.IntRange(1, 100000), default=None,
              help="Tokens to generate [30 words / 300 chars].")
@click.option("--temperature", "-t", type=click.FloatRange(0), default=1.0, show_default=True,
              help="Below 1: safer; above 1: wilder; 0 = greedy.")
@click.option("--top-k", type=click.IntRange(0), default=0, help="Sample from the k most likely tokens (0 = all).")
@click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), default=1.0, help="Nucleus sampling mass.")
@click.option("--greedy", is_flag=True, help="Always take the most likely token.")
@click.option("--samples", "-s", type=click.IntRange(1, 1000), default=1, show_default=True)
@click.option("--seed", type=click.IntRange(0), default=None, help="Seed for reproducible samples.")
@click.option("--unk", "allow_unk", is_flag=True, help="Allow <unk> in the output.")
@click.option("--show-probs", is_flag=True, help="Colour tokens by probability (a token/p/entropy table in pipes).")
@pass_session
def generate(session, prompt, model, length, temperature, top_k, top_p, greedy, samples, seed, allow_unk,
             show_probs):
    """Generate text from a language model, streamed as it is produced.

    With no PROMPT and lines piped in, each line is a prompt (one generation each, in order).

    \b
      generate "the meaning of" --model tiny --length 20 --seed 1
      printf 'the cat\nmy friend\n' | wordshell generate --model tiny --seed 1
      generate "ROMEO:" --model shakes --temperature 0.8 --samples 3
      generate "the market" --model ptb --show-probs --format json | head
    """
    return _generate(session, prompt, model, length, temperature, top_k, top_p, greedy, samples, seed,
                     allow_unk, show_probs)


@command("perplexity")
@click.argument("file", default=None, required=False, metavar="[FILE|-]")
@click.option("--model", "-m", "model", default=None, metavar="NAME", help="Language model (default: the active one).")
@click.option("--encoding", default=None, metavar="ENC", help="Text encoding (default utf-8).")
@click.option("--text", default=None, help="Score this text instead of a file.")
@pass_session
def perplexity(session, file, model, encoding, text):
    """Perplexity and bits per token (or char) of a text under a language model.

    \b
      perplexity --model tiny notes.txt
      cat notes.txt | perplexity --model tiny
      perplexity --model tiny --text "the government said"
    """
    return _perplexity(session, file, model, encoding, text)


# -- what they do ---------------------------------------------------------------------

COLOURS = ((0.5, "green"), (0.1, "yellow"), (0.01, "orange"), (0.0, "red"))  # --show-probs: p >= limit


def _prompts(session, prompt: str | None) -> tuple[list[str], bool]:
    """The prompts to continue, and whether they came from stdin (one per line, like `classify`)."""
    from wordshell.corpus.textio import stdin_lines

    if prompt is not None:
        return [prompt], False
    if session.interactive or session.script or isatty(sys.stdin, default=True):
        return [""], False  # generate from the start of a text
    lines = list(stdin_lines(encoding="utf-8"))
    if not lines:
        raise BadInput("no input: there were no prompt lines on stdin", "give a PROMPT argument or pipe lines in")
    return lines, True


def _generate(session, prompt, model, length, temperature, top_k, top_p, greedy, samples, seed, allow_unk,
              show_probs) -> Result:
    from wordshell.lm.use import check_text, describe_prompt, generate, load_lm
    from wordshell.render import default_format

    prompts, piped = _prompts(session, prompt)
    for p in prompts:
        check_text(p)
    lm = load_lm(session, model)  # a model of another kind is refused here, before torch is imported
    import torch

    length = length or (300 if lm.level == "char" else 30)
    encoded = []
    for p in prompts:
        ids, unknown = describe_prompt(lm, p)
        if unknown:
            session.note(f"warning: not in the vocabulary of '{lm.name}', read as <unk>: "
                         + ", ".join(dict.fromkeys(unknown)))
        encoded.append((p, ids))
    gen = torch.Generator().manual_seed(seed if seed is not None else int(time.time_ns() % 2**62))
    fmt = session.fmt or default_format(session.stdout)
    char = lm.level == "char"

    def piece(i: int, first: bool) -> str:
        if i == 0:
            return "\n"
        tok = lm.vocab.itos[i]
        return tok if char or first else " " + tok

    def one(p: str, ids: list[int]):
        prev_nl = not p or char
        for i, prob, h in generate(lm, ids, length, temperature=temperature, top_k=top_k, top_p=top_p,
                                   greedy=greedy, allow_unk=allow_unk, generator=gen):
            yield i, piece(i, prev_nl), prob, h
            prev_nl = i == 0

    runs = [(s, p, ids) for p, ids in encoded for s in range(samples)]  # prompt by prompt, its samples together
    if show_probs and fmt != "table" or fmt == "json" or (piped and fmt != "table"):
        if show_probs:
            def rows():
                for n, (s, p, ids) in enumerate(runs):
                    for pos, (i, _, prob, h) in enumerate(one(p, ids)):
                        yield n + 1, pos + 1, lm.vocab.itos[i], round(prob, 6), round(h, 4)

            return Result(["sample", "position", "token", "p", "entropy bits"], rows(),
                          keys=["sample", "position", "token", "p", "entropy"])

        def texts():
            for s, p, ids in runs:
                yield (s + 1, p, p + "".join(t for _, t, _, _ in one(p, ids)))

        return Result(["sample", "prompt", "text"], texts())

    def stream():
        for n, (s, p, ids) in enumerate(runs):
            if n:
                yield "\n\n"
            yield p
            for i, text, prob, h in one(p, ids):
                if show_probs and i != 0:
                    yield Span(text, next(c for lim, c in COLOURS if prob >= lim))
                else:
                    yield text
        yield "\n"

    notes = (["colours: green p>=0.5, yellow >=0.1, orange >=0.01, red <0.01"] if show_probs else [])
    return Result(text=stream(), notes=notes)


def _perplexity(session, file, model, encoding, text) -> Result:
    from wordshell.lm.use import check_text, load_lm, score
    from wordshell.corpus.textio import read_lines, stdin_lines

    lm = load_lm(session, model)
    if text is not None:
        lines = check_text(text, "--text").split("\n")
        source = "--text"
    elif file in (None, "-"):
        if file is None and isatty(sys.stdin, default=True):
            raise UsageError("give a FILE, '-' for standard input, or --text", "e.g. perplexity --model M notes.txt")
        lines, source = list(stdin_lines(encoding=encoding or "utf-8")), "stdin"
    else:
        lines, source = list(read_lines(file, encoding or "utf-8")), file
    ids, unknown = lm.encode_lines(lines)
    if not [i for i in ids if i != 0]:
        raise BadInput(f"no text to score in {source}")
    total, n = score(lm, ids)
    mean = total / n
    unit = "char" if lm.level == "char" else "token"
    rows = [("model", lm.name + (" (checkpoint)" if lm.source == "checkpoint" else "")), ("text", source),
            (f"{unit}s", n), ("unknown", f"{len(unknown)} ({100 * len(unknown) / n:.1f}%)"),
            ("nll per " + unit, round(mean, 4)), ("perplexity", round(math.exp(min(mean, 700)), 3)),
            (f"bits per {unit}", round(mean / math.log(2), 4))]
    notes = []
    if unknown and lm.level == "word":
        notes.append(f"{len(unknown)} out-of-vocabulary tokens scored as <unk> "
                     f"(e.g. {', '.join(list(dict.fromkeys(unknown))[:5])})")
    r = Result(["", "value"], rows, title=f"Perplexity under '{lm.name}'", keys=["field", "value"], notes=notes)
    if session.fmt == "json":
        return Result(data={"model": lm.name, "source": source, "tokens": n, "unit": unit, "unknown": len(unknown),
                            "nll": mean, "perplexity": math.exp(min(mean, 700)), "bits": mean / math.log(2)},
                      notes=notes)
    return r
