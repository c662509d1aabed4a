"""Resume after a real kill (SIGKILL) and after Ctrl-C matches an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lm_fixtures import TINY, toy_corpus  # noqa: E402

torch = pytest.importorskip("torch")

ARGS = [*TINY, "--epochs", "4", "--ckpt-every", "5", "--dropout", "0.3", "--optimizer", "sgd", "--lr", "2",
        "--seed", "5", "--threads", "1"]


def weights(path):
    from safetensors.torch import load_file

    return load_file(str(path))


def start(home, name, corpus, *extra):
    env = {**os.environ, "WORDSHELL_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "wordshell", "train", "lm", name, "--corpus", str(corpus),
                             *ARGS, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_step(home, name, step, proc, timeout=60):
    state = home / "checkpoints" / name / "ckpt" / "state.json"
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if json.loads(state.read_text())["run"]["step"] >= step:
                return
        except (OSError, ValueError, KeyError):
            pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    raise AssertionError("training made no progress")


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The uninterrupted run, trained once for both kinds of interruption."""
    from lm_fixtures import run_cli

    home = tmp_path_factory.mktemp("straight")
    corpus = toy_corpus(home / "toy.txt", lines=700)
    r = run_cli(home, "train", "lm", "straight", "--corpus", str(corpus), *ARGS)
    assert r.exit_code == 0, r.output
    return home / "checkpoints" / "straight", corpus


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_resume_after_kill_matches_straight_run(ws, straight, sig):
    straight_dir, corpus = straight

    proc = start(ws.home, "killed", corpus)
    wait_for_step(ws.home, "killed", 40, proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    d = ws.home / "checkpoints" / "killed"
    assert not (d / "model.json").exists(), "finished before the kill; make the run longer"
    if sig == signal.SIGINT:  # graceful: a checkpoint at the current step, one line, exit 130
        assert proc.returncode == 130 and "--resume" in err.splitlines()[-1]
        assert err.splitlines()[-1].startswith("error: ")
    else:
        assert proc.returncode == -signal.SIGKILL
    again = ws("train", "lm", "killed", "--corpus", str(corpus), *ARGS)
    assert again.code == 2 and "--resume" in again.err  # refuses to clobber an unfinished run

    resumed = ws("train", "lm", "killed", "--corpus", str(corpus), "--resume")  # options from the checkpoint
    assert resumed.code == 0, resumed
    a = weights(straight_dir / "weights.safetensors")
    b = weights(d / "weights.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    ha = json.loads((straight_dir / "model.json").read_text())["history"]
    hb = json.loads((d / "model.json").read_text())["history"]
    assert [h["valid_loss"] for h in ha] == pytest.approx([h["valid_loss"] for h in hb], rel=1e-6)
