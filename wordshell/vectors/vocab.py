"""A vocabulary that answers 'which row is this word?' without reading every word.

A one-shot query on a 2M-word model must not build a Python dict of 2M words (~1.5 s). So a
model's folder holds, beside vocab.txt (one word per line, row order), a lookup written once at
import or training time:

    vocab.offsets.npy  int64 (V+1,)  byte offset of line i in vocab.txt (the last = file size)
    vocab.hash.npy     uint64 (V,)   crc32 << 32 | adler32 of each word's UTF-8 bytes, sorted
    vocab.rows.npy     int32 (V,)    the row of each sorted hash

A lookup hashes the word, binary-searches the memory-mapped hashes (searchsorted: ~21 probes on
2M words) and checks the word at that row in the memory-mapped vocab.txt (so a hash collision
can never return a wrong row). Reading row i's word is one slice of vocab.txt.

Models written before these files (tests/data/old_models) load through `ListVocab`: the whole
vocab.txt in a list and a dict, as before.
"""

from __future__ import annotations

import mmap
import os
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from wordshell.vectors.lean import word_hash   # lean.py reads the same lookup without numpy

FILES = ("vocab.offsets.npy", "vocab.hash.npy", "vocab.rows.npy")


class VocabMismatch(ValueError):
    """vocab.txt and its lookup files disagree (one of them was replaced or truncated)."""


def hashes_of(words: Iterable[bytes]) -> np.ndarray:
    """word_hash of each word, as uint64."""
    crc, adler = zlib.crc32, zlib.adler32
    return np.fromiter((crc(w) << 32 | adler(w) for w in words), dtype=np.uint64)


def write_lookup(directory: Path, words: Sequence[bytes]) -> None:
    """Write the three lookup files for `words` (UTF-8 bytes, row order) into `directory`."""
    from wordshell.atomic import atomic_save_npy

    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 1   # + the newline
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    h = hashes_of(words)
    order = np.argsort(h, kind="stable").astype(np.int32)
    atomic_save_npy(directory / "vocab.offsets.npy", offsets)
    atomic_save_npy(directory / "vocab.hash.npy", h[order])
    atomic_save_npy(directory / "vocab.rows.npy", order)


class _Words(Sequence):
    """The words in row order, as a read-only sequence (a list only when iterated whole)."""

    def __init__(self, vocab):
        self._v = vocab

    def __len__(self) -> int:
        return len(self._v)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._v.word(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._v.word(i)

    def __iter__(self) -> Iterator[str]:
        return iter(self._v.all_words())

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(other) == len(self) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"<{len(self)} words>"


class _Index(Mapping):
    """word -> row, answered from the lookup files."""

    def __init__(self, vocab):
        self._v = vocab

    def __getitem__(self, word: str) -> int:
        r = self._v.row(word)
        if r is None:
            raise KeyError(word)
        return r

    def __contains__(self, word) -> bool:
        return isinstance(word, str) and self._v.row(word) is not None

    def __iter__(self):
        return iter(self._v.all_words())

    def __len__(self) -> int:
        return len(self._v)

    def rows_of(self, words: list[str]) -> dict[str, int]:
        return self._v.rows_of(words)


class MappedVocab:
    """The lookup files of one model folder, memory-mapped (see the module docstring)."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.offsets = np.load(directory / "vocab.offsets.npy", mmap_mode="r", allow_pickle=False)
        self.hashes = np.load(directory / "vocab.hash.npy", mmap_mode="r", allow_pickle=False)
        self.order = np.load(directory / "vocab.rows.npy", mmap_mode="r", allow_pickle=False)
        with open(directory / "vocab.txt", "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self._text = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        n = len(self.hashes)
        if self.offsets.shape != (n + 1,) or self.order.shape != (n,) or int(self.offsets[-1]) != size:
            raise VocabMismatch("vocab.txt does not match its lookup files (vocab.*.npy)")
        self._all: list[str] | None = None
        self.words = _Words(self)
        self.index = _Index(self)

    def __len__(self) -> int:
        return len(self.hashes)

    def word(self, i: int) -> str:
        a, b = self.offsets[i:i + 2].tolist()
        return self._text[a:b - 1].decode("utf-8")

    def row(self, word: str) -> int | None:
        data = word.encode("utf-8", "surrogatepass")
        h = np.uint64(word_hash(data))
        i = int(np.searchsorted(self.hashes, h))
        while i < len(self.hashes) and self.hashes[i] == h:
            r = int(self.order[i])
            a, b = self.offsets[r:r + 2].tolist()
            if self._text[a:b - 1] == data:
                return r
            i += 1
        return None

    def rows_of(self, words: list[str]) -> dict[str, int]:
        """Rows of many candidate words at once (did-you-mean checks ~10^5 of them)."""
        if not words:
            return {}
        data = [w.encode("utf-8", "surrogatepass") for w in words]
        h = hashes_of(data)
        pos = np.searchsorted(self.hashes, h)
        pos = np.minimum(pos, len(self.hashes) - 1)
        hit = np.flatnonzero(np.asarray(self.hashes[pos]) == h)
        out = {}
        for j in hit.tolist():
            r = self.row(words[j])
            if r is not None:
                out[words[j]] = r
        return out

    def text_bytes(self):
        """vocab.txt's bytes (memory-mapped): every word followed by a newline."""
        return self._text

    def all_words(self) -> list[str]:
        if self._all is None:
            text = bytes(self._text).decode("utf-8")
            self._all = text.split("\n")[:-1] if text else []
        return self._all


class ListVocab:
    """A vocabulary held in memory: a list and a dict (old models, and models built in memory)."""

    def __init__(self, words: list[str]):
        self.words = words
        self._index: dict[str, int] | None = None
        self._text: bytes | None = None

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    def __len__(self) -> int:
        return len(self.words)

    def word(self, i: int) -> str:
        return self.words[i]

    def row(self, word: str) -> int | None:
        return self.index.get(word)

    def all_words(self) -> list[str]:
        return self.words

    def text_bytes(self) -> bytes:
        if self._text is None:
            self._text = "".join(w + "\n" for w in self.words).encode("utf-8", "surrogatepass")
        return self._text


def open_vocab(directory: Path):
    """The vocabulary of a model folder: mapped when its lookup files exist, else read whole."""
    if all((directory / f).exists() for f in FILES):
        return MappedVocab(directory)
    from wordshell.atomic import read_vocab

    return ListVocab(read_vocab(directory / "vocab.txt"))
