"""A corpus as numbers, for the torch engine: gensim's vocabulary rules, then token ids.

One pass over the cached token file gives every token a provisional id (in order of first
occurrence); the vocabulary is then chosen exactly as gensim chooses it, so both engines train on
the same words (tests/test_torch_vocab.py checks words and counts against gensim's):

- `max_vocab` raises the minimum count to (count of the word ranked max_vocab) + 1, as gensim's
  `max_final_vocab` does; words below the minimum count are dropped;
- order: count descending, ties broken by LATER first occurrence first (gensim's
  `sort_by_descending_frequency` is `np.lexsort((-index, -count))`).

The result keeps only in-vocabulary tokens (gensim and word2vec.c skip unknown words before
building windows, so a window reaches over them):

    ids   int32 (N,)   vocabulary row of each kept token, corpus order
    sent  int32 (N,)   its sentence number (a window never crosses a sentence: one line of the
                       token file, at most 10,000 tokens, as gensim reads it)

Two tables of word2vec.c derive from the counts: `keep_probability` (frequent-word subsampling)
and `noise_cdf` (the unigram^0.75 distribution of negative samples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wordshell.errors import BadInput


@dataclass
class CorpusIds:
    words: list[str]          # the vocabulary, row order
    counts: np.ndarray        # int64 (V,) corpus counts
    ids: np.ndarray           # int32 (N,) in-vocabulary tokens
    sent: np.ndarray          # int32 (N,) sentence number of each
    raw_words: int            # every token of the corpus, known or not (gensim's "raw words")

    def shard(self, rank: int, world: int) -> tuple[int, int]:
        """[lo, hi) token range of `rank`: equal shares of the tokens, cut at sentence starts.

        >>> c = CorpusIds(["a"], np.array([6]), np.zeros(6, np.int32), np.array([0, 0, 1, 1, 2, 2], np.int32), 6)
        >>> c.shard(0, 2), c.shard(1, 2)
        ((0, 2), (2, 6))
        """
        n = len(self.ids)
        cuts = [0] + [_sentence_start(self.sent, n * r // world) for r in range(1, world)] + [n]
        return cuts[rank], cuts[rank + 1]


def _sentence_start(sent: np.ndarray, pos: int) -> int:
    """The first token of the sentence at `pos`, or of the next one if that is nearer."""
    if pos <= 0 or pos >= len(sent):
        return max(0, min(pos, len(sent)))
    s = sent[pos]
    start = int(np.searchsorted(sent, s, side="left"))
    end = int(np.searchsorted(sent, s, side="right"))
    return start if pos - start <= end - pos else end


def read_ids(tokens, min_count: int, max_vocab: int | None = None, progress=None) -> CorpusIds:
    """Vocabulary and token ids of a token file (an iterable of token lists; see the module docstring).

    >>> c = read_ids([["a", "b", "a"], ["c", "b", "a"]], min_count=2)
    >>> c.words, c.counts.tolist(), c.ids.tolist(), c.sent.tolist()
    (['a', 'b'], [3, 2], [0, 1, 0, 1, 0], [0, 0, 0, 1, 1])
    """
    index: dict[str, int] = {}
    chunks: list[np.ndarray] = []
    lengths: list[int] = []
    done = 0
    for words in tokens:
        # get-or-add in one dict call per token: the first occurrence fixes the provisional id
        chunks.append(np.fromiter((index.setdefault(w, len(index)) for w in words), np.int32, len(words)))
        lengths.append(len(words))
        done += len(words)
        if progress is not None and len(lengths) % 1024 == 0:
            progress.update(done)
    raw = np.concatenate(chunks) if chunks else np.zeros(0, np.int32)
    counts = np.bincount(raw, minlength=len(index)).astype(np.int64)
    keep = _vocabulary(counts, min_count, max_vocab)
    if len(keep) == 0:
        raise BadInput(f"no word occurs {min_count} times or more", "lower --min-count or use a bigger corpus")
    if len(keep) < 2:
        raise BadInput("only one word in the vocabulary; lower --min-count")
    remap = np.full(len(index), -1, dtype=np.int32)
    remap[keep] = np.arange(len(keep), dtype=np.int32)
    words_by_id = list(index)
    mapped = remap[raw]
    inside = mapped >= 0
    sent = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
    return CorpusIds([words_by_id[i] for i in keep], counts[keep], mapped[inside], sent[inside], int(len(raw)))


def _vocabulary(counts: np.ndarray, min_count: int, max_vocab: int | None) -> np.ndarray:
    """Provisional ids of the kept words, in gensim's final order."""
    if max_vocab is not None and max_vocab < len(counts):
        # gensim: sorted(raw_vocab, key=count, reverse=True) is stable, so ties keep first-occurrence order
        ranked = np.argsort(-counts, kind="stable")
        min_count = max(min_count, int(counts[ranked[max_vocab]]) + 1)
    kept = np.flatnonzero(counts >= min_count)
    order = np.lexsort((-kept, -counts[kept]))
    return kept[order]


def keep_probability(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec.c's subsampling: P(keep w) = (sqrt(c/t) + 1) * t/c with t = sample * total, capped at 1.

    >>> keep_probability(np.array([900, 90, 10]), 1e-2).round(4).tolist()
    [0.1165, 0.4444, 1.0]
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones(len(counts))
    t = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / t) + 1) * t / counts)


def noise_cdf(counts: np.ndarray, exponent: float = 0.75) -> np.ndarray:
    """Cumulative distribution of the negative samples (count^0.75, normalised), float64 (V,).

    A uniform draw u in [0, 1) picks word searchsorted(cdf, u, side="right"): word i with
    probability c_i^0.75 / sum c^0.75, the distribution of word2vec.c's unigram table (without its
    1e8-slot rounding) and of gensim's cum_table.

    >>> noise_cdf(np.array([16, 1]), 0.5).tolist()
    [0.8, 1.0]
    """
    p = np.asarray(counts, dtype=np.float64) ** exponent
    cdf = np.cumsum(p / p.sum())
    cdf[-1] = 1.0
    return cdf
