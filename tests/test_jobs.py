"""Background jobs: workers, job.json, the jobs command, and the shell end to end under a pty."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pexpect

from wordshell.jobs.manager import JobManager, read_status
from wordshell.jobs.worker import JobProgress, JobStatus
from wordshell.store import Store

STATUS_KEYS = {"id", "model", "kind", "state", "pid", "pid_start", "argv", "command", "log", "created", "started",
               "updated", "finished", "phase", "progress", "step", "total", "unit", "speed", "eta", "metrics",
               "events", "exit_code", "error"}


def wait_for(pred, timeout=30.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(home, model):
    return read_status(home / "checkpoints" / model / "job.json") or {}


def test_background_job_runs_to_done(ws, workspace):
    r = ws("train", "word2vec", "bg", "--corpus", "lee", "--epochs", "2", "--min-count", "2", "--workers", "1",
           "--background")
    assert r.code == 0, r
    assert re.match(r"started job 1: word2vec 'bg' in the background \(pid \d+\)", r.out)
    w = ws("jobs", "wait", "1", "--timeout", "60")
    assert w.code == 0, w
    assert w.out.startswith("job 1 done in ") and "model 'bg' is ready" in w.out
    rows = ws("jobs").rows
    assert rows[0][:5] == ["1", "bg", "word2vec", "done", "100%"]
    st = status_of(workspace, "bg")
    assert STATUS_KEYS <= set(st), STATUS_KEYS - set(st)
    assert st["exit_code"] == 0 and st["error"] is None and st["progress"] == 1.0
    assert st["argv"][:3] == ["train", "word2vec", "bg"] and "--background" not in st["argv"]
    assert [e["message"] for e in st["events"]][0] == "started"
    assert any(e["message"].startswith("epoch 2/2") for e in st["events"])
    assert st["events"][-1]["message"] == "finished"
    # the trained model answers, and the log has the worker's output
    q = ws("similar", "government", "--model", "bg", "--top", "2")
    assert q.code == 0 and len(q.rows) == 2
    log = ws("jobs", "log", "bg")
    assert log.out.startswith("# job 1: wordshell train word2vec bg") and "epoch 2/2" in log.out
    meta = json.loads((workspace / "checkpoints" / "bg" / "model.json").read_text())
    assert meta["command"].startswith("wordshell train word2vec bg")
    j = ws("jobs", "--format", "json").json
    assert j[0]["state"] == "done" and j[0]["progress"] == 1.0 and j[0]["model"] == "bg"


def test_failed_job_says_why(ws, workspace):
    r = ws("train", "word2vec", "bad", "--corpus", "no-such-corpus", "--background")
    assert r.code == 0
    w = ws("jobs", "wait", "1", "--timeout", "60")
    assert w.code == 1
    assert "job 1 (bad) failed:" in w.err and w.err.count("\n") == 1
    st = status_of(workspace, "bad")
    assert st["state"] == "failed" and "no-such-corpus" in st["error"] and st["exit_code"] != 0
    assert ws("jobs").rows[0][3] == "failed"


def test_dead_worker_is_reported(ws, workspace):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a pid that is surely gone
    d = workspace / "checkpoints" / "ghost"
    d.mkdir(parents=True)
    (d / "job.json").write_text(json.dumps({"id": 7, "model": "ghost", "kind": "word2vec", "state": "running",
                                            "pid": proc.pid, "started": time.time() - 5, "events": []}))
    rows = ws("jobs").rows
    assert rows == [["7", "ghost", "word2vec", "failed (worker died)", "", "", "", "", rows[0][-1]]]
    assert status_of(workspace, "ghost")["state"] == "failed"  # written back for everyone
    assert ws("jobs", "cancel", "7").out.startswith("job 7 is already failed (worker died)")


def test_cancel_escalates_to_sigkill(workspace):
    # a 'worker' that ignores SIGTERM, in its own session like the real ones
    proc = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
                             "signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"],
                            start_new_session=True, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    d = workspace / "checkpoints" / "stubborn"
    d.mkdir(parents=True)
    (d / "job.json").write_text(json.dumps({"id": 3, "model": "stubborn", "kind": "lm", "state": "running",
                                            "pid": proc.pid, "started": time.time(), "events": []}))
    mgr = JobManager(Store(workspace))
    t0 = time.monotonic()
    job, killed = mgr.cancel("3", grace=0.5)
    assert killed and job.state == "cancelled" and job.status["error"] == "killed"
    assert 0.4 < time.monotonic() - t0 < 5
    assert proc.wait(5) == -signal.SIGKILL


def test_status_writer_and_progress(tmp_path):
    path = tmp_path / "job.json"
    status = JobStatus(path, {"id": 1, "model": "m", "events": []}, interval=0.05)
    status.begin()
    st = read_status(path)
    assert st["state"] == "running" and st["pid"] == os.getpid()
    p = JobProgress(status, open(os.devnull, "w"))
    p.start("train m", 100, "tokens")
    p.update(25, loss=2.5, epoch="1/4")
    p.log("epoch 1/4 done")
    wait_for(lambda: (read_status(path) or {}).get("step") == 25, 5, "a flush")
    st = read_status(path)
    assert st["progress"] == 0.25 and st["metrics"] == {"loss": 2.5, "epoch": "1/4"} and st["unit"] == "tokens"
    assert [e["seq"] for e in st["events"]] == [1] and st["events"][0]["message"] == "epoch 1/4 done"
    status.end("done", 0)
    st = read_status(path)
    assert st["state"] == "done" and st["progress"] == 1.0 and st["finished"] >= st["started"]


# -- end to end: the shell under a pty ---------------------------------------------------

PROMPT = r"wordshell[^\r\n]*>"
SGR = r"(?:\x1b\[[0-9;]*m)*"  # colour/bold codes that rich and prompt-toolkit put between words
CPR = "\x1b[6n"  # prompt-toolkit asks where the cursor is; without an answer it draws no toolbar


class Pty:
    """pexpect with a terminal that answers cursor position requests, like a real one."""

    def __init__(self, child):
        self.child = child

    def expect(self, pattern):
        while True:
            i = self.child.expect_exact([CPR, pattern]) if pattern is pexpect.EOF else \
                self.child.expect([re.escape(CPR), pattern])
            if i == 0:
                self.child.send("\x1b[1;1R")
                continue
            return

    def __getattr__(self, name):
        return getattr(self.child, name)


def test_cancel_keeps_the_previous_model(ws, workspace, with_w2v):
    """Retraining w2v with --force in the background, cancelled mid-run: the old model stays, byte for byte."""
    w2v = workspace / "checkpoints" / "w2v"
    before = {p.name: p.read_bytes() for p in w2v.iterdir() if p.suffix in (".json", ".npy", ".txt")}
    r = ws("train", "word2vec", "w2v", "--corpus", "lee", "--min-count", "2", "--epochs", "1000", "--workers", "1",
           "--force", "--background")
    assert r.code == 0, r
    wait_for(lambda: int((status_of(workspace, "w2v").get("metrics") or {}).get("epoch", "0/").split("/")[0]) > 1,
             40, "a few epochs")
    assert ws("similar", "government", "--model", "w2v").code == 0  # the old model answers meanwhile
    c = ws("jobs", "cancel", "1")
    assert re.match(r"cancelled job 1 \(word2vec 'w2v'\) at \d+%: stopped; model 'w2v' is unchanged", c.out), c
    assert status_of(workspace, "w2v")["state"] == "cancelled"
    after = {p.name: p.read_bytes() for p in w2v.iterdir() if p.suffix in (".json", ".npy", ".txt")}
    assert after.pop("job.json") and before == after


def test_shell_end_to_end_background_job(workspace, with_w2v):
    """In the shell under a pty: start a tiny LM with &, query while it trains (vectors, and the LM's
    ckpt/last), list it, Ctrl-C a foreground training, cancel the job and generate from its last
    checkpoint; then leave with a word2vec job running and cancel it at the question."""
    tiny = workspace / "checkpoints" / "tiny"
    env = dict(os.environ, TERM="xterm", COLUMNS="160")
    # codec_errors: the tty echoes "^C" wherever Ctrl-C lands, even inside a multi-byte character being written
    # preexec_fn: a terminal's shell has Ctrl-C at its default; a test run started in the background
    # (`cmd &` without job control) inherits SIGINT ignored, and Python then keeps ignoring it
    sh = pexpect.spawn(sys.executable, ["-m", "wordshell"], env=env, encoding="utf-8", codec_errors="replace",
                       dimensions=(50, 160), timeout=40,
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    sh.logfile_read = open(os.environ.get("WS_E2E_LOG", os.devnull), "w")
    sh = Pty(sh)
    try:
        sh.expect(PROMPT)
        sh.send("train lm tiny --corpus lee --hidden 16 --emb 16 --layers 1 --epochs 500 --ckpt-every 5 &\r")
        sh.expect(r"started job 1: lm 'tiny' in the background")
        sh.expect(PROMPT)
        wait_for(lambda: (tiny / "ckpt" / "last.safetensors").exists(), 60, "a first checkpoint")
        sh.expect(r"\[job 1 tiny\] started")  # printed above the prompt by the watcher
        sh.expect(rf"jobs:{SGR} #1 tiny \d+%")   # the toolbar

        sh.send("similar government --model w2v --top 3\r")  # queries go on while it trains
        sh.expect("Nearest to government")
        sh.expect(PROMPT)
        sh.send("generate the --model tiny -n 5\r")  # the LM itself, from ckpt/last
        sh.expect("using its last checkpoint")
        sh.expect(PROMPT)
        sh.send("jobs --format tsv\r")  # (a rich table puts colour codes between every cell)
        sh.expect(r"1\ttiny\tlm\trunning\t\d+%\tloss [\d.]+[^\t]*\t\S+ steps/s\t\d+:\d\d(:\d\d)?\t0:\d\d")
        sh.expect(PROMPT)

        # Ctrl-C stops a foreground training, not the shell, not the job
        sh.send("train word2vec fg --corpus lee --min-count 2 --epochs 1000 --workers 1\r")
        # wait for the bar: the ^C must land in the training, not before it starts
        sh.expect(r"epoch \d+/1000")
        time.sleep(0.5)
        sh.sendintr()
        sh.expect("error: (training )?cancelled")
        sh.expect(PROMPT)
        assert not (workspace / "checkpoints" / "fg" / "model.json").exists()
        st = status_of(workspace, "tiny")
        assert st["state"] == "running"
        os.kill(st["pid"], 0)

        sh.send("jobs cancel 1\r")
        sh.expect(r"cancelled job 1 \(lm 'tiny'\) at \d+%: stopped; its last checkpoint \(ckpt/last\) stays loadable")
        sh.expect(PROMPT)
        st = status_of(workspace, "tiny")
        assert st["state"] == "cancelled" and "--resume" in st["error"]
        assert not (tiny / "model.json").exists()
        sh.send("generate the --model tiny -n 5 --format tsv\r")  # the last checkpoint loads
        sh.expect(r"using its last checkpoint, step \d+")
        sh.expect(PROMPT)

        # leaving with a job running asks; 'c' cancels it
        sh.send("train word2vec fresh --corpus lee --min-count 2 --epochs 1000 --workers 1 &\r")
        sh.expect("started job 2")
        sh.expect(PROMPT)
        wait_for(lambda: status_of(workspace, "fresh").get("state") == "running", 40, "job 2 to run")
        sh.sendeof()
        sh.expect(r"1 job\(s\) still running \(#2 fresh\)\. \[l\]eave them running or \[c\]ancel them\?")
        sh.send("c\r")
        sh.expect(r"cancelled job 2 \(word2vec 'fresh'\).*no model was saved")
        sh.expect(pexpect.EOF)
    finally:
        sh.close(force=True)
        for model in ("tiny", "fresh"):
            st = status_of(workspace, model)
            if st.get("pid") and st.get("state") == "running":
                os.killpg(st["pid"], signal.SIGKILL)
    assert sh.exitstatus == 0
    st = status_of(workspace, "fresh")
    assert st["state"] == "cancelled"
    assert not (workspace / "checkpoints" / "fresh" / "model.json").exists()  # nothing half-written
    assert not any((workspace / "checkpoints" / "fresh").glob("*.npy"))


def test_watch_log_and_a_stopped_model(ws, workspace):
    assert ws("train", "word2vec", "w", "--corpus", "lee", "--epochs", "3", "--min-count", "2", "--workers", "1",
              "-b").code == 0
    r = ws("jobs", "watch", "1", "--interval", "0.2")  # not a terminal: plain progress lines on stderr
    assert r.code == 0 and r.out.startswith("job 1 done in ")
    assert "job 1: epoch 3/3" in r.err and "job 1: finished" in r.err
    tail = ws("jobs", "log", "1", "--tail", "2")
    assert tail.code == 0 and len(tail.out.splitlines()) == 2
    # a job that stopped without a model: the model's name says so, not 'still training'
    d = workspace / "checkpoints" / "gone"
    d.mkdir(parents=True)
    (d / "job.json").write_text(json.dumps({"id": 9, "model": "gone", "kind": "lm", "state": "cancelled"}))
    q = ws("similar", "king", "--model", "gone")
    assert q.code == 1 and "its training job 9 cancelled (see 'jobs log 9')" in q.err
    assert ws("jobs", "watch", "nope").err.startswith("error: no job nope")
