"""Word maps and training charts drawn in the terminal with plotext, as one string.

plotext 6 (a figure object, `figure.signal/draw/build`) and plotext 5 (module-level
`scatter/plot/text/build`) have different APIs; `_Canvas` hides the difference behind
the few primitives drawn here. The legend is our own line under the plot, so it never
hides a point.

>>> from wordshell.plots.terminal import arrow_char
>>> arrow_char(1, 0), arrow_char(0, 1), arrow_char(-1, -1)
('→', '↑', '↙')
"""

from __future__ import annotations

import math
import re

from wordshell.plots.history import Chart
from wordshell.plots.style import colour_index, term_colour
from wordshell.plots.wordmap import WordMap

MARKS = {"o": "●", "*": "★", "x": "✕"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def paint(text: str, colour: int, on: bool) -> str:
    return f"\x1b[38;5;{colour}m{text}\x1b[0m" if on else text


def arrow_char(dx: float, dy: float) -> str:
    """The arrow among 8 that points closest to (dx, dy) (y up)."""
    arrows = "→↗↑↖←↙↓↘"
    k = round(math.atan2(dy, dx) / (math.pi / 4)) % 8
    return arrows[k]


class _Canvas:
    """The plotext primitives used here, for plotext >= 6 and plotext 5."""

    def __init__(self, width: int, height: int):
        import plotext

        self.plt = plotext
        self.v6 = hasattr(plotext, "figure") and hasattr(plotext.figure, "signal")
        if self.v6:
            plotext.terminal.limit(False, False)  # our size, not the terminal's (we may be in a pipe)
            self.fig = plotext.figure
            self.fig.clear()
            self.fig.theme("simple")             # no background colour: reads on dark and light terminals
            self.fig.plot_size(width, height)
        else:
            plotext.clear_figure()
            plotext.limitsize(False, False)
            plotext.theme("clear")
            plotext.plotsize(width, height)

    def mark(self, x: float, y: float, text: str, colour: int, right: bool = False) -> None:
        """`text` with its first (or, right=True, last) cell on (x, y)."""
        if self.v6:
            m = self.plt.marker(self.plt.colorize(text, colour), ha=1 if right else -1)
            self.fig.draw(self.fig.signal([x], [y], marker=m))
        else:
            self.plt.text(text, x, y, color=colour, alignment="right" if right else "left")

    def segment(self, x0: float, y0: float, x1: float, y1: float, colour: int, char: str = "·") -> None:
        if self.v6:
            self.fig.draw(self.fig.segment([x0, x1], [y0, y1], marker=self.plt.marker(char, colour)))
        else:
            self.plt.plot([x0, x1], [y0, y1], marker=char, color=colour)

    def line(self, xs: list[float], ys: list[float], colour: int, dashed: bool) -> None:
        if self.v6:
            m = self.plt.marker("•" if dashed else "hd", colour)
            self.fig.draw(self.fig.signal(xs, ys, marker=m).lines())
        else:
            self.plt.plot(xs, ys, marker="dot" if dashed else "hd", color=colour)

    def limits(self, xlim: tuple[float, float] | None, ylim: tuple[float, float] | None) -> None:
        if self.v6:
            if xlim:
                self.fig.ruler("x").lim(*xlim)
            if ylim:
                self.fig.ruler("y").lim(*ylim)
        else:
            if xlim:
                self.plt.xlim(*xlim)
            if ylim:
                self.plt.ylim(*ylim)

    def logy(self) -> None:
        if self.v6:
            self.fig.ruler("y").scale("log")
        else:
            self.plt.yscale("log")

    def labels(self, title: str, xlabel: str) -> None:
        if self.v6:
            self.fig.title(title)
            self.fig.label(xlabel, "x")
        else:
            self.plt.title(title)
            self.plt.xlabel(xlabel)

    def measure(self) -> tuple[int, int] | None:
        """(columns, rows) inside the frame, read from the empty figure as built now."""
        lines = strip_ansi(self.fig.build().string(colorless=True) if self.v6 else self.plt.build()).split("\n")
        try:
            top = next(i for i, line in enumerate(lines) if "┌" in line)
            bottom = next(i for i, line in enumerate(lines) if "└" in line)
            cols = lines[top].index("┐") - lines[top].index("┌") - 1
        except (StopIteration, ValueError):
            return None
        rows = bottom - top - 1
        return (cols, rows) if cols > 2 and rows > 2 else None

    def build(self, colour: bool) -> str:
        if self.v6:
            text = self.fig.build().string(colorless=not colour)
        else:
            text = self.plt.build()
        text = text if colour else strip_ansi(text)
        return "\n".join(line.rstrip() for line in text.split("\n")).rstrip("\n") + "\n"


def _span(values: list[float], pad: float) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    d = (hi - lo) * pad
    return lo - d, hi + d


class _Grid:
    """The plot area in character cells (measured from an empty frame), and what each cell holds.

    Data -> cell: col = (x - x0) / (x1 - x0) * (cols - 1), likewise rows (row 0 at the bottom);
    a mark placed on a cell centre lands exactly there. Dots go on their exact cells; each
    label then takes the first free spot beside its dot (right, left, above, below),
    avoiding other labels and, if it can, the arrows' paths.
    """

    def __init__(self, canvas: "_Canvas", xlim, ylim, fallback: tuple[int, int]):
        self.xlim, self.ylim = xlim, ylim
        self.cols, self.rows = canvas.measure() or fallback
        self.used: set[tuple[int, int]] = set()      # dots and labels
        self.path: set[tuple[int, int]] = set()      # cells the arrows run through

    def cell(self, x: float, y: float) -> tuple[int, int]:
        return (round((x - self.xlim[0]) / (self.xlim[1] - self.xlim[0]) * (self.cols - 1)),
                round((y - self.ylim[0]) / (self.ylim[1] - self.ylim[0]) * (self.rows - 1)))

    def xy(self, col: float, row: float) -> tuple[float, float]:
        return (self.xlim[0] + col / (self.cols - 1) * (self.xlim[1] - self.xlim[0]),
                self.ylim[0] + row / (self.rows - 1) * (self.ylim[1] - self.ylim[0]))

    def line(self, a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
        n = max(abs(b[0] - a[0]), abs(b[1] - a[1]), 1)
        return [(round(a[0] + (b[0] - a[0]) * i / n), round(a[1] + (b[1] - a[1]) * i / n)) for i in range(n + 1)]

    def free(self, cells, avoid_path: bool) -> bool:
        return all(0 <= c < self.cols and 0 <= r < self.rows and (c, r) not in self.used
                   and not (avoid_path and (c, r) in self.path) for c, r in cells)

    def label(self, col: int, row: int, width: int) -> tuple[int, int]:
        """The first cell of a label `width` wide for the dot at (col, row); its cells are taken."""
        spots = [(col + 1, row), (col - width, row), (col - width // 2, row + 1), (col - width // 2, row - 1),
                 (col + 1, row + 1), (col + 1, row - 1), (col - width, row + 1), (col - width, row - 1)]
        for avoid_path in (True, False):
            for c, r in spots:
                cells = [(c + i, r) for i in range(width)]
                if self.free(cells, avoid_path):
                    self.used.update(cells)
                    return c, r
        c = col + 1 if col + width < self.cols else max(0, col - width)   # crowded: overlap, but stay inside
        return c, row

    def head(self, start: tuple[int, int], end: tuple[int, int]) -> tuple[int, int, str] | None:
        """The free cell nearest the end of an arrow, with the arrow glyph for its direction."""
        dx, dy = end[0] - start[0], end[1] - start[1]
        length = math.hypot(dx, dy)
        s = 1.0
        while s < length - 1:
            c, r = round(end[0] - dx / length * s), round(end[1] - dy / length * s)
            if self.free([(c, r)], False):
                self.used.add((c, r))
                return c, r, arrow_char(dx, 2 * dy)          # a cell is about twice as tall as wide
            s += 0.5
        return None


def draw_map(wm: WordMap, width: int = 100, height: int = 30, colour: bool = True) -> str:
    """Each word a dot in its group's colour with its label beside it; arrows dotted, with a head."""
    c = _Canvas(width, height)
    groups = wm.groups
    xlim, ylim = _span([p.x for p in wm.points], 0.06), _span([p.y for p in wm.points], 0.08)
    c.limits(xlim, ylim)
    c.labels(wm.title, f"x: {wm.axes[0]}   y: {wm.axes[1]}")
    g = _Grid(c, xlim, ylim, (max(10, width - 8), max(5, height - 5)))
    cells = []
    for p in wm.points:                                 # two words in one cell: nudge the second aside
        col, row = g.cell(p.x, p.y)
        near = [(col + dc, row + dr) for dr, dc in ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, -1))]
        cell = next((n for n in near if g.free([n], False)), (col, row))
        g.used.add(cell)
        cells.append(cell)
    for a in wm.arrows:
        g.path.update(g.line(cells[a.start], cells[a.end]))
    # highlighted points (answer, neighbourhood centre) choose their label spot first
    order = sorted(range(len(wm.points)), key=lambda i: wm.points[i].marker != "*")
    spots = {i: g.label(*cells[i], len(wm.points[i].label)) for i in order}
    for a in wm.arrows:
        p, q = wm.points[a.start], wm.points[a.end]
        c.segment(p.x, p.y, q.x, q.y, 242 if a.dashed else 250, "·" if a.dashed else "•")
    for a in wm.arrows:                                 # after every segment: none hides a head
        head = g.head(cells[a.start], cells[a.end])
        if head:
            c.mark(*g.xy(head[0], head[1]), head[2], 242 if a.dashed else 250)
    for i, p in enumerate(wm.points):
        col = term_colour(colour_index(p.group, groups))
        c.mark(*g.xy(*cells[i]), MARKS.get(p.marker, "●"), col)
        c.mark(*g.xy(*spots[i]), p.label, col)
    text = c.build(colour)
    marks: dict[str, set[str]] = {}
    for p in wm.points:
        marks.setdefault(p.group, set()).add(p.marker)
    legend = [paint(MARKS[next(iter(marks[k]))] if len(marks[k]) == 1 else MARKS["o"],
                    term_colour(colour_index(k, groups)), colour) + " " + k for k in groups if k]
    if legend:
        text += "  ".join(legend) + "\n"
    return text


def draw_chart(chart: Chart, width: int = 100, height: int = 25, colour: bool = True) -> str:
    """Curves, one colour per model: train as a solid line, validation dotted."""
    c = _Canvas(width, height)
    models = chart.models
    for cv in chart.curves:
        c.line(cv.xs, cv.ys, term_colour(models.index(cv.model)), cv.dashed)
    if chart.logy:
        c.logy()
    c.labels(chart.title, chart.xlabel)
    text = c.build(colour)
    several = len(models) > 1
    legend = [paint("••" if cv.dashed else "──", term_colour(models.index(cv.model)), colour) + " "
              + cv.label(several) for cv in chart.curves]
    return text + "  ".join(legend) + "\n"
