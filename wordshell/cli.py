"""The click command tree and the one-shot entry point.

Commands are registered here by name -> "module:attribute" and imported only when
used, so `wordshell similar king` loads the query module and nothing else (no torch,
no gensim). The shell runs its lines through this same tree (shell/repl.py gets it passed in).
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from wordshell import __version__
from wordshell.errors import WordshellError
from wordshell.session import Session

# name -> "module:attr" (a command or group) or a nested dict for groups whose
# subcommands live in several modules. The help strings let `--help` list commands
# without importing them.
COMMANDS: dict[str, tuple[str | dict, str]] = {
    "demo": ("wordshell.commands.demo:demo", "A short guided tour: train small models (vectors, LM, classifier, tagger) on bundled data and query them."),
    "corpus": ("wordshell.commands.corpus:corpus", "List, add, download and inspect corpora."),
    "train": ({
        "word2vec": "wordshell.commands.embed:train_word2vec",
        "fasttext": "wordshell.commands.embed:train_fasttext",
        "lm": "wordshell.commands.lm:train_lm",
        "classifier": "wordshell.commands.classifier:train_classifier",
        "tagger": "wordshell.commands.tag:train_tagger",
    }, "Train a model (word2vec, fasttext, lm, classifier, tagger)."),
    "similar": ("wordshell.commands.query:similar", "Nearest neighbours of words (cosine)."),
    "analogy": ("wordshell.commands.query:analogy", "Solve 'king - man + woman' (3CosAdd, --cosmul)."),
    "similarity": ("wordshell.commands.query:similarity", "Cosine similarity of two words."),
    "odd-one-out": ("wordshell.commands.query:odd_one_out", "Which word does not belong with the others."),
    "vector": ("wordshell.commands.query:vector", "Print a word's vector."),
    "oov": ("wordshell.commands.query:oov", "How FastText builds a vector for an unseen word from n-grams."),
    "eval": ({
        "analogies": "wordshell.commands.evaluate:eval_analogies",
        "similarity": "wordshell.commands.evaluate:eval_similarity",
        "classifier": "wordshell.commands.classifier:eval_classifier",
        "tagger": "wordshell.commands.tag:eval_tagger",
    }, "Evaluate a model (analogies, similarity, classifier, tagger)."),
    "models": ("wordshell.commands.models:models", "List, inspect, import, export and remove models."),
    "use": ("wordshell.commands.models:use", "Set the active model (used when --model is not given)."),
    "generate": ("wordshell.commands.generate:generate", "Generate text from a language model."),
    "perplexity": ("wordshell.commands.generate:perplexity", "Perplexity of a text under a language model."),
    "classify": ("wordshell.commands.classifier:classify", "Classify sentences (arguments, --file, or stdin)."),
    "tag": ("wordshell.commands.tag:tag", "Tag words: part of speech, named entities, chunks (a trained tagger)."),
    "jobs": ("wordshell.commands.jobs:jobs", "Background training jobs: list, watch, log, wait, cancel."),
    "plot": ("wordshell.commands.plot:plot", "Pictures: word maps, analogy arrows, training curves."),
    # the lecture's views on your own models (issue 15)
    "explain": ({
        "onehot": "wordshell.commands.explain:onehot",
        "pairs": "wordshell.commands.explain:pairs",
        "prob": "wordshell.commands.explain:prob",
        "ngrams": "wordshell.commands.explain:ngrams",
        "next": "wordshell.commands.explain_lm:next_token",
        "gradients": "wordshell.commands.explain_lm:gradients",
        "gates": "wordshell.commands.explain_lm:gates",
    }, "The lecture's mechanics on your models: onehot, pairs, prob, ngrams, next, gradients, gates."),
    "compare": ({
        "lm": "wordshell.commands.explain_lm:compare_lm",
    }, "Compare models side by side (lm: architecture, parameters, speed, perplexity)."),
    "lecture": ("wordshell.commands.lecture:lecture",
                "A guided lecture on your corpus: one-hot to LSTM gates, each step a command you can copy."),
}

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _load(target: str) -> click.Command:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def __init__(self, *args, lazy: dict | None = None, helps: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}
        self.helps = helps or {}

    def list_commands(self, ctx):
        return sorted(set(self.lazy) | set(self.commands))

    def get_command(self, ctx, name):
        if name in self.commands:
            return self.commands[name]
        target = self.lazy.get(name)
        if target is None:
            return None
        if isinstance(target, dict):
            cmd = LazyGroup(name=name, lazy=target, help=self.helps.get(name), context_settings=CONTEXT)
        else:
            try:
                cmd = _load(target)
            except (ImportError, AttributeError) as e:
                if os.environ.get("WORDSHELL_DEBUG"):
                    raise
                raise WordshellError(f"command '{name}' is not available in this build ({e})") from None
        self.commands[name] = cmd
        return cmd

    def format_commands(self, ctx, formatter):
        rows = []
        for name in self.list_commands(ctx):
            help_ = self.helps.get(name)
            if help_ is None:
                cmd = self.get_command(ctx, name)
                help_ = cmd.get_short_help_str(70) if cmd else ""
            rows.append((name, help_))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx, args):
        name = args[0] if args else ""
        if name and self.get_command(ctx, name) is None and not name.startswith("-"):
            from wordshell.errors import UsageError
            from wordshell.suggest import did_you_mean

            close = did_you_mean(name, self.list_commands(ctx))
            where = f"'{ctx.command_path} {name}'" if ctx.parent else f"'{name}'"
            raise UsageError(f"no such command {where}",
                             f"did you mean: {', '.join(close)}?" if close else help_hint(ctx))
        return super().resolve_command(ctx, args)


class RootGroup(LazyGroup):
    """The top-level group: renders Results and turns every failure into one line + exit code.

    Doing both inside click's own flow means `wordshell ...`, click's CliRunner and the
    REPL all behave the same.
    """

    def execute(self, args: list[str], session: Session) -> int:
        """Run one command line (argv list) in `session`; render it; return the exit code.

        The shell and the batch mode run each line through this (they get the tree, never import cli).
        """

        def go():
            session.fmt = None
            session.argv = list(args)
            self.main(args=args, prog_name="wordshell", standalone_mode=False, obj=session)

        return handle_errors(go, session)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:  # the REPL: it handles errors itself, line by line
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        session = extra.pop("obj", None) or Session()
        if not session.argv:
            session.argv = list(args if args is not None else sys.argv[1:])
        holder = {}

        def go():
            holder["rv"] = super(RootGroup, self).main(args, prog_name or "wordshell", complete_var,
                                                       standalone_mode=False, obj=session, **extra)

        code = handle_errors(go, session)
        if code == 0 and isinstance(holder.get("rv"), int):  # the REPL/batch mode's exit code
            code = holder["rv"]
        # Everything is written. Freezing the heap spares the exit a last cyclic collection over every object
        # the imports made: after `import torch` that took ~1 s here (3.7 -> 2.7 s median for `import torch`
        # alone). Files are closed and flushed as before; only unreachable cycles are left to the OS.
        import gc

        gc.freeze()
        sys.exit(code)


@click.group(cls=RootGroup, lazy={k: v[0] for k, v in COMMANDS.items()},
             helps={k: v[1] for k, v in COMMANDS.items()},
             invoke_without_command=True, context_settings=CONTEXT)
@click.option("--home", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Workspace folder (default: $WORDSHELL_HOME, else the current directory).")
@click.option("--keep-going", is_flag=True, help="Batch mode (script on stdin): go on after an error.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or notes.")
@click.version_option(__version__, "-V", "--version", prog_name="wordshell")
@click.pass_context
def cli(ctx: click.Context, home, keep_going, quiet):
    """wordshell: train and query word vectors and small language models.

    Run with no command for the interactive shell; pipe a script in to run it as a batch.

    \b
    Examples:
      wordshell demo
      wordshell train word2vec w2v --corpus lee --epochs 10
      wordshell similar king --model w2v --top 5
      wordshell analogy "king - man + woman" --model w2v
      cat reviews.txt | wordshell classify --model sentiment
    """
    session = ctx.ensure_object(Session)
    if home:
        session.set_home(home)
    if quiet:
        session.quiet = True
    if ctx.invoked_subcommand is None:
        from wordshell.shell.repl import run_repl

        return run_repl(session, ctx.command, keep_going=keep_going)
    return None


@cli.result_callback()
@click.pass_context
def _render(ctx: click.Context, result, **_params):
    """Every command's Result goes through here to render.py."""
    if result is None or isinstance(result, int):
        return result
    from wordshell.render import Renderer

    session = ctx.ensure_object(Session)
    Renderer(session.stdout, session.stderr, session.fmt).emit(result)
    return None


