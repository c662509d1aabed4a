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

from collections import Counter
from pathlib import Path

from wordshell.classify.formats import read_class_file, read_dir, read_file, sniff
from wordshell.classify.labelled import Labelled
from wordshell.errors import BadInput, NotFound, UsageError

FORMATS = ("auto", "fasttext", "tsv", "csv", "label-text", "dir", "files")


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
            parts.append(read_dir(path, enc))
            continue
        if f == "dir":
            raise UsageError(f"--data-format dir needs a directory, {path} is a file")
        if label is not None or f == "files":
            parts.append(read_class_file(path, label, enc))
            continue
        if f == "auto":
            f = sniff(path, enc, allow_plain=many)
        if f == "files":  # plain lines in one of several files: the file is the class
            parts.append(read_class_file(path, None, enc))
        else:
            parts.append(read_file(path, f, enc, cols))
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
