"""The `wordshell` program: a plain one-shot `similar WORD` through the lean path, everything else the CLI.

`wordshell similar king --model glove` in a script or a pipe is the query people run most, and on a
400k-word model most of its time went to starting: Python, click and numpy (vectors/lean.py says how
much). This module imports neither. It recognises the plainest forms of `similar` (one word; --model/-m,
--top/-k, --format tsv|json, --exact, -q), answers them with vectors/lean.py and writes exactly what
render.py would (TSV: rank, word, similarity as '%.6g'; JSON Lines: the same keys). Anything else, and
anything the lean path cannot answer exactly, runs through cli.main as if this module were not there,
errors included (the lean path prints nothing before it knows it answers).

A terminal gets the full path: its table is rich's. WORDSHELL_LEAN=0 turns the lean path off.
"""

from __future__ import annotations

import os
import sys


def parse_similar(args: list[str]) -> tuple[str, str | None, int, str | None] | None:
    """(word, model, top, format) of `similar ...` args in the forms the lean path takes, else None.

    >>> parse_similar(["king", "-m", "glove", "--top=5"])
    ('king', 'glove', 5, None)
    >>> parse_similar(["king", "queen"]) is None, parse_similar(["king", "--restrict", "9"]) is None
    (True, True)
    """
    word, model, top, fmt = None, None, 10, None
    i = 0
    while i < len(args):
        a = args[i]
        key, eq, value = a.partition("=") if a.startswith("--") else (a, "", "")
        if key in ("--model", "-m", "--top", "-k", "--format"):
            if not eq:
                if i + 1 >= len(args):
                    return None
                i += 1
                value = args[i]
            if key in ("--model", "-m"):
                model = value
            elif key == "--format":
                if value not in ("tsv", "json"):
                    return None
                fmt = value
            else:
                if not (value.isascii() and value.isdigit() and len(value) <= 6):
                    return None   # click reads ints its own way ('+5', ' 5', '²'): the full path
                top = int(value)
        elif a in ("--exact", "-q", "--quiet"):
            pass
        elif a.startswith("-") or word is not None or not a:
            return None   # another option, '--', a second word: the full path
        else:
            word = a
        i += 1
    return (word, model, top, fmt) if word is not None else None


def _active_model(home: str) -> str | None:
    import json

    try:
        with open(os.path.join(home, ".wordshell", "settings.json"), "rb") as f:
            name = json.loads(f.read()).get("active_model")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def _cell(value: str) -> str:
    return value.replace("\t", " ").replace("\r", " ").replace("\n", " ")   # render.cell_tsv's rule


def lean_similar(args: list[str]) -> int | None:
    """Answer `similar ARGS` on the lean path: its exit code, or None where the full path must answer
    (nothing is written then)."""
    if os.environ.get("WORDSHELL_LEAN", "1") == "0" or sys.stdout is None:
        return None
    parsed = parse_similar(args)
    if parsed is None:
        return None
    word, model, top, fmt = parsed
    if fmt is None:
        try:
            if sys.stdout.isatty():
                return None   # a rich table: the full path
        except (AttributeError, ValueError):
            return None
        fmt = "tsv"
    home = os.environ.get("WORDSHELL_HOME") or os.getcwd()
    model = model or _active_model(home)
    if not model:
        return None
    from wordshell.vectors.lean import Unsupported, similar

    try:
        found = similar(home, model, word, top)
    except Unsupported:
        return None
    if fmt == "tsv":
        text = "".join(f"{i}\t{_cell(w)}\t{s:.6g}\n" for i, (w, s) in enumerate(found, 1))
    else:
        import json

        text = "".join(json.dumps({"rank": i, "word": w, "similarity": s}, ensure_ascii=False) + "\n"
                       for i, (w, s) in enumerate(found, 1))
    try:
        text.encode(sys.stdout.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return None   # the full path decides what a stream that cannot hold the words gets
    return _write(text)


def _write(text: str) -> int:
    """Write the answer; a closed pipe or a failing stream ends as the full path ends (exit 1)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    except OSError as e:
        from wordshell.render import error_line, silence_stdout

        if not isinstance(e, BrokenPipeError):   # `| head`: click exits 1 and says nothing; so does this
            error_line(f"{type(e).__name__}: {e}", sys.stderr)   # a full disk: cli.handle_errors' line
        silence_stdout()
        return 1


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = lean_similar(args[1:]) if args[:1] == ["similar"] else None
    except KeyboardInterrupt:   # as click (a blank line) and cli.handle_errors
        from wordshell.render import error_line

        sys.stderr.write("\n")
        error_line("cancelled", sys.stderr)
        sys.exit(130)
    if code is not None:
        sys.exit(code)
    from wordshell.cli import main as cli_main

    cli_main(args)
