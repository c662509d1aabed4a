"""Import a vectors file into a model folder at the speed of the disk, with bounded memory.

    file --reader (readers.py / fasttext_bin.py)--> blocks of rows --> VectorSink --> b.dir/vectors.npy
                                                                  \\-> words (bytes) --> vocab.txt + lookup

Nothing holds the whole matrix: rows are appended to vectors.npy as they are parsed (its header is
written last, when the row count is known), norms are computed per block. What stays in memory is
the vocabulary (the words, and a set to drop duplicates) and a few blocks.

Rules (the same for every format):
- a word seen twice keeps its first vector, as gensim does; the others are dropped and counted;
- a line that is not 'word + D numbers', or a vector with nan/inf, is refused with its line number;
  with skip_bad it is dropped and counted instead;
- `limit` keeps the first N words (pretrained files list the most frequent first);
- words that are not valid UTF-8 are decoded with U+FFFD replacements (counted).
"""

from __future__ import annotations

import os
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wordshell.atomic import atomic_open, atomic_save_npy
from wordshell.errors import BadInput

NPY_HEADER = 128


class VectorSink:
    """An .npy file written row block by row block (atomically); the shape goes in at close().

    Every FLUSH bytes a second thread asks the kernel to write what is there to disk (fdatasync), so
    the disk works while the parser does: the fsync that makes the file durable at close() then has
    only the tail left (a 2.4 GB matrix no longer waits seconds for the disk at the end)."""

    FLUSH = 256 << 20

    def __init__(self, path: Path, dim: int, dtype=np.float32, norms: bool = True):
        self.path, self.dim, self.dtype = path, dim, np.dtype(dtype)
        self._atomic = atomic_open(path, "wb")
        self.f = self._atomic.__enter__()
        self.f.write(b"\0" * NPY_HEADER)
        self.rows = 0
        self.norms: list[np.ndarray] | None = [] if norms else None
        self._pending = 0
        self._flusher: threading.Thread | None = None

    def _flush_behind(self) -> None:
        if self._flusher is not None and self._flusher.is_alive():
            return                         # the disk is still busy with the last batch
        self.f.flush()
        fd = self.f.fileno()
        self._flusher = threading.Thread(target=_datasync, args=(fd,), daemon=True)
        self._flusher.start()
        self._pending = 0

    def write(self, block: np.ndarray) -> None:
        a = np.ascontiguousarray(block, dtype=self.dtype)
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        self.f.write(memoryview(a).cast("B"))
        self.rows += len(a)
        self._pending += a.nbytes
        if self._pending >= self.FLUSH:
            self._flush_behind()
        if self.norms is not None:   # norms of the stored values (float16 rounded), in float32
            v = a.astype(np.float32, copy=False)
            self.norms.append(np.sqrt(np.einsum("ij,ij->i", v, v)))

    def _join(self) -> None:
        if self._flusher is not None:
            self._flusher.join()
            self._flusher = None

    def close(self) -> np.ndarray | None:
        self._join()
        d = "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }" % (self.dtype.str, self.rows, self.dim)
        size = NPY_HEADER - 10
        assert len(d) < size, d
        self.f.seek(0)
        self.f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", size) + (d.ljust(size - 1) + "\n").encode("latin1"))
        self._atomic.__exit__(None, None, None)
        return np.concatenate(self.norms) if self.norms else (np.zeros(0, np.float32) if self.norms is not None else None)

    def abort(self) -> None:
        self._join()
        try:
            self._atomic.__exit__(BadInput, BadInput("aborted"), None)
        except Exception:
            pass


def _datasync(fd: int) -> None:
    try:
        os.fdatasync(fd)
    except OSError:   # the file was closed under us (abort): nothing to flush
        pass


@dataclass
class Report:
    """What an import kept and dropped (goes into model.json's `imported`)."""
    rows: int = 0
    duplicates: int = 0
    bad: int = 0
    nonfinite: int = 0
    replaced_utf8: int = 0
    first_duplicate: str | None = None
    notes: list[str] = field(default_factory=list)


