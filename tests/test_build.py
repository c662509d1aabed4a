"""Never lose a model: --force builds beside the old one, one run per model (the lock), stale temp
files cleaned, readers see the old model or the new one, unfinished runs listed. Kills are real
child processes and SIGKILL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lm_fixtures import TINY, toy_corpus  # noqa: E402

from wordshell.build import STAGING, ModelBuild, swap  # noqa: E402
from wordshell.errors import UsageError  # noqa: E402
from wordshell.store import Store  # noqa: E402

W2V = ["--corpus", "lee", "--min-count", "3", "--workers", "1", "--dim", "16"]


def start(home, *args):
    env = {**os.environ, "WORDSHELL_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "wordshell", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run(home, *args, input=None):
    env = {**os.environ, "WORDSHELL_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "wordshell", *args], env=env, capture_output=True, text=True,
                          input=input, timeout=120)


def wait_for(pred, proc=None, timeout=60.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended before {what}: {proc.communicate()}")
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def stray_temps(home: Path) -> list[str]:
    return [str(p) for p in (home / "checkpoints").rglob("*.tmp")]


# -- --force and kills ---------------------------------------------------------------------

def test_killed_force_retrain_keeps_the_old_word2vec(workspace):
    r = run(workspace, "train", "word2vec", "w", *W2V, "--epochs", "1")
    assert r.returncode == 0, r.stderr
    before = run(workspace, "similar", "government", "--model", "w", "--top", "5").stdout
    proc = start(workspace, "train", "word2vec", "w", *W2V, "--epochs", "400", "--force")
    staging = workspace / "checkpoints" / STAGING.format("w")
    wait_for(staging.is_dir, proc, what="the staging folder")
    time.sleep(1.0)
    kill(proc)
    assert run(workspace, "similar", "government", "--model", "w", "--top", "5").stdout == before
    # the next --force run clears the dead run's folder and replaces the model
    r = run(workspace, "train", "word2vec", "w", *W2V, "--epochs", "1", "--seed", "9", "--force")
    assert r.returncode == 0, r.stderr
    assert not staging.exists() and stray_temps(workspace) == []
    assert json.loads((workspace / "checkpoints" / "w" / "model.json").read_text())["config"]["seed"] == 9


@pytest.mark.parametrize("when", ["training", "saving"])
def test_killed_force_retrain_keeps_the_old_lm_and_resumes(workspace, when):
    corpus = toy_corpus(workspace / "toy.txt", lines=600)
    args = ["train", "lm", "m", "--corpus", str(corpus), *TINY, "--threads", "1"]
    assert run(workspace, *args, "--epochs", "1").returncode == 0
    old = (workspace / "checkpoints" / "m" / "weights.safetensors").read_bytes()
    proc = start(workspace, *args, "--epochs", "60", "--ckpt-every", "3", "--force")
    state = workspace / "checkpoints" / STAGING.format("m") / "ckpt" / "state.json"
    wait_for(state.is_file, proc, what="a checkpoint of the --force run")
    if when == "saving":  # kill while checkpoints are being written, again and again
        time.sleep(0.3)
    kill(proc)
    d = workspace / "checkpoints" / "m"
    assert (d / "weights.safetensors").read_bytes() == old  # untouched
    r = run(workspace, "generate", "the cat", "--model", "m", "--length", "3", "--seed", "1")
    assert r.returncode == 0 and "checkpoint" not in r.stderr  # the finished old model answers
    listed = run(workspace, "models", "list", "--format", "json").stdout
    row = [json.loads(x) for x in listed.splitlines() if json.loads(x)["name"] == "m"][0]
    assert row["kind"] == "lstm-lm" and "--force run beside it" in row["summary"] and "--resume" in row["summary"]
    done = json.loads(state.read_text())["run"]["step"]
    r = run(workspace, *args, "--epochs", "60", "--max-steps", str(done + 10), "--resume")
    assert r.returncode == 0, r.stderr
    assert (d / "weights.safetensors").read_bytes() != old
    assert not d.with_name(STAGING.format("m")).exists() and stray_temps(workspace) == []
    assert json.loads((d / "model.json").read_text())["training"]["steps"] == done + 10


def test_stale_temp_files_of_dead_writers_are_removed(workspace):
    assert run(workspace, "train", "word2vec", "w", *W2V, "--epochs", "1").returncode == 0
    d = workspace / "checkpoints" / "w"
    (d / ".ngrams.npy.x1y2.tmp").write_bytes(b"half")
    (d / ".vectors.npy.abcd.tmp").write_bytes(b"half")
    assert run(workspace, "train", "word2vec", "w", *W2V, "--epochs", "1", "--force").returncode == 0
    assert stray_temps(workspace) == []


# -- one run per model ------------------------------------------------------------------------

def test_a_second_training_of_one_name_is_refused(workspace):
    corpus = toy_corpus(workspace / "toy.txt", lines=600)
    proc = start(workspace, "train", "lm", "m", "--corpus", str(corpus), *TINY, "--epochs", "200", "--threads", "1",
                 "--ckpt-every", "5")
    store = Store(workspace)
    wait_for(lambda: store.lock_holder("m") is not None, proc, what="the lock")
    wait_for((workspace / "checkpoints" / "m" / "ckpt" / "state.json").is_file, proc, what="a checkpoint")
    try:
        for extra in ([], ["--force"], ["--background"]):
            r = run(workspace, "train", "lm", "m", "--corpus", str(corpus), *TINY, "--epochs", "1", *extra)
            assert r.returncode == 2, (extra, r.stderr)
            assert f"model 'm' is being trained by another process (pid {proc.pid}" in r.stderr
            assert r.stderr.count("\n") == 1
        r = run(workspace, "models", "rm", "m")
        assert r.returncode == 2 and "being trained" in r.stderr
        r = run(workspace, "models", "list", "--format", "json")
        assert json.loads(r.stdout.splitlines()[0])["kind"] == "lstm-lm (training)"
    finally:
        kill(proc)
    # the kernel released the lock with the process: the run can be resumed or replaced
    assert store.lock_holder("m") is None
    r = run(workspace, "models", "list", "--format", "json")
    assert "(unfinished)" in json.loads(r.stdout.splitlines()[0])["kind"]


def test_the_lock_names_the_job_that_holds_it(workspace):
    store = Store(workspace)
    os.environ["WORDSHELL_JOB"] = "7"
    try:
        with store.build("x", command="wordshell train word2vec x"):
            who = store.lock_holder("x")
            assert who["job"] == "7" and who["pid"] == os.getpid()
            r = run(workspace, "train", "word2vec", "x", *W2V)
            assert r.returncode == 2 and "being trained by job 7" in r.stderr and "jobs cancel 7" in r.stderr
    finally:
        del os.environ["WORDSHELL_JOB"]
    assert store.lock_holder("x") is None


# -- readers see the old model or the new one ----------------------------------------------------

@pytest.mark.parametrize("atomic", [True, False])
def test_readers_never_see_no_model_during_swaps(workspace, monkeypatch, atomic):
    from wordshell import build

    if not atomic:  # the two-rename fallback (no renameat2): readers wait out the gap
        monkeypatch.setattr(build, "_exchange", lambda a, b: False)
    store = Store(workspace)
    for seed in range(2):
        with store.build("m", force=True) as b:
            (b.dir / "x.txt").write_text(str(seed))
            b.commit({"kind": "vectors", "seed": seed})
    missing, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                store.model_meta("m")
            except Exception as e:  # noqa: BLE001 - any failure counts
                missing.append(e)

    t = threading.Thread(target=read)
    t.start()
    try:
        for seed in range(60):
            with store.build("m", force=True) as b:
                (b.dir / "x.txt").write_text(str(seed))
                b.commit({"kind": "vectors", "seed": seed})
    finally:
        stop.set()
        t.join()
    assert missing == []
    assert store.model_meta("m")["seed"] == 59 and (store.model_dir("m") / "x.txt").read_text() == "59"


def test_swap_exchanges_two_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("old")
    (b / "f").write_text("new")
    swap(a, b)
    assert (a / "f").read_text() == "new" and (b / "f").read_text() == "old"


def test_build_refuses_an_existing_model_without_force(workspace):
    store = Store(workspace)
    with store.build("m") as b:
        b.commit({"kind": "vectors"})
    with pytest.raises(UsageError, match="exists"):
        with store.build("m"):
            pass
    with store.build("m", force=True) as b:
        assert b.dir.name == STAGING.format("m") and store.has_model("m")  # the old one is still there


# -- status from the lock and the pid -------------------------------------------------------------

def test_a_job_killed_from_outside_is_not_training_anywhere(ws, workspace):
    r = ws("train", "word2vec", "bg", *W2V, "--epochs", "400", "--background")
    assert r.code == 0, r
    job = workspace / "checkpoints" / "bg" / "job.json"
    wait_for(lambda: (json.loads(job.read_text()).get("pid") or 0) and Store(workspace).lock_holder("bg"),
             what="the job's worker to take the lock")
    os.kill(json.loads(job.read_text())["pid"], signal.SIGKILL)
    time.sleep(0.3)
    listed = ws("models", "list", "--format", "json").json
    assert listed[0]["kind"] == "(job failed)", listed
    info = ws("models", "info", "bg")
    assert "still training" not in info.err and "failed" in info.err
    first = ws("jobs")
    assert "job 1 failed: worker died" in first.err
    again = ws("jobs")
    assert "worker died" not in again.err and "failed (worker died)" in again.out  # said once; the state stays
    # a foreground run takes the model over: the dead job's status is set aside
    r = ws("train", "word2vec", "bg", *W2V, "--epochs", "1", "--force")
    assert r.code == 0, r
    assert ws("jobs").out.startswith("no jobs") and (workspace / "checkpoints" / "bg" / "job.prev.json").exists()


def test_ctrl_c_leaves_an_unfinished_run_that_is_listed(workspace):
    corpus = toy_corpus(workspace / "toy.txt", lines=600)
    proc = start(workspace, "train", "lm", "u", "--corpus", str(corpus), *TINY, "--epochs", "200", "--threads", "1",
                 "--ckpt-every", "5")
    state = workspace / "checkpoints" / "u" / "ckpt" / "state.json"
    wait_for(state.is_file, proc, what="a checkpoint")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "--resume" in err
    step = json.loads(state.read_text())["run"]["step"]
    row = json.loads(run(workspace, "models", "list", "--format", "json").stdout.splitlines()[0])
    assert row["kind"] == "lstm-lm (unfinished)"
    assert row["summary"] == f"training stopped at step {step} (cancelled); --resume continues it"
    info = run(workspace, "models", "info", "u")
    assert info.returncode == 0 and f"training stopped at step {step}" in info.stdout
    assert "--resume" in info.stderr


def test_rm_removes_an_unfinished_force_run_too(workspace):
    store = Store(workspace)
    with store.build("m") as b:
        b.commit({"kind": "vectors"})
    b = ModelBuild(store, "m", force=True)
    with b:
        (b.dir / "ckpt").mkdir()
    assert b.dir.exists()
    assert run(workspace, "models", "rm", "m").returncode == 0
    assert not store.model_dir("m").exists() and not b.dir.exists()
    shutil.rmtree(workspace / "checkpoints", ignore_errors=True)
