"""The torch engine resumes after Ctrl-C and after SIGKILL to exactly the vectors of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from vector_fixtures import topic_corpus  # noqa: E402

pytest.importorskip("torch")

ARGS = ["--engine", "torch", "--epochs", "8", "--batch-words", "512", "--min-count", "1", "--dim", "16",
        "--workers", "1", "--seed", "4"]


def start(home, name, corpus, *extra, kind="word2vec"):
    env = {**os.environ, "WORDSHELL_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "wordshell", "train", kind, name, "--corpus", str(corpus),
                             *ARGS, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_epoch(home, name, epoch, proc, timeout=120):
    state = home / "checkpoints" / name / "ckpt" / "state.json"
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if json.loads(state.read_text())["run"]["epoch"] >= epoch:
                return
        except (OSError, ValueError, KeyError):
            pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.005)
    raise AssertionError("training made no progress")


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    home = tmp_path_factory.mktemp("straight")
    corpus = topic_corpus(home / "topics.txt", sentences=2000)
    p = start(home, "straight", corpus)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    return home / "checkpoints" / "straight", corpus


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_resume_matches_the_uninterrupted_run(ws, straight, sig):
    straight_dir, corpus = straight
    proc = start(ws.home, "cut", corpus)
    wait_for_epoch(ws.home, "cut", 2, proc)
    time.sleep(0.05)                                          # somewhere inside epoch 3
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    d = ws.home / "checkpoints" / "cut"
    assert not (d / "model.json").exists(), "finished before the signal; make the run longer"
    if sig == signal.SIGINT:  # a checkpoint at the next step, one line, exit 130
        assert proc.returncode == 130, err
        assert err.splitlines()[-1].startswith("error: ") and "--resume" in err.splitlines()[-1]
        state = json.loads((d / "ckpt" / "state.json").read_text())["run"]
        assert state["stopped"] == "cancelled"
    else:
        assert proc.returncode == -signal.SIGKILL
    listed = ws("models", "list")
    assert any(r[0] == "cut" for r in listed.rows), listed
    again = ws("train", "word2vec", "cut", "--corpus", str(corpus), *ARGS)
    assert again.code == 2 and "--resume" in again.err          # an unfinished run is not clobbered
    resumed = ws("train", "word2vec", "cut", "--corpus", str(corpus), *ARGS, "--resume")
    assert resumed.code == 0, resumed
    assert "resumed at epoch" in resumed.err
    for f in ("vectors.npy", "context.npy", "vocab.txt"):
        a, b = straight_dir / f, d / f
        if f.endswith(".npy"):
            assert np.array_equal(np.load(a), np.load(b)), f
        else:
            assert a.read_text() == b.read_text()
    m1 = json.loads((straight_dir / "model.json").read_text())
    m2 = json.loads((d / "model.json").read_text())
    assert [h["loss"] for h in m1["history"]] == pytest.approx([h["loss"] for h in m2["history"]], rel=1e-9)
    assert m2["training"]["epochs"] == 8 and len(m2["history"]) == 8


def test_resume_keeps_the_checkpoints_settings(ws, tmp_path):
    corpus = topic_corpus(tmp_path / "t.txt", sentences=2000)
    proc = start(ws.home, "r", corpus)
    wait_for_epoch(ws.home, "r", 1, proc)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    r = ws("train", "word2vec", "r", "--corpus", str(corpus), *ARGS[:-8], "--dim", "32", "--resume", "--epochs", "8",
           "--min-count", "1")
    assert r.code == 0, r
    assert "ignoring --dim" in r.err
    assert json.loads((ws.home / "checkpoints" / "r" / "model.json").read_text())["dim"] == 16


def test_resume_of_a_finished_model_says_there_is_nothing_to_resume(ws, tmp_path):
    corpus = topic_corpus(tmp_path / "t.txt", sentences=200)
    assert ws("train", "word2vec", "f", "--corpus", str(corpus), *ARGS[:2], "--epochs", "1", "--min-count", "1",
              "-q").code == 0
    r = ws("train", "word2vec", "f", "--corpus", str(corpus), *ARGS[:2], "--resume")
    assert r.code == 2 and "no checkpoint to resume" in r.err


def test_fasttext_resumes_to_the_uninterrupted_tables(ws, tmp_path):
    # fastText's rounds work on a copy of the step's rows (torch_engine.CenterRows), written back at the
    # end of the step: a checkpoint between steps must hold every update, n-gram rows included
    corpus = topic_corpus(tmp_path / "t.txt", sentences=1500)
    ft = ["--bucket", "3000", "--epochs", "4"]
    straight = ws("train", "fasttext", "whole", "--corpus", str(corpus), *ARGS, *ft, "-q")
    assert straight.code == 0, straight
    proc = start(ws.home, "cut", corpus, *ft, kind="fasttext")
    wait_for_epoch(ws.home, "cut", 2, proc)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode == 130 and not (ws.home / "checkpoints" / "cut" / "model.json").exists()
    resumed = ws("train", "fasttext", "cut", "--corpus", str(corpus), *ARGS, *ft, "--resume")
    assert resumed.code == 0 and "resumed at epoch" in resumed.err, resumed
    for f in ("vectors.npy", "ngrams.npy", "context.npy"):
        a, b = np.load(ws.home / "checkpoints" / "whole" / f), np.load(ws.home / "checkpoints" / "cut" / f)
        assert np.array_equal(a, b), f