class Collector:
    """Takes row blocks, applies the rules above, and feeds the sink and the word list."""

    def __init__(self, sink: VectorSink, name: str, limit: int | None, skip_bad: bool):
        self.sink, self.name, self.limit, self.skip_bad = sink, name, limit, skip_bad
        self.words: list[bytes] = []
        self.seen: set[bytes] = set()
        self.report = Report()

    @property
    def full(self) -> bool:
        return self.limit is not None and len(self.words) >= self.limit

    def add(self, rows) -> np.ndarray:
        """Take what the rules allow of one block; returns the mask of rows kept."""
        r = self.report
        for line, why in rows.bad:
            if not self.skip_bad:
                raise BadInput(f"{self.name}: line {line}: {why}", "fix the file, or drop such lines with --skip-bad")
            r.bad += 1
        vecs = rows.vectors
        keep = np.isfinite(vecs).all(axis=1)
        if not keep.all():
            i = int(np.flatnonzero(~keep)[0])
            if not self.skip_bad:
                w = rows.words[i].decode("utf-8", "replace")
                raise BadInput(f"{self.name}: line {int(rows.lines[i])}: the vector of {w!r} holds nan or inf",
                               "drop such vectors with --skip-bad")
            r.nonfinite += int((~keep).sum())
        words = rows.words
        try:
            b"\n".join(words).decode("utf-8")
        except UnicodeDecodeError:
            fixed = []
            for w in words:
                try:
                    w.decode("utf-8")
                    fixed.append(w)
                except UnicodeDecodeError:
                    fixed.append(w.decode("utf-8", "replace").encode("utf-8"))
                    r.replaced_utf8 += 1
            words = fixed
        mask = keep.copy()
        seen = self.seen
        room = None if self.limit is None else self.limit - len(self.words)
        if room is None or room >= len(words):   # the common block: no repeats, all finite, room for all
            fresh = set(words)
            if keep.all() and len(fresh) == len(words) and seen.isdisjoint(fresh) and b"" not in fresh:
                seen |= fresh
                self.sink.write(vecs)
                self.words.extend(words)
                return mask
        kept = []
        for i, w in enumerate(words):
            if not mask[i]:
                continue
            if room is not None and len(kept) >= room:
                mask[i:] = False
                break
            if w in seen or not w:
                mask[i] = False
                if w:
                    r.duplicates += 1
                    r.first_duplicate = r.first_duplicate or w.decode("utf-8", "replace")
                continue
            seen.add(w)
            kept.append(w)
        if kept:
            self.sink.write(vecs[mask] if not mask.all() else vecs)
            self.words.extend(kept)
        return mask

    def messages(self) -> list[str]:
        r = self.report
        out = []
        if r.duplicates:
            out.append(f"dropped {r.duplicates:,} repeated word{'s' if r.duplicates > 1 else ''} "
                       f"(the first vector of each kept, as gensim does; first: {r.first_duplicate!r})")
        if r.bad:
            out.append(f"skipped {r.bad:,} malformed line{'s' if r.bad > 1 else ''} (--skip-bad)")
        if r.nonfinite:
            out.append(f"skipped {r.nonfinite:,} vector{'s' if r.nonfinite > 1 else ''} with nan/inf (--skip-bad)")
        if r.replaced_utf8:
            out.append(f"{r.replaced_utf8:,} word(s) were not valid UTF-8: invalid bytes became U+FFFD")
        return out


