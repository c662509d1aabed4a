"""Labelled text for classifiers: the formats people have, read into (texts, labels).

    fasttext    __label__pos great film            (labels anywhere on the line; the first one counts)
    tsv         pos<TAB>great film                 (columns chosen by --label-column/--text-column or
                                                   a header such as GLUE's `sentence<TAB>label`)
    csv         pos,"great film"                   (same column rules; .csv files)
    label-text  1 great film                       (first word is the label: SST "stsa" files)
    dir         DIR/pos/*.txt DIR/neg/*.txt        (one sub-directory per label, one document per file)
    files       --data pos=good.txt --data neg=bad.txt   (one file per class, one text per line;
                                                   without LABEL= the label is the file's name)

`auto` looks at the first lines and picks one of these; a format it cannot tell is a
one-line error asking for --data-format. Blank lines are skipped; CRLF is fine; the
encoding is UTF-8 unless --encoding says otherwise (the classic MR files are Latin-1).

>>> d = read_labelled(None, ["polarity"])          # gensim's bundled sample  # doctest: +SKIP
>>> len(d), d.classes                                                          # doctest: +SKIP
(200, ['neg', 'pos'])
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from wordshell.errors import BadInput, NotFound, UsageError
from wordshell.corpus.textio import read_lines

FORMATS = ("auto", "fasttext", "tsv", "csv", "label-text", "dir", "files")
HEADER_LABEL = ("label", "labels", "class", "category", "sentiment", "target", "y")
HEADER_TEXT = ("sentence", "text", "review", "document", "tweet", "content", "sentence1", "x")
SNIFF_LINES = 200


@dataclass
class Labelled:
    """Parallel lists of texts and their labels (strings), plus where they came from."""

    texts: list[str]
    labels: list[str]
    source: str = ""
    format: str = ""
    notes: list[str] = field(default_factory=list)
    name: str = ""          # what the user called it: a corpus name ('polarity') or the file's name

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels), key=label_key)

    def counts(self) -> dict[str, int]:
        c = Counter(self.labels)
        return {k: c[k] for k in self.classes}

    def subset(self, idx: list[int]) -> "Labelled":
        return Labelled([self.texts[i] for i in idx], [self.labels[i] for i in idx], self.source, self.format,
                        name=self.name)


def label_key(label: str):
    """Numeric labels sort as numbers ('2' before '10'), the rest alphabetically."""
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


# -- entry point ------------------------------------------------------------------

def read_labelled(store, specs: list[str] | tuple[str, ...], fmt: str = "auto", encoding: str | None = None,
                  label_column: str | None = None, text_column: str | None = None) -> Labelled:
    """Read one or more labelled sources (paths, 'LABEL=PATH', a directory, or a bundled corpus name).

    >>> read_labelled(None, ["pos=good.txt", "neg=bad.txt"]).classes   # doctest: +SKIP
    ['neg', 'pos']
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown data format {fmt!r}", "one of " + ", ".join(FORMATS))
    if not specs:
        raise UsageError("labelled data is required (--data FILE)")
    cols = (label_column, text_column)
    parts: list[Labelled] = []
    many = len(specs) > 1
    for spec in specs:
        label, path = _split_label(spec)
        path, spec_fmt, spec_enc = _locate(store, path)
        enc = encoding or spec_enc or "utf-8"
        f = fmt if fmt != "auto" else (spec_fmt or "auto")
        if path.is_dir():
            if f not in ("auto", "dir"):
                raise UsageError(f"{path} is a directory; --data-format {f} reads files")
            parts.append(_read_dir(path, enc))
            continue
        if f == "dir":
            raise UsageError(f"--data-format dir needs a directory, {path} is a file")
        if label is not None or f == "files":
            parts.append(_read_class_file(path, label, enc))
            continue
        if f == "auto":
            f = sniff(path, enc, allow_plain=many)
        if f == "files":  # plain lines in one of several files: the file is the class
            parts.append(_read_class_file(path, None, enc))
        else:
            parts.append(_read_file(path, f, enc, cols))
    data = _concat(parts)
    _labels_from_filenames(parts, data)
    data.name = ", ".join(s if not Path(s).expanduser().exists() and "=" not in s else Path(_split_label(s)[1]).name
                          for s in specs)
    if not data.texts:
        raise BadInput(f"no labelled examples in {data.source}")
    if "label-text" in data.format:
        check_first_word_labels(data)
    return data


