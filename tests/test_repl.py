"""The shell: completion, history, error survival, `use`, batch mode (prompt-toolkit pipe input)."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import threading
import time

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from wordshell.cli import cli
from wordshell.shell.complete import ShellCompleter, VocabIndex
from wordshell.shell.repl import Shell, parse_line
from wordshell.session import Session


def complete(session, text: str) -> list[str]:
    c = ShellCompleter(session, cli)
    return [x.text for x in c.get_completions(Document(text, len(text)), CompleteEvent(completion_requested=True))]


def run_shell(home, chunks, delay=0.15):
    """Type `chunks` into a Shell (one chunk every `delay` s, so Tab completion can finish)."""
    out, err = io.StringIO(), io.StringIO()
    session = Session(home, out=out, err=err)
    with create_pipe_input() as inp:
        def feed():
            for chunk in [*chunks, "\x04"]:
                time.sleep(delay)
                inp.send_text(chunk)

        threading.Thread(target=feed, daemon=True).start()
        with create_app_session(input=inp, output=DummyOutput()):
            shell = Shell(session, cli, input=inp, output=DummyOutput())
            code = shell.run()
    return code, out.getvalue(), err.getvalue(), shell


# -- parsing ------------------------------------------------------------------------

def test_parse_line():
    assert parse_line("  ") is None and parse_line("# comment") is None
    assert parse_line("similar king --top 5").argv == ["similar", "king", "--top", "5"]
    assert parse_line('analogy "king - man + woman"').argv == ["analogy", "king - man + woman"]
    assert parse_line("help similar").argv == ["similar", "--help"]
    assert parse_line("help").argv == ["--help"] and parse_line("help").help
    assert parse_line("quit").stop and parse_line("exit").stop
    assert parse_line("train word2vec m --corpus lee &").argv[-1] == "--background"
    assert parse_line("train word2vec m --corpus lee&").argv == ["train", "word2vec", "m", "--corpus", "lee",
                                                                 "--background"]
    assert "only 'train" in parse_line("similar king &").error
    assert "closing quotation" in parse_line('similar "king').error


# -- completion ---------------------------------------------------------------------

def test_complete_commands_and_subcommands(workspace):
    s = Session(workspace)
    assert complete(s, "sim") == ["similar", "similarity"]
    first = complete(s, "")
    assert {"help", "quit", "train", "jobs", "use", "analogy"} <= set(first)
    assert complete(s, "train w") == ["word2vec"]
    assert complete(s, "jobs c") == ["cancel"]
    assert complete(s, "help tr") == ["train"]


def test_complete_options(workspace):
    s = Session(workspace)
    assert complete(s, "similar king --t") == ["--top"]
    opts = complete(s, "train word2vec m --corpus lee --")
    assert "--epochs" in opts and "--background" in opts and "--format" in opts
    assert "--corpus" not in opts  # already given
    assert complete(s, "similar king --format ") == ["table", "tsv", "json"]
    assert complete(s, "train word2vec m --split w") == ["words", "whitespace"]


def test_complete_model_and_corpus_names(workspace, with_w2v):
    s = Session(workspace)
    assert complete(s, "similar king --model w") == ["w2v"]
    assert complete(s, "use ") == ["w2v"]
    assert complete(s, "models info w") == ["w2v"]
    assert "lee" in complete(s, "train word2vec x --corpus l")


def test_complete_vocabulary_in_frequency_order(workspace, with_w2v):
    s = Session(workspace)
    words = (workspace / "checkpoints" / "w2v" / "vocab.txt").read_text().split("\n")[:-1]
    oracle = [w for w in words if w.startswith("gov")][:40]
    assert oracle and complete(s, "similar gov --model w2") == ["w2v"]
    assert complete(s, "similar --model w2v gov") == oracle
    s.use("w2v")
    assert complete(s, "similar gov") == oracle
    assert complete(s, "similarity king gov") == oracle
    # inside a quoted analogy, and as an option value
    assert complete(s, 'analogy "king - gov') == oracle
    assert complete(s, "similar king --negative gov") == oracle
    # options still complete after words
    assert complete(s, "similar government --to") == ["--top"]


def test_complete_paths(workspace, tmp_path):
    (tmp_path / "vectors-a.txt").write_text("x")
    (tmp_path / "vectors-b.bin").write_text("x")
    s = Session(workspace)
    got = complete(s, f"models import {tmp_path}/vec")
    assert sorted(got) == ["tors-a.txt", "tors-b.bin"]  # PathCompleter completes the rest of the name


def test_vocab_index_large_matches_brute_force():
    rng = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = list(dict.fromkeys("".join(rng.choice(letters) for _ in range(rng.randint(2, 12)))
                               for _ in range(150_000)))
    t0 = time.perf_counter()
    index = VocabIndex(words)
    build = time.perf_counter() - t0
    prefixes = ["a", "qu", "zz", "abc", "mno", "x", "", "kqzj"]
    times = []
    for p in prefixes:
        t0 = time.perf_counter()
        got = index.complete(p, 40)
        times.append(time.perf_counter() - t0)
        assert got == [w for w in words if w.startswith(p)][:40], p
    assert build < 2.0
    assert sorted(times)[len(times) // 2] < 0.02  # a keystroke's worth of work, not a scan


# -- the shell through pipe input -----------------------------------------------------

def test_shell_use_completion_error_and_history(workspace, with_w2v):
    code, out, err, shell = run_shell(workspace, [
        "use w2v\r",
        "similar governm", "\t", " --top 3\r",   # Tab completes the word
        "simlar king\r",                         # an error ...
        "similar government --top 2\r",          # ... and the shell goes on
    ])
    assert code == 0
    assert "using 'w2v'" in out
    lines = [line.split("\t") for line in out.splitlines() if line.count("\t") == 2]
    assert [r[0] for r in lines] == ["1", "2", "3", "1", "2"]
    assert lines[0] == lines[3] and lines[1] == lines[4]  # the completed word was 'government'
    assert err.strip() == "error: no such command 'simlar' (did you mean: similar?)"
    assert shell.message()[1][1] == "[w2v]"  # the prompt shows the active model
    history = (workspace / ".wordshell" / "history").read_text()
    assert "+similar government --top 3" in history and "+use w2v" in history

    # a new shell reads the history: Up + Enter runs the last line again
    code, out, err, _ = run_shell(workspace, ["\x1b[A", "\r"])
    assert code == 0 and err == ""
    assert [line.split("\t")[0] for line in out.splitlines() if "\t" in line] == ["1", "2"]


def test_shell_help(workspace, capsys):
    code, out, err, _ = run_shell(workspace, ["help\r", "help similar\r"])
    assert code == 0 and err == ""
    assert "train ... &" in out and "Commands ('help COMMAND'" in out  # the shell's own help and command list
    printed = capsys.readouterr().out  # click prints a command's help to sys.stdout
    assert "Nearest neighbours by cosine similarity" in printed


# -- batch mode ---------------------------------------------------------------------------

SCRIPT = """\
# a script: comments and blank lines are skipped
use w2v