def import_stream(build, path: Path, fmt: str, *, limit: int | None = None, dtype: str = "float32",
                  skip_bad: bool = False, progress=None, workers: int | None = None) -> tuple[dict, Report]:
    """Read `path` (format `fmt`) into build.dir: vectors.npy, norms.npy, vocab.txt + lookup
    [+ ngrams.npy, counts.npy for fastText .bin]. Returns (meta fields, report); commit is the caller's."""
    from wordshell.vectors import readers
    from wordshell.vectors.keyed import write_vocab

    t0 = time.monotonic()
    d = build.dir
    name = path.name
    total = _size(path)
    if progress is not None:
        progress.start(f"import {name}", total, "B")
    extra: dict = {}
    counts = None
    stream = readers.open_stream(path)
    raw = getattr(stream, "fileobj", None) or getattr(stream, "_fileobj", None) or stream
    sink = None
    try:
        if fmt == "fasttext":
            sink, collector, extra, counts = _fasttext(d, stream, name, limit, dtype, skip_bad, progress, raw)
        else:
            if fmt == "word2vec":
                first = stream.readline(1 << 16)
                parts = first.split()
                if len(parts) != 2 or not all(p.isdigit() for p in parts):
                    raise BadInput(f"{name} is not word2vec binary: its first line is not 'count dimension'")
                count, dim = int(parts[0]), int(parts[1])
                blocks = readers.binary_blocks(stream, dim, count)
            else:
                try:
                    count, dim, pending, line = readers.text_header(stream, header=(fmt != "glove"))
                except BadInput as e:
                    raise BadInput(f"{name}: {e.message}", e.hint) from None
                except UnicodeDecodeError:
                    raise BadInput(f"{name} is not a text vectors file") from None
                blocks = readers.text_blocks(stream, dim, pending, line,
                                             readers.default_workers(path) if workers is None else workers)
            sink = VectorSink(d / "vectors.npy", dim, dtype)
            collector = Collector(sink, name, limit, skip_bad)
            for rows in blocks:
                collector.add(rows)
                if progress is not None:
                    progress.update(_pos(raw, stream))
                if collector.full:
                    break
        if not collector.words:
            raise BadInput(f"{name} holds no vectors")
        norms = sink.close()
        sink = None
    except (OSError, EOFError) as e:   # gzip/zip/bz2 errors and short reads: the file, not us
        raise BadInput(f"cannot read {name}: {e}") from None
    except BadInput as e:              # every error names the user's file
        if not e.message.startswith(name):
            raise BadInput(f"cannot read {name}: {e.message}", e.hint) from None
        raise
    finally:
        if sink is not None:
            sink.abort()
        if progress is not None:
            progress.finish()
        stream.close()
    atomic_save_npy(d / "norms.npy", norms)
    write_vocab(d, collector.words)
    if counts is not None:
        atomic_save_npy(d / "counts.npy", counts[:len(collector.words)])
    report = collector.report
    report.rows = len(collector.words)
    report.notes = collector.messages()
    meta = {"imported": {"format": fmt, "seconds": round(time.monotonic() - t0, 3), "dtype": dtype,
                         "duplicates": report.duplicates, "skipped": report.bad + report.nonfinite},
            **extra}
    return meta, report


def _fasttext(d: Path, stream, name, limit, dtype, skip_bad, progress, raw):
    """fastText .bin: word rows to a temp file, buckets to ngrams.npy, then compose word vectors."""
    from wordshell.vectors import fasttext_bin as ft
    from wordshell.vectors.readers import Rows

    head = ft.read_header(stream)
    words, counts = ft.read_dictionary(stream, head)
    body = head["stream"]
    ft.matrix_header(body, head)
    dim, nwords = head["dim"], head["nwords"]
    tmp = VectorSink(d / ".words.raw.npy", dim, np.float32, norms=False)
    try:
        ft.copy_rows(body, nwords, dim, tmp)
        tmp.close()
        grams = VectorSink(d / "ngrams.npy", dim, dtype, norms=False)
        try:
            ft.copy_rows(body, head["bucket"], dim, grams)
            grams.close()
        except BaseException:
            grams.abort()
            raise
        if progress is not None:
            progress.update(_pos(raw, stream))
        word_rows = np.load(d / ".words.raw.npy", mmap_mode="r")
        ngrams = np.load(d / "ngrams.npy", mmap_mode="r")
        sink = VectorSink(d / "vectors.npy", dim, dtype)
        collector = Collector(sink, name, limit, skip_bad)
        keep_counts = []   # the counts of the rows kept
        step = 4096
        for s in range(0, nwords, step):
            block = words[s:s + step]
            vecs = ft.compose(np.asarray(word_rows[s:s + step], dtype=np.float32), block, ngrams,
                              head["min_n"], head["max_n"])
            mask = collector.add(Rows(block, vecs, np.arange(s + 1, s + 1 + len(block))))
            keep_counts.append(counts[s:s + step][mask])
            if collector.full:
                break
    finally:
        (d / ".words.raw.npy").unlink(missing_ok=True)
    extra = {"min_n": head["min_n"], "max_n": head["max_n"], "bucket": head["bucket"],
             "trained": {k: head[k] for k in ("sg", "ws", "epoch", "min_count", "neg", "ntokens")}}
    return sink, collector, extra, np.concatenate(keep_counts) if keep_counts else counts[:0]


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _pos(raw, stream) -> int:
    """Bytes of the (compressed) file read so far, for the progress bar."""
    for f in (raw, stream):
        try:
            return f.tell()
        except (OSError, AttributeError, ValueError):
            continue
    return 0

