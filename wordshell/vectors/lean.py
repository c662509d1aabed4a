"""A stored vectors model read without numpy, for the one-shot `similar WORD` (entry.py).

A one-shot query spent most of its time starting: `import numpy` alone takes 0.15-0.2 s on the
2-core VM, more than the scan of 400k x 300 it is imported for (0.04-0.08 s), and click another
0.03 s. This module answers the plainest query from the stored files directly:

- the .npy files memory-mapped, their headers parsed here (only the layouts numpy writes for them);
- the word's row from the vocabulary lookup (vocab.py's files: hash, binary search, check the word);
- the scan through numpy's own OpenBLAS (blas.py), the routines numpy's path ends in: `sgemv` over
  the same row ranges (blas.parts), `stbsv` with a band of width 0 for the division by the stored
  norms (x_i / n_i, IEEE division), `ddot` for the query's norm as np.linalg.norm takes it. The
  scores are the same bits as KeyedVectors.scores (tests/test_lean.py);
- the top N from OpenBLAS's `ismax` (first index of the max value), one pass per answer (N <= 100).

Whatever it cannot answer exactly as KeyedVectors would raises Unsupported, and the caller runs the
full path: a word missing as written (lower-casing, n-grams and did-you-mean live there), float16
vectors, a zero or non-finite norm, files it does not recognise, a BLAS without these routines.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import struct
import zlib
from bisect import bisect_left

from wordshell.vectors import blas

MAX_TOP = 100
NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class Unsupported(Exception):
    """This query is not one the lean path answers; the full path will."""


def word_hash(data: bytes) -> int:
    """64-bit hash of a word's UTF-8 bytes, stable across processes (unlike hash()): two C checksums
    (~0.2 us a word; blake2b cost 0.7 us, a third of a 400k-word binary import's bookkeeping). Equal
    hashes are told apart by comparing the words, so a collision costs one more comparison, never a
    wrong row.

    >>> word_hash(b"king") == (zlib.crc32(b"king") << 32 | zlib.adler32(b"king"))
    True
    """
    return zlib.crc32(data) << 32 | zlib.adler32(data)


def name_ok(name: str) -> bool:
    """store.validate_name's rule, as a yes/no (the full path words the error)."""
    return 0 < len(name) <= 100 and set(name) <= NAME_OK and ".." not in name and not name.startswith(".")


def npy_header(head: bytes) -> tuple[int, str, tuple[int, ...]]:
    """(data offset, dtype descr, shape) of a C-ordered .npy file from its first bytes.

    >>> npy_header(b"\\x93NUMPY\\x01\\x00" + struct.pack("<H", 59) + b"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }")
    (69, '<f4', (3, 2))
    """
    if head[:6] != b"\x93NUMPY" or len(head) < 12:
        raise Unsupported("not a .npy file")
    if head[6] == 1:
        size, start = struct.unpack("<H", head[8:10])[0], 10
    elif head[6] in (2, 3):
        size, start = struct.unpack("<I", head[8:12])[0], 12
    else:
        raise Unsupported("an unknown .npy version")
    text = head[start:start + size].decode("latin1").strip()
    fields = {}
    for part in text.strip("{}").split(", '"):
        key, _, value = part.strip().strip("'").partition("': ")
        fields[key] = value.strip().rstrip(",").strip()
    if fields.get("fortran_order") != "False" or set(fields) != {"descr", "fortran_order", "shape"}:
        raise Unsupported("a .npy layout the lean path does not read")
    try:
        shape = tuple(int(x) for x in fields["shape"].strip("()").split(",") if x.strip())
    except ValueError:
        raise Unsupported("a .npy shape the lean path does not read") from None
    return start + size, fields["descr"].strip("'"), shape


class Mapped:
    """One .npy file memory-mapped read-only: `view` (a typed memoryview) and `address` (for BLAS)."""

    CODES = {"<f4": ("f", 4), "<u8": ("Q", 8), "<i8": ("q", 8), "<i4": ("i", 4)}

    def __init__(self, path: str, descr: str, ndim: int, *, address: bool = False):
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            offset, found, shape = npy_header(f.read(min(size, 4096)))
            if found != descr or len(shape) != ndim:
                raise Unsupported(f"{os.path.basename(path)} holds {found} {shape}")
            count = 1
            for s in shape:
                count *= s
            code, itemsize = self.CODES[descr]
            if offset + itemsize * count != size:
                raise Unsupported(f"{os.path.basename(path)} has the wrong size")
            self.shape, self.map, self.address, self._mapped = shape, None, None, None
            if not size:
                self.view = memoryview(b"")
            elif address:   # one libc mapping: its address for BLAS, a view over it for Python
                import ctypes

                base = _address(f.fileno(), size)
                self._mapped = (base, size)
                self.address = base + offset
                self.view = memoryview((ctypes.c_char * size).from_address(base)).cast("B")[offset:].cast(code)
            else:
                self.map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                self.view = memoryview(self.map)[offset:].cast(code)

    def close(self) -> None:
        self.view.release()
        if self._mapped:
            _munmap(*self._mapped)
            self._mapped = None
        if self.map is not None:
            self.map.close()


def _libc():
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype, libc.munmap.restype = ctypes.c_void_p, ctypes.c_int
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    return libc


def _address(fd: int, size: int) -> int:
    """A read-only shared mapping of the whole file (as numpy's mmap_mode='r'): its address."""
    addr = _libc().mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    if addr is None or addr == (1 << 64) - 1:   # MAP_FAILED
        raise Unsupported("mmap failed")
    return addr


def _munmap(addr: int, size: int) -> None:
    _libc().munmap(addr, size)


class LeanModel:
    """A stored vectors model (float32, with norms and the vocabulary lookup), opened without numpy."""

    def __init__(self, home: str, name: str):
        if not name_ok(name):
            raise Unsupported("model name")
        if os.name != "posix":
            raise Unsupported("memory maps through libc: POSIX only")
        d = os.path.join(home, "checkpoints", name)
        try:
            with open(os.path.join(d, "model.json"), "rb") as f:
                meta = json.loads(f.read().decode("utf-8"))   # as atomic.read_json: a BOM is corrupt
        except (OSError, ValueError):
            raise Unsupported("model.json") from None
        if not isinstance(meta, dict) or meta.get("family") != "vectors":
            raise Unsupported("not a vectors model")
        self.name = name
        self.blas = blas.routines()
        if self.blas is None:
            raise Unsupported("no OpenBLAS routines")
        self._open = []
        try:
            self.vectors = self._map(d, "vectors.npy", "<f4", 2, address=True)
            self.norms = self._map(d, "norms.npy", "<f4", 1, address=True)
            self.hashes = self._map(d, "vocab.hash.npy", "<u8", 1)
            self.offsets = self._map(d, "vocab.offsets.npy", "<i8", 1)
            self.order = self._map(d, "vocab.rows.npy", "<i4", 1)
            with open(os.path.join(d, "vocab.txt"), "rb") as f:
                size = os.fstat(f.fileno()).st_size
                self.text = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        except OSError:
            self.close()
            raise Unsupported("files") from None
        except Unsupported:
            self.close()
            raise
        self.n, self.dim = self.vectors.shape
        if (self.norms.shape != (self.n,) or self.hashes.shape != (self.n,) or self.order.shape != (self.n,)
                or self.offsets.shape != (self.n + 1,) or self.offsets.view[self.n] != size or self.n == 0):
            self.close()
            raise Unsupported("inconsistent files")

    def _map(self, d, file, descr, ndim, address=False) -> Mapped:
        m = Mapped(os.path.join(d, file), descr, ndim, address=address)
        self._open.append(m)
        return m

    def close(self) -> None:
        for m in self._open:
            m.close()
        self._open = []
        if isinstance(getattr(self, "text", None), mmap.mmap):
            self.text.close()

    def word(self, i: int) -> str:
        off = self.offsets.view
        return self.text[off[i]:off[i + 1] - 1].decode("utf-8")

    def row(self, word: str) -> int | None:
        """The row of `word` as written (vocab.MappedVocab.row without numpy)."""
        data = word.encode("utf-8", "surrogatepass")
        h, hashes, off = word_hash(data), self.hashes.view, self.offsets.view
        i = bisect_left(hashes, h)
        while i < self.n and hashes[i] == h:
            r = self.order.view[i]
            if self.text[off[r]:off[r + 1] - 1] == data:
                return r
            i += 1
        return None

    def query(self, r: int):
        """Row r as KeyedVectors.mean_query([word]) makes it: the unit vector, normalised twice in
        float64 (ddot, as np.linalg.norm), then float32."""
        import ctypes

        dot = self.blas.ddot
        v = (ctypes.c_double * self.dim)(*self.vectors.view[r * self.dim:(r + 1) * self.dim])
        for _ in range(2):   # _unit(v), then _unit(mean of one unit vector)
            norm = math.sqrt(dot(self.dim, v, 1, v, 1))
            if not 0 < norm < float("inf"):
                raise Unsupported("a zero or non-finite query vector")
            v = (ctypes.c_double * self.dim)(*[x / norm for x in v])
        return (ctypes.c_float * self.dim)(*v)

    def scores(self, q):
        """Cosine of q with every row, float32, through the same BLAS calls as numpy's path."""
        import ctypes

        b, n, dim = self.blas, self.n, self.dim
        if not math.isfinite(b.sdot(n, self.norms.address, 1, self.norms.address, 1)):
            raise Unsupported("a nan or infinite norm")   # ismax's answer around nan is no answer
        if not self.norms.view[b.isamin(n, self.norms.address, 1)] > 0:
            raise Unsupported("a zero norm")   # the full path scores zero vectors 0
        out = (ctypes.c_float * n)()
        base, norms, qa = self.vectors.address, self.norms.address, ctypes.addressof(q)

        def work(lo: int, hi: int) -> None:
            with blas.one_thread():
                b.sgemv(b.ROW_MAJOR, b.NO_TRANS, hi - lo, dim, 1.0, base + 4 * lo * dim, dim, qa, 1, 0.0,
                        ctypes.addressof(out) + 4 * lo, 1)
                b.stbsv(b.ROW_MAJOR, b.UPPER, b.NO_TRANS, b.NON_UNIT, hi - lo, 0, norms + 4 * lo, 1,
                        ctypes.addressof(out) + 4 * lo, 1)

        ranges = blas.parts(n, dim)
        if len(ranges) == 1:
            work(0, n)
        else:
            import threading

            t = threading.Thread(target=work, args=ranges[0])
            t.start()
            try:
                work(*ranges[1])
            finally:
                _join(t)
        return out

    def top(self, scores, topn: int, exclude: int) -> list[tuple[str, float]]:
        """The topn best rows but `exclude`, best first (ties: the lower row first)."""
        found, taken, ismax, gone = [], 0, self.blas.ismax, float("-inf")
        while len(found) < topn and taken < self.n:
            j = ismax(self.n, scores, 1)
            s = scores[j]
            if s != s or s == gone:
                raise Unsupported("nan scores")
            scores[j] = gone
            taken += 1
            if j != exclude:
                found.append((self.word(j), s))
        return found

    def similar(self, word: str, topn: int) -> list[tuple[str, float]]:
        r = self.row(word)
        if r is None:
            raise Unsupported("not in the vocabulary as written")
        return self.top(self.scores(self.query(r)), topn, r)


def _join(t) -> None:
    """Wait for a scan thread even through Ctrl-C: the matrix is unmapped only after it has finished
    reading it (then the interrupt goes on)."""
    interrupted = False
    while t.is_alive():
        try:
            t.join()
        except KeyboardInterrupt:
            interrupted = True
    if interrupted:
        raise KeyboardInterrupt


def similar(home: str, model: str, word: str, topn: int) -> list[tuple[str, float]]:
    """`similar WORD --model MODEL --top TOPN` as KeyedVectors.most_similar answers it, or Unsupported."""
    if not 1 <= topn <= MAX_TOP:
        raise Unsupported("--top")
    try:
        m = LeanModel(home, model)
    except (ValueError, OverflowError):
        raise Unsupported("unreadable files") from None
    try:
        return m.similar(word, topn)
    except (ValueError, IndexError, OverflowError):   # a corrupt vocab.txt or lookup: the full path says so
        raise Unsupported("unreadable files") from None
    finally:
        m.close()
