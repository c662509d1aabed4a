"""Progress of long work (training, downloads, corpus scans), shown three ways.

A `Progress` receives: start(desc, total, unit) once, update(done, **metrics) often,
log(message) for events (epoch done), finish(message) once. Implementations:

    RichProgress   bar + %, speed, metrics, ETA on a terminal (stderr)
    PlainProgress  a line every few seconds when stderr is not a terminal
    NullProgress   nothing (tests, --quiet)
    Tee            several at once (the job worker: plain log + job.json status)

Throttling is the reporter's job, so callers may call update() per batch.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any


def fmt_count(x: float) -> str:
    """1234567 -> '1.23M'."""
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= div:
            return f"{x / div:.3g}{unit}"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.3g}"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "-"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def fmt_metrics(metrics: dict[str, Any]) -> str:
    parts = []
    for k, v in metrics.items():
        if v is None:
            continue
        if isinstance(v, float):
            v = f"{v:.4g}"
        parts.append(f"{k} {v}")
    return "  ".join(parts)


class Progress:
    """Base class: tracks counts, speed and ETA; subclasses only draw."""

    def __init__(self) -> None:
        self.desc = ""
        self.total: float | None = None
        self.unit = ""
        self.done = 0.0
        self.metrics: dict[str, Any] = {}
        self.t0 = time.monotonic()

    def start(self, desc: str, total: float | None = None, unit: str = "") -> None:
        self.desc, self.total, self.unit = desc, total, unit
        self.done = 0.0
        self.metrics = {}
        self.t0 = time.monotonic()

    def update(self, done: float, **metrics: Any) -> None:
        self.done = done
        self.metrics.update(metrics)

    def log(self, message: str) -> None:
        pass

    def finish(self, message: str | None = None) -> None:
        pass

    # derived figures
    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    @property
    def speed(self) -> float | None:
        e = self.elapsed
        return self.done / e if e > 0 and self.done else None

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)

    @property
    def eta(self) -> float | None:
        s = self.speed
        if not s or not self.total:
            return None
        return max(0.0, (self.total - self.done) / s)


class NullProgress(Progress):
    pass


class PlainProgress(Progress):
    """One line per `interval` seconds: 'desc: 45% 1.2M/2.6M words 520k words/s loss 1.2 eta 0:12'."""

    def __init__(self, stream: IO[str] | None = None, interval: float = 2.0):
        super().__init__()
        self.stream = stream or sys.stderr
        self.interval = interval
        self._last = 0.0

    def start(self, desc: str, total: float | None = None, unit: str = "") -> None:
        super().start(desc, total, unit)
        self._last = time.monotonic()

    def update(self, done: float, **metrics: Any) -> None:
        super().update(done, **metrics)
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._write(self.line())

    def line(self) -> str:
        parts = [f"{self.desc}:"]
        if self.fraction is not None:
            parts.append(f"{100 * self.fraction:.0f}%")
        count = fmt_count(self.done)
        if self.total:
            count += f"/{fmt_count(self.total)}"
        parts.append(f"{count} {self.unit}".rstrip())
        if self.speed:
            parts.append(f"{fmt_count(self.speed)} {self.unit}/s".rstrip())
        if self.metrics:
            parts.append(fmt_metrics(self.metrics))
        if self.eta is not None:
            parts.append(f"eta {fmt_duration(self.eta)}")
        return " ".join(parts)

    def log(self, message: str) -> None:
        self._write(message)

    def finish(self, message: str | None = None) -> None:
        if message:
            self._write(message)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            pass


class RichProgress(Progress):
    """A rich progress bar on the terminal; events print above it."""

    def __init__(self, stream: IO[str] | None = None):
        super().__init__()
        self.stream = stream or sys.stderr
        self._bar = None
        self._task = None

    def start(self, desc: str, total: float | None = None, unit: str = "") -> None:
        super().start(desc, total, unit)
        from rich.console import Console
        from rich.progress import (BarColumn, Progress as Bar, TaskProgressColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        if self._bar is not None:
            self._bar.stop()
        console = Console(file=self.stream)
        self._bar = Bar(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[speed]}"),
            TextColumn("{task.fields[metrics]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            refresh_per_second=5,
        )
        self._bar.start()
        self._task = self._bar.add_task(desc, total=total, speed="", metrics="")

    def update(self, done: float, **metrics: Any) -> None:
        super().update(done, **metrics)
        if self._bar is None:
            return
        speed = f"{fmt_count(self.speed)} {self.unit}/s" if self.speed else ""
        self._bar.update(self._task, completed=done, speed=speed, metrics=fmt_metrics(self.metrics))

    def log(self, message: str) -> None:
        if self._bar is not None:
            self._bar.console.print(message, markup=False, highlight=False)
        else:
            self.stream.write(message + "\n")

    def finish(self, message: str | None = None) -> None:
        if self._bar is not None:
            # a finished job fills the bar; one stopped by Ctrl-C or an error (finish() called while
            # the exception propagates) stays where it was
            if self.total and sys.exc_info()[0] is None:
                self._bar.update(self._task, completed=self.total)
            self._bar.stop()
            self._bar = None
        if message:
            self.stream.write(message + "\n")
            self.stream.flush()


class Tee(Progress):
    """Forward every call to several reporters."""

    def __init__(self, *reporters: Progress):
        super().__init__()
        self.reporters = reporters

    def start(self, desc, total=None, unit=""):
        super().start(desc, total, unit)
        for r in self.reporters:
            r.start(desc, total, unit)

    def update(self, done, **metrics):
        super().update(done, **metrics)
        for r in self.reporters:
            r.update(done, **metrics)

    def log(self, message):
        for r in self.reporters:
            r.log(message)

    def finish(self, message=None):
        for r in self.reporters:
            r.finish(message)


def for_stream(stream: IO[str] | None = None, quiet: bool = False) -> Progress:
    """The right reporter for where the user is looking."""
    from wordshell.render import isatty

    stream = stream or sys.stderr
    if quiet:
        return NullProgress()
    return RichProgress(stream) if isatty(stream) else PlainProgress(stream)
