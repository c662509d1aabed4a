"""What a word map shows: points (word, group, vector), arrows between them, notes.

Built from the command's arguments (`words_map`) or an analogy (`analogy_map`), then
projected to 2-D (`WordMap.project`) and handed to a renderer (terminal.py, image.py).

>>> from wordshell.plots.wordmap import parse_group, parse_pairs
>>> parse_group("countries: france, italy germany", 1)
('countries', ['france', 'italy', 'germany'])
>>> parse_pairs(["france:paris italy:rome"])
[('france', 'paris'), ('italy', 'rome')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from wordshell.errors import UnknownWord, UsageError
from wordshell.plots.projection import Projection, project, unit_rows


@dataclass
class Point:
    label: str                  # the word as typed (or an expression, for the analogy's target)
    group: str = ""             # legend entry; "" = ungrouped
    marker: str = "o"           # "o" a word, "*" a highlighted word, "x" a computed point
    x: float = 0.0
    y: float = 0.0


@dataclass
class Arrow:
    start: int                  # index into WordMap.points
    end: int
    dashed: bool = False


@dataclass
class WordMap:
    points: list[Point] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)   # (D,) per point
    arrows: list[Arrow] = field(default_factory=list)
    title: str = ""
    axes: tuple[str, str] = ("x", "y")
    notes: list[str] = field(default_factory=list)
    as_is: set[int] = field(default_factory=set)  # points already in the plotted space (not unit-scaled)

    def add(self, label: str, vector: np.ndarray, group: str = "", marker: str = "o") -> int:
        self.points.append(Point(label, group, marker))
        self.vectors.append(np.asarray(vector, dtype=np.float64))
        return len(self.points) - 1

    @property
    def groups(self) -> list[str]:
        """Group names in order of first appearance ("" included if present)."""
        return list(dict.fromkeys(p.group for p in self.points))

    def project(self, method: str = "pca", seed: int = 0, perplexity: float | None = None,
                unit: bool = True) -> Projection:
        X = np.stack(self.vectors)                              # (n, D)
        if unit:
            U = unit_rows(X)
            keep = sorted(self.as_is)
            U[keep] = X[keep]
            X = U
        proj = project(X, method, seed, perplexity)
        for p, (x, y) in zip(self.points, proj.coords):
            p.x, p.y = float(x), float(y)
        self.axes = proj.axes
        self.notes.append(proj.note)
        return proj

    def rows(self) -> list[tuple[str, float, float, str]]:
        return [(p.label, p.x, p.y, p.group) for p in self.points]


_SPLIT = re.compile(r"[\s,]+")


def split_words(text: str) -> list[str]:
    return [w for w in _SPLIT.split(text.strip()) if w]


def parse_group(spec: str, number: int) -> tuple[str, list[str]]:
    """'countries: france italy' -> ('countries', [...]); without a name: ('group N', [...])."""
    name, colon, rest = spec.partition(":")
    if not colon:
        name, rest = f"group {number}", spec
    words = split_words(rest)
    if not name.strip() or not words:
        raise UsageError(f"bad --group {spec!r}", "write --group 'NAME: word word ...'")
    return name.strip(), words


def parse_pairs(specs: Sequence[str]) -> list[tuple[str, str]]:
    """'a:b c:d' (one or several per value) -> [(a, b), (c, d)]."""
    pairs = []
    for spec in specs:
        for item in split_words(spec):
            a, _, b = item.partition(":")
            if not a or not b or ":" in b:
                raise UsageError(f"bad pair {item!r}", "write FROM:TO, e.g. france:paris")
            pairs.append((a, b))
    return pairs


class _Lookup:
    """Vectors for words, collecting the unknown ones instead of failing at the first."""

    def __init__(self, kv):
        self.kv = kv
        self.unknown: dict[str, UnknownWord] = {}
        self.oov: list[str] = []

    def get(self, word: str) -> np.ndarray | None:
        try:
            v = self.kv.get(word)
        except UnknownWord as e:
            self.unknown.setdefault(word, e)
            return None
        if not self.kv.has(word) and word not in self.oov:
            self.oov.append(word)   # FastText: built from character n-grams
        return v

    def check(self, skip: bool, notes: list[str]) -> None:
        """Raise for unknown words (all named), or note them with --skip-unknown."""
        if not self.unknown:
            return
        described = [w + (f" (did you mean: {', '.join(e.suggestions)}?)" if e.suggestions else "")
                     for w, e in self.unknown.items()]
        if not skip:
            first = next(iter(self.unknown.values()))
            others = described[1:]
            hint = first.hint or ""
            if others:
                hint += ("; " if hint else "") + "also unknown: " + ", ".join(others)
            first.hint = hint + ("; " if hint else "") + "--skip-unknown plots the others"
            raise first
        notes.append(f"left out (not in the vocabulary of '{self.kv.name}'): " + ", ".join(described))

    def oov_note(self, notes: list[str]) -> None:
        if self.oov:
            notes.append("built from character n-grams (not in the vocabulary): " + ", ".join(self.oov))


def words_map(kv, words: Sequence[str] = (), groups: Sequence[str] = (), pairs: Sequence[str] = (),
              neighbours: Sequence[str] = (), top: int = 20, skip_unknown: bool = False) -> WordMap:
    """Collect the points and arrows of `plot words` (not yet projected).

    A word typed as FROM:TO among `words` is a pair, like --pairs FROM:TO.
    """
    plain = [w for w in words if ":" not in w]
    pair_list = parse_pairs([w for w in words if ":" in w] + list(pairs))
    entries: dict[str, list] = {}          # word -> [group, marker], in order of first mention

    def mention(word: str, group: str = "", marker: str = "o") -> None:
        e = entries.setdefault(word, [group, marker])
        if group and not e[0]:
            e[0] = group                     # a group is more specific than a bare mention
        if marker == "*":
            e[1] = "*"

    for w in plain:
        mention(w)
    for i, spec in enumerate(groups, 1):
        name, ws = parse_group(spec, i)
        for w in ws:
            mention(w, name)
    for a, b in pair_list:
        mention(a)
        mention(b)
    look = _Lookup(kv)
    wm = WordMap()
    for centre in neighbours:
        if look.get(centre) is None:
            continue
        mention(centre, f"near {centre}", "*")
        for w, _ in kv.most_similar([centre], topn=top):
            mention(w, f"near {centre}")
    if not entries and not look.unknown:
        raise UsageError("nothing to plot", "give words, --group, --pairs or --neighbours WORD")
    index = {}
    for w, (group, marker) in entries.items():
        v = look.get(w)
        if v is not None:
            index[w] = wm.add(w, v, group, marker)
    look.check(skip_unknown, wm.notes)
    for a, b in pair_list:
        if a in index and b in index:
            wm.arrows.append(Arrow(index[a], index[b]))
    if len(wm.points) < 2:
        raise UsageError(f"need at least 2 known words to plot, got {len(wm.points)}")
    look.oov_note(wm.notes)
    return wm


def analogy_roles(positive: Sequence[str], negative: Sequence[str]) -> tuple[str, str, str]:
    """'b - a + c' (positive [b, c], negative [a]) -> (a, b, c): a is to b as c is to ?"""
    if len(positive) != 2 or len(negative) != 1:
        raise UsageError("plot analogy needs three words: 'b - a + c' or 'a:b::c:?'",
                         "e.g. plot analogy 'king - man + woman'")
    return negative[0], positive[0], positive[1]


def analogy_map(kv, positive: Sequence[str], negative: Sequence[str], top: int = 1,
                unit: bool = True) -> WordMap:
    """a, b, c, the 3CosAdd answer (and the next candidates), and the point b - a + c.

    Arrows: a -> b, c -> answer (solid) and c -> (b - a + c) (dashed): the dashed one is
    a -> b moved to start at c, so it is exactly parallel and as long; the answer is the
    word whose direction is closest to its end point.
    """
    a, b, c = analogy_roles(positive, negative)
    look = _Lookup(kv)
    va, vb, vc = (look.get(w) for w in (a, b, c))
    look.check(False, [])
    query, exclude = kv.mean_query(positive, negative)
    best = kv.top(kv.scores(query), top, exclude)
    if not best:
        raise UsageError("no candidate answer: the vocabulary has only the query words")
    wm = WordMap()
    ia, ib, ic = (wm.add(w, v, "input") for w, v in ((a, va), (b, vb), (c, vc)))
    answer, score = best[0]
    ians = wm.add(answer, kv.get(answer), "answer", "*")
    for w, _ in best[1:]:
        wm.add(w, kv.get(w), "candidates")
    # the arithmetic point, in the same space as the plotted vectors
    ua, ub, uc = (unit_rows(v[None])[0] if unit else v for v in (va, vb, vc))
    target = ub - ua + uc
    expr = f"{b} - {a} + {c}"
    it = wm.add(expr, target, "arithmetic", "x")
    wm.as_is.add(it)                           # already in unit space: project it as it is
    wm.arrows += [Arrow(ia, ib), Arrow(ic, ians), Arrow(ic, it, dashed=True)]
    wm.title = f"{a} : {b} :: {c} : {answer}"
    wm.notes.append(f"3CosAdd answer: {answer} (cosine {score:.3f}); the dashed arrow is {a} -> {b} "
                    f"moved to start at {c}, ending at {expr}")
    look.oov_note(wm.notes)
    return wm
