"""Intrinsic evaluation of word vectors, in numpy, with gensim's rules.

Analogies (questions-words.txt): like gensim's evaluate_word_analogies: only the first
`restrict` words count (300,000 by default), words are compared upper-cased unless
case-sensitive, a question with any word outside that vocabulary is skipped (counted as
OOV), the answer is the best 3CosAdd word that is not one of the three inputs.
Questions are scored in batches with one matrix product each.

Similarity (wordsim353, simlex999): Spearman and Pearson between human scores and
cosines over the pairs whose two words are known, as gensim's evaluate_word_pairs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wordshell.errors import BadInput
from wordshell.corpus.textio import read_lines
from wordshell.vectors.keyed import KeyedVectors


def _ok_vocab(kv: KeyedVectors, restrict: int, case_insensitive: bool) -> dict[str, int]:
    n = min(restrict, len(kv))
    words = kv.words[:n]
    if case_insensitive:  # reversed: the most frequent casing wins, as in gensim
        return {w.upper(): i for i, w in reversed(list(enumerate(words)))}
    return {w: i for i, w in enumerate(words)}


def read_analogies(path: str | Path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    sections: list[tuple[str, list]] = []
    for lineno, line in enumerate(read_lines(path), 1):
        if line.startswith(": "):
            sections.append((line[2:].strip(), []))
            continue
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            continue  # gensim skips malformed lines too
        if not sections:
            raise BadInput(f"{path}: line {lineno}: a question before any ': section' header")
        sections[-1][1].append(tuple(parts))
    if not sections:
        raise BadInput(f"{path} holds no analogy questions (expected ': section' headers and 4-word lines)")
    return sections


def eval_analogies(kv: KeyedVectors, path: str | Path, restrict: int = 300_000, case_insensitive: bool = True,
                   cosmul: bool = False, batch: int = 128, progress=None) -> dict:
    """Accuracy per section. Memory: the first `restrict` rows are read in place (memory-mapped,
    float32, or float16 converted once); each batch of B questions makes one (n, B) score matrix."""
    ok = _ok_vocab(kv, restrict, case_insensitive)
    n = min(restrict, len(kv))
    V = kv.vectors[:n]
    if V.dtype != np.float32:
        V = np.asarray(V, dtype=np.float32)
    norms = np.asarray(kv.norms[:n], dtype=np.float32)
    inv = 1.0 / np.where(norms == 0, 1, norms)        # (n,) a zero vector scores 0

    class _Units:   # U[i] = unit row i, made only for the rows a batch asks for (no (n, D) copy)
        T = None

        def __getitem__(self, i):
            return np.asarray(V[i], dtype=np.float32) * inv[i][..., None]

    U = _Units()
    keys = [w.upper() for w in kv.words[:n]] if case_insensitive else kv.words[:n]
    out_sections = []
    total_correct = total_seen = total_oov = 0
    sections = read_analogies(path)
    if progress is not None:
        progress.start(f"analogies {kv.name}", sum(len(q) for _, q in sections), "questions")
    asked = 0
    for name, questions in sections:
        known, oov = [], 0
        for q in questions:
            q = tuple(w.upper() for w in q) if case_insensitive else q
            if all(w in ok for w in q):
                known.append(q)
            else:
                oov += 1
        correct = 0
        for start in range(0, len(known), batch):
            chunk = known[start:start + batch]
            ia = np.array([ok[q[0]] for q in chunk])
            ib = np.array([ok[q[1]] for q in chunk])
            ic = np.array([ok[q[2]] for q in chunk])
            if cosmul:
                sa, sb, sc = ((1 + (V @ U[i].T) * inv[:, None]) / 2 for i in (ia, ib, ic))  # (n, B) each
                S = sb * sc / (sa + 1e-6)
            else:
                Q = U[ib] + U[ic] - U[ia]                      # (B, D) gensim: mean of unit vectors
                Q /= np.linalg.norm(Q, axis=1, keepdims=True)
                S = (V @ Q.T) * inv[:, None]                   # (n, B) cosines
            S[ia, np.arange(len(chunk))] = -np.inf
            S[ib, np.arange(len(chunk))] = -np.inf
            S[ic, np.arange(len(chunk))] = -np.inf
            k = min(5, n)                                      # candidates, best first
            part = np.argpartition(-S, k - 1, axis=0)[:k] if k < n else np.argsort(-S, axis=0)[:k]
            top = np.take_along_axis(part, np.argsort(-np.take_along_axis(S, part, axis=0), axis=0), axis=0)
            for j, q in enumerate(chunk):
                ignore = set(q[:3])
                for i in top[:, j]:
                    if keys[i] not in ignore:
                        correct += keys[i] == q[3]
                        break
            asked += len(chunk)
            if progress is not None:
                progress.update(asked)
        asked += oov
        total_correct += correct
        total_seen += len(known)
        total_oov += oov
        out_sections.append({"section": name, "correct": correct, "total": len(known), "oov": oov,
                             "accuracy": correct / len(known) if known else None})
    if progress is not None:
        progress.finish()
    return {"sections": out_sections, "correct": total_correct, "total": total_seen, "oov": total_oov,
            "accuracy": total_correct / total_seen if total_seen else 0.0,
            "oov_rate": total_oov / (total_seen + total_oov) if total_seen + total_oov else 0.0,
            "method": "3CosMul" if cosmul else "3CosAdd", "restrict": n}


def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged (as scipy.stats.rankdata)."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    xs = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and xs[j + 1] == xs[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64) - np.mean(a)
    b = np.asarray(b, dtype=np.float64) - np.mean(b)
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den else float("nan")


def spearman(a, b) -> float:
    return pearson(rankdata(a), rankdata(b))


def read_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    pairs = []
    for line in read_lines(path):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) < 3:
            continue
        try:
            pairs.append((parts[0].strip(), parts[1].strip(), float(parts[2])))
        except ValueError:
            continue  # a header line
    if not pairs:
        raise BadInput(f"{path} holds no word pairs (expected 'word1<TAB>word2<TAB>score' lines)")
    return pairs


def eval_similarity(kv: KeyedVectors, path: str | Path, restrict: int = 300_000,
                    case_insensitive: bool = True) -> dict:
    ok = _ok_vocab(kv, restrict, case_insensitive)
    gold, model, oov = [], [], 0
    pairs = read_pairs(path)
    for a, b, s in pairs:
        ka, kb = (a.upper(), b.upper()) if case_insensitive else (a, b)
        if ka not in ok or kb not in ok:
            oov += 1
            continue
        va = np.asarray(kv.vectors[ok[ka]], dtype=np.float64)
        vb = np.asarray(kv.vectors[ok[kb]], dtype=np.float64)
        den = np.linalg.norm(va) * np.linalg.norm(vb)
        gold.append(s)
        model.append(float(va @ vb / den) if den else 0.0)
    if len(gold) < 2:
        raise BadInput(f"too few pairs of {Path(path).name} are in the vocabulary ({len(gold)} of {len(pairs)})")
    return {"dataset": Path(path).name, "pairs": len(gold), "oov": oov, "oov_rate": oov / len(pairs),
            "spearman": spearman(gold, model), "pearson": pearson(gold, model)}
