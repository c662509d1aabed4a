"""One BLAS thread for the calling thread while a query scans the matrix.

A matrix-vector product is bound by memory bandwidth, so OpenBLAS's extra threads buy nothing and,
when the other cores are busy (a training job, a neighbour), their spin-waits cost more than the
product: 30k x 50 took 10-16 ms with 2 OpenBLAS threads on a loaded 2-core machine and 0.6-0.9 ms
with 1 (400k x 300: the same either way). `one_thread()` uses OpenBLAS's per-thread setting
(openblas_set_num_threads_local, OpenBLAS >= 0.3.27, the one numpy's wheels bundle), so other
threads and later work keep their setting; where that symbol is absent it does nothing.
"""

from __future__ import annotations

import contextlib

_setter = None


def _find():
    global _setter
    if _setter is None:
        _setter = False
        try:
            import ctypes
            import glob
            import os

            import numpy as np

            libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*"))
            for path in libs:
                fn = getattr(ctypes.CDLL(path), "openblas_set_num_threads_local", None)
                if fn is not None:
                    fn.restype, fn.argtypes = ctypes.c_int, [ctypes.c_int]
                    _setter = fn
                    break
        except OSError:
            _setter = False
    return _setter


@contextlib.contextmanager
def threads(n: int):
    """OpenBLAS threads for the calling thread in this block (restored after).

    >>> with threads(2): pass
    """
    fn = _find()
    if not fn:
        yield
        return
    prev = fn(max(1, int(n)))
    try:
        yield
    finally:
        fn(prev)


def one_thread():
    """>>> with one_thread(): pass"""
    return threads(1)
