"""One-hot vectors against dense ones, and a word's character n-grams: the first slides of the lecture.

One-hot: word i of a vocabulary of V words is e_i, a V-vector of zeros with a 1 at i. Two different
words are orthogonal (cosine 0) whatever they mean; the dense vectors a model learned are not.

>>> run_length(3, 7)
'[0 ×3, 1, 0 ×3]'
>>> [g for g, _ in slide_ngrams("where", 3, 3)]
['<wh', 'whe', 'her', 'ere', 're>', '<where>']
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

import numpy as np

from wordshell.errors import UsageError
from wordshell.vectors.ngrams import char_ngrams, ft_hash


def run_length(index: int, size: int) -> str:
    """e_index of length `size`, printed sparsely: '[0 ×17, 1, 0 ×4195]'."""
    parts = []
    if index:
        parts.append(f"0 ×{index}")
    parts.append("1")
    if size - index - 1:
        parts.append(f"0 ×{size - index - 1}")
    return "[" + ", ".join(parts) + "]"


@dataclass
class OneHot:
    words: list[tuple[str, int, str]]                     # (word, index, e_index written sparsely)
    pairs: list[tuple[str, str, float, float]]            # (word1, word2, one-hot cosine, dense cosine)
    size: int                                             # V


def onehot(kv, words: Sequence[str]) -> OneHot:
    """Each word's one-hot vector over the model's vocabulary and the pairwise cosines, one-hot vs dense.

    The one-hot cosine is computed, not assumed: e_i . e_j / (|e_i| |e_j|) = [i == j].
    """
    if len(words) < 2:
        raise UsageError("give at least two words to compare")
    index = [kv.idx(w) for w in words]                    # UnknownWord (did-you-mean) for a word not in V
    V = len(kv)
    rows = [(kv.words[i], i, run_length(i, V)) for i in index]
    pairs = []
    for (a, i), (b, j) in combinations(zip(words, index), 2):
        pairs.append((kv.words[i], kv.words[j], int(i == j), kv.similarity(a, b)))
    return OneHot(rows, pairs, V)


def slide_ngrams(word: str, min_n: int, max_n: int) -> list[tuple[str, str]]:
    """The character n-grams of '<word>' (fastText's order) and, last, the whole word '<word>'.

    Returns (n-gram, what it is): 'n-gram' or 'whole word' (fastText keeps a vector for each
    vocabulary word itself besides its n-grams; an unseen word has only the n-grams).
    """
    grams = [(g.decode("utf-8"), "n-gram") for g in char_ngrams(word, min_n, max_n)]
    whole = f"<{word}>"
    if not any(g == whole for g, _ in grams):
        grams.append((whole, "whole word"))
    return grams


@dataclass
class NgramRow:
    ngram: str
    what: str                  # n-gram | whole word
    bucket: int | None         # FastText models: the hash bucket (fastText's FNV-1a % buckets)
    seen: bool | None          # does it occur in any training word (its bucket was trained)?


def ngram_rows(word: str, min_n: int, max_n: int, kv=None) -> list[NgramRow]:
    """The n-grams of `word`, with buckets and seen-in-training when `kv` is a FastText model."""
    if not 1 <= min_n <= max_n:
        raise UsageError("need 1 <= --min-n <= --max-n")
    rows = []
    text = kv.vocab_text() if kv is not None else None
    for g, what in slide_ngrams(word, min_n, max_n):
        bucket = seen = None
        if kv is not None:
            if what == "n-gram":
                bucket = ft_hash(g.encode("utf-8")) % kv.ngrams.shape[0]
                seen = g in text
            else:
                seen = kv.has(word)
        rows.append(NgramRow(g, what, bucket, seen))
    return rows


def ngram_norms(kv, rows: list[NgramRow]) -> list[float | None]:
    """The L2 norm of each n-gram's bucket vector (None for the whole-word row)."""
    return [float(np.linalg.norm(kv.ngrams[r.bucket])) if r.bucket is not None else None for r in rows]
