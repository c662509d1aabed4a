"""The shell's eye on background jobs: a thread that reads job.json files, keeps the toolbar's
snapshot, and prints job events above the prompt (or queues them while a command runs)."""

from __future__ import annotations

import sys
import threading
import time

from wordshell.render import paint


class JobWatcher(threading.Thread):
    """Reads job.json files every `interval` seconds: keeps the toolbar's snapshot, and prints
    job events (started, epochs, done, failed) above the prompt, or queues them while a command
    runs in the foreground."""

    def __init__(self, session, interval: float = 0.5, on_change=None):
        super().__init__(name="job-watcher", daemon=True)
        self.session = session
        self.interval = interval
        self.on_change = on_change
        self.lock = threading.Lock()
        self.at_prompt = False
        self.pending: list[str] = []
        self.running: list = []          # Jobs for the toolbar
        self._seen: dict[int, tuple[int, str]] = {}  # job id -> (last event seq, state)
        self._last_print: dict[int, float] = {}
        self._stop = threading.Event()
        self.poll(announce=False)        # what exists now is not news

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # a half-written or vanished file: try again next tick
                pass

    def stop(self) -> None:
        self._stop.set()

    def poll(self, announce: bool = True) -> None:
        mgr = self.session.jobs
        mgr.reap()
        jobs = mgr.list()
        messages = []
        for j in jobs:
            events = j.status.get("events") or []
            last_seq = events[-1]["seq"] if events else 0
            prev = self._seen.get(j.id)
            self._seen[j.id] = (last_seq, j.state)
            if not announce or prev == (last_seq, j.state):
                continue
            new = [e for e in events if e.get("seq", 0) > (prev[0] if prev else 0)]
            messages.extend(self._messages(j, new, prev))
        self.running = [j for j in jobs if j.active]
        if messages:
            with self.lock:
                self.pending.extend(messages)
            self.flush()
        if self.on_change is not None:
            self.on_change()

    def _messages(self, j, new: list[dict], prev) -> list[str]:
        from wordshell.progress import fmt_duration

        tag = f"[job {j.id} {j.model}]"
        out = []
        if j.active:
            # epochs can come many per second: show at most one every 3 s per job
            now = time.monotonic()
            if new and now - self._last_print.get(j.id, 0.0) >= 3.0:
                self._last_print[j.id] = now
                msgs = [e["message"] for e in new]
                if "started" in msgs:
                    out.append(f"{tag} started: {j.status.get('command', '')}")
                    msgs = [m for m in msgs if m != "started"]
                if msgs:
                    out.append(f"{tag} {msgs[-1]}")
        elif prev is None or prev[1] != j.state:
            took = fmt_duration(j.elapsed)
            if j.state == "done":
                out.append(paint(f"{tag} done in {took}: model '{j.model}' is ready", "green"))
            elif j.state == "failed":
                out.append(paint(f"{tag} failed: {j.status.get('error') or '?'} (see 'jobs log {j.id}')", "red"))
            else:
                why = f": {j.status['error']}" if j.status.get("error") else ""
                out.append(paint(f"{tag} {j.state_text} after {took}{why}", "yellow"))
        return out

    def flush(self) -> None:
        """Print queued messages if the prompt is up (stdout is patched: they go above it)."""
        with self.lock:
            if not self.at_prompt or not self.pending:
                return
            text, self.pending = "\n".join(self.pending) + "\n", []
            sys.stdout.write(text)
            sys.stdout.flush()

    def set_prompt(self, up: bool) -> None:
        with self.lock:
            self.at_prompt = up
