"""The training examples word2vec makes from one sentence, by word2vec's own rules (gensim's word2vec_inner).

1. Words not in the vocabulary are dropped.
2. Subsampling: a word of corpus count n is kept with probability
       p = (sqrt(n / t) + 1) * t / n   (capped at 1),   t = sample * (total count of the vocabulary)
   so 'the' is often dropped and rare words never are. Dropping happens BEFORE the windows are cut,
   so the surviving words reach further.
3. Dynamic window: for each centre word a random b in 0..window-1 is drawn and the window is
   window - b words on each side: near words are used more often than far ones.
4. Skip-gram: one (centre -> context) pair per word in the window (predict the context from the centre).
   CBOW: one example per centre word: the mean of the window's words -> the centre.

The random draws come from numpy's seeded generator (the same rules as word2vec, not its exact RNG).

>>> ex = make_pairs("a b c".split(), window=1, dynamic=False)
>>> [(p.centre, p.context) for p in ex.skipgram]
[('a', 'b'), ('b', 'a'), ('b', 'c'), ('c', 'b')]
>>> [(c.context, c.centre) for c in ex.cbow]
[(['b'], 'a'), (['a', 'c'], 'b'), (['b'], 'c')]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from wordshell.errors import BadInput


@dataclass
class Token:
    position: int                 # in the sentence as typed (1-based)
    word: str
    count: int | None             # corpus count (None: no model, or not in its vocabulary)
    keep: float | None            # subsampling: probability of keeping it (None: not applied)
    kept: bool                    # survived steps 1-2
    window: int | None = None     # its effective window (step 3), for kept words


@dataclass
class Pair:
    centre: str
    context: str
    distance: int                 # in kept words
    position: int = 0             # the centre's position in the sentence (1-based)


@dataclass
class CBOWExample:
    context: list[str]
    centre: str


@dataclass
class Examples:
    tokens: list[Token]
    skipgram: list[Pair] = field(default_factory=list)
    cbow: list[CBOWExample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def keep_probability(count: int, sample: float, total: int) -> float:
    """word2vec's subsampling: P(keep) of a word seen `count` times among `total` (1.0 when sample = 0).

    >>> round(keep_probability(1000, 1e-3, 100_000), 4)    # t = 100: (sqrt(10) + 1) * 100 / 1000
    0.4162
    """
    if sample <= 0 or count <= 0:
        return 1.0
    t = sample * total
    return min(1.0, (math.sqrt(count / t) + 1) * t / count)


def make_pairs(words: Sequence[str], window: int = 5, counts: Mapping[str, int] | None = None,
               sample: float = 0.0, total: int | None = None, dynamic: bool = True, seed: int = 1) -> Examples:
    """The skip-gram pairs and CBOW examples of one sentence (see the module docstring).

    counts: the model's vocabulary counts (None: every word is in the vocabulary, no subsampling).
    """
    if window < 1:
        raise BadInput("--window must be at least 1")
    if not words:
        raise BadInput("no words in the sentence")
    rng = np.random.default_rng(seed)
    if counts is not None and sample > 0:
        total = total or sum(counts.values())
    tokens = []
    for i, w in enumerate(words, 1):
        if counts is not None and w not in counts:
            tokens.append(Token(i, w, None, None, False))
            continue
        n = counts[w] if counts is not None else None
        if counts is not None and sample > 0:
            p = keep_probability(n, sample, total)
            tokens.append(Token(i, w, n, p, bool(rng.random() < p)))
        else:
            tokens.append(Token(i, w, n, None, True))
    kept = [t for t in tokens if t.kept]
    ex = Examples(tokens)
    for t in kept:
        t.window = window - int(rng.integers(window)) if dynamic else window
    for i, t in enumerate(kept):
        lo, hi = max(0, i - t.window), min(len(kept), i + t.window + 1)
        near = [j for j in range(lo, hi) if j != i]
        ex.skipgram += [Pair(t.word, kept[j].word, abs(j - i), t.position) for j in near]
        if near:
            ex.cbow.append(CBOWExample([kept[j].word for j in near], t.word))
    dropped = [t.word for t in tokens if not t.kept]
    if counts is None:
        ex.notes.append("no model given: every word counts as in the vocabulary and none is subsampled "
                        "(--model M uses M's vocabulary and corpus counts)")
    elif dropped:
        oov = [t.word for t in tokens if t.count is None]
        sub = [t.word for t in tokens if t.count is not None and not t.kept]
        if oov:
            ex.notes.append(f"not in the vocabulary (dropped): {', '.join(oov)}")
        if sub:
            ex.notes.append(f"subsampled away this time (seeded; --seed N draws again): {', '.join(sub)}")
    return ex
