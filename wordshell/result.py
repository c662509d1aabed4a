"""What a command returns: plain data, no formatting.

render.py turns a Result into a rich table (terminal), TSV (pipe) or JSON Lines.
`rows` may be a generator: streaming commands (classify, generate) yield rows as
they are computed and the renderer flushes each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple, Sequence


class Span(NamedTuple):
    """A piece of streamed text with a style name (render.STYLES), coloured only on a terminal."""

    text: str
    style: str


@dataclass
class Result:
    headers: Sequence[str] = ()
    rows: Iterable[Sequence[Any]] = ()
    title: str = ""
    notes: list[str] = field(default_factory=list)
    # JSON keys for the columns; defaults to the headers in snake_case.
    keys: Sequence[str] | None = None
    # A one-line outcome for commands that act rather than answer ("saved model m").
    message: str = ""
    # Text streamed as it is produced (generate); printed as-is, no table. Spans are coloured in tables.
    text: Iterable[str | Span] | None = None
    # Column index -> style name for the table view (e.g. {0: "bold"}).
    styles: dict[int, str] = field(default_factory=dict)
    # True when `rows` yields lists of rows (batches): each batch is written, then flushed once.
    batched: bool = False
    # Columns shown verbatim in tables (ids, years): no thousands separators.
    plain: tuple[int, ...] = ()
    # Extra structured data for --format json when there are no rows (e.g. a summary object).
    data: dict[str, Any] | None = None

    def json_keys(self) -> list[str]:
        if self.keys is not None:
            return list(self.keys)
        return [snake(h) for h in self.headers]


def snake(header: str) -> str:
    out = []
    for ch in header.strip().lower():
        out.append(ch if ch.isalnum() else "_")
    key = "".join(out).strip("_")
    while "__" in key:
        key = key.replace("__", "_")
    return key or "value"


def message(text: str, **data: Any) -> Result:
    """A Result for an action: one line for people, `data` for --format json."""
    return Result(message=text, data=data or None)
