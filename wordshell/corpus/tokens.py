"""Tokenisation, stated once and stored with every model so queries and training agree.

    words       runs of letters/digits, inner ' and - kept ("don't", "state-of-the-art");
                with punct=True each punctuation mark is a token too
    whitespace  split on whitespace only (for pre-tokenised corpora: PTB, WikiText)
    chars       every character is a token (char-level language models)

>>> Tokenizer()("The King's horses, 2 of them!")
['the', "king's", 'horses', '2', 'of', 'them']
>>> Tokenizer(lowercase=False, punct=True)("Hi, you.")
['Hi', ',', 'you', '.']
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

_WORD = r"[^\W_]+(?:['’\-][^\W_]+)*"
_WORD_RE = re.compile(_WORD)
_WORD_PUNCT_RE = re.compile(_WORD + r"|[^\w\s]|_+")
SPLITS = ("words", "whitespace", "chars")


@dataclass(frozen=True)
class Tokenizer:
    lowercase: bool = True
    punct: bool = False
    split: str = "words"

    def __post_init__(self):
        assert self.split in SPLITS, self.split

    def __call__(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        if self.split == "whitespace":
            return text.split()
        if self.split == "chars":
            return list(text)
        return (_WORD_PUNCT_RE if self.punct else _WORD_RE).findall(text)

    def spec(self) -> dict:
        return asdict(self)

    @property
    def key(self) -> str:
        """Short stable id for cache file names: 'words-lc-nopunct'."""
        return f"{self.split}-{'lc' if self.lowercase else 'cased'}-{'punct' if self.punct else 'nopunct'}"

    @classmethod
    def from_spec(cls, spec: dict | None) -> "Tokenizer":
        spec = spec or {}
        return cls(lowercase=bool(spec.get("lowercase", True)), punct=bool(spec.get("punct", False)),
                   split=spec.get("split", "words"))

    def normalize(self, word: str) -> str:
        """How a query word is looked up: lower-cased when the model was trained lower-cased."""
        return word.lower() if self.lowercase else word
