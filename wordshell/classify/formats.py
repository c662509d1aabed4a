"""The labelled formats themselves: telling them apart (`sniff`) and reading each (see data.py).

    fasttext     __label__pos great film
    tsv / csv    columns by --label-column/--text-column, a header (GLUE's `sentence<TAB>label`), or a guess
    label-text   1 great film
    files        one text per line, the label is the file's
    dir          DIR/<label>/*.txt, one document per file
"""

from __future__ import annotations

import csv
from collections import Counter
from itertools import islice
from pathlib import Path

from wordshell.classify.labelled import Labelled
from wordshell.corpus.textio import read_lines
from wordshell.errors import BadInput, UsageError

HEADER_LABEL = ("label", "labels", "class", "category", "sentiment", "target", "y")
HEADER_TEXT = ("sentence", "text", "review", "document", "tweet", "content", "sentence1", "x")
SNIFF_LINES = 200


# -- format detection ---------------------------------------------------------------

def sniff(path: Path, encoding: str, allow_plain: bool = False) -> str:
    """Guess the format of a labelled file from its first lines."""
    sample = [ln for ln in islice(read_lines(path, encoding), SNIFF_LINES * 2) if ln.strip()][:SNIFF_LINES]
    if not sample:
        raise BadInput(f"{path} holds no text")
    n = len(sample)
    if sum("__label__" in ln for ln in sample) >= 0.9 * n:
        return "fasttext"
    if sum("\t" in ln for ln in sample) >= 0.9 * n:
        return "tsv"
    if path.suffix.lower() == ".csv":
        return "csv"
    if allow_plain:
        return "files"
    firsts = Counter(ln.split(None, 1)[0] for ln in sample)
    limit = max(2, min(100, n // 3))
    if len(firsts) <= limit and all(len(w) <= 40 for w in firsts):
        return "label-text"
    raise BadInput(f"cannot tell which part of each line of {path} is the label",
                   "expected `__label__X text`, `label<TAB>text` or `label text` lines; "
                   "give --data-format (fasttext, tsv, csv, label-text, files, dir)")


# -- readers ------------------------------------------------------------------------

def read_file(path: Path, fmt: str, encoding: str, cols) -> Labelled:
    texts: list[str] = []
    labels: list[str] = []
    lines = read_lines(path, encoding)
    if fmt == "fasttext":
        for no, line in enumerate(lines, 1):
            if not line.strip():
                continue
            words = line.split()
            tags = [w for w in words if w.startswith("__label__")]
            if not tags or not tags[0][9:]:
                raise BadInput(f"{path}, line {no}: no __label__ tag", "expected `__label__X text`")
            labels.append(tags[0][9:])
            texts.append(" ".join(w for w in words if not w.startswith("__label__")))
    elif fmt == "label-text":
        for line in lines:
            if line.strip():
                label, _, text = line.strip().partition(" ")
                labels.append(label)
                texts.append(text.strip())
    elif fmt in ("tsv", "csv"):
        rows = csv.reader(lines) if fmt == "csv" else (ln.split("\t") for ln in lines)
        _read_columns(path, rows, cols, texts, labels)
    else:
        raise UsageError(f"unknown data format {fmt!r}")
    return Labelled(texts, labels, str(path), fmt)


def _read_columns(path: Path, rows, cols, texts: list[str], labels: list[str]) -> None:
    """Rows of fields -> (text, label), with a header when the first row names the columns."""
    rows = (r for r in rows if any(f.strip() for f in r))
    first = next(rows, None)
    if first is None:
        return
    names = [f.strip().lower() for f in first]
    header = any(n in HEADER_LABEL or n in HEADER_TEXT for n in names)
    li, ti = _columns(path, names if header else None, first if not header else None, rows, cols)
    pending = [] if header else [first]
    for no, row in enumerate(_chain(pending, rows), 2 if header else 1):
        if len(row) <= max(li, ti):
            raise BadInput(f"{path}, row {no}: {len(row)} column(s), expected at least {max(li, ti) + 1}",
                           "check --label-column/--text-column")
        labels.append(row[li].strip())
        texts.append(row[ti].strip())


def _chain(first: list, rest):
    yield from first
    yield from rest


def _columns(path: Path, names, first_row, rows, cols) -> tuple[int, int]:
    """0-based (label, text) column indices from the options, a header, or a guess."""
    label_opt, text_opt = cols

    def pick(opt, what):
        if opt is None:
            return None
        if str(opt).isdigit():
            i = int(opt) - 1  # 1-based, like cut -f
            if i < 0:
                raise UsageError(f"--{what}-column counts from 1")
            return i
        if names is None or opt.lower() not in names:
            raise UsageError(f"no column named {opt!r} in {path}",
                             f"columns: {', '.join(names)}" if names else "the file has no header; give a number")
        return names.index(opt.lower())

    li, ti = pick(label_opt, "label"), pick(text_opt, "text")
    if names is not None:
        if li is None:
            li = next((i for i, n in enumerate(names) if n in HEADER_LABEL), None)
        if ti is None:
            ti = next((i for i, n in enumerate(names) if n in HEADER_TEXT and i != li), None)
    if li is None and ti is None:
        li, ti = 0, 1  # the common `label<TAB>text`
        if first_row is not None and len(first_row) == 2:
            # `text<TAB>label` (GLUE without header): the label is the short, repeated field
            a, b = first_row[0].strip(), first_row[1].strip()
            if len(a.split()) > 1 and len(b.split()) == 1:
                li, ti = 1, 0
    elif li is None:
        li = 0 if ti != 0 else 1
    elif ti is None:
        ti = 1 if li == 0 else 0
    if li == ti:
        raise UsageError("the label and text columns must differ")
    return li, ti


def read_class_file(path: Path, label: str | None, encoding: str) -> Labelled:
    texts = [ln.strip() for ln in read_lines(path, encoding) if ln.strip()]
    return Labelled(texts, [label or ""] * len(texts), str(path), "files")


def read_dir(path: Path, encoding: str) -> Labelled:
    subdirs = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not subdirs:
        raise BadInput(f"{path} has no sub-directories", "for --data-format dir: one folder per label")
    texts: list[str] = []
    labels: list[str] = []
    for d in subdirs:
        for f in sorted(f for f in d.rglob("*") if f.is_file() and not f.name.startswith(".")):
            text = " ".join(ln.strip() for ln in read_lines(f, encoding) if ln.strip())
            if text:
                texts.append(text)
                labels.append(d.name)
    return Labelled(texts, labels, str(path), "dir")
