"""The background job process: `python -m wordshell.jobs.worker <spec.json>`.

JobManager.start (manager.py) writes the spec and starts this in its own session with stdout and
stderr on checkpoints/<model>/job.log. It runs the spec's argv through the same click tree as
the CLI (cli.execute), with session.progress() reporting into job.json, and ends with the
state done / failed / cancelled. SIGTERM (`jobs cancel`) raises KeyboardInterrupt in the main
thread, which the training code already turns into a clean Cancelled, exactly like Ctrl-C in
the foreground (the torch loop installs its own handler: it checkpoints, then raises Cancelled,
exit code 130); a worker that ignores it gets SIGKILL from `jobs cancel` after a grace period.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from wordshell.jobs.status import MAX_EVENTS, TERMINAL, proc_start_time, write_status
from wordshell.atomic import json_default
from wordshell.progress import PlainProgress, Progress


# -- the status writer and the progress reporter ----------------------------------

class JobStatus:
    """Owns checkpoints/<model>/job.json inside the worker.

    Training threads only change the dict (under a lock); a flusher thread writes it at most
    every `interval` seconds, so the training loop never waits on the disk.
    """

    def __init__(self, path: Path, status: dict, interval: float = 0.5):
        self.path = path
        self.status = status
        self.interval = interval
        self.lock = threading.Lock()
        self.dirty = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name="job-status", daemon=True)

    def begin(self) -> None:
        now = time.time()
        with self.lock:
            self.status.update(state="running", pid=os.getpid(), pid_start=proc_start_time(os.getpid()),
                               started=now, updated=now)
        self.flush(durable=True)
        self._thread.start()

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.interval):
            if self.dirty:
                self.flush()

    def flush(self, durable: bool = False) -> None:
        with self.lock:
            self.dirty = False
            snapshot = json.loads(json.dumps(self.status, default=json_default))
        try:
            write_status(self.path, snapshot, durable)
        except OSError:
            pass  # a full disk must not kill the training; the final write tries again

    def update(self, **fields: Any) -> None:
        with self.lock:
            self.status.update(fields, updated=time.time())
            self.dirty = True

    def event(self, message: str) -> None:
        with self.lock:
            events = self.status.setdefault("events", [])
            seq = events[-1]["seq"] + 1 if events else 1
            events.append({"seq": seq, "time": time.time(), "message": message})
            del events[:-MAX_EVENTS]
            self.status["updated"] = time.time()
            self.dirty = True

    def end(self, state: str, exit_code: int, error: str | None = None) -> None:
        assert state in TERMINAL, state
        self._stop.set()
        now = time.time()
        with self.lock:
            self.status.update(state=state, exit_code=exit_code, error=error, finished=now, updated=now,
                               eta=None)
            if state == "done":
                self.status["progress"] = 1.0
        self.flush(durable=True)


class JobProgress(Progress):
    """session.progress() inside a worker: plain lines into job.log + numbers into job.json."""

    def __init__(self, status: JobStatus, log_stream):
        super().__init__()
        self.job = status
        self.plain = PlainProgress(log_stream, interval=10.0)

    def start(self, desc: str, total: float | None = None, unit: str = "") -> None:
        super().start(desc, total, unit)
        self.plain.start(desc, total, unit)
        self.job.update(phase=desc, total=total, unit=unit, step=0, progress=0.0 if total else None,
                        speed=None, eta=None, metrics={}, phase_started=time.time())

    def update(self, done: float, **metrics: Any) -> None:
        super().update(done, **metrics)
        self.plain.update(done, **metrics)
        self.job.update(step=done, progress=self.fraction, speed=self.speed, eta=self.eta,
                        metrics={k: v for k, v in self.metrics.items() if v is not None})

    def log(self, message: str) -> None:
        self.plain.log(message)
        self.job.event(message)

    def finish(self, message: str | None = None) -> None:
        self.plain.finish(message)  # not progress=1: a cancelled training finishes its bar too
        if message:
            self.job.event(message)


class _ErrorTap(io.TextIOBase):
    """A text stream into job.log that remembers the last 'error: ...' line for job.json."""

    def __init__(self, stream):
        self.stream = stream
        self.last_error: str | None = None

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.startswith("error: "):
                self.last_error = line[len("error: "):]
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.stream.fileno()

    def writable(self) -> bool:
        return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m wordshell.jobs.worker SPEC.json\n")
        return 2
    with open(args[0], encoding="utf-8") as f:
        spec = json.load(f)

    try:  # the prompt and queries come first: a job takes the CPU the REPL leaves over
        os.nice(int(os.environ.get("WORDSHELL_JOB_NICE", "10")))
    except (OSError, AttributeError, ValueError):
        pass
    try:
        os.chdir(spec.get("cwd") or ".")  # relative corpus paths mean what they meant to the user
    except OSError:
        pass

    from wordshell.cli import execute
    from wordshell.jobs.status import read_status
    from wordshell.session import Session

    sys.stdout.reconfigure(line_buffering=True)
    err = _ErrorTap(sys.stderr)
    session = Session(spec["home"], out=sys.stdout, err=err)
    path = session.store.model_dir(spec["model"]) / "job.json"
    status = JobStatus(path, read_status(path) or {k: spec.get(k) for k in ("id", "model", "kind", "argv")})
    if status.status.get("id") != spec["id"]:  # another job took over this model; do not clobber it
        sys.stderr.write(f"error: job.json of '{spec['model']}' belongs to another job\n")
        return 1
    session.progress_factory = lambda: JobProgress(status, sys.stderr)

    cancelled = []

    def on_term(signum, _frame):
        if not cancelled:
            cancelled.append(signum)
            raise KeyboardInterrupt  # the same path as Ctrl-C in the foreground

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    status.begin()
    status.event("started")

    code = 1
    try:
        code = execute(list(spec["argv"]), session)
    except KeyboardInterrupt:  # arrived outside the command (between its lines)
        code = 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the final write must not be cut short
        if cancelled or code == 130:  # 130: Cancelled, also from trainers that catch SIGTERM themselves
            state, error = "cancelled", err.last_error  # e.g. 'training stopped at step 135; ... --resume'
        elif code == 0:
            state, error = "done", None
        else:
            state, error = "failed", err.last_error or f"exit code {code}"
        status.event({"done": "finished", "cancelled": "cancelled"}.get(state) or f"failed: {error}")
        status.end(state, code, error)
        sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