def help_hint(ctx: click.Context) -> str:
    """Where help is: 'see wordshell similar --help' on the command line, 'see help similar' in the shell."""
    obj = ctx.find_object(Session)
    words = ctx.command_path.split()[1:]
    if obj is not None and obj.interactive:
        return "see 'help" + "".join(" " + w for w in words) + "'"
    return f"see '{ctx.command_path} --help'"


def handle_errors(fn, session: Session) -> int:
    """Run fn(); turn every failure into one line on stderr and an exit code."""
    from wordshell.render import error_line

    err = session.stderr
    try:
        fn()
        return 0
    except WordshellError as e:
        error_line(str(e), err)
        return e.exit_code
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.exceptions.Abort:
        error_line("cancelled", err)
        return 130
    except click.ClickException as e:
        msg = e.format_message()
        ctx = getattr(e, "ctx", None)
        if ctx is not None:
            msg += f" ({help_hint(ctx)})"
        error_line(msg, err)
        return e.exit_code
    except KeyboardInterrupt:
        error_line("cancelled", err)
        return 130
    except BrokenPipeError:   # the reader went away (`| head`): not an error; silence the flush at exit
        from wordshell.render import silence_stdout

        silence_stdout()
        return 0
    except (OSError, MemoryError) as e:
        error_line(f"{type(e).__name__}: {e}", err)
        return 1
    except Exception as e:  # a bug: still one line, the traceback on request
        if os.environ.get("WORDSHELL_DEBUG"):
            raise
        error_line(f"internal error: {type(e).__name__}: {e} (set WORDSHELL_DEBUG=1 for the traceback)", err)
        return 70


def execute(args: list[str], session: Session) -> int:
    """Run one command line in `session` (the demo's steps, a job's command): `cli.execute`."""
    return cli.execute(args, session)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    cli.main(args=args, prog_name="wordshell", obj=Session())
