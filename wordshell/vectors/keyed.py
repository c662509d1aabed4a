"""Stored word vectors and the queries on them, in numpy only (no gensim, no torch).

On disk (checkpoints/<model>/):
    vectors.npy   float32 (or float16, `--dtype float16`) (V, D), row i is the word on line i of
                  vocab.txt (frequency order)
    vocab.txt     one word per line; vocab.{offsets,hash,rows}.npy find a word's row without
                  reading the others (vectors/vocab.py)
    norms.npy     float32 (V,) L2 norms, so a query never recomputes them
    counts.npy    int64 (V,) corpus counts, when known
    ngrams.npy    float32 (buckets, D) FastText n-gram vectors (min_n/max_n/bucket in model.json)
    context.npy   float32 (V, D) output ("context") vectors, hs_*.npy the Huffman tree (vectors/context.py)

Scores match gensim's KeyedVectors for the same vectors: `most_similar` averages the
unit vectors of the inputs (negatives weighted -1), normalises, and ranks every word by
cosine, in float32 like gensim (a float64 query would make numpy upcast the whole matrix: a
320 MB temporary at 400k x 100); 3CosMul follows Levy & Goldberg (2014) with cosines shifted to
[0, 1]. A zero vector has cosine 0 with every vector, in every command (gensim gives nan).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from wordshell.errors import BadInput, CorruptFile, UnknownWord, UsageError
from wordshell.atomic import atomic_open, atomic_save_npy
from wordshell.store import Store
from wordshell.corpus.tokens import Tokenizer
from wordshell.vectors.scan import matvec, row_norms


class KeyedVectors:
    def __init__(self, words: Sequence[str], vectors: np.ndarray, *, name: str = "", meta: dict | None = None,
                 norms: np.ndarray | None = None, ngrams: np.ndarray | None = None,
                 counts: np.ndarray | None = None, vocab=None):
        from wordshell.vectors.vocab import ListVocab

        self.vocab = vocab if vocab is not None else ListVocab(list(words))
        assert vectors.ndim == 2 and len(self.vocab) == vectors.shape[0], (len(self.vocab), vectors.shape)
        self.vectors = vectors
        self.name = name
        self.meta = meta or {}
        self._norms = norms
        self.ngrams = ngrams
        self.counts = counts
        tok = self.meta.get("tokenizer")
        self.tokenizer = Tokenizer.from_spec(tok) if tok else None
        self._vocab_text: str | None = None

    @property
    def words(self) -> Sequence[str]:
        """The words in row order (a list, or a sequence read from vocab.txt on demand)."""
        return self.vocab.words

    @property
    def index(self):
        """word -> row (a dict, or a mapping answered from the stored lookup)."""
        return self.vocab.index

    # -- loading ----------------------------------------------------------------
    @classmethod
    def from_store(cls, store: Store, name: str) -> "KeyedVectors":
        from wordshell.vectors.vocab import VocabMismatch, open_vocab

        meta = store.model_meta(name)
        if meta.get("family") != "vectors":
            raise UsageError(f"model '{name}' is a {meta.get('kind')} model, not word vectors")
        d = store.model_dir(name)
        try:
            vectors = np.load(d / "vectors.npy", mmap_mode="r", allow_pickle=False)
            vocab = open_vocab(d)
            norms = np.load(d / "norms.npy", mmap_mode="r") if (d / "norms.npy").exists() else None
            counts = np.load(d / "counts.npy", mmap_mode="r") if (d / "counts.npy").exists() else None
            ngrams = np.load(d / "ngrams.npy", mmap_mode="r") if (d / "ngrams.npy").exists() else None
        except FileNotFoundError as e:
            raise CorruptFile(f"model '{name}' is incomplete: {Path(e.filename).name} is missing") from None
        except VocabMismatch as e:
            raise CorruptFile(f"model '{name}' is inconsistent: {e}") from None
        except (ValueError, OSError, UnicodeDecodeError) as e:
            raise CorruptFile(f"model '{name}' is corrupt: {e}") from None
        n = len(vocab)
        if vectors.ndim != 2 or vectors.shape[0] != n or (norms is not None and norms.shape[0] != n):
            raise CorruptFile(f"model '{name}' is inconsistent: {vectors.shape[0] if vectors.ndim == 2 else '?'} "
                              f"vectors for {n} words")
        return cls((), vectors, name=name, meta=meta, norms=norms, ngrams=ngrams, counts=counts, vocab=vocab)

    # -- basics -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.vocab)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    @property
    def norms(self) -> np.ndarray:
        if self._norms is None:
            self._norms = row_norms(self.vectors)
        return self._norms

    @property
    def is_fasttext(self) -> bool:
        return self.ngrams is not None and self.ngrams.shape[0] > 0

    def _row(self, word: str) -> int | None:
        """The row a query word maps to: as written, else lower-cased for lower-cased models."""
        r = self.vocab.row(word)
        if r is None and (self.tokenizer is None or self.tokenizer.lowercase):
            low = word.lower()
            if low != word:
                r = self.vocab.row(low)
        return r

    def key(self, word: str) -> str | None:
        """The vocabulary entry a query word maps to (lower-cased for lower-cased models)."""
        r = self._row(word)
        return None if r is None else self.vocab.word(r)

    def has(self, word: str) -> bool:
        return self._row(word) is not None

    def unknown(self, word: str) -> UnknownWord:
        from wordshell.suggest import close_words

        return UnknownWord(word, self.name, close_words(word, self.index))

    def idx(self, word: str) -> int:
        r = self._row(word)
        if r is None:
            raise self.unknown(word)
        return r

    def get(self, word: str, allow_oov: bool = True) -> np.ndarray:
        """A word's vector (float32); FastText models build one from n-grams for unseen words."""
        r = self._row(word)
        if r is not None:
            return np.asarray(self.vectors[r], dtype=np.float32)
        if allow_oov and self.is_fasttext:
            v = self.oov_vector(word)
            if v is not None:
                return v
        raise self.unknown(word)

    def oov_vector(self, word: str) -> np.ndarray | None:
        from wordshell.vectors.ngrams import oov_vector

        w = self.tokenizer.normalize(word) if self.tokenizer else word
        return oov_vector(w, self.ngrams, int(self.meta["min_n"]), int(self.meta["max_n"]))

    # -- neighbours ---------------------------------------------------------------
    def _unit(self, v: np.ndarray, word: str | None = None) -> np.ndarray:
        n = np.linalg.norm(v)
        if n == 0:
            raise BadInput(f"'{word}' has a zero vector: it has no direction to compare" if word else
                           "the query vector is zero (the words cancel out)")
        return v / n

    def scores(self, query: np.ndarray, restrict: int | None = None) -> np.ndarray:
        """Cosine of `query` (unit length) with every word (or the first `restrict`), float32 (V,).

        One pass over the memory-mapped matrix in float32 (float16 models: converted block by
        block); a zero vector scores 0.
        """
        end = min(restrict, len(self)) if restrict else len(self)
        q = np.asarray(query, dtype=np.float32)
        s = matvec(self.vectors[:end], q)
        with np.errstate(divide="ignore", invalid="ignore"):
            s /= self.norms[:end]
        s[np.isnan(s)] = 0.0  # 0/0: a zero vector
        return s

    def top(self, scores: np.ndarray, topn: int, exclude: set[int] = frozenset()) -> list[tuple[str, float]]:
        k = min(len(scores), topn + len(exclude))
        if k <= 0:
            return []
        if k < len(scores):
            part = np.argpartition(-scores, k - 1)[:k]
            t = scores[part].min()   # the k-th best score: which of the words tied at it make the cut is
            if t == t:               # argpartition's whim; take the lowest rows, as the lean path does
                above = np.flatnonzero(scores > t)
                part = np.concatenate([above, np.flatnonzero(scores == t)[:k - len(above)]])
        else:
            part = np.arange(len(scores))
        best = part[np.lexsort((part, -scores[part]))]   # best first; ties: the lower row first
        return [(self.words[i], float(scores[i])) for i in best if int(i) not in exclude][:topn]

    def mean_query(self, positive: Sequence[str], negative: Sequence[str] = ()) -> tuple[np.ndarray, set[int]]:
        """gensim's most_similar query: mean of unit vectors (+1 / -1 weights), normalised."""
        if not positive and not negative:
            raise UsageError("give at least one word")
        mean = np.zeros(self.dim, dtype=np.float64)
        exclude: set[int] = set()
        for word, weight in [(w, 1.0) for w in positive] + [(w, -1.0) for w in negative]:
            v = self.get(word).astype(np.float64)
            r = self._row(word)
            if r is not None:
                exclude.add(r)
            mean += weight * self._unit(v, word)
        return self._unit(mean), exclude

    def most_similar(self, positive: Sequence[str], negative: Sequence[str] = (), topn: int = 10,
                     restrict: int | None = None) -> list[tuple[str, float]]:
        """>>> kv.most_similar(["king"], topn=3)   # doctest: +SKIP"""
        query, exclude = self.mean_query(positive, negative)
        return self.top(self.scores(query, restrict), topn, exclude)

    def cosmul_scores(self, positive: Sequence[str], negative: Sequence[str]) -> tuple[np.ndarray, set[int]]:
        """3CosMul (Levy & Goldberg 2014): prod((1+cos)/2 of positives) / (prod(... negatives) + 1e-6)."""
        exclude = {r for r in (self._row(w) for w in [*positive, *negative]) if r is not None}
        pos = [self.scores(self._unit(self.get(w).astype(np.float64), w)) for w in positive]
        neg = [self.scores(self._unit(self.get(w).astype(np.float64), w)) for w in negative]
        num = np.prod([(1 + s) / 2 for s in pos], axis=0)
        den = np.prod([(1 + s) / 2 for s in neg], axis=0) if neg else np.zeros_like(num)
        return num / (den + 1e-6), exclude

    def similarity(self, a: str, b: str) -> float:
        va, vb = self.get(a).astype(np.float64), self.get(b).astype(np.float64)
        na, nb = np.linalg.norm(va), np.linalg.norm(vb)
        if na == 0 or nb == 0:
            return 0.0
        return float(va @ vb / (na * nb))

    def odd_one_out(self, words: Sequence[str]) -> list[tuple[str, float]]:
        """Each word with its cosine to the mean of all unit vectors, lowest (the odd one) first."""
        if len(words) < 3:
            raise UsageError("give at least three words")
        units = np.stack([self._unit(self.get(w).astype(np.float64), w) for w in words])
        mean = self._unit(units.mean(axis=0))
        sims = units @ mean
        order = np.argsort(sims, kind="stable")
        return [(words[i], float(sims[i])) for i in order]

    def rank_of(self, scores: np.ndarray, word: str, exclude: set[int]) -> int | None:
        """1-based rank of `word` among all words by `scores`, inputs excluded."""
        i = self._row(word)
        if i is None:
            return None
        if i in exclude:
            return None
        s = scores[i]
        better = int(np.sum(scores > s))
        better -= sum(1 for j in exclude if scores[j] > s)
        return better + 1

    # -- fastText n-grams explained --------------------------------------------------
    def ngram_seen(self, gram: str) -> bool:
        """Does character n-gram `gram` ('<ab', 'abc', 'bc>') occur in any vocabulary word?

        Searched in vocab.txt's bytes: '<' is a line start, '>' a line end; no word holds a newline,
        so a match never spans two words.
        """
        buf = self.vocab.text_bytes()
        g = gram.encode("utf-8")
        start, end = g.startswith(b"<"), g.endswith(b">") and len(g) > 1
        core = g[1 if start else 0:len(g) - 1 if end else len(g)]
        pattern = (b"\n" if start else b"") + core + (b"\n" if end else b"")
        if buf.find(pattern) >= 0:
            return True
        return start and buf[:len(core) + end].startswith(core + (b"\n" if end else b""))

    def vocab_text(self) -> str:
        """'\\n<w1>\\n<w2>...': substring search answers 'does this n-gram occur in any word?'."""
        if self._vocab_text is None:
            self._vocab_text = "\n" + "\n".join(f"<{w}>" for w in self.words) + "\n"
        return self._vocab_text


