"""Two pieces of fit()'s machinery that are not the loop itself: stop requests and CPU threads."""

from __future__ import annotations

import signal
import threading
import time


class StopFlag:
    """Ctrl-C / SIGTERM set a flag checked between steps (a second Ctrl-C interrupts at once)."""

    def __init__(self):
        self.set = False
        self._old: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    self._old[sig] = signal.signal(sig, self._handle)
                except (ValueError, OSError):
                    pass
        return self

    def _handle(self, signum, frame):
        if self.set and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.set = True

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            try:
                signal.signal(sig, old)
            except (ValueError, OSError):
                pass
        return False


class ThreadTuner:
    """threads=-1 on a multi-core CPU: time a few steps with all threads and with one, keep the faster.

    On a shared machine OpenMP's spinning threads can make 2 threads several times slower than
    1 when another process holds a core; on a quiet machine all threads win. Re-checked every
    `every` steps, since load comes and goes. (Thread count changes float summation order only.)
    """

    def __init__(self, most: int, every: int = 400, probe: int = 6):
        self.most, self.every, self.probe = most, every, probe
        self.times: dict[int, list[float]] = {most: [], 1: []}
        self.n = 0
        self.choice = most

    def before_step(self) -> None:
        import torch

        k = self.n % self.every
        if k < 2 * self.probe:
            want = self.most if k < self.probe else 1
        else:
            if k == 2 * self.probe:
                med = {t: sorted(v)[len(v) // 2] for t, v in self.times.items() if v}
                self.choice = min(med, key=med.get) if len(med) == 2 else self.most
                self.times = {self.most: [], 1: []}
            want = self.choice
        if torch.get_num_threads() != want:
            torch.set_num_threads(want)
        self.t0 = time.perf_counter()
        self.want = want

    def after_step(self) -> None:
        k = self.n % self.every
        if 1 <= k < self.probe or self.probe + 1 <= k < 2 * self.probe:  # skip the first step of each probe
            self.times[self.want].append(time.perf_counter() - self.t0)
        self.n += 1
