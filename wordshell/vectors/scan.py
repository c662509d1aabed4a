"""The scan of a query over the whole matrix, and row norms, in float32 with bounded memory.

matvec: one BLAS call per thread with one OpenBLAS thread each (blas.py); two threads over two halves
when a second core is idle; float16 matrices converted block by block (numpy has no float16 BLAS).
"""

from __future__ import annotations

import numpy as np


def row_norms(vectors: np.ndarray, block: int = 65536) -> np.ndarray:
    """L2 norm of each row in float32 (as gensim's fill_norms), block by block (bounded memory)."""
    out = np.empty(vectors.shape[0], dtype=np.float32)
    for s in range(0, vectors.shape[0], block):
        v = np.asarray(vectors[s:s + block], dtype=np.float32)
        out[s:s + len(v)] = np.sqrt(np.einsum("ij,ij->i", v, v))
    return out


def matvec(matrix: np.ndarray, q: np.ndarray, block: int = 512) -> np.ndarray:
    """matrix @ q in float32 (V,), each thread with one BLAS thread (vectors/blas.py).

    Big matrices are split in two halves scanned by two threads (numpy releases the GIL; one core
    alone does not saturate the memory bus); float16 ones are converted block by block (numpy has
    no float16 BLAS)."""
    from wordshell.vectors.blas import one_thread, parts

    n = matrix.shape[0]
    out = np.empty(n, dtype=np.float32)

    def work(lo: int, hi: int) -> None:
        with one_thread():
            if matrix.dtype == np.float32:
                np.dot(matrix[lo:hi], q, out=out[lo:hi])
                return
            buf = np.empty((min(block, max(hi - lo, 1)), matrix.shape[1]), dtype=np.float32)
            for s in range(lo, hi, block):
                e = min(s + block, hi)
                np.copyto(buf[:e - s], matrix[s:e], casting="unsafe")
                np.dot(buf[:e - s], q, out=out[s:e])

    ranges = parts(n, matrix.shape[1])
    if len(ranges) == 1:
        work(0, n)
        return out
    list(_pool().map(lambda r: work(*r), ranges))   # list(): wait, and raise their errors
    return out


_POOL = None


def _pool():
    """Two scan threads, made once per process (the shell reuses them)."""
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(2, thread_name_prefix="scan")
    return _POOL