# -- saving -------------------------------------------------------------------------

def save_vectors(build, words: Sequence[str], vectors: np.ndarray, meta: dict, *,
                 counts: np.ndarray | None = None, ngrams: np.ndarray | None = None,
                 context: np.ndarray | None = None, hs=None) -> dict:
    """Write a vectors model into a ModelBuild's folder and commit it (model.json last, then live).

    vectors   float32 (V, D), row i = the input vector v of words[i] (what queries use)
    counts    int64 (V,) corpus counts (the unigram table of negative sampling, subsampling)
    ngrams    float32 (buckets, D) FastText n-gram vectors
    context   float32 (V, D), row i = the OUTPUT ("context") vector u of words[i], as trained by
              negative sampling (gensim's syn1neg; a torch engine's output embedding): P(o|c) is a
              softmax of u_o . v_c. Saved as context.npy; None = not kept (imported vectors, or
              --no-context-vectors).
    hs        a vectors.context.HuffmanTree (hierarchical softmax: inner-node vectors, codes, paths), or None
    model.json gets `context_vectors`: {"negative": "context.npy", "hs": "hs_*.npy"} for what was kept, or null.

    >>> with store.build("glove", force=True) as b:                         # doctest: +SKIP
    ...     save_vectors(b, words, vectors, {"kind": "vectors", ...}, context=syn1neg)
    """
    from wordshell.vectors.context import save_context

    vectors = np.asarray(vectors, dtype=np.float32)
    if len(words) != vectors.shape[0]:
        raise CorruptFile(f"{len(words)} words but {vectors.shape[0]} vectors")
    bad = [w for w in words if "\n" in w or "\r" in w]
    if bad:
        raise BadInput(f"vocabulary word with a line break: {bad[0]!r}")
    d = build.dir
    atomic_save_npy(d / "vectors.npy", vectors)
    atomic_save_npy(d / "norms.npy", row_norms(vectors))
    write_vocab(d, [w.encode("utf-8") for w in words])
    if counts is not None:
        atomic_save_npy(d / "counts.npy", np.asarray(counts, dtype=np.int64))
    else:
        (d / "counts.npy").unlink(missing_ok=True)
    if ngrams is not None:
        atomic_save_npy(d / "ngrams.npy", np.asarray(ngrams, dtype=np.float32))
    else:
        (d / "ngrams.npy").unlink(missing_ok=True)
    kept = save_context(d, len(words), int(vectors.shape[1]), context, hs)
    return build.commit({**meta, "vocab_size": len(words), "dim": int(vectors.shape[1]), "context_vectors": kept})


def write_vocab(directory: Path, words: Sequence[bytes]) -> None:
    """vocab.txt (one word a line) and its lookup files (vectors/vocab.py), from UTF-8 bytes."""
    from wordshell.vectors.vocab import write_lookup

    with atomic_open(directory / "vocab.txt", "wb") as f:
        for start in range(0, len(words), 65536):
            f.write(b"\n".join(words[start:start + 65536]) + b"\n")
    write_lookup(directory, words)
