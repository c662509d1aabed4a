"""Background training jobs: child processes whose status lives in the store.

    <home>/.wordshell/jobs/next_id        the job id counter (under flock)
    <home>/.wordshell/jobs/<id>.json      the spec a worker runs: argv, model, kind, cwd
    <home>/checkpoints/<model>/job.json   status, written by the worker (worker.JobStatus)
    <home>/checkpoints/<model>/job.log    everything the worker prints

A job is `python -m wordshell.jobs.worker <spec>` started in its own session (process group), so it
outlives the one-shot `wordshell train ... --background` or the REPL that started it, and the
terminal's Ctrl-C never reaches it. Any process reading the workspace sees the same jobs:
`wordshell jobs` in another terminal lists the REPL's jobs.

    >>> job = session.jobs.start(model="big", kind="word2vec", argv=["train", "word2vec", "big", ...])  # doctest: +SKIP
    >>> session.jobs.get(job.id).state        # doctest: +SKIP
    'running'
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from wordshell.errors import NotFound, UsageError
from wordshell.jobs.status import ACTIVE, START_TIMEOUT, Job, current, pid_alive, read_status, worker_gone, write_status
from wordshell.atomic import atomic_write_json
from wordshell.store import Store, validate_name

# -- the manager: start, list, cancel, wait --------------------------------------

class JobManager:
    """Jobs of one workspace. Cheap to create; every call reads the store afresh."""

    def __init__(self, store: Store):
        self.store = store
        self._children: dict[int, subprocess.Popen] = {}  # jobs this process started (to reap)

    @property
    def jobs_dir(self) -> Path:
        return self.store.state_dir / "jobs"

    def _next_id(self) -> int:
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        taken = max((j.id for j in self.list(check=False)), default=0)
        with open(self.jobs_dir / "next_id", "a+", encoding="utf-8") as f:
            try:
                import fcntl

                fcntl.flock(f, fcntl.LOCK_EX)  # two terminals starting jobs at once get two ids
            except ImportError:
                pass
            f.seek(0)
            text = f.read().strip()
            n = max(int(text) if text.isdigit() else 1, taken + 1)
            f.seek(0)
            f.truncate()
            f.write(f"{n + 1}\n")
        return n

    def start(self, model: str, kind: str, argv: list[str]) -> Job:
        """Run `wordshell <argv>` as a detached worker that trains `model`; return its Job."""
        validate_name(model)
        running = self.job_of(model)
        if running is not None and running.active:
            raise UsageError(f"model '{model}' is already being trained by job {running.id}",
                             f"wait for it ('jobs wait {running.id}') or cancel it ('jobs cancel {running.id}')")
        who = self.store.lock_holder(model)
        if who is not None:  # a foreground run (or another workspace user) has it
            from wordshell.build import describe

            raise UsageError(f"model '{model}' is being trained by {describe(who)}",
                             "wait for it to finish, or stop it first")
        jid = self._next_id()
        d = self.store.model_dir(model)
        d.mkdir(parents=True, exist_ok=True)
        spec = {"id": jid, "model": model, "kind": kind, "argv": list(argv), "home": str(self.store.home),
                "cwd": os.getcwd(), "created": time.time()}
        spec_path = self.jobs_dir / f"{jid}.json"
        atomic_write_json(spec_path, spec)
        status = {**{k: spec[k] for k in ("id", "model", "kind", "argv", "created")}, "state": "starting",
                  "pid": None, "command": "wordshell " + " ".join(argv), "log": str(d / "job.log"), "events": []}
        write_status(d / "job.json", status, durable=True)
        env = dict(os.environ, WORDSHELL_HOME=str(self.store.home), WORDSHELL_JOB=str(jid))
        # the worker imports the very package this process runs, wherever the current directory is
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else root
        isolated = ["-P"] if sys.version_info >= (3, 11) else []  # no cwd on sys.path
        with open(d / "job.log", "w", encoding="utf-8") as log:
            log.write(f"# job {jid}: wordshell {' '.join(argv)}\n")
            log.flush()
            proc = subprocess.Popen([sys.executable, *isolated, "-m", "wordshell.jobs.worker", str(spec_path)],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, close_fds=True, env=env)
        self._children[jid] = proc
        return Job({**status, "pid": proc.pid}, d / "job.json")

    # -- reading --------------------------------------------------------------
    def reap(self) -> None:
        """Collect our finished children so they leave no zombies."""
        for jid, proc in list(self._children.items()):
            if proc.poll() is not None:
                self._children.pop(jid, None)

    def list(self, check: bool = True) -> list[Job]:
        """Every job in the workspace (the last one of each model), by id."""
        d = self.store.checkpoints_dir
        jobs = []
        try:
            entries = list(os.scandir(d))
        except FileNotFoundError:
            return []
        for e in entries:
            if e.name.startswith("."):
                continue
            path = Path(e.path) / "job.json"
            status = read_status(path)
            if status is not None:
                job = Job(status, path)
                jobs.append(self.check(job) if check else job)
        return sorted(jobs, key=lambda j: j.id)

    def job_of(self, model: str) -> Job | None:
        path = self.store.model_dir(model) / "job.json"
        status = read_status(path)
        return self.check(Job(status, path)) if status is not None else None

    def get(self, ref: str | int) -> Job:
        """A job by id ('3') or by model name ('big')."""
        ref = str(ref).lstrip("#")
        if ref.isdigit():
            for job in self.list():
                if job.id == int(ref):
                    return job
        else:
            try:
                job = self.job_of(ref)
            except UsageError:
                job = None
            if job is not None:
                return job
        ids = ", ".join(f"{j.id} ({j.model})" for j in self.list(check=False)[-8:])
        raise NotFound(f"no job {ref}", f"jobs: {ids}" if ids else "no jobs in this workspace; start one "
                       "with 'train ... --background'")

    def check(self, job: Job) -> Job:
        """Mark a job whose worker is gone while its status says running as failed (worker died)."""
        if not job.active:
            return job
        proc = self._children.get(job.id)
        if proc is not None and proc.poll() is None:
            return job
        if not worker_gone(job.status):
            return job
        fresh = read_status(job.path)  # it may have finished between our two reads
        if fresh is None or fresh.get("state") not in ACTIVE or fresh.get("id") != job.id:
            return Job(fresh, job.path) if fresh else job
        fresh = current(fresh)
        try:
            write_status(job.path, fresh, durable=True)
        except OSError:
            pass
        return Job(fresh, job.path)

    def mark_noticed(self, job: Job) -> None:
        """Remember that a failure was reported, so `jobs` says it once, not on every call."""
        fresh = read_status(job.path)
        if fresh is not None and fresh.get("id") == job.id and fresh.get("state") not in ACTIVE:
            fresh["noticed"] = True
            try:
                write_status(job.path, fresh, durable=True)
            except OSError:
                pass

    # -- acting -----------------------------------------------------------------
    def signal(self, job: Job, sig: int) -> None:
        try:
            if os.getpgid(job.pid) == job.pid:  # its own group: take its children (DDP ranks) too
                os.killpg(job.pid, sig)
            else:
                os.kill(job.pid, sig)
        except ProcessLookupError:
            pass

    def _running(self, job: Job) -> bool:
        proc = self._children.get(job.id)
        if proc is not None:
            return proc.poll() is None
        return pid_alive(job.pid, job.status.get("pid_start"))

    def cancel(self, ref: str | int, grace: float = 5.0) -> tuple[Job, bool]:
        """SIGTERM, then SIGKILL after `grace` seconds. Returns (job, killed)."""
        job = self.get(ref)
        if not job.active:
            return job, False
        deadline = time.monotonic() + START_TIMEOUT
        while job.pid is None and time.monotonic() < deadline:  # still starting: wait for its pid
            time.sleep(0.05)
            job = self.get(job.id)
        if job.pid is None or not job.active:
            return job, False
        self.signal(job, signal.SIGTERM)
        end = time.monotonic() + grace
        while self._running(job) and time.monotonic() < end:
            time.sleep(0.05)
        killed = False
        if self._running(job):
            self.signal(job, signal.SIGKILL)
            killed = True
            end = time.monotonic() + 5
            while self._running(job) and time.monotonic() < end:
                time.sleep(0.05)
        self.reap()
        status = read_status(job.path) or job.status
        if status.get("state") in ACTIVE:  # killed before it could say so itself
            status.update(state="cancelled", finished=time.time(), error="killed" if killed else None)
            write_status(job.path, status, durable=True)
        return Job(status, job.path), killed

    def wait(self, ref: str | int, timeout: float | None = None, poll: float = 0.2) -> Job:
        job = self.get(ref)
        end = None if timeout is None else time.monotonic() + timeout
        while job.active:
            if end is not None and time.monotonic() >= end:
                break
            time.sleep(poll)
            self.reap()
            job = self.get(job.id)
        return job