similar government --top 2
similar goverment
similarity government federal
"""


def test_batch_stops_at_first_error(ws, with_w2v):
    r = ws(input=SCRIPT)
    assert r.code == 1
    assert r.out.startswith("using 'w2v'")
    assert [row[0] for row in r.rows[1:]] == ["1", "2"]  # the similar before the error; nothing after it
    assert "error: line 5: 'goverment' is not in the vocabulary" in r.err
    assert "stopped at line 5" in r.err


def test_batch_keep_going(ws, with_w2v):
    r = ws("--keep-going", input=SCRIPT)
    assert r.code == 1  # still says something failed
    assert len(r.rows) == 4 and len(r.rows[-1]) == 3 and r.rows[-1][0] == "government"  # similarity ran


def test_batch_real_pipe_exit_codes(workspace, with_w2v):
    cmd = [sys.executable, "-m", "wordshell"]
    ok = subprocess.run(cmd, input="similar government --model w2v --top 1\n", text=True, capture_output=True,
                        env=os.environ, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split("\t")[0] == "1" and ok.stderr == ""
    bad = subprocess.run(cmd, input="similar king --model nope\nsimilar government --model w2v\n", text=True,
                         capture_output=True, env=os.environ, timeout=60)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("error: line 1: no model named 'nope'")


@pytest.mark.parametrize("line", ["similar king &", 'similar "unclosed'])
def test_batch_bad_lines(ws, line):
    r = ws(input=line + "\n")
    assert r.code == 2 and r.err.startswith("error: line 1: ")


def test_shell_start_imports_no_torch_gensim_numpy(workspace):
    code = ("import sys\n"
            "from prompt_toolkit.input import create_pipe_input\n"
            "from prompt_toolkit.output import DummyOutput\n"
            "from wordshell.session import Session\n"
            "from wordshell.shell.repl import Shell\n"
            "from wordshell.cli import cli\n"
            "import wordshell.commands.jobs, wordshell.jobs.worker\n"
            "with create_pipe_input() as inp:\n"
            "    sh = Shell(Session(), cli, input=inp, output=DummyOutput())\n"
            "    sh.toolbar(); sh.message()\n"
            "print(sorted(m for m in ('torch', 'gensim', 'numpy', 'rich') if m in sys.modules))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_toolbar_and_job_completion(workspace):
    import json

    d = workspace / "checkpoints" / "big"
    d.mkdir(parents=True)
    (d / "job.json").write_text(json.dumps({  # a job 'running' in this very process: alive
        "id": 4, "model": "big", "kind": "word2vec", "state": "running", "pid": os.getpid(), "progress": 0.5,
        "eta": 75, "started": time.time(), "events": []}))
    s = Session(workspace)
    assert complete(s, "jobs cancel ") == ["4"] and complete(s, "jobs watch 4") == ["4"]
    with create_pipe_input() as inp:
        shell = Shell(s, cli, input=inp, output=DummyOutput())
        text = "".join(t for _, t in shell.toolbar())
    from wordshell.shell.repl import detect_device

    assert text == f" model: -  |  {detect_device()}  |  jobs: #4 big 50% eta 1:15"


def test_shell_help_lists_shell_words_and_commands_and_errors_point_to_help(workspace):
    out, err = io.StringIO(), io.StringIO()
    session = Session(workspace, out=out, err=err)
    session.interactive = True
    from wordshell.shell.repl import run_line

    assert run_line(parse_line("help"), session, cli) == 0
    text = out.getvalue()
    assert "In this shell" in text and "similar" in text and "train" in text
    assert "--home" not in text and "--keep-going" not in text  # the command line's options are not the shell's
    run_line(parse_line("frobnicate"), session, cli)
    run_line(parse_line("similar --top x king"), session, cli)
    lines = err.getvalue().splitlines()
    assert lines[0] == "error: no such command 'frobnicate' (see 'help')"
    assert lines[1].endswith("(see 'help similar')") and "--help" not in lines[1]
