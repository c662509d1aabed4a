"""Turn Results into text: rich tables on a terminal, TSV in pipes, JSON Lines on request.

This is the only module that formats output. Commands return Results (result.py);
cli.py hands them here (for one-shot runs, pipes and the shell alike) together with the chosen format.

    table  rich table on a TTY (title, styled columns, notes below)
    tsv    one line per row, tab-separated, no header; notes go to stderr
    json   one JSON object per row (keys = Result.json_keys()); Result.data as one object

Rows that arrive from a generator are written and flushed one by one, so
`cat big.txt | wordshell classify ... | head` streams.
"""

from __future__ import annotations

import json
import math
import sys
from typing import IO, Any, Iterable, Sequence

from wordshell.result import Result

FORMATS = ("table", "tsv", "json")
# style name -> ANSI SGR code: the only colours wordshell writes itself (tables are coloured by rich)
STYLES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "orange": "38;5;208"}


def human_bytes(n: float) -> str:
    """1.5 KB, 23.4 MB: sizes in tables (binary units, as du -h)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def paint(text: str, style: str, on: bool = True) -> str:
    """`text` in `style` (a STYLES name) when `on`, else as it is."""
    return f"\x1b[{STYLES[style]}m{text}\x1b[0m" if on and text else text


def isatty(stream, default: bool = False) -> bool:
    """stream.isatty(), or `default` for streams that cannot tell (closed, replaced, not a file)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return default


def default_format(out: IO[str]) -> str:
    return "table" if isatty(out) else "tsv"


def _plain(value: Any) -> Any:
    """numpy scalars and other odd types -> JSON-friendly Python values."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    item = getattr(value, "item", None)
    if callable(item):
        return _plain(item())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def cell_tsv(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):  # vectors: space-separated, as in .vec files
        return " ".join(cell_tsv(v) for v in value)
    # keep one record per line whatever the text holds
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def cell_table(value: Any, plain: bool = False) -> str:
    value = _plain(value)
    if plain and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:.4f}" if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        if len(value) > 8:
            head = " ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in value[:6])
            return f"{head} ... ({len(value)} values)"
        return ", ".join(cell_table(v) for v in value)
    return str(value)


class Renderer:
    """Writes Results to `out` (data) and `err` (notes in pipe formats)."""

    def __init__(self, out: IO[str] | None = None, err: IO[str] | None = None,
                 fmt: str | None = None, color: bool | None = None):
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.fmt = fmt or default_format(self.out)
        assert self.fmt in FORMATS, self.fmt
        self.color = color

    # -- entry point -------------------------------------------------------
    def emit(self, result: Result | Sequence[Result] | None) -> None:
        if result is None:
            return
        if isinstance(result, Result):
            result = [result]
        for i, r in enumerate(result):
            if i and self.fmt == "table":
                self.out.write("\n")
            self._emit_one(r)
        self.out.flush()

    def _emit_one(self, r: Result) -> None:
        if r.text is not None:
            self._text(r)
        elif self.fmt == "json":
            self._json(r)
        elif self.fmt == "tsv":
            self._tsv(r)
        else:
            self._table(r)

    @staticmethod
    def _chunks(r: Result):
        """Rows grouped by what is flushed together: one row, or one batch when r.batched."""
        if r.batched:
            yield from r.rows
        else:
            for row in r.rows:
                yield (row,)

    # -- formats -----------------------------------------------------------
    def _text(self, r: Result) -> None:
        colour = self.fmt == "table"
        for chunk in r.text:
            if isinstance(chunk, tuple):  # a Span
                chunk = paint(chunk[0], chunk[1], colour)
            self.out.write(chunk)
            self.out.flush()
        self._notes(r.notes, to_err=self.fmt != "table")

    def _json(self, r: Result) -> None:
        write = self.out.write
        if r.data is not None or (r.message and not r.headers):
            obj = dict(r.data or {})
            if r.message and "message" not in obj:
                obj = {"message": r.message, **obj}
            write(json.dumps(_plain(obj), ensure_ascii=False) + "\n")
        if r.headers:
            keys = r.json_keys()
            for chunk in self._chunks(r):
                write("".join(json.dumps({k: _plain(v) for k, v in zip(keys, row)}, ensure_ascii=False) + "\n"
                              for row in chunk))
                self.out.flush()
        self._notes(r.notes, to_err=True)

    def _tsv(self, r: Result) -> None:
        if r.message:
            self.out.write(r.message + "\n")
        for chunk in self._chunks(r):
            self.out.write("".join("\t".join(cell_tsv(v) for v in row) + "\n" for row in chunk))
            self.out.flush()
        self._notes(r.notes, to_err=True)

    def _console(self, file: IO[str]):
        from rich.console import Console  # rich costs ~60 ms: only on the table path

        force = None if self.color is None else self.color
        width = None
        if not isatty(file):  # a table written to a file or pipe: not squeezed into 80 columns
            import os
            import shutil

            width = int(os.environ.get("COLUMNS", 0)) or max(120, shutil.get_terminal_size((120, 40)).columns)
        return Console(file=file, force_terminal=force, highlight=False, soft_wrap=False, width=width)

    def _table(self, r: Result) -> None:
        console = self._console(self.out)
        if r.message:
            console.print(r.message, style="green", markup=False)
        if r.headers:
            rows = r.rows
            if r.batched and isinstance(rows, (list, tuple)):
                rows = [row for chunk in rows for row in chunk]
            if isinstance(rows, (list, tuple)):
                if r.title:  # above the table, never wrapped to the table's width
                    console.print(r.title, style="bold", markup=False, highlight=False)
                console.print(self._rich_table(r, rows))
            else:  # a stream: print each row as it comes, aligned by a fixed-width guess
                self._stream_lines(console, r, rows)
        if r.notes:
            for note in r.notes:
                console.print(note, style="dim", markup=False)

    def _rich_table(self, r: Result, rows: Iterable[Sequence[Any]]):
        from rich.table import Table

        table = Table(header_style="bold cyan")
        first = list(rows)
        for i, h in enumerate(r.headers):
            numeric = bool(first) and all(
                isinstance(_plain(row[i]), (int, float)) and not isinstance(_plain(row[i]), bool)
                for row in first if i < len(row) and row[i] is not None)
            table.add_column(h, justify="right" if numeric else "left", style=r.styles.get(i))
        for row in first:
            table.add_row(*(cell_table(v, i in r.plain) for i, v in enumerate(row)))
        return table

    def _stream_lines(self, console, r: Result, _rows: Iterable[Sequence[Any]]) -> None:
        from rich.text import Text

        if r.title:
            console.print(r.title, style="bold", markup=False)
        console.print(Text("  ".join(r.headers), style="bold cyan"))
        for chunk in self._chunks(r):
            for row in chunk:
                line = Text()
                for i, v in enumerate(row):
                    if i:
                        line.append("  ")
                    line.append(cell_table(v, i in r.plain), style=r.styles.get(i) or "")
                console.print(line)
            self.out.flush()

    def _notes(self, notes: list[str], to_err: bool) -> None:
        if not notes:
            return
        stream = self.err if to_err else self.out
        for note in notes:
            stream.write(note + "\n")
        stream.flush()


def silence_stdout() -> None:
    """Point stdout's file descriptor at /dev/null: its reader went away (`| head`) or it fails, and
    the interpreter's last flush must not print a second error."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def error_line(message: str, out: IO[str], color: bool | None = None) -> None:
    """The one red line a user sees for a WordshellError."""
    use_color = color if color is not None else isatty(out)
    out.write(paint(f"error: {message}", "red", use_color) + "\n")
    out.flush()

