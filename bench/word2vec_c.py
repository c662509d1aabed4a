"""word2vec.c, the original tool (Mikolov et al., Apache 2.0), as a third peer for bench_torch_w2v.py.

The torch engine implements what word2vec.c does; gensim re-implements it too. When the two disagree
on a figure, word2vec.c says which of them is the odd one. Nothing of it enters wordshell: the source
comes from the registry (the `word2vec` sdist on PyPI carries the original `word2vec.c`), is compiled
with the machine's C compiler into bench/out/word2vec-c/, and runs as a separate program.

The one change made to the source: its random streams start from `SEED` (a -D at compile time)
instead of the hard-coded 1 and thread id, so that several seeds can be compared with gensim's and the
torch engine's seeds. One binary per seed, cached.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from common import OUT

HOME = OUT / "word2vec-c"
SDIST = "word2vec==0.11.1"


def source() -> Path:
    """word2vec.c from the registry's sdist (downloaded once)."""
    src = HOME / "word2vec.c"
    if src.exists():
        return src
    HOME.mkdir(parents=True, exist_ok=True)
    p = subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", "-q",
                        "-d", str(HOME), SDIST], capture_output=True, text=True)
    tars = sorted(HOME.glob("word2vec-*.tar.gz"))
    if p.returncode or not tars:
        sys.exit(f"word2vec.c: could not download the {SDIST} sdist from the registry: {p.stderr.strip()[-300:]}")
    with tarfile.open(tars[-1]) as tf:
        member = next(m for m in tf.getmembers() if m.name.endswith("word2vec/includes/word2vec.c"))
        data = tf.extractfile(member).read().decode()
    seeded = (data.replace("unsigned long long next_random = (long long)id;",
                           "unsigned long long next_random = (long long)id + SEED;")
                  .replace("unsigned long long next_random = 1;", "unsigned long long next_random = 1 + SEED;"))
    if seeded.count("SEED") != 2:
        sys.exit("word2vec.c: the sdist's source is not the one expected (seed lines not found)")
    src.write_text(seeded)
    return src


def binary(seed: int) -> Path:
    exe = HOME / f"word2vec-seed{seed}"
    if exe.exists():
        return exe
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        sys.exit("word2vec.c: no C compiler (cc/gcc) on this machine")
    # seed 1 keeps the original streams (1 and the thread id)
    subprocess.run([cc, "-O3", "-march=native", "-funroll-loops", "-Wno-unused-result", f"-DSEED={seed - 1}",
                    "-o", str(exe), str(source()), "-lm", "-pthread"], check=True)
    return exe


def run(path: Path, kind: str, epochs: int, threads: int, seed: int, settings: dict) -> tuple[Path, float]:
    """Train with word2vec.c; returns the text vectors' path and the training words/s it reports."""
    out = HOME / f"{kind}-seed{seed}.txt"
    cmd = [str(binary(seed)), "-train", str(path), "-output", str(out), "-cbow", str(int(kind == "cbow")),
           "-size", str(settings["dim"]), "-window", str(settings["window"]), "-negative", str(settings["negative"]),
           "-hs", "0", "-sample", str(settings["sample"]), "-min-count", str(settings["min_count"]),
           "-iter", str(epochs), "-threads", str(threads), "-binary", "0",
           "-alpha", "0.025"]   # word2vec.c's CBOW default is 0.05; gensim and wordshell start both at 0.025
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"word2vec.c failed: {p.stderr[-1000:]}")
    rates = [float(x.split("k")[0]) for x in p.stdout.split("Words/thread/sec:")[1:]]
    return out, (rates[-1] * 1000 * threads if rates else 0.0)
