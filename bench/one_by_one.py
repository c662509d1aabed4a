"""A referee for the torch engine's batching: its own skip-gram examples, applied one at a time.

The torch engine draws its examples (subsampling, reduced windows, pairs, noise words) on the device
and applies a step's examples together: each reads the tables as they were before the step. word2vec.c
and fastText apply each example before reading for the next. This runs `wordshell train ...` with the
engine's update replaced by a small C loop (one_by_one.c) that applies the SAME examples in the same
order one at a time, so a difference between the two runs is the batching, and nothing else.

    python bench/one_by_one.py train word2vec NAME --corpus ... --engine torch --sg ...   # as wordshell

Skip-gram only (word2vec and fastText); a CBOW run is refused. Nothing of it enters wordshell: the
source is compiled with the machine's C compiler into bench/out/one-by-one/, loaded with ctypes, and
patched over `torch_loop.Loop.update` in this process only.
"""

from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT  # noqa: E402

SRC = Path(__file__).with_name("one_by_one.c")


def library() -> ctypes.CDLL:
    code = SRC.read_bytes()
    lib = OUT / "one-by-one" / f"one_by_one-{hashlib.sha256(code).hexdigest()[:12]}.so"
    if not lib.exists():
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            sys.exit("one_by_one: no C compiler (cc/gcc) on this machine")
        lib.parent.mkdir(parents=True, exist_ok=True)
        tmp = lib.with_suffix(".tmp.so")
        subprocess.run([cc, "-O3", "-march=native", "-shared", "-fPIC", "-o", str(tmp), str(SRC), "-lm"], check=True)
        tmp.replace(lib)
    c = ctypes.CDLL(str(lib))
    c.sg_word2vec.restype = c.sg_fasttext.restype = ctypes.c_double
    return c


def patch() -> None:
    import torch

    from wordshell.vectors import torch_loop

    c = library()
    ptr = ctypes.c_void_p

    def update(self, mode: str, examples: tuple, alpha: float, rows=None, level=None):
        if mode != "sg":
            sys.exit("one_by_one: skip-gram only (CBOW would silently stay batched)")
        t = self.t
        if t.w_in.device.type != "cpu":
            sys.exit("one_by_one: CPU tables only (--device cpu)")
        if rows is not None:   # fastText: the inputs are positions in the step's CenterRows; the C loop
            examples = (rows.words[rows.inv[examples[0]]], *examples[1:])   # writes the tables itself,
            rows.write_back = lambda: None                                    # so nothing is written back
        inputs, targets, noise = (x.contiguous().long() for x in examples)
        (p, k), d = noise.shape, t.w_in.shape[1]
        common = [ctypes.c_int(d), ctypes.c_long(p), ptr(inputs.data_ptr()), ptr(targets.data_ptr()),
                  ptr(noise.data_ptr()), ctypes.c_int(k), ctypes.c_float(alpha)]
        if t.subword:
            loss = c.sg_fasttext(ptr(t.w_in.data_ptr()), ptr(t.ngrams.data_ptr()), ptr(t.w_out.data_ptr()), *common,
                                 ptr(t.sub_ptr.data_ptr()), ptr(t.sub_idx.data_ptr()))
        else:
            loss = c.sg_word2vec(ptr(t.w_in.data_ptr()), ptr(t.w_out.data_ptr()), *common)
        return torch.tensor(loss, dtype=torch.float64)

    torch_loop.Loop.update = update


if __name__ == "__main__":
    if "--cbow" in sys.argv or "--nproc" in sys.argv:
        sys.exit("one_by_one: skip-gram in one process only")
    patch()
    from wordshell.entry import main

    main(sys.argv[1:])
