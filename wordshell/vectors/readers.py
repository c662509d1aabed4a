"""Streaming readers of the field's text and word2vec-binary formats: blocks of rows, never the file.

    text    'word v1 v2 ... vD' lines; word2vec text and fastText .vec start with a 'count dim' line,
            GloVe has none. Numbers are parsed by numpy over a whole block of lines (np.fromstring
            over the joined values), not by a Python float() per number: gensim's reader spends
            ~2 us a number, this ~0.3 us, in as many processes as there are cores.
    binary  word2vec .bin: a 'count dim' line, then 'word ' + D little-endian float32 (+ '\\n').

Each reader yields `Rows(words, vectors, lines)` blocks: words as UTF-8 bytes, vectors float32
(n, D), lines the 1-based line (record) numbers, for the errors. A malformed line is a `BadLine`
(its number and why); the importer refuses it or, with --skip-bad, counts and drops it.
(fastText .bin has its own reader: fasttext_bin.py.)
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from wordshell.errors import BadInput

BLOCK = 8 << 20          # bytes of text per parsed block (~25k lines of 300-d vectors)


@dataclass
class Rows:
    words: list[bytes]
    vectors: np.ndarray                      # (n, D) float32
    lines: np.ndarray                        # (n,) 1-based line numbers
    bad: list[tuple[int, str]] = field(default_factory=list)   # (line, why) of refused lines


def open_stream(path: Path) -> BinaryIO:
    """The file's bytes, decompressed on the fly for .gz/.bz2/.xz and a one-file .zip."""
    name = path.name.lower()
    if name.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        import bz2

        return bz2.open(path, "rb")
    if name.endswith(".xz"):
        import lzma

        return lzma.open(path, "rb")
    if name.endswith(".zip"):
        import zipfile

        z = zipfile.ZipFile(path)
        members = [i for i in z.infolist() if not i.is_dir()]
        vec = [i for i in members if i.filename.endswith((".vec", ".txt", ".bin"))]
        pick = (vec or members)
        if not pick:
            raise BadInput(f"{path.name} is an empty zip archive")
        # fastText's crawl-300d-2M-subword.zip holds a .bin and a .vec: the .bin has the n-grams
        pick.sort(key=lambda i: (not i.filename.endswith(".bin"), i.filename))
        return z.open(pick[0])
    return open(path, "rb")


# -- text ------------------------------------------------------------------------------

