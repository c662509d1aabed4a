"""Tagged sentences from the formats people have: CoNLL-U, CoNLL columns, "word<TAB>tag" lines.

    conllu   UD treebanks; the tag is --tags upos | xpos | feats. Read with the `conllu` library.
             Multiword tokens (`1-2  don't`) are skipped: their words (`1 do`, `2 n't`) carry
             the tags. Empty nodes (`8.1`) are skipped: they belong to the enhanced graph, not to
             the sentence's words.
    conll    whitespace-separated columns, the word first (CoNLL-2003 `word POS chunk NER`,
             CoNLL-2000 `word POS chunk`, or `word<TAB>tag`); --column N picks the tag column
             (1-based; default the last). `-DOCSTART-` lines are skipped.

Sentences are separated by blank lines. Every line of a file must have as many columns as the
first; a sentence over `max_tokens` words is refused (one line naming file and line).

>>> lines = ["# text = Hi there", "1\\tHi\\thi\\tINTJ\\tUH\\t_\\t0\\troot\\t_\\t_",
...          "2\\tthere\\tthere\\tADV\\tRB\\t_\\t1\\tadvmod\\t_\\t_", ""]
>>> [(s.words, s.tags) for s in read_lines(lines, "x.conllu", "conllu", "upos")]
[(['Hi', 'there'], ['INTJ', 'ADV'])]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

from wordshell.errors import BadInput, UsageError

FORMATS = ("auto", "conllu", "conll")
TAG_FIELDS = ("upos", "xpos", "feats")
CONLLU_COLUMN = {"upos": 3, "xpos": 4, "feats": 5}   # 0-based column of each field in a CoNLL-U line
MAX_TOKENS = 500
# tagged samples shipped in wordshell/data (with their licence beside them), usable by name
BUNDLED = {"ewt-sample": "ewt-sample.tsv"}


@dataclass
class Sentence:
    words: list[str]
    tags: list[str] | None       # None when the input has no tags (tagging plain CoNLL-U)
    lines: list[str]             # the block as read (comments included): `tag --format conllu` rewrites it
    lineno: int                  # line number of the block's first line
    token_lines: list[int] = field(default_factory=list)   # index in `lines` of each word's line


@dataclass
class Tagged:
    """Sentences with gold tags, from one or more files."""

    words: list[list[str]]
    tags: list[list[str]]
    source: str
    format: str                  # conllu | conll
    field: str                   # upos | xpos | feats | column N

    def __len__(self) -> int:
        return len(self.words)

    @property
    def tokens(self) -> int:
        return sum(len(w) for w in self.words)

    def tagset(self) -> list[str]:
        return sorted({t for s in self.tags for t in s})


# -- blocks of lines -------------------------------------------------------------------

def blocks(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of each blank-line-separated block."""
    block: list[str] = []
    start = 0
    for n, line in enumerate(lines, 1):
        if line.strip():
            if not block:
                start = n
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def detect_format(first_lines: Sequence[str], name: str = "") -> str:
    """conllu when the file is named *.conllu or its first word line has 10 tab fields and a number first."""
    if name.endswith((".conllu", ".conllu.gz", ".conllu.bz2", ".conllu.xz")):
        return "conllu"
    for line in first_lines:
        if line.strip() and not line.startswith("#"):
            f = line.split("\t")
            return "conllu" if len(f) == 10 and f[0].split("-")[0].split(".")[0].isdigit() else "conll"
    return "conll"


def conllu_sentence(block: list[str], name: str, lineno: int, field: str | None) -> Sentence:
    """One CoNLL-U sentence: its words (multiword ranges and empty nodes left out) and their tags."""
    from conllu import parse_token_and_metadata
    from conllu.exceptions import ParseException

    token_lines = []
    for i, line in enumerate(block):
        if line.startswith("#"):
            continue
        n = line.count("\t") + 1
        if n != 10:
            raise BadInput(f"{name}: line {lineno + i} has {n} columns; CoNLL-U has 10 (tab-separated)")
        token_lines.append(i)
    try:
        toks = parse_token_and_metadata("\n".join(block))
    except ParseException as e:
        raise BadInput(f"{name}: cannot read the sentence at line {lineno}: {e}") from None
    words, tags, keep = [], [], []
    for tok, i in zip(toks, token_lines):
        if not isinstance(tok["id"], int):  # (1, '-', 2): a multiword token; (8, '.', 1): an empty node
            continue
        words.append(tok["form"])
        keep.append(i)
        if field is not None:
            tags.append(_field_value(tok, field))
    return Sentence(words, tags if field is not None else None, block, lineno, keep)


