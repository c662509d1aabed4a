"""Span tag schemes: IOB1, IOB2, BIOES; spans the CoNLL way; conversions; which moves are allowed.

    IOB1   I-X inside a span; B-X only where a span directly follows another of the same type
    IOB2   B-X starts every span, I-X continues it
    BIOES  B-X begins, I-X continues, E-X ends a span of 2+ tokens; S-X is a span of one token

A span is (type, start, end) with `end` exclusive. `spans` reads any of the three the way conlleval
(and seqeval's default mode) does, so a sequence that breaks its scheme (I-X after O) still reads
as spans. The tagger trains on BIOES (its CRF learns the ends of spans too) and writes its answers
back in the user's scheme.

>>> tags = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC"]           # IOB1, as in CoNLL-2003
>>> spans(tags)
[('PER', 0, 2), ('LOC', 3, 4), ('LOC', 4, 5)]
>>> convert(tags, "iob1", "bioes")
['B-PER', 'E-PER', 'O', 'S-LOC', 'S-LOC']
>>> convert(convert(tags, "iob1", "iob2"), "iob2", "iob1") == tags
True
"""

from __future__ import annotations

import re
from typing import Sequence

from wordshell.errors import BadInput

SCHEMES = ("iob1", "iob2", "bioes")
_SPAN_TAG = re.compile(r"^[BIES]-\S+$")


def split(tag: str) -> tuple[str, str]:
    """'B-PER' -> ('B', 'PER'); 'O' -> ('O', '')."""
    if tag == "O" or len(tag) < 3 or tag[1] != "-":
        return "O", ""
    return tag[0], tag[2:]


def _ends(prev: str, tag: str, prev_type: str, typ: str) -> bool:
    """Does the span open at the previous token end before this one? (conlleval's endOfChunk)"""
    if prev in ("E", "S"):
        return True
    if prev in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev != "O" and prev_type != typ


def _starts(prev: str, tag: str, prev_type: str, typ: str) -> bool:
    """Does a span start at this token? (conlleval's startOfChunk)"""
    if tag in ("B", "S"):
        return True
    if prev in ("E", "S", "O") and tag in ("E", "I"):
        return True
    return tag != "O" and prev_type != typ


def spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """(type, start, end) of every span in `tags` (any scheme), read the CoNLL way."""
    out, start, prev, prev_type = [], None, "O", ""
    for i, t in enumerate([*tags, "O"]):
        tag, typ = split(t)
        if start is not None and _ends(prev, tag, prev_type, typ):
            out.append((prev_type, start, i))
            start = None
        if _starts(prev, tag, prev_type, typ):
            start = i
        prev, prev_type = tag, typ
    return out


def from_spans(found: Sequence[tuple[str, int, int]], n: int, scheme: str) -> list[str]:
    """Tags of length `n` in `scheme` for non-overlapping spans."""
    tags = ["O"] * n
    last_end, last_type = -1, None
    for typ, s, e in sorted(found, key=lambda x: x[1]):
        for i in range(s, e):
            tags[i] = "I-" + typ
        if scheme == "iob2":
            tags[s] = "B-" + typ
        elif scheme == "iob1":
            if last_end == s and last_type == typ:  # B- only to part two adjacent spans of one type
                tags[s] = "B-" + typ
        elif scheme == "bioes":
            if e - s == 1:
                tags[s] = "S-" + typ
            else:
                tags[s], tags[e - 1] = "B-" + typ, "E-" + typ
        else:
            raise BadInput(f"unknown tag scheme {scheme!r}", "choose " + ", ".join(SCHEMES))
        last_end, last_type = e, typ
    return tags


def convert(tags: Sequence[str], src: str, dst: str) -> list[str]:
    """`tags` written in scheme `dst` (`src` is read the CoNLL way, whatever it is)."""
    if src == dst:
        return list(tags)
    return from_spans(spans(tags), len(tags), dst)


def is_span_tagset(tagset: Sequence[str]) -> bool:
    """True when every tag is 'O' or PREFIX-TYPE with PREFIX in B, I, E, S (and one is not 'O')."""
    tagset = set(tagset)
    return bool(tagset - {"O"}) and all(t == "O" or _SPAN_TAG.match(t) for t in tagset)


def detect(sentences: Sequence[Sequence[str]]) -> str | None:
    """The scheme of tagged sentences: None (not span tags: POS and the like), iob1, iob2 or bioes.

    >>> detect([["B-PER", "I-PER", "O"]]), detect([["I-PER", "O"]]), detect([["S-PER", "O"]]), detect([["NOUN"]])
    ('iob2', 'iob1', 'bioes', None)
    """
    tagset = {t for s in sentences for t in s}
    if not is_span_tagset(tagset):
        return None
    if any(t[0] in "ES" for t in tagset if t != "O"):
        return "bioes"
    for sent in sentences:  # IOB1 lets a span start with I-: does any?
        prev, prev_type = "O", ""
        for t in sent:
            tag, typ = split(t)
            if tag == "I" and (prev == "O" or prev_type != typ):
                return "iob1"
            prev, prev_type = tag, typ
    return "iob2"


def check(sentences: Sequence[Sequence[str]], scheme: str, source: str = "the data") -> None:
    """BadInput when tags do not follow `scheme` (a user's --scheme that does not fit the file)."""
    if scheme not in SCHEMES:
        raise BadInput(f"unknown tag scheme {scheme!r}", "choose " + ", ".join(SCHEMES))
    tagset = {t for s in sentences for t in s}
    if not is_span_tagset(tagset):
        bad = sorted(t for t in tagset if t != "O" and not _SPAN_TAG.match(t))[:3]
        raise BadInput(f"{source}: tags like {', '.join(bad)} are not {scheme.upper()} span tags",
                       "leave out --scheme for tags without spans (POS)")
    if scheme != "bioes" and any(t[0] in "ES" for t in tagset if t != "O"):
        raise BadInput(f"{source} has E-/S- tags: it is BIOES, not {scheme.upper()}", "use --scheme bioes")


# -- which moves a span scheme allows (the CRF's constraints) --------------------------

def allowed(prev: str | None, tag: str, scheme: str) -> bool:
    """May `tag` follow `prev` (None = the sentence start; tag None = the sentence end)?"""
    p, pt = split(prev) if prev is not None else ("O", "")
    if tag is None:  # the end
        return scheme != "bioes" or p in ("O", "E", "S")
    t, tt = split(tag)
    if scheme == "bioes":
        if t in ("I", "E"):
            return p in ("B", "I") and pt == tt
        return p in ("O", "E", "S")  # O, B, S need the previous span closed
    if scheme == "iob2":
        return t != "I" or (p in ("B", "I") and pt == tt)
    if scheme == "iob1":
        return t != "B" or (p in ("B", "I") and pt == tt)  # B- only right after a span of its type
    return True
