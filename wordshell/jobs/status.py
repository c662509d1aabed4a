"""What a background job is on disk: its status file, read by anyone, and whether its worker still lives.

    <home>/checkpoints/<model>/job.json   the status the worker writes (state, progress, speed, ETA,
                                          metrics, the last events); the manager, the shell and `jobs` read it

    >>> job = Job(read_status(path), path)            # doctest: +SKIP
    >>> job.state, job.active, job.elapsed            # doctest: +SKIP
    ('running', True, 12.5)
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from wordshell.atomic import atomic_write_json, json_default

ACTIVE = ("starting", "running")
TERMINAL = ("done", "failed", "cancelled")
MAX_EVENTS = 50          # job.json keeps the last events only; job.log has them all
START_TIMEOUT = 60.0     # a job still 'starting' (no pid) after this never started


# -- is that process our worker? ---------------------------------------------

def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) from /proc, or None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("ascii", "replace")
    except FileNotFoundError:
        return ("X", 0)
    except OSError:
        return None
    fields = data[data.rfind(")") + 2:].split()  # the name in (...) may hold spaces
    return fields[0], int(fields[19])


def proc_start_time(pid: int) -> int | None:
    st = _proc_stat(pid)
    return st[1] if st else None


def pid_alive(pid: int | None, start: int | None = None) -> bool:
    """True if `pid` runs and (when `start` is known) is the same process, not a reused pid."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    st = _proc_stat(pid)
    if st is None:
        return True
    state, started = st
    if state in ("Z", "X"):  # a zombie has finished; only its parent has not reaped it yet
        return False
    return start is None or started == start


def worker_gone(status: dict) -> bool:
    """True when job.json says the job runs but its worker process is gone (or its pid was reused):
    the job died without a word (kill -9, a crash, a reboot). Reads only; nothing is written."""
    if status.get("state") not in ACTIVE:
        return False
    pid = status.get("pid")
    if pid is None:  # still starting: the worker has not said its pid yet
        return time.time() - (status.get("created") or 0) >= START_TIMEOUT
    return not pid_alive(pid, status.get("pid_start"))


def current(status: dict) -> dict:
    """The status as it is now, wherever job.json is read: a dead worker's job is 'failed (worker died)'."""
    if worker_gone(status):
        return {**status, "state": "failed", "error": "worker died", "finished": status.get("updated") or time.time()}
    return status


# -- a snapshot of job.json ----------------------------------------------------

class Job:
    """One job's status as last read from job.json (plain dict underneath)."""

    def __init__(self, status: dict, path: Path):
        self.status = status
        self.path = path

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["status"][key]
        except KeyError:
            raise AttributeError(key) from None

    id = property(lambda self: int(self.status.get("id", 0)))
    model = property(lambda self: self.status.get("model", self.path.parent.name))
    state = property(lambda self: self.status.get("state", "?"))
    pid = property(lambda self: self.status.get("pid"))

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def log_path(self) -> Path:
        return self.path.with_name("job.log")

    @property
    def elapsed(self) -> float | None:
        start = self.status.get("started") or self.status.get("created")
        if not start:
            return None
        end = self.status.get("finished") if not self.active else None
        return max(0.0, (end or time.time()) - start)

    @property
    def state_text(self) -> str:
        s = self.state
        if s == "failed" and self.status.get("error") == "worker died":
            return "failed (worker died)"
        return s

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.model!r}, {self.state!r})"


def read_status(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
        return obj if isinstance(obj, dict) else None
    except (OSError, ValueError):
        return None


def write_status(path: Path, status: dict, durable: bool = False) -> None:
    """Atomic replace; fsync only for final states (progress writes come twice a second)."""
    if durable:
        atomic_write_json(path, status)
        return
    tmp = path.with_name(f".job.json.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(status, f, ensure_ascii=False, default=json_default)
    os.replace(tmp, path)
