"""The background job process: `python -m wordshell.worker <spec.json>`.

JobManager.start (jobs.py) writes the spec and starts this in its own session with stdout and
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
        sys.stderr.write("usage: python -m wordshell.worker SPEC.json\n")
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
    from wordshell.jobs import JobProgress, JobStatus, read_status
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
