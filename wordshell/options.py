"""Helpers shared by every command module: the command class, the session, common options.

Every leaf command gets `--format table|tsv|json` automatically, so
`wordshell similar king --format json` and the same words at the REPL prompt work.
"""

from __future__ import annotations

import click

from wordshell.render import FORMATS
from wordshell.session import Session

pass_session = click.make_pass_decorator(Session, ensure=True)
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _set_format(ctx: click.Context, _param, value):
    if value:
        ctx.ensure_object(Session).fmt = value
    return value


def _set_quiet(ctx: click.Context, _param, value):
    if value:
        ctx.ensure_object(Session).quiet = True
    return value


def _with_shared_params(cmd: click.Command, kwargs: dict, init) -> None:
    """Apply CONTEXT and add `--format` / `-q` (unless the command has its own -q) to a command or group."""
    settings = kwargs.setdefault("context_settings", {})
    for k, v in CONTEXT.items():
        settings.setdefault(k, v)
    init(**kwargs)
    if not any("--format" in getattr(p, "opts", ()) for p in cmd.params):  # `tag` has its own (+ conllu, conll)
        cmd.params.append(click.Option(
            ["--format", "fmt"], type=click.Choice(FORMATS), default=None, expose_value=False,
            callback=_set_format, help="Output format (default: table on a terminal, tsv in a pipe)."))
    if not any("--quiet" in getattr(p, "opts", ()) for p in cmd.params):
        cmd.params.append(click.Option(["-q", "--quiet"], is_flag=True, expose_value=False,
                                       callback=_set_quiet, help="No progress bars or notes."))


class WsCommand(click.Command):
    """click.Command + the shared `--format` and `-q` options."""

    def __init__(self, *args, **kwargs):
        _with_shared_params(self, kwargs, lambda **kw: super(WsCommand, self).__init__(*args, **kw))


class WsGroup(click.Group):
    """A group that lists something when called alone (`models`, `corpus`, `jobs`): it takes
    `--format` and `-q` too, so `wordshell models --format json` works like `models list --format json`."""

    def __init__(self, *args, **kwargs):
        _with_shared_params(self, kwargs, lambda **kw: super(WsGroup, self).__init__(*args, **kw))


def group(name: str | None = None, **kwargs):
    """`@group("models")` = click.group with WsGroup, invoked alone too."""
    kwargs.setdefault("invoke_without_command", True)
    return click.group(name, cls=WsGroup, **kwargs)


def command(name: str | None = None, **kwargs):
    """`@command("similar")` = click.command with WsCommand."""
    return click.command(name, cls=WsCommand, **kwargs)


def expression_words(words: tuple[str, ...]) -> str:
    """The words of an analogy expression, which may start with '-' ("- + -", "-man"): such commands take
    unknown options as words, so a mistyped option ('--modle') is caught here, as click would."""
    ctx = click.get_current_context()
    for w in words:
        if w.startswith("--"):
            known = [o for p in ctx.command.params for o in getattr(p, "opts", ()) if o.startswith("--")]
            from wordshell.suggest import did_you_mean

            raise click.NoSuchOption(w.split("=", 1)[0], possibilities=did_you_mean(w, known), ctx=ctx)
    return " ".join(words)


# -- value types: a bad value is a usage error (exit 2) at parse time, before torch or gensim load -----

def parse_duration(text: str) -> float:
    """'90' / '90s' / '10m' / '1h30m' -> seconds (ValueError for anything else).

    >>> parse_duration("1h30m"), parse_duration("10m"), parse_duration("45")
    (5400.0, 600.0, 45.0)
    """
    import re

    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([hms])", text)
    if not parts or "".join(a + b for a, b in parts) != text.replace(" ", ""):
        raise ValueError(f"cannot read the duration {text!r} (e.g. 90, 90s, 10m, 1h30m)")
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


class Duration(click.ParamType):
    """A time budget: seconds, or 90s / 10m / 1h30m."""

    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return parse_duration(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


class Cutoffs(click.ParamType):
    """Increasing positive integers: '2000,5000'."""

    name = "cutoffs"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        try:
            cuts = [int(x) for x in str(value).replace(" ", "").split(",") if x]
        except ValueError:
            cuts = []
        if not cuts or cuts != sorted(set(cuts)) or cuts[0] < 1:
            self.fail(f"wants increasing positive integers like 2000,5000, not {value!r}", param, ctx)
        return cuts


def model_option(help: str = "Model name (default: the active model, see 'use').", **kwargs):
    return click.option("--model", "-m", "model", default=None, metavar="NAME", help=help,
                        shell_complete=_complete_models, **kwargs)


def _complete_models(ctx, _param, incomplete):
    try:
        return [n for n in Session().store.model_names() if n.startswith(incomplete)]
    except Exception:
        return []


# -- corpus / tokenizer options shared by the training commands ---------------------

def corpus_options(fn):
    """--corpus, --encoding and the tokenizer flags (stored with the model)."""
    opts = [
        click.option("--corpus", "-c", required=True, metavar="NAME|PATH|-",
                     help="A corpus name (see 'corpus list'), a file/dir/glob, or - for stdin."),
        click.option("--encoding", default=None, metavar="ENC", help="Text encoding (default utf-8)."),
        click.option("--lowercase/--cased", "lowercase", default=True, show_default=True,
                     help="Lower-case the text."),
        click.option("--punct/--no-punct", "punct", default=False, show_default=True,
                     help="Keep punctuation marks as tokens."),
        click.option("--split", type=click.Choice(["words", "whitespace"]), default="words", show_default=True,
                     help="words: letters/digits runs; whitespace: the text is already tokenised (PTB, WikiText)."),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def tokenizer_from(kw: dict):
    """Pop the tokenizer flags from a command's kwargs and build the Tokenizer."""
    from wordshell.corpus.tokens import Tokenizer

    return Tokenizer(lowercase=kw.pop("lowercase", True), punct=kw.pop("punct", False),
                     split=kw.pop("split", "words"))


def background_option(fn):
    return click.option("--background", "-b", is_flag=True,
                        help="Train in a background process; see 'jobs'.")(fn)


def run_in_background(session: Session, name: str, kind: str):
    """Start this same command (without --background) as a job; return its Result."""
    from wordshell.result import message
    from wordshell.store import validate_name

    validate_name(name)
    argv = [a for a in session.argv if a not in ("--background", "-b", "&")]
    job = session.jobs.start(model=name, kind=kind, argv=argv)
    return message(f"started job {job.id}: {kind} '{name}' in the background (pid {job.pid}); "
                   f"see 'jobs', 'jobs watch {job.id}'", job=job.id, model=name, pid=job.pid)