# words a "label text" line starts with when it is not labelled at all, but plain text
FUNCTION_WORDS = frozenset("""a an the this that these those i you he she it we they my your his her its our their
and or but if so as at by for from in into of on to with without is are was were be been has have had do does did
not no there here what when where which who why how all some any one two""".split())


def check_first_word_labels(data: Labelled) -> None:
    """'label text' takes each line's first word as its label, so plain text reads as labelled data with
    a label per line start. Refuse what looks like that: more distinct labels than a tenth of the lines
    (and more than 10), or labels that are all ordinary English function words ('the', 'a', ...)."""
    counts = Counter(data.labels)
    n, k = len(data.labels), len(counts)
    examples = ", ".join(repr(lab) for lab, _ in counts.most_common(4))
    hint = ("a labelled file has `__label__X text`, `label<TAB>text` or `label text` lines; "
            "is this plain text? give --data-format if the labels are elsewhere")
    if k > max(10, n // 10):
        raise BadInput(f"{data.source} does not look labelled: taking the first word of each line as its "
                       f"label gives {k:,} different labels for {n:,} lines ({examples}, ...)", hint)
    if all(lab.lower() in FUNCTION_WORDS for lab in counts):
        raise BadInput(f"{data.source} does not look labelled: its 'labels' are ordinary words ({examples})", hint)


def _split_label(spec: str) -> tuple[str | None, str]:
    """'pos=good.txt' -> ('pos', 'good.txt'); a plain path -> (None, path)."""
    head, sep, tail = spec.partition("=")
    if sep and head and "/" not in head and not Path(spec).exists():
        return head, tail
    return None, spec


def _locate(store, spec: str) -> tuple[Path, str | None, str | None]:
    """(path, format hint, encoding hint) for a path or a bundled/registered corpus name ('polarity')."""
    p = Path(spec).expanduser()
    if p.exists():
        return p, None, None
    if store is not None:
        from wordshell.corpus import sources as corpora

        if corpora.validate_name_quiet(spec) and (spec in corpora.BUILTIN or corpora._registered(store, spec)):
            c = corpora.resolve(store, spec)
            if len(c.files) != 1:
                raise BadInput(f"corpus '{spec}' has {len(c.files)} files; give them as --data paths")
            enc = c.encoding  # corpora knows the bundled samples' encodings (polarity is cp1252)
            return c.files[0], ("fasttext" if c.format == "fasttext" else None), enc
    raise NotFound(f"no such file: {spec}")


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

def _read_file(path: Path, fmt: str, encoding: str, cols) -> Labelled:
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


def _read_class_file(path: Path, label: str | None, encoding: str) -> Labelled:
    texts = [ln.strip() for ln in read_lines(path, encoding) if ln.strip()]
    return Labelled(texts, [label or ""] * len(texts), str(path), "files")


def _read_dir(path: Path, encoding: str) -> Labelled:
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


def _concat(parts: list[Labelled]) -> Labelled:
    if len(parts) == 1:
        return parts[0]
    out = Labelled([], [], ", ".join(p.source for p in parts), "+".join(sorted({p.format for p in parts})))
    for p in parts:
        out.texts += p.texts
        out.labels += p.labels
    return out


def _labels_from_filenames(parts: list[Labelled], data: Labelled) -> None:
    """Class files without LABEL=: name each class after its file (stem, or suffix when stems clash)."""
    unnamed = [p for p in parts if p.format == "files" and p.labels and not p.labels[0]]
    if not unnamed:
        return
    paths = [Path(p.source) for p in unnamed]
    stems = [p.stem for p in paths]
    names = stems if len(set(stems)) == len(stems) else [p.suffix.lstrip(".") or p.name for p in paths]
    if len(set(names)) != len(names):
        names = [p.name for p in paths]
    by_source = dict(zip((str(p) for p in paths), names))
    i = 0
    for p in parts:
        n = len(p.texts)
        if any(p is u for u in unnamed):
            data.labels[i:i + n] = [by_source[p.source]] * n
        i += n
