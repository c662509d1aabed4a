"""FastText character n-grams and their hash buckets, in plain Python/numpy.

The same scheme as fastText's dictionary.cc and gensim's fasttext_inner.pyx, so a
stored bucket matrix gives the same OOV vectors as gensim (tests/test_fasttext_oov.py):

- the word is wrapped as '<word>' and encoded as UTF-8;
- n-grams are runs of n *characters* (UTF-8 continuation bytes never start one),
  min_n <= n <= max_n, except the 1-grams '<' and '>';
- each n-gram's bytes are hashed with 32-bit FNV-1a where every byte is first
  sign-extended (fastText casts char -> int8 -> uint32), bucket = hash % buckets.
"""

from __future__ import annotations

import numpy as np

_MASK = 0xFFFFFFFF


def ft_hash(data: bytes) -> int:
    """fastText's FNV-1a variant.

    >>> ft_hash(b"<ki")
    1468299675
    """
    h = 2166136261
    for b in data:
        h ^= b if b < 128 else (b | 0xFFFFFF00)  # sign-extended byte
        h = (h * 16777619) & _MASK
    return h


def char_ngrams(word: str, min_n: int, max_n: int) -> list[bytes]:
    """UTF-8 n-grams of '<word>' in fastText's order (by start, then length).

    >>> [g.decode() for g in char_ngrams("ab", 2, 3)]
    ['<a', '<ab', 'ab', 'ab>', 'b>']
    """
    data = f"<{word}>".encode("utf-8")
    n_bytes = len(data)
    out = []
    for i in range(n_bytes):
        if data[i] & 0xC0 == 0x80:  # continuation byte: not a character start
            continue
        j, n = i, 1
        while j < n_bytes and n <= max_n:
            j += 1
            while j < n_bytes and data[j] & 0xC0 == 0x80:
                j += 1
            if n >= min_n and not (n == 1 and (i == 0 or j == n_bytes)):
                out.append(data[i:j])
            n += 1
    return out


def ngram_buckets(word: str, min_n: int, max_n: int, buckets: int) -> list[int]:
    return [ft_hash(g) % buckets for g in char_ngrams(word, min_n, max_n)]


def oov_vector(word: str, ngram_vectors: np.ndarray, min_n: int, max_n: int) -> np.ndarray | None:
    """Mean of the word's n-gram bucket vectors (what gensim returns for an OOV word); None if no n-grams."""
    rows = ngram_buckets(word, min_n, max_n, ngram_vectors.shape[0])
    if not rows:
        return None
    # sum in float32 in n-gram order, like gensim, then divide
    acc = np.zeros(ngram_vectors.shape[1], dtype=np.float32)
    for r in rows:
        acc += ngram_vectors[r]
    return acc / len(rows)
