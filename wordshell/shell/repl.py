"""The interactive shell (prompt-toolkit) and the batch mode (a script on stdin).

Every line goes through cli.execute, the same click tree and renderer as a one-shot
`wordshell ...`, so the shell has no command table of its own. What the shell adds:

    completion, colouring       complete.py, lexer.py (from the click tree, the store, vocab.txt)
    history, auto-suggest       <workspace>/.wordshell/history
    bottom toolbar              active model, device, running jobs (from job.json)
    job messages                JobWatcher: a thread that reads job.json and prints events
                                above the prompt (patch_stdout)
    'train ... &'               the same as 'train ... --background'

    $ wordshell                       # the shell
    $ wordshell < script.ws           # batch: stop at the first error (exit code != 0)
    $ echo "similar king" | wordshell --keep-going
"""

from __future__ import annotations

import io
import os
import re
import shlex

import click
import sys
import threading
import time
from typing import IO, Iterable

from wordshell import __version__
from wordshell.render import error_line

BANNER = f"wordshell {__version__}: 'help' lists commands, Tab completes, 'quit' or Ctrl-D leaves"
REPL_HELP = """\
In this shell:
  COMMAND ...            any wordshell command, same words as on the command line
  help [COMMAND]         this text and the command list, or one command's help
  use MODEL              the model used when --model is not given (shown in the prompt)
  train ... &            train in the background (= --background); see 'jobs'
  Tab, Right arrow       complete (commands, options, models, corpora, words, paths); accept a suggestion
  Ctrl-C                 cancel the running command or the line; quit, exit, Ctrl-D: leave
"""


class Line:
    """One parsed shell line: argv (list), or a request to stop, or a parse error."""

    def __init__(self, argv: list[str] | None = None, stop: bool = False, error: str | None = None,
                 help_: bool = False):
        self.argv, self.stop, self.error, self.help = argv, stop, error, help_


def parse_line(text: str) -> Line | None:
    """'similar king --top 5' -> argv; 'help X' -> X --help; 'train ... &' -> --background.

    >>> parse_line("train word2vec m --corpus lee &").argv[-1]
    '--background'
    """
    text = text.strip()
    if not text or text.startswith("#"):
        return None
    background = text.endswith("&") and not text.endswith("\\&")
    if background:
        text = text[:-1].rstrip()
    try:
        argv = shlex.split(text)
    except ValueError as e:
        return Line(error=f"cannot read the line: {e}")
    if not argv:
        return Line(error="'&' needs a command before it")
    if argv[0] in ("quit", "exit", "q") and len(argv) == 1:
        return Line(stop=True)
    if argv[0] in ("help", "?"):
        return Line(argv=argv[1:] + ["--help"], help_=not argv[1:])
    if background:
        if argv[0] != "train":
            return Line(error="only 'train ...' runs in the background (with & or --background)")
        if "--background" not in argv and "-b" not in argv:
            argv.append("--background")
    return Line(argv=argv)


def run_line(line: Line, session, root, err: IO[str] | None = None) -> int:
    """Execute one parsed line in `session` through the command tree `root` (cli.RootGroup);
    return its exit code (errors already printed)."""
    err = err or session.stderr
    if line.error:
        error_line(line.error, err)
        return 2
    if line.help:  # the shell's own help: its words, then the commands (not the command line's usage)
        ctx = click.Context(root)
        width = max(len(n) for n in root.list_commands(ctx))
        lines = [f"  {n.ljust(width)}  {root.helps.get(n, '')}" for n in root.list_commands(ctx)]
        session.stdout.write(REPL_HELP + "\nCommands ('help COMMAND' for one; 'help train word2vec' for a "
                             "subcommand):\n" + "\n".join(lines) + "\n")
        session.stdout.flush()
        return 0
    return root.execute(line.argv, session)


# -- batch mode -------------------------------------------------------------------

_ERROR_HEAD = re.compile(r"^(\x1b\[[0-9;]*m)?error: ")


class _LineTagged:
    """stderr that says which script line an error comes from: 'error: line 5: ...'."""

    def __init__(self, stream: IO[str], lineno: int):
        self._stream, self._tag = stream, f"line {lineno}: "

    def write(self, text: str) -> int:
        m = _ERROR_HEAD.match(text)  # 'error: ', maybe coloured
        if m:
            text = m.group() + self._tag + text[m.end():]
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def run_batch(session, root, lines: Iterable[str], keep_going: bool = False) -> int:
    """Run a script: skip blanks and # comments; stop at the first failure unless keep_going.

    Returns 0, or the exit code of the (last) failing line.
    """
    failed = 0
    session.script = True
    for lineno, text in enumerate(lines, 1):
        line = parse_line(text)
        if line is None:
            continue
        if line.stop:
            break
        saved, saved_err = sys.stdin, session.err
        sys.stdin = io.TextIOWrapper(io.BytesIO(b""))  # a command must not eat the rest of the script
        session.err = _LineTagged(session.stderr, lineno)
        try:
            code = run_line(line, session, root)
        except KeyboardInterrupt:
            code = 130
        finally:
            sys.stdin, session.err = saved, saved_err
        if code:
            failed = code
            if not keep_going:
                session.note(f"stopped at line {lineno} (--keep-going runs on after errors)")
                return code
    return failed


# -- the interactive shell ------------------------------------------------------------

def detect_device() -> str:
    """'cuda' or 'cpu', without importing torch unless something already did."""
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            return "cuda" if torch.cuda.is_available() else "cpu"
        except Exception:
            return "cpu"
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return "cpu"
    if os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidia0"):
        return "cuda"
    return "cpu"


