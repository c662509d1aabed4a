"""`lecture`: straight through in a pipe (every step's command printed, then run), background jobs, the pause
on a terminal (q stops), --list and --start."""

from __future__ import annotations

import os
import re
import sys

import pytest

from lm_fixtures import run_cli, toy_corpus

FAST = ["--lm-steps", "10", "--w2v-epochs", "1"]


def commands(out: str) -> list[str]:
    return [line[len("$ wordshell "):] for line in out.splitlines() if line.startswith("$ wordshell ")]


def test_list_prints_every_command(tmp_path):
    r = run_cli(tmp_path, "lecture", "--list", "--corpus", "lee")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "wordshell train word2vec lec-w2v --corpus lee --epochs 5"
    assert "wordshell explain ngrams where" in lines
    assert lines[-1].startswith("wordshell generate 'the' --model lec-lstm")
    part = run_cli(tmp_path, "lecture", "--list", "--part", "lm", "--prefix", "x").stdout.splitlines()
    assert all("lec-" not in line for line in part) and not any("word2vec" in line for line in part)


def test_foreground_lecture_in_a_pipe(tmp_path):
    home = tmp_path / "ws"
    corpus = toy_corpus(tmp_path / "toy.txt", lines=300)
    r = run_cli(home, "lecture", "--corpus", str(corpus), "--train", "foreground", *FAST)
    assert r.exit_code == 0, r.output
    ran = commands(r.stdout)
    # each model trained right before its first use, then the steps in order
    assert ran[:2] == ["corpus info " + str(corpus) + " --top 8",
                       "explain pairs 'I saw a cute grey cat playing in the garden' --window 2"]
    assert ran.index(next(c for c in ran if c.startswith("train word2vec lec-w2v"))) < \
        ran.index(next(c for c in ran if c.startswith("explain onehot")))
    assert sum(c.startswith("train lm ") for c in ran) == 5 and sum(c.startswith("train word2vec") for c in ran) == 2
    assert re.search(r"lecture done: 18 steps in \d+ s", r.stdout)
    # the slides the toy corpus cannot show are skipped, said so, and counted
    assert r.stdout.count("(skipped: the model does not know the words") == 2
    assert "2 skipped (words this corpus lacks): Analogies by vector arithmetic; Country - capital arrows" in r.stdout
    assert "failed" not in r.stdout
    assert "error:" not in r.stderr, r.stderr
    for name in ("lec-w2v", "lec-hs", "lec-ffnn", "lec-rnn", "lec-lstm", "lec-gru", "lec-rnn-noclip"):
        assert (home / "checkpoints" / name / "model.json").is_file()
    # a second run reuses the models (nothing trained) and can start anywhere
    again = run_cli(home, "lecture", "--corpus", str(corpus), "--train", "foreground", "--start", "17", *FAST)
    assert again.exit_code == 0, again.output
    assert [c.split()[0] for c in commands(again.stdout)] == ["explain", "generate"]


def test_background_jobs_and_a_model_of_another_corpus(tmp_path):
    home = tmp_path / "ws"
    corpus = toy_corpus(tmp_path / "toy.txt", lines=300)
    other = toy_corpus(tmp_path / "other.txt", lines=200, seed=3)
    assert run_cli(home, "train", "word2vec", "lec-w2v", "--corpus", str(other), "--epochs", "1", "-q").exit_code == 0
    r = run_cli(home, "lecture", "--corpus", str(corpus), "--part", "vectors", *FAST)
    assert r.exit_code == 0, r.output
    ran = commands(r.stdout)
    # the corpus is read (and tokenised) once before the jobs start, which all need it
    assert ran[0] == f"corpus info {corpus} --top 8"
    assert ran[1] == f"train word2vec lec-w2v --corpus {corpus} --epochs 1 --force --background"
    assert ran[2].startswith("train word2vec lec-hs") and ran[2].endswith("--background")
    assert "trained on 'other', not" in r.stdout
    assert any(c.startswith("jobs watch lec-") for c in ran) or "lecture done" in r.stdout
    assert "lecture done: 10 steps" in r.stdout


def test_bad_options(tmp_path):
    r = run_cli(tmp_path, "lecture", "--prefix", "../x")
    assert r.exit_code == 2 and "invalid model name" in r.stderr
    r = run_cli(tmp_path, "lecture", "--start", "40")
    assert r.exit_code == 2 and "18 steps" in r.stderr
    r = run_cli(tmp_path, "lecture", "--corpus", "-")
    assert r.exit_code == 2


def test_pauses_on_a_terminal_and_q_stops(tmp_path, workspace):
    pexpect = pytest.importorskip("pexpect")
    corpus = toy_corpus(tmp_path / "toy.txt", lines=50)
    env = {**os.environ, "WORDSHELL_HOME": str(workspace), "COLUMNS": "100"}
    child = pexpect.spawn(sys.executable, ["-m", "wordshell", "lecture", "--corpus", str(corpus), "--part", "vectors",
                                           "--train", "foreground", *FAST], env=env, encoding="utf-8", timeout=60)
    child.expect_exact("$ wordshell corpus info")
    child.expect_exact("any key for the next step, q to stop")
    child.send(" ")                                   # next
    child.expect_exact("$ wordshell explain pairs")
    child.expect_exact("any key for the next step, q to stop")
    child.send("q")
    child.expect_exact("lecture stopped after step 2; 'lecture --start 3' goes on from there")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
