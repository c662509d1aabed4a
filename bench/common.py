"""Shared helpers for the benchmark scripts (not tests: they print figures)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("WORDSHELL_SHARED_DATA", ROOT.parent / "shared" / "data"))
OUT = ROOT / "bench" / "out"


def compiled() -> None:
    """Bytecode for wordshell's modules, as an installed package has (pip compiles on install; an editable
    install writes it on first import). Where PYTHONDONTWRITEBYTECODE is set, as on the VM of these
    figures, no run would ever write it and every wordshell process would compile ~100 modules from
    source: 0.35 vs 0.22 s for a one-shot `similar` on a small model. The peers (gensim, UDPipe) come
    from the registry with theirs."""
    import compileall

    compileall.compile_dir(str(ROOT / "wordshell"), quiet=2)


compiled()


def shared(rel: str) -> Path:
    p = SHARED / rel
    if not p.exists():
        sys.exit(f"missing benchmark data: {p} (set WORDSHELL_SHARED_DATA to the shared data folder)")
    return p


def env_for(home: Path) -> dict:
    env = os.environ.copy()
    env["WORDSHELL_HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def wordshell(home: Path, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wordshell", *args], env=env_for(home), capture_output=True,
                          text=True, check=check, **kw)


def train_lm_cli(home: Path, name: str, args: list[str]) -> tuple[dict, float]:
    """Run `wordshell train lm NAME ARGS` in workspace `home`, echo its epoch lines, and return the
    trained model's model.json and the wall time (start-up included)."""
    import json

    t0 = time.time()
    p = wordshell(home, "train", "lm", name, *args, check=False)
    if p.returncode:
        raise SystemExit(f"wordshell failed: {p.stderr[-2000:]}")
    for line in p.stderr.splitlines():
        if line.startswith("epoch "):
            print("wordshell: " + line, flush=True)
    return json.loads((home / "checkpoints" / name / "model.json").read_text()), time.time() - t0


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, str]:
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return dt, p.stdout


def median(xs) -> float:
    return statistics.median(xs)


def machine() -> str:
    import platform

    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return f"{platform.node()} {os.cpu_count()} cores, load {load:.2f}, python {platform.python_version()}"
