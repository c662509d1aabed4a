"""Text -> integer ids for the classifiers, in numpy only (inference of `bag` never imports torch).

Id layout shared by every classifier (rows of the embedding matrix):

    0            padding (a zero vector; never trained)
    1            unknown word (RNNs learn it; `bag` skips unknown words, like fastText)
    2 .. V-1     the training vocabulary (vocab.txt, line i = id i + 2)
    V .. V+B-1   `bag` only: hashed word n-grams (B buckets)

Word n-grams are hashed from the *ids* of their words with a fixed 64-bit mix
(never Python's salted `hash`), so training and every later process agree. An
n-gram that touches an unknown word is skipped: it was never seen in training.

    ids    [ 7, 12,  9 | 4, 30 ]   two texts, flattened; seg = [0, 0, 0, 1, 1]
    2-gram  (7,12) (12,9)   (4,30)  -> V + mix(a, b) % B   (pairs across '|' are masked out)
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import numpy as np

from wordshell.corpus.tokens import Tokenizer

PAD, UNK, FIRST = 0, 1, 2
_MULT = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio: spreads consecutive ids
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64 finaliser constants
_MIX2 = np.uint64(0x94D049BB133111EB)


class TextEncoder:
    """The tokenizer + vocabulary of one classifier.

    >>> enc = TextEncoder(["good", "bad"], Tokenizer())
    >>> enc.ids("Good, not BAD!")
    [2, 1, 3]
    """

    def __init__(self, words: Sequence[str], tokenizer: Tokenizer):
        self.words = list(words)
        self.tokenizer = tokenizer
        self.index = {w: i + FIRST for i, w in enumerate(self.words)}
        # for whole batches: unknown words -> UNK at C speed, the line separator -> -1
        self._lookup = _Ids(self.index)
        self._lookup["\n"] = -1
        self._batch_re = _batch_pattern(tokenizer)

    @property
    def size(self) -> int:
        """Rows for words in an embedding matrix (pad + unk + vocabulary)."""
        return len(self.words) + FIRST

    @classmethod
    def build(cls, texts: Iterable[str], tokenizer: Tokenizer, min_count: int = 1,
              max_size: int | None = None) -> "TextEncoder":
        counts: Counter = Counter()
        for t in texts:
            counts.update(tokenizer(t))
        # frequency order, ties alphabetical: the same vocabulary on every run
        words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(words[:max_size] if max_size else words, tokenizer)

    def extended(self, words: Iterable[str]) -> "TextEncoder":
        """This vocabulary, then the `words` it lacks (in their order; lower-cased if the tokenizer
        lower-cases). Training words keep their ids."""
        low = self.tokenizer.lowercase
        seen = set(self.index)
        extra = []
        for w in words:
            w = w.lower() if low else w
            if w not in seen:
                seen.add(w)
                extra.append(w)
        return TextEncoder(self.words + extra, self.tokenizer) if extra else self

    def ids(self, text: str) -> list[int]:
        get = self.index.get
        return [get(w, UNK) for w in self.tokenizer(text)]

    def flat(self, texts: Sequence[str], max_len: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, lengths): every text's ids concatenated (N,) int64, and the count per text (B,).

        A batch is tokenised as ONE string: the texts joined by newlines, lower-cased once,
        split by one regex that also matches the newline, and looked up with map() -- no
        Python loop per token (what makes `classify` with `bag` fast).
        """
        if self._batch_re is None:  # chars split: one text at a time
            seqs = [self.ids(t)[:max_len] if max_len else self.ids(t) for t in texts]
            lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
            return np.fromiter((i for s in seqs for i in s), dtype=np.int64, count=int(lengths.sum())), lengths
        if not texts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        joined = "\n".join(texts)
        if joined.count("\n") != len(texts) - 1:  # a text with a newline inside: it is one record still
            joined = "\n".join(t.replace("\n", " ") for t in texts)
        if self.tokenizer.lowercase:
            joined = joined.lower()
        tokens = self._batch_re.findall(joined)
        ids = np.fromiter(map(self._lookup.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        seps = np.flatnonzero(ids < 0)                                   # (B-1,) where each text ends
        lengths = np.diff(np.concatenate([[-1], seps, [len(ids)]])) - 1  # (B,)
        flat = ids[ids >= 0]
        if max_len and len(lengths) and lengths.max() > max_len:
            starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
            flat = flat[(np.arange(len(flat)) - starts) < max_len]
            lengths = np.minimum(lengths, max_len)
        return flat, lengths

    def padded(self, texts: Sequence[str], max_len: int | None = None) -> np.ndarray:
        """(B, T) int64 ids, padded with 0; T >= 1 even for a batch of empty texts."""
        flat, lengths = self.flat(texts, max_len)
        return pad(flat, lengths)


class _Ids(dict):
    """word -> id; a word not in it is UNK (looked up by C code through map(__getitem__))."""

    def __missing__(self, key):
        return UNK


def _batch_pattern(tokenizer: Tokenizer):
    """The tokenizer's own regex with a newline alternative first (None for chars)."""
    import re

    from wordshell.corpus.tokens import _WORD_PUNCT_RE, _WORD_RE

    if tokenizer.split == "whitespace":
        return re.compile(r"\n|\S+")
    if tokenizer.split == "words":
        return re.compile("\n|" + (_WORD_PUNCT_RE if tokenizer.punct else _WORD_RE).pattern)
    return None


def pad(flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Flat ids + lengths -> (B, max(lengths)) with 0 after each row's end."""
    B = len(lengths)
    T = max(1, int(lengths.max()) if B else 1)
    out = np.zeros((B, T), dtype=np.int64)
    mask = np.arange(T)[None, :] < lengths[:, None]  # (B, T) True where a token is
    out[mask] = flat
    return out


def bag_features(flat: np.ndarray, lengths: np.ndarray, vocab_rows: int, ngrams: int,
                 buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Word ids + hashed n-gram ids of each text, unknown words dropped.

    Returns (ids, segs), both (M,) int64: row ids of the (vocab_rows + buckets) table
    and which text each belongs to (not grouped; `grouped` pads them for torch).
    """
    B = len(lengths)
    seg = np.repeat(np.arange(B, dtype=np.int64), lengths)  # (N,) which text each token is in
    known = flat >= FIRST
    parts_ids = [flat[known]]
    parts_seg = [seg[known]]
    if buckets > 0:
        h_all = flat.astype(np.uint64)
        for n in range(2, ngrams + 1):
            m = len(flat) - n + 1
            if m <= 0:
                break
            ok = (seg[:m] == seg[n - 1:]) & known[:m]  # window inside one text, all words known
            h = h_all[:m].copy()
            with np.errstate(over="ignore"):  # uint64 arithmetic wraps on purpose
                for k in range(1, n):
                    ok &= known[k:k + m]
                    h = h * _MULT + h_all[k:k + m]
                h ^= h >> np.uint64(30)
                h *= _MIX1
                h ^= h >> np.uint64(27)
                h *= _MIX2
                h ^= h >> np.uint64(31)
            parts_ids.append((h[ok] % np.uint64(buckets)).astype(np.int64) + vocab_rows)
            parts_seg.append(seg[:m][ok])
    return np.concatenate(parts_ids), np.concatenate(parts_seg)


def grouped(ids: np.ndarray, segs: np.ndarray, B: int) -> np.ndarray:
    """bag_features' output as (B, T) padded ids (words first, then n-grams, per text)."""
    order = np.argsort(segs, kind="stable")
    return pad(ids[order], np.bincount(segs, minlength=B).astype(np.int64))
