"""Did-you-mean suggestions.

Two strategies, both exact for what they cover:
- `did_you_mean(word, names)`: scans a short list (model and corpus names, commands).
- `close_words(word, index)`: generates every string within edit distance 2 of `word`
  (deletes, transpositions, replacements, insertions, as in Norvig's spelling corrector)
  and looks them up in the vocabulary dict, so it stays ~O(len(word)^2 * alphabet)
  whatever the vocabulary size (fast on 100k+ words, where a scan would not be).
"""

from __future__ import annotations

import string
from typing import Iterable, Mapping


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance (Levenshtein + adjacent transpositions).

    >>> edit_distance("kitten", "sitting"), edit_distance("kign", "king")
    (3, 1)
    """
    if a == b:
        return 0
    la, lb = len(a), len(b)
    d = [[0] * (lb + 1) for _ in range(la + 1)]
    for i in range(la + 1):
        d[i][0] = i
    for j in range(lb + 1):
        d[0][j] = j
    for i in range(1, la + 1):
        for j in range(1, lb + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[la][lb]


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Closest names from a short list, nearest first.

    >>> did_you_mean("w2v-le", ["w2v-lee", "ft-lee", "lm"])
    ['w2v-lee']
    """
    limit = 1 if len(word) <= 3 else 2 if len(word) <= 7 else 3
    scored = []
    for rank, cand in enumerate(candidates):
        if cand == word or abs(len(cand) - len(word)) > limit:
            continue
        dist = 0 if cand.lower() == word.lower() else edit_distance(word.lower(), cand.lower())
        if dist <= limit:
            scored.append((dist, rank, cand))
    scored.sort()
    return [c for _, _, c in scored[:n]]


def _edits1(word: str, alphabet: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in alphabet]
    inserts = [a + c + b for a, b in splits for c in alphabet]
    return set(deletes + transposes + replaces + inserts)


def close_words(word: str, index: Mapping[str, int], n: int = 5) -> list[str]:
    """Vocabulary words within edit distance 2 of `word`, by (distance, frequency rank).

    `index` maps word -> rank (row in the frequency-sorted vocabulary).

    >>> close_words("kign", {"the": 0, "king": 1, "kind": 2})
    ['king', 'kind']
    """
    found: dict[str, int] = {}
    rank: dict[str, int] = {}
    lower = word.lower()

    def known(cands) -> dict[str, int]:
        # a stored lookup answers many candidates in one vectorised search (vectors/vocab.py)
        cands = [c for c in cands if c != word]
        if hasattr(index, "rows_of"):
            return index.rows_of(cands)
        return {c: index[c] for c in cands if c in index}

    for w, r in known({lower, word.capitalize(), word.upper()}).items():
        found[w], rank[w] = 0, r
    alphabet = "".join(sorted(set(string.ascii_lowercase) | set(lower)))
    e1 = _edits1(lower, alphabet)
    for w, r in known(e1).items():
        found.setdefault(w, 1)
        rank[w] = r
    if len(found) < n and len(word) >= 4:
        if hasattr(index, "rows_of"):
            e2 = {w for w1 in e1 for w in _edits1(w1, alphabet)} - set(found)
            for w, r in known(e2).items():
                found[w], rank[w] = 2, r
        else:  # a dict: test each candidate as it is made (no set of ~10^5 strings)
            for w1 in e1:
                for w in _edits1(w1, alphabet):
                    if w in index and w != word and w not in found:
                        found[w], rank[w] = 2, index[w]
    return sorted(found, key=lambda w: (found[w], rank[w]))[:n]