def _field_value(tok, field: str) -> str:
    v = tok[field]
    if field == "feats":
        return "|".join(f"{k}={val}" for k, val in v.items()) if v else "_"
    return v if v is not None else "_"


def column_sentence(block: list[str], name: str, lineno: int, column: int | None, ncols: list) -> Sentence | None:
    """One sentence of a column file; `column` 1-based (None: the last; 0: no tags, words only).
    `ncols` holds the file's column count (set by its first line). None for a -DOCSTART- block."""
    words, tags, keep = [], [], []
    for i, line in enumerate(block):
        f = line.split()
        if f[0] == "-DOCSTART-":
            continue
        if not ncols:
            ncols.append(len(f))
            if column and column > len(f):
                raise UsageError(f"--column {column}: {name} has {len(f)} columns")
            if column is None and len(f) < 2:
                raise BadInput(f"{name}: line {lineno + i} has one column: no tags to learn from",
                               "tagged data has the word first and a tag column (word<TAB>tag)")
        elif len(f) != ncols[0]:
            raise BadInput(f"{name}: line {lineno + i} has {len(f)} columns, the lines before it {ncols[0]}")
        words.append(f[0])
        keep.append(i)
        if column != 0:
            tags.append(f[(column or len(f)) - 1])
    if not words:
        return None
    return Sentence(words, tags if column != 0 else None, block, lineno, keep)


def read_lines(lines: Iterable[str], name: str, fmt: str, field: str | None = "upos", column: int | None = None,
               max_tokens: int = MAX_TOKENS) -> Iterator[Sentence]:
    """The sentences of one stream of lines in format `fmt` (conllu | conll)."""
    ncols: list[int] = []
    for lineno, block in blocks(lines):
        if fmt == "conllu":
            s = conllu_sentence(block, name, lineno, field)
        else:
            s = column_sentence(block, name, lineno, column, ncols)
        if s is None:
            continue
        if len(s.words) > max_tokens:
            raise BadInput(f"{name}: the sentence at line {lineno} has {len(s.words):,} words, over the limit "
                           f"of {max_tokens:,}", "raise --max-tokens, or split the sentence")
        yield s


def read_tagged(store, specs: Sequence[str], fmt: str = "auto", field: str = "upos", column: int | None = None,
                encoding: str | None = None, max_tokens: int = MAX_TOKENS) -> Tagged:
    """Every sentence of the files (or catalog/workspace corpora) named by `specs`, with gold tags."""
    from wordshell.corpus import textio

    if fmt not in FORMATS:
        raise UsageError(f"unknown data format {fmt!r}", "choose " + ", ".join(FORMATS))
    if field not in TAG_FIELDS:
        raise UsageError(f"unknown tag field {field!r}", "choose " + ", ".join(TAG_FIELDS))
    words, tags, formats = [], [], set()
    for path, enc in _files(store, specs, encoding):
        head = []
        for line in textio.read_lines(path, enc):
            head.append(line)
            if len(head) >= 50:
                break
        f = detect_format(head, str(path)) if fmt == "auto" else fmt
        formats.add(f)
        for s in read_lines(textio.read_lines(path, enc), str(path), f, field, column, max_tokens):
            words.append(s.words)
            tags.append(s.tags)
    source = ", ".join(specs)
    if not words:
        raise BadInput(f"no tagged sentences in {source}")
    if len(formats) > 1:
        raise BadInput(f"{source} mixes CoNLL-U and column files", "give files of one format")
    f = formats.pop()
    return Tagged(words, tags, source, f, field if f == "conllu" else f"column {column or 'last'}")


def _files(store, specs: Sequence[str], encoding: str | None):
    """(path, encoding) of each file: a path, directory or glob, else a corpus name (catalog downloads too)."""
    from pathlib import Path

    from wordshell.corpus.textio import expand_paths

    for spec in specs:
        if spec in BUNDLED:
            yield Path(__file__).resolve().parent.parent / "data" / BUNDLED[spec], "utf-8"
            continue
        p = Path(spec).expanduser()
        if p.exists() or any(c in spec for c in "*?["):
            for f in expand_paths(spec):
                yield f, encoding or "utf-8"
            continue
        from wordshell.corpus.sources import resolve

        corpus = resolve(store, spec, encoding=encoding)
        for f in corpus.files:
            yield f, encoding or corpus.encoding