class Shell:
    """The prompt-toolkit loop around cli.execute. `input`/`output` are for tests (pipe input)."""

    def __init__(self, session, root, input=None, output=None, watch_jobs: bool = True):
        from prompt_toolkit import PromptSession
        from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.styles import Style

        from wordshell.shell.complete import ShellCompleter
        from wordshell.shell.lexer import ShellLexer
        from wordshell.shell.watcher import JobWatcher

        self.session = session
        self.root = root
        session.interactive = True
        state = session.store.state_dir
        state.mkdir(parents=True, exist_ok=True)
        self.device = detect_device()
        self.watcher = None
        style = Style.from_dict({
            "command": "bold ansigreen", "unknown": "bold ansired", "option": "ansicyan",
            "string": "ansiyellow", "background": "bold ansimagenta", "prompt": "bold", "model": "ansicyan",
            "bottom-toolbar": "noreverse bg:#303030 #d0d0d0", "toolbar.job": "#ffd787",
        })
        self.ps = PromptSession(
            history=FileHistory(str(state / "history")), auto_suggest=AutoSuggestFromHistory(),
            completer=ShellCompleter(session, root), complete_in_thread=True, complete_while_typing=True,
            lexer=ShellLexer(root.list_commands(None)), style=style, bottom_toolbar=self.toolbar, refresh_interval=1.0,
            input=input, output=output)
        self.watcher = JobWatcher(session, on_change=self._invalidate) if watch_jobs else None

    def _invalidate(self) -> None:
        app = self.ps.app
        if app.is_running:
            app.invalidate()

    def message(self):
        model = self.session.active_model
        if model:
            return [("class:prompt", "wordshell "), ("class:model", f"[{model}]"), ("class:prompt", "> ")]
        return [("class:prompt", "wordshell> ")]

    def toolbar(self):
        """Active model · device · running jobs. Called on every redraw: reads nothing from disk."""
        from wordshell.progress import fmt_duration

        parts = [("", f" model: {self.session.active_model or '-'}  |  {self.device}")]
        running = self.watcher.running if self.watcher else []
        if running:
            parts.append(("", "  |  jobs:"))
            for j in running[:3]:
                s = j.status
                pct = f" {100 * s['progress']:.0f}%" if s.get("progress") is not None else " starting"
                eta = f" eta {fmt_duration(s.get('eta'))}" if s.get("eta") else ""
                parts.append(("class:toolbar.job", f" #{j.id} {j.model}{pct}{eta}"))
            if len(running) > 3:
                parts.append(("", f" +{len(running) - 3}"))
        return parts

    def read(self) -> str:
        from prompt_toolkit.patch_stdout import patch_stdout

        with patch_stdout(raw=True):  # job messages from the watcher thread print above the prompt
            if self.watcher:
                self.watcher.set_prompt(True)
                self.watcher.flush()
            try:
                return self.ps.prompt(self.message)
            finally:
                if self.watcher:
                    self.watcher.set_prompt(False)

    def run(self) -> int:
        out = self.session.stdout
        out.write(BANNER + "\n")
        out.flush()
        if self.watcher:
            self.watcher.start()
        threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
        try:
            while True:
                try:
                    text = self.read()
                except KeyboardInterrupt:
                    continue  # Ctrl-C at the prompt clears the line
                except EOFError:
                    break
                line = parse_line(text)
                if line is None:
                    continue
                if line.stop:
                    break
                try:
                    run_line(line, self.session, self.root)
                except KeyboardInterrupt:  # between click and the renderer: still just a cancel
                    error_line("cancelled", self.session.stderr)
        finally:
            if self.watcher:
                self.watcher.stop()
        self.leave()
        return 0

    def leave(self) -> None:
        """Leaving with jobs running: keep them (default) or cancel them."""
        from prompt_toolkit import PromptSession

        try:
            running = [j for j in self.session.jobs.list() if j.active]
        except Exception:
            return
        if not running:
            return
        names = ", ".join(f"#{j.id} {j.model}" for j in running)
        try:
            ask = PromptSession(input=self.ps.input, output=self.ps.output)
            answer = ask.prompt(f"{len(running)} job(s) still running ({names}). "
                                "[l]eave them running or [c]ancel them? [l] ")
        except (EOFError, KeyboardInterrupt):
            answer = "l"
        if answer.strip().lower().startswith("c"):
            run_line(Line(argv=["jobs", "cancel", *[str(j.id) for j in running]]), self.session, self.root)
        else:
            self.session.stdout.write(f"left running: {names}; 'wordshell jobs' shows them\n")
            self.session.stdout.flush()


def _warm_up() -> None:
    """Import what the first query needs (numpy, the vector code, rich) while the user types.

    Start-up stays light (the prompt comes first); the first `similar` then costs a query, not
    ~0.2 s of imports. torch and gensim stay out: only the commands that train import them."""
    import importlib

    time.sleep(0.05)  # let the first prompt draw
    for name in ("numpy", "wordshell.vectors.keyed", "wordshell.commands.query", "rich.console", "rich.table"):
        try:
            importlib.import_module(name)
        except Exception:
            pass


def run_repl(session, root, keep_going: bool = False) -> int:
    """`wordshell` with no command: the shell on a terminal, a batch run otherwise. `root` is the
    command tree the lines run through (cli passes itself: the shell never imports cli)."""
    try:
        tty = sys.stdin.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return run_batch(session, root, sys.stdin, keep_going)
    return Shell(session, root).run()