def parse_text_block(data: bytes, dim: int, first_line: int) -> Rows:
    """Parse whole lines of 'word v1 .. vD' (runs in a worker process). Fast path: one numpy parse
    of all the values; if the count is off, line by line to find and name the bad ones."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    words, rests = [], []
    clean = True
    for line in lines:
        w, _, r = line.rstrip().partition(b" ")
        if not w or not r:
            clean = False
        words.append(w)
        rests.append(r)
    if clean and words:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")     # older numpy warns when it stops at a non-number
                values = np.fromstring(b" ".join(rests), dtype=np.float32, sep=" ")
        except ValueError:                          # numpy 2: a non-number is an error
            values = np.zeros(0, np.float32)
        if values.size == len(words) * dim:
            return Rows(words, values.reshape(len(words), dim),
                        np.arange(first_line, first_line + len(words), dtype=np.int64))
    return _parse_slowly(lines, dim, first_line)


def _parse_slowly(lines: list[bytes], dim: int, first_line: int) -> Rows:
    words, vecs, nums, bad = [], [], [], []
    for k, line in enumerate(lines):
        n = first_line + k
        parts = line.split()
        if not parts:
            continue                               # a blank line: nothing to import
        if len(parts) < dim + 1:
            bad.append((n, f"expected a word and {dim} numbers, found {len(parts) - 1} numbers"))
            continue
        # more fields than that: the word holds spaces (GloVe 840B has a few such lines)
        word = b" ".join(parts[:len(parts) - dim])
        try:
            v = np.array(parts[len(parts) - dim:], dtype=np.float32)
        except ValueError:
            junk = next(p for p in parts[len(parts) - dim:] if not _is_number(p))
            bad.append((n, f"not a number: {junk[:20].decode('utf-8', 'replace')!r}"))
            continue
        words.append(word)
        vecs.append(v)
        nums.append(n)
    arr = np.stack(vecs) if vecs else np.zeros((0, dim), dtype=np.float32)
    return Rows(words, arr, np.asarray(nums, dtype=np.int64), bad)


def _is_number(b: bytes) -> bool:
    try:
        float(b)
        return True
    except ValueError:
        return False


def text_header(stream: BinaryIO, header: bool | None) -> tuple[int | None, int, bytes, int]:
    """Read the first line: (count or None, dim, bytes already read past it, line number of row 1).

    header=None: a 'count dim' line if the first line is two integers (word2vec text, .vec)."""
    first = stream.readline(1 << 20)
    if not first.strip():
        if not first:
            raise BadInput("the file is empty")
        raise BadInput("the first line is blank")
    parts = first.split()
    is_header = len(parts) == 2 and all(p.isdigit() for p in parts)
    if header is None:
        header = is_header
    if header:
        if not is_header:
            raise BadInput(f"the first line should be 'count dimension', found {first[:60]!r}")
        count, dim = int(parts[0]), int(parts[1])
        if dim <= 0:
            raise BadInput(f"the header says dimension {dim}")
        return count, dim, b"", 2
    if is_header:
        raise BadInput("the first line is a 'count dimension' header: this is word2vec text, not GloVe",
                       "use --file-format word2vec-text")
    dim = len(parts) - 1
    if dim <= 0:
        raise BadInput(f"line 1 holds no numbers after the word: {first[:60]!r}")
    return None, dim, first, 1


def text_blocks(stream: BinaryIO, dim: int, pending: bytes, first_line: int, workers: int = 0) -> Iterator[Rows]:
    """Rows of a text vectors file, BLOCK bytes at a time, parsed in `workers` processes (0: here).

    At most workers + 1 blocks are in flight, so memory stays a few blocks whatever the file size."""
    def blocks() -> Iterator[tuple[bytes, int]]:
        line = first_line
        tail = pending
        while True:
            chunk = stream.read(BLOCK)
            if not chunk:
                if tail:
                    yield tail + b"\n", line
                return
            data = tail + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                tail = data
                continue
            tail = data[cut:]
            yield data[:cut], line
            line += data.count(b"\n", 0, cut)

    if workers <= 1:
        for data, line in blocks():
            yield parse_text_block(data, dim, line)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        inflight = []
        try:
            for data, line in blocks():
                inflight.append(pool.submit(parse_text_block, data, dim, line))
                if len(inflight) > workers:
                    yield inflight.pop(0).result()
            while inflight:
                yield inflight.pop(0).result()
        finally:
            for f in inflight:
                f.cancel()


# -- word2vec binary ---------------------------------------------------------------------

def binary_blocks(stream: BinaryIO, dim: int, count: int, rows_per_block: int = 16384) -> Iterator[Rows]:
    """Rows of a word2vec .bin after its header line: 'word' b' ' D float32 [b'\\n'] per record.

    Records are found one by one (a float's bytes may hold a space, so only the word's end can be
    searched for), then the vector bytes of a whole block are joined and read by numpy at once."""
    size = dim * 4
    buf = b""
    pos = 0
    done = 0
    while done < count:
        words: list[bytes] = []
        vecs: list[bytes] = []
        want = min(rows_per_block, count - done)
        find, n = buf.find, len(buf)
        while len(words) < want:
            if buf.startswith(b"\n", pos):      # word2vec.c ends each record with a newline
                pos += 1
            sp = find(b" ", pos)
            if sp < 0 or n - sp - 1 < size:    # the record runs past the buffer: read on
                more = stream.read(max(BLOCK, size + 4096))
                if not more:
                    raise BadInput(f"the file ends inside record {done + len(words) + 1} of {count} "
                                   "(truncated download?)")
                buf = buf[pos:] + more
                pos = 0
                find, n = buf.find, len(buf)
                continue
            words.append(buf[pos:sp])
            vecs.append(buf[sp + 1:sp + 1 + size])
            pos = sp + 1 + size
        arr = np.frombuffer(b"".join(vecs), dtype="<f4").reshape(len(words), dim).astype(np.float32, copy=False)
        lines = np.arange(done + 1, done + 1 + len(words), dtype=np.int64)
        done += len(words)
        yield Rows(words, arr, lines)


def default_workers(path: Path) -> int:
    """Parse in every core for files worth it (a pool costs ~50 ms to start)."""
    try:
        big = path.stat().st_size > 4 * BLOCK
    except OSError:
        big = False
    return (os.cpu_count() or 1) if big else 0

