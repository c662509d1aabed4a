"""Tagging a stream of input in batches, in input order, with flat memory (the `tag` command's engine).

    records(tagger, lines, ...)        raw text, one sentence a line -> per line {text, words (with
                                       character offsets), tags, probs}; a blank line stays blank
    conll_lines(tagger, lines, ...)    CoNLL-U or column input -> the same lines with the model's tags in

A batch of `size` lines is read, tagged and handed on before the next is read. Peak RSS of `tag` on the
POS model of bench/ (numpy path): 113 MB for 10,000 lines, 115 MB for 40,000, 116 MB for 80,000, with
glibc's default allocator. (Blocks over 64 KiB served by mmap, as with the torch path before, cost a page
fault per 4 KiB of every fresh tensor: 3 s of system time in a 10,000-line run.)
"""

from __future__ import annotations

from itertools import islice
from typing import Iterable, Iterator

from wordshell.errors import BadInput
from wordshell.tag.data import CONLLU_COLUMN, read_lines
from wordshell.tag.predict import tokenize
from wordshell.tag.schemes import spans


def entities(words: list[tuple[str, int, int]], tags: list[str], text: str | None = None) -> list[dict]:
    """The spans of `tags` with token offsets [start, end) and, for raw text, character offsets.

    >>> entities([("Ada", 0, 3), ("Lovelace", 4, 12), ("wrote", 13, 18)], ["B-PER", "I-PER", "O"], "Ada Lovelace wrote")
    [{'type': 'PER', 'start': 0, 'end': 2, 'char_start': 0, 'char_end': 12, 'text': 'Ada Lovelace'}]
    """
    out = []
    for typ, s, e in spans(tags):
        cs, ce = words[s][1], words[e - 1][2]
        out.append({"type": typ, "start": s, "end": e, "char_start": cs, "char_end": ce,
                    "text": text[cs:ce] if text is not None else " ".join(w for w, _, _ in words[s:e])})
    return out


def records(tagger, lines: Iterable[str], split: str, probs: bool, size: int, threads: int,
            offsets: bool = True) -> Iterator[list[dict]]:
    """Batches of {"text", "words": [(word, start, end)], "tags", "probs"}, one per input line, in order.
    `offsets=False`: start and end are None (output that shows none: tokenising is twice as fast)."""
    lines = iter(lines)
    first = True
    while True:
        batch = list(islice(lines, size))
        if not batch:
            if first:  # zero lines in: an empty file or a pipe that produced nothing
                raise BadInput("no input: there were no lines to tag")
            return
        first = False
        words = [tokenize(t, split, offsets) for t in batch]
        for w in words:
            if len(w) > tagger.max_tokens:
                raise BadInput(f"a line has {len(w):,} words, over the model's limit of {tagger.max_tokens:,}",
                               "split it into sentences")
        tags, p = tagger.tag([[x for x, _, _ in w] for w in words], probs, threads)
        yield [{"text": t, "words": w, "tags": g, "probs": p[i] if p else None}
               for i, (t, w, g) in enumerate(zip(batch, words, tags))]


def conll_lines(tagger, lines: Iterable[str], fmt: str, probs: bool, size: int, threads: int,
                name: str = "<input>") -> Iterator[list[str]]:
    """Batches of output lines: each input sentence rewritten with the predicted tags, then a blank line.

    conllu: the model's field (upos, xpos or feats; else MISC gets Tag=...) is replaced on each word line;
    conll: the predicted tag is added as a last column (and its probability with --probs)."""
    field = (tagger.meta.get("data") or {}).get("field")
    col = CONLLU_COLUMN.get(field)
    sents = read_lines(_with_blank_end(lines), name, fmt, None, 0, tagger.max_tokens)
    empty = True
    while True:
        batch = list(islice(sents, size))
        if not batch:
            if empty:
                raise BadInput("no input: there were no sentences to tag")
            return
        empty = False
        tags, p = tagger.tag([s.words for s in batch], probs, threads)
        out = []
        for k, s in enumerate(batch):
            lines_out = list(s.lines)
            for j, i in enumerate(s.token_lines):
                tag = tags[k][j]
                if fmt == "conllu":
                    f = lines_out[i].split("\t")
                    if col is not None:
                        f[col] = tag
                    else:
                        f[9] = f"Tag={tag}" if f[9] == "_" else f"{f[9]}|Tag={tag}"
                    lines_out[i] = "\t".join(f)
                else:
                    sep = "\t" if "\t" in lines_out[i] else " "
                    lines_out[i] = lines_out[i] + sep + tag + (f"{sep}{p[k][j]:.4f}" if p else "")
            out.extend(lines_out)
            out.append("")
        yield out


def _with_blank_end(lines: Iterable[str]) -> Iterator[str]:
    yield from lines
    yield ""
