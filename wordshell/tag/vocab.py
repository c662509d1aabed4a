"""Words, characters and tags -> ids for the tagger (numpy; the same code trains and tags).

    word ids   0 padding, 1 unknown, 2.. vocab.txt (line i = id i + 2). A word is looked up by its
               normalised form (lower-cased, digits -> 0, unless the model is cased): "Paris" and
               "PARIS" share a vector, and the characters still see the case.
    char ids   0 padding, 1 unknown, 2.. chars.txt. A word keeps its first MAX_CHARS characters.
    tag ids    0.. the model's tag list (in the scheme it trains on: BIOES for span tags)

>>> enc = TagEncoder(["the", "cat", "0000"], list("Tthecat"), ["DET", "NOUN", "NUM"])
>>> enc.word_ids(["The", "cat", "1999", "dog"]).tolist()
[2, 3, 4, 1]
>>> enc.char_ids(["The", "ox"]).tolist()
[[2, 4, 5], [1, 1, 0]]
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

PAD, UNK, FIRST = 0, 1, 2
MAX_CHARS = 24
_DIGIT = re.compile(r"\d")


class TagEncoder:
    def __init__(self, words: Sequence[str], chars: Sequence[str], tags: Sequence[str], lowercase: bool = True):
        self.words, self.chars, self.tags = list(words), list(chars), list(tags)
        self.lowercase = lowercase
        self.word_index = {w: i + FIRST for i, w in enumerate(self.words)}
        self.char_index = {c: i + FIRST for i, c in enumerate(self.chars)}
        self.tag_index = {t: i for i, t in enumerate(self.tags)}

    @property
    def word_rows(self) -> int:
        return len(self.words) + FIRST

    @property
    def char_rows(self) -> int:
        return len(self.chars) + FIRST

    def norm(self, word: str) -> str:
        w = word.lower() if self.lowercase else word
        return _DIGIT.sub("0", w) if any(c.isdigit() for c in w) else w

    def word_ids(self, words: Sequence[str]) -> np.ndarray:
        get, norm = self.word_index.get, self.norm
        return np.fromiter((get(norm(w), UNK) for w in words), dtype=np.int64, count=len(words))

    def char_ids(self, words: Sequence[str], width: int | None = None) -> np.ndarray:
        """(n, width) char ids, 0-padded; width = the longest word (at most MAX_CHARS)."""
        get = self.char_index.get
        width = width or max([min(len(w), MAX_CHARS) for w in words] or [1])
        out = np.zeros((len(words), width), dtype=np.int64)
        for i, w in enumerate(words):
            ids = [get(c, UNK) for c in w[:width]]
            out[i, :len(ids)] = ids
        return out

    def tag_ids(self, tags: Sequence[str]) -> np.ndarray:
        return np.fromiter((self.tag_index[t] for t in tags), dtype=np.int64, count=len(tags))

    # -- building and storing ------------------------------------------------------------
    @classmethod
    def build(cls, sentences: Sequence[Sequence[str]], tags: Sequence[str], lowercase: bool = True,
              min_count: int = 1, extra_words: Sequence[str] = ()) -> "TagEncoder":
        """The vocabulary of the training sentences (words seen `min_count`+ times), then `extra_words`
        (the words of --vectors) that are not in it yet."""
        probe = cls([], [], [], lowercase)
        counts = Counter(probe.norm(w) for s in sentences for w in s)
        words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        seen = set(words)
        for w in extra_words:
            w = probe.norm(w)
            if w not in seen:
                seen.add(w)
                words.append(w)
        chars = sorted({c for s in sentences for w in s for c in w[:MAX_CHARS]})
        return cls(words, chars, tags, lowercase)

    def save(self, d: Path) -> None:
        from wordshell.atomic import atomic_write

        atomic_write(d / "vocab.txt", "".join(w + "\n" for w in self.words))
        # one character per line; a newline or a carriage return inside a word cannot occur (lines are split on them)
        atomic_write(d / "chars.txt", "".join(c + "\n" for c in self.chars))

    @classmethod
    def load(cls, d: Path, tags: Sequence[str], lowercase: bool) -> "TagEncoder":
        from wordshell.atomic import read_vocab

        with open(d / "chars.txt", encoding="utf-8", newline="") as f:  # no newline translation: '\r' is a char
            chars = f.read().split("\n")[:-1]
        return cls(read_vocab(d / "vocab.txt"), chars, tags, lowercase)
