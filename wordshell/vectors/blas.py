"""numpy's own OpenBLAS, reached without importing numpy: thread settings, and the few routines the lean
one-shot query calls (vectors/lean.py).

A matrix-vector product is bound by memory bandwidth, so OpenBLAS's extra threads buy nothing and,
when the other cores are busy (a training job, a neighbour), their spin-waits cost more than the
product: 30k x 50 took 10-16 ms with 2 OpenBLAS threads on a loaded 2-core machine and 0.6-0.9 ms
with 1 (400k x 300: the same either way). `one_thread()` uses OpenBLAS's per-thread setting
(openblas_set_num_threads_local, OpenBLAS >= 0.3.27, the one numpy's wheels bundle), so other
threads and later work keep their setting; where that symbol is absent it does nothing.

The library is the file numpy's wheels bundle (numpy.libs/*openblas* beside the numpy folder, found
on sys.path without importing numpy). `routines()` binds its ILP64 CBLAS entry points
(`scipy_cblas_sgemv64_` in numpy 2's wheels, `cblas_sgemv64_` in numpy 1's); anything else (a numpy
built on another BLAS, Accelerate on macOS) gives None, and the callers take numpy's path.
"""

from __future__ import annotations

import contextlib
import os

_lib = None
_setter = None
_routines = None


def library():
    """The ctypes handle of numpy's bundled OpenBLAS, or None."""
    global _lib
    if _lib is None:
        _lib = False
        try:
            import ctypes

            for folder in _numpy_libs():
                names = sorted(n for n in os.listdir(folder) if "openblas" in n)
                if names:
                    _lib = ctypes.CDLL(os.path.join(folder, names[0]))
                    break
        except OSError:
            _lib = False
    return _lib or None


def _numpy_libs() -> list[str]:
    """numpy.libs beside the numpy package that `import numpy` would load (the first sys.path entry
    holding numpy/__init__.py), looked up without importing numpy or importlib.util (~10 ms)."""
    import sys

    for entry in sys.path:
        root = entry or os.getcwd()
        if os.path.isfile(os.path.join(root, "numpy", "__init__.py")):
            libs = os.path.join(root, "numpy.libs")
            return [libs] if os.path.isdir(libs) else []
    return []


def _find():
    global _setter
    if _setter is None:
        _setter = False
        lib = library()
        fn = getattr(lib, "openblas_set_num_threads_local", None) if lib is not None else None
        if fn is not None:
            import ctypes

            fn.restype, fn.argtypes = ctypes.c_int, [ctypes.c_int]
            _setter = fn
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


class Routines:
    """The CBLAS routines of the lean query, ILP64 (64-bit sizes), row-major."""

    ROW_MAJOR, NO_TRANS, UPPER, NON_UNIT = 101, 111, 121, 131

    def __init__(self, lib, prefix: str):
        import ctypes

        i64, ptr, f32, f64, enum = ctypes.c_int64, ctypes.c_void_p, ctypes.c_float, ctypes.c_double, ctypes.c_int

        def bind(name, restype, *argtypes):
            fn = getattr(lib, f"{prefix}{name}64_")
            fn.restype, fn.argtypes = restype, list(argtypes)
            return fn

        # y = alpha A x + beta y
        self.sgemv = bind("sgemv", None, enum, enum, i64, i64, f32, ptr, i64, ptr, i64, f32, ptr, i64)
        # x := A^-1 x with A diagonal (band width 0): x_i / a_i, IEEE division as numpy's
        self.stbsv = bind("stbsv", None, enum, enum, enum, enum, i64, i64, ptr, i64, ptr, i64)
        self.ddot = bind("ddot", f64, i64, ptr, i64, ptr, i64)
        self.sdot = bind("sdot", f32, i64, ptr, i64, ptr, i64)
        self.ismax = bind("ismax", ctypes.c_size_t, i64, ptr, i64)     # OpenBLAS: first index of the max value
        self.isamin = bind("isamin", ctypes.c_size_t, i64, ptr, i64)   # first index of the min |value|


def routines() -> Routines | None:
    """The bound routines of numpy's OpenBLAS, or None where they are not there."""
    global _routines
    if _routines is None:
        _routines = False
        lib = library()
        for prefix in ("scipy_cblas_", "cblas_"):
            try:
                _routines = Routines(lib, prefix) if lib is not None else False
                break
            except AttributeError:
                continue
    return _routines or None


def parts(n: int, dim: int) -> list[tuple[int, int]]:
    """The row ranges a scan of n x dim is split into, one thread each: two halves for big matrices
    (8M values and up: one core alone does not saturate the memory bus) when a second core is idle,
    else one. numpy's scan (scan.py) and the lean one (lean.py) split alike, so their scores are
    the same bits."""
    if n * dim < (1 << 23) or not idle_core():
        return [(0, n)]
    cut = n // 2 - n // 2 % 64   # sgemv takes rows in groups from its first row: a cut on a group's edge
    return [(0, cut), (cut, n)]  # leaves every row's sum as one call computes it (the same bits either way)


def idle_core() -> bool:
    """Is a second core free right now? /proc/loadavg's 'running/total' field counts the runnable
    threads this instant (this one included). On a busy machine a second scan thread only waits:
    158 vs 124 ms for 400k x 300 measured under a load of 3.3 on 2 cores."""
    cores = os.cpu_count() or 1
    if cores < 2:
        return False
    try:
        with open("/proc/loadavg") as f:
            running = int(f.read().split()[3].split("/")[0])
        return running <= cores - 1
    except (OSError, ValueError, IndexError):
        return False
