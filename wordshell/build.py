"""Building a model without ever losing one: the per-model lock, the staging folder, the swap.

Every trainer and importer writes a model through one `ModelBuild`:

    with store.build("w2v", force=True) as b:   # takes w2v's lock: a second run is refused, naming the holder
        ... write every file of the new model into b.dir ...
        b.commit(meta)                          # model.json last, then the new model is live in one step

- The lock is an flock on <home>/.wordshell/locks/<name>.lock, held for the whole run (foreground,
  background job, DDP rank 0) and released by the kernel when the process dies, however it dies. The
  file holds who has it (pid, job id, command), for the error a second run gets.
- A model that exists is never touched before the new one is complete: with --force, `b.dir` is a
  staging folder beside it (checkpoints/.<name>.next). `commit` exchanges the two folders in one
  rename (renameat2 RENAME_EXCHANGE on Linux), so a reader sees the old model or the new one, never
  neither; then the old one is deleted. A run killed before commit leaves the old model as it was and
  its own folder for --resume (torch models) or for the next --force to clear.
- Without a model to protect (a first run, or an unfinished one), `b.dir` is the model's own folder, so
  a run still in training can be queried from its checkpoint and listed as unfinished.
- Temp files of writers that died (`.<file>.*.tmp`, from atomic.py) and leftover folders of an
  interrupted swap are removed under the lock, when the next run begins.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from wordshell.errors import UsageError

STAGING = ".{}.next"        # checkpoints/.<name>.next: a --force run over an existing model
OLD = ".{}.old-{}"          # checkpoints/.<name>.old-<pid>: the replaced model, briefly (non-Linux swap)
JOB_FILES = ("job.json", "job.log")
PREV_JOB_FILES = ("job.prev.json", "job.prev.log")   # a finished or dead job's files, set aside by a new run
CKPT = Path("ckpt") / "last.safetensors"


# -- the lock ------------------------------------------------------------------------

def lock_path(store, name: str) -> Path:
    return store.state_dir / "locks" / f"{name}.lock"


def holder(store, name: str) -> dict | None:
    """Who holds `name`'s lock right now ({pid, job, command, started}), or None if nobody does."""
    path = lock_path(store, name)
    if not path.exists():
        return None
    try:
        import fcntl
    except ImportError:  # no flock (Windows): no locking
        return None
    with open(path, "a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            try:
                return json.loads(f.read() or "{}")
            except ValueError:
                return {}
        fcntl.flock(f, fcntl.LOCK_UN)
    return None


def describe(who: dict) -> str:
    if who.get("job"):
        return f"job {who['job']} (pid {who.get('pid', '?')})"
    command = f": {who['command']}" if who.get("command") else ""
    return f"another process (pid {who.get('pid', '?')}{command})"


class ModelLock:
    """The flock of one model, taken without waiting; `UsageError` naming the holder if it is taken."""

    def __init__(self, store, name: str, command: str = ""):
        self.path, self.name, self.command = lock_path(store, name), name, command
        self.file = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            try:
                who = json.loads(f.read() or "{}")
            except ValueError:
                who = {}
            f.close()
            job = f"'jobs cancel {who['job']}'" if who.get("job") else f"kill {who.get('pid', '?')}"
            raise UsageError(f"model '{self.name}' is being trained by {describe(who)}",
                             f"wait for it to finish, or stop it first ({job})") from None
        f.seek(0)
        f.truncate()
        f.write(json.dumps({"pid": os.getpid(), "job": os.environ.get("WORDSHELL_JOB") or None,
                            "command": self.command, "started": time.time()}))
        f.flush()
        self.file = f

    def release(self) -> None:
        if self.file is not None:
            self.file.close()  # closing the descriptor releases the flock
            self.file = None


# -- the build ------------------------------------------------------------------------

class ModelBuild:
    """One run that writes model `name` (see the module docstring). `resumable`: the trainer can continue
    from ckpt/last.safetensors, so an unfinished run is kept for --resume instead of cleared."""

    def __init__(self, store, name: str, *, force: bool = False, resume: bool = False, resumable: bool = False,
                 command: str = "", lock: bool = True):
        self.store, self.name = store, name
        self.force, self.resume, self.resumable = force, resume, resumable
        self.live = store.model_dir(name)
        self.staging = self.live.with_name(STAGING.format(name))
        self.lock = ModelLock(store, name, command) if lock else None
        self.dir: Path = self.live
        self.resumed = False      # True when b.dir holds a checkpoint this run continues from
        self.committed = False

    # -- begin -----------------------------------------------------------------------
    def __enter__(self) -> "ModelBuild":
        if self.lock is not None:
            self.lock.acquire()
        try:
            if self.lock is not None:
                self._clean_leftovers()
            self.dir = self._choose_dir()
            self.dir.mkdir(parents=True, exist_ok=True)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _choose_dir(self) -> Path:
        exists = self.store.has_model(self.name)
        if self.resume:
            for d in (self.staging, self.live):
                if (d / CKPT).is_file():
                    self.resumed = True
                    return d
            if exists:
                raise UsageError(f"model '{self.name}' has no checkpoint to resume from")
            # nothing to resume: a fresh run (the trainer says so)
        elif exists and not self.force:
            raise UsageError(f"model '{self.name}' exists", "use --force to replace it, or pick another name")
        unfinished = [d for d in (self.staging, self.live) if (d / CKPT).is_file() and not (d / "model.json").is_file()]
        if unfinished and self.resumable and not self.force and not self.resume:
            raise UsageError(f"an unfinished run of '{self.name}' left a checkpoint",
                             "continue it with --resume, or start over with --force")
        if self.lock is None:  # a DDP rank other than 0: rank 0 prepares the folder
            return self.staging if exists else self.live
        if exists:  # never touch the model that exists: build beside it
            shutil.rmtree(self.staging, ignore_errors=True)
            return self.staging
        shutil.rmtree(self.staging, ignore_errors=True)
        self._clear(self.live)  # an unfinished or half-written first run: start over
        return self.live

    def _clear(self, d: Path) -> None:
        """Empty a model folder of what an earlier, unfinished run left; a job's own files stay."""
        if not d.is_dir():
            return
        own_job = os.environ.get("WORDSHELL_JOB")
        for p in d.iterdir():
            if p.name in JOB_FILES and (own_job or not self._stale_job(d)) or p.name in PREV_JOB_FILES:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)

    @staticmethod
    def _stale_job(d: Path) -> bool:
        from wordshell.jobs.status import ACTIVE, read_status

        status = read_status(d / "job.json")
        return status is not None and status.get("state") not in ACTIVE

    def _clean_leftovers(self) -> None:
        """Under the lock: temp files of dead writers, folders of an interrupted swap, and the status of a
        finished or dead job when a foreground run takes the model over."""
        now = time.time()
        for d in (self.live, self.staging):
            if not d.is_dir():
                continue
            for p in d.glob(".*.tmp"):
                # a job's status writer may be mid-write in this very process: spare fresh job.json temps
                if p.name.startswith(".job.json.") and now - p.stat().st_mtime < 60:
                    continue
                p.unlink(missing_ok=True)
            for p in (d / "ckpt").glob(".*.tmp") if (d / "ckpt").is_dir() else ():
                p.unlink(missing_ok=True)
        for p in self.live.parent.glob(OLD.format(self.name, "*")):
            shutil.rmtree(p, ignore_errors=True)
        if not os.environ.get("WORDSHELL_JOB") and self._stale_job(self.live):
            for f in JOB_FILES:  # the job is over; this run is not it: keep its files as *.prev
                p = self.live / f
                if p.exists():
                    os.replace(p, p.with_name(f"{p.stem}.prev{p.suffix}"))

    # -- end ---------------------------------------------------------------------------
    def commit(self, meta: dict) -> dict:
        """Write model.json into b.dir (store.write_model) and make the new model live. Returns model.json."""
        full = self.store.write_model(self.name, meta, directory=self.dir)
        if self.dir == self.staging:
            swap(self.live, self.staging)
            # the old model is now at the staging path; a running job's files move over to the new
            # folder (a rename keeps the inode: the job's open log goes on in the new place)
            for f in JOB_FILES:
                if (self.staging / f).exists():
                    os.replace(self.staging / f, self.live / f)
            shutil.rmtree(self.staging, ignore_errors=True)
            self.dir = self.live
        self.committed = True
        return full

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self.lock is not None:
            self.lock.release()
        return False


def swap(live: Path, staging: Path) -> None:
    """Make `staging` the folder at `live` in one step, the old one ending at `staging`.

    Linux: renameat2(RENAME_EXCHANGE), atomic. Elsewhere (or an old kernel): two renames with a gap of
    microseconds, which Store.model_meta bridges by retrying while an `.<name>.old-*` folder exists.
    """
    if not live.exists():
        os.replace(staging, live)
        staging.mkdir()
        return
    if _exchange(live, staging):
        return
    old = live.with_name(OLD.format(live.name, os.getpid()))
    os.replace(live, old)
    os.replace(staging, live)
    os.replace(old, staging)


def _exchange(a: Path, b: Path) -> bool:
    import ctypes
    import errno

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))
