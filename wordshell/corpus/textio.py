"""Reading text the way users hand it to us: plain, .gz, .bz2, .xz, stdin; UTF-8 or a named encoding.

Every reader fails with one clear line (BadInput) on binary data or a wrong encoding,
naming the file and line, and never needs the whole file in memory: a line longer than
`max_chars` (text8 is one 100 MB line) is cut at whitespace into several pieces.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import sys
from pathlib import Path
from typing import IO, BinaryIO, Callable, Iterator

from wordshell.errors import BadInput, NotFound

MAX_CHARS = 1 << 20


def open_binary(path: str | os.PathLike) -> BinaryIO:
    """Open a file for reading bytes, decompressing by extension."""
    p = str(path)
    try:
        if p.endswith(".gz"):
            return gzip.open(p, "rb")
        if p.endswith(".bz2"):
            return bz2.open(p, "rb")
        if p.endswith((".xz", ".lzma")):
            return lzma.open(p, "rb")
        return open(p, "rb")
    except FileNotFoundError:
        raise NotFound(f"no such file: {p}") from None
    except IsADirectoryError:
        raise BadInput(f"{p} is a directory, not a file") from None
    except PermissionError:
        raise BadInput(f"cannot read {p}: permission denied") from None


def check_encoding(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise BadInput(f"unknown encoding {encoding!r}", "try utf-8 or latin-1") from None


def iter_lines(raw: BinaryIO, name: str, encoding: str = "utf-8", max_chars: int = MAX_CHARS,
               truncate: Callable[[int], None] | None = None) -> Iterator[str]:
    """Decoded lines without their line ending ('\\n' or '\\r\\n').

    Raises BadInput on a NUL byte in the first 8 KiB (binary file) or on bytes that are
    not valid in `encoding`, naming the line. Lines are split on b"\\n" before decoding,
    so this serves ASCII-compatible encodings (UTF-8, Latin-1, cp1252, ...). An over-long
    line is cut at a space byte into several lines (a corpus: text8 is one 100 MB line) or,
    given `truncate`, kept as ONE line of its first `max_chars` bytes, the rest skipped
    unread into memory, and `truncate(line_number)` called (records: one line in, one out).
    """
    encoding = check_encoding(encoding)
    if encoding.startswith(("utf-16", "utf-32")):
        raise BadInput(f"{name}: {encoding} input is not supported", "convert it to UTF-8 (iconv -t utf-8)")
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw, 1 << 16)  # type: ignore[arg-type]
    try:
        head = buffered.peek(8192)[:8192]
    except (OSError, EOFError, ValueError) as e:
        raise BadInput(f"cannot read {name}: {e}") from None
    if b"\x00" in head:
        raise BadInput(f"{name} looks like a binary file, not text")
    lineno = 0

    def decode(data: bytes, at: int | None = None) -> str:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as e:
            hint = "pass --encoding latin-1 (or the file's encoding)" if encoding == "utf-8" else None
            raise BadInput(f"{name}: not valid {encoding} text at line {lineno if at is None else at} "
                           f"(byte 0x{e.object[e.start]:02x})", hint) from None

    if truncate is not None:
        yield from _truncated_lines(buffered, name, decode, max_chars, truncate)
        return
    carry = b""
    try:
        while True:
            piece = buffered.readline(max_chars)
            if not piece:
                break
            if piece.endswith(b"\n"):
                lineno += 1
                line = carry + piece
                carry = b""
                yield decode(line[:-2] if line.endswith(b"\r\n") else line[:-1])
                continue
            # an over-long line (or the last one without a newline): emit up to its last space
            chunk = carry + piece
            if len(chunk) < max_chars:  # the end of the file
                carry = chunk
                continue
            cut = max(chunk.rfind(b" "), chunk.rfind(b"\t"))
            if cut <= 0:
                if len(chunk) >= 4 * max_chars:  # no whitespace at all: cut anyway (at a char start)
                    cut = len(chunk)
                    while cut > 0 and chunk[cut - 1] & 0xC0 == 0x80:
                        cut -= 1
                    yield decode(chunk[:cut])
                    carry = chunk[cut:]
                else:
                    carry = chunk
                continue
            yield decode(chunk[:cut])
            carry = chunk[cut + 1:]
        if carry:
            lineno += 1
            yield decode(carry[:-1] if carry.endswith(b"\r") else carry)
    except (OSError, EOFError, ValueError) as e:  # truncated .gz/.bz2, etc.
        raise BadInput(f"cannot read {name}: {e}") from None


def _truncated_lines(buffered, name: str, decode, max_chars: int, truncate) -> Iterator[str]:
    """iter_lines with `truncate`: every line of the input is one line out, at most max_chars bytes."""
    lineno = 0
    try:
        while True:
            piece = buffered.readline(max_chars)
            if not piece:
                return
            lineno += 1
            if not piece.endswith(b"\n") and len(piece) >= max_chars:  # over-long: skip to its end
                while True:
                    rest = buffered.readline(1 << 20)
                    if not rest or rest.endswith(b"\n"):
                        break
                cut = len(piece)
                while cut > 0 and piece[cut - 1] & 0xC0 == 0x80:  # not inside a UTF-8 character
                    cut -= 1
                if cut and piece[cut - 1] >= 0xC0:
                    cut -= 1
                truncate(lineno)
                yield decode(piece[:cut], lineno)
                continue
            if piece.endswith(b"\n"):
                piece = piece[:-2] if piece.endswith(b"\r\n") else piece[:-1]
            yield decode(piece, lineno)
    except (OSError, EOFError, ValueError) as e:
        raise BadInput(f"cannot read {name}: {e}") from None


def read_lines(path: str | os.PathLike, encoding: str = "utf-8",
               truncate: Callable[[int], None] | None = None, max_chars: int = MAX_CHARS) -> Iterator[str]:
    """Lines of a (possibly compressed) file; '-' is stdin. `truncate`: see iter_lines."""
    if str(path) == "-":
        yield from iter_lines(sys.stdin.buffer, "<stdin>", encoding, max_chars, truncate=truncate)
        return
    with open_binary(path) as f:
        yield from iter_lines(f, str(path), encoding, max_chars, truncate=truncate)


def stdin_lines(stream: IO | None = None, encoding: str = "utf-8",
                truncate: Callable[[int], None] | None = None, max_chars: int = MAX_CHARS) -> Iterator[str]:
    stream = stream if stream is not None else sys.stdin
    raw = getattr(stream, "buffer", None)
    if raw is None:  # a text stream without bytes underneath (tests, REPL)
        for line in stream:
            yield line.rstrip("\r\n")
        return
    yield from iter_lines(raw, "<stdin>", encoding, max_chars, truncate=truncate)


def expand_paths(spec: str) -> list[Path]:
    """A file, a directory (all files below it, sorted) or a glob, as a list of files."""
    import glob

    p = Path(spec).expanduser()
    if p.is_file():
        return [p.resolve()]
    if p.is_dir():
        files = sorted(f.resolve() for f in p.rglob("*")
                       if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts))
        if not files:
            raise BadInput(f"directory {spec} holds no files")
        return files
    if any(ch in spec for ch in "*?["):
        files = sorted(Path(f).resolve() for f in glob.glob(os.path.expanduser(spec), recursive=True)
                       if Path(f).is_file())
        if not files:
            raise NotFound(f"no files match {spec}")
        return files
    raise NotFound(f"no such file or directory: {spec}")
