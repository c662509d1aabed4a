"""Word maps and training charts as PNG / SVG / PDF files, with matplotlib (no display).

A `matplotlib.figure.Figure` on an Agg canvas (no pyplot, so no global figure state and
no GUI backend) is drawn at 100 dpi, so `width x height` pixels = a (width/100, height/100)
inch figure, and saved through `store.atomic_open`: a reader never sees half a file.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from wordshell.errors import UsageError
from wordshell.plots.history import Chart
from wordshell.plots.style import colour_index, hex_colour
from wordshell.plots.wordmap import WordMap
from wordshell.atomic import atomic_open

DPI = 100
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def image_format(path: str | Path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(f"cannot tell the image format of {str(path)!r}", "--out must end in .png, .svg or .pdf")
    return fmt


def _figure(width: int, height: int):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)                     # the Agg canvas: text extents for _declutter; SVG/PDF still work
    return fig, fig.add_subplot()


def _save(fig, path: str | Path) -> None:
    fmt = image_format(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # e.g. "Glyph missing from font" for CJK words
        with atomic_open(path, "wb") as f:
            fig.savefig(f, format=fmt, dpi=DPI)  # no bbox_inches="tight": keep the exact pixel size


def _label_offsets(wm: WordMap, gap: float = 6.0) -> list[tuple[float, float]]:
    """Where each label goes around its point, in points: away from the point's arrows, and
    above/below in turn when two points nearly coincide (so their labels do not overprint)."""
    import numpy as np

    xy = np.array([(p.x, p.y) for p in wm.points])                    # (n, 2)
    span = np.maximum(xy.max(axis=0) - xy.min(axis=0), 1e-12)
    unit = (xy - xy.min(axis=0)) / span                                 # in [0, 1]^2
    away = np.zeros_like(unit)
    for a in wm.arrows:
        d = unit[a.end] - unit[a.start]
        d = d / (np.linalg.norm(d) or 1.0)
        away[a.start] -= d                                               # the arrow leaves: label behind it
        away[a.end] += d                                                 # the arrow arrives: label beyond it
    out = []
    for i in range(len(xy)):
        v = away[i]
        if np.linalg.norm(v) < 1e-9:
            v = np.array([1.0, 0.6])                                     # default: upper right
        v = v / np.linalg.norm(v)
        close = [j for j in range(i) if np.linalg.norm(unit[i] - unit[j]) < 0.04]
        if close and v[1] * out[close[-1]][1] >= 0:                      # a near twin: the other side
            v = np.array([v[0], -v[1] if abs(v[1]) > 0.2 else -0.8])
        if (unit[i, 0] < 0.25 and v[0] < 0) or (unit[i, 0] > 0.75 and v[0] > 0):
            v = np.array([-v[0], v[1]])                                  # near an edge: label inwards
        out.append((gap * float(np.sign(v[0])) if abs(v[0]) > 0.3 else 0.0, gap * float(np.sign(v[1]) or 1)))
    return out


def save_map(wm: WordMap, path: str | Path, width: int = 1000, height: int = 750) -> None:
    """Labelled points coloured by group, arrows for pairs, a legend when there are groups."""
    fig, ax = _figure(width, height)
    groups = wm.groups
    for g in groups:
        idx = [i for i, p in enumerate(wm.points) if p.group == g]
        colour = hex_colour(colour_index(g, groups))
        labelled = False
        for marker, size in (("o", 40), ("*", 220), ("x", 90)):
            sel = [i for i in idx if wm.points[i].marker == marker]
            if sel:
                ax.scatter([wm.points[i].x for i in sel], [wm.points[i].y for i in sel], s=size,
                           c=colour, marker=marker, zorder=3, label=g if g and not labelled else None)
                labelled = True
    for a in wm.arrows:
        p, q = wm.points[a.start], wm.points[a.end]
        ax.annotate("", xy=(q.x, q.y), xytext=(p.x, p.y), zorder=2,
                    arrowprops=dict(arrowstyle="-|>", color="0.35" if a.dashed else "0.15", lw=1.3,
                                    linestyle="--" if a.dashed else "-", shrinkA=6, shrinkB=8,
                                    mutation_scale=14))
    labels = []
    for p, (dx, dy) in zip(wm.points, _label_offsets(wm)):
        colour = hex_colour(colour_index(p.group, groups))
        t = ax.annotate(p.label, (p.x, p.y), xytext=(dx, dy), textcoords="offset points", fontsize=11,
                        color=colour, zorder=4, fontweight="bold" if p.marker == "*" else "normal",
                        style="italic" if p.marker == "x" else "normal",
                        bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.7))
        _aim(t, dx, dy)
        labels.append(t)
    if any(groups):
        ax.legend(loc="best", fontsize=10, framealpha=0.85)
    ax.set_xlabel(wm.axes[0])
    ax.set_ylabel(wm.axes[1])
    if wm.axes[0].startswith("PC"):
        ax.set_aspect("equal", adjustable="datalim")   # distances and angles as they are
    ax.margins(0.12)
    ax.grid(alpha=0.25)
    if wm.title:
        ax.set_title(wm.title)
    _declutter(fig, labels)
    _save(fig, path)


def _aim(t, dx: float, dy: float) -> None:
    """Anchor a label at offset (dx, dy) points so that it grows away from its point."""
    t.xyann = (dx, dy)
    t.set_horizontalalignment("left" if dx > 0 else "right" if dx < 0 else "center")
    t.set_verticalalignment("bottom" if dy >= 0 else "top")


def _declutter(fig, labels, gap: float = 6.0, limit: int = 400) -> None:
    """Move each label that would overprint an earlier label or a dot to the first free spot around
    its point (the four corners, then straight above or below); if none is free it stays put."""
    if len(labels) > limit:                      # O(n^2) box checks: not worth it for huge maps
        return
    from matplotlib.transforms import Bbox

    fig.draw_without_rendering()                 # settle limits, aspect and layout first
    renderer = fig.canvas.get_renderer()
    r = 4 * fig.dpi / 72                         # a dot's radius, in pixels
    dots = [t.axes.transData.transform(t.xy) for t in labels]
    placed = [Bbox.from_extents(x - r, y - r, x + r, y + r) for x, y in dots]   # labels avoid the dots too
    for t in labels:
        first = t.xyann
        spots = [first, (gap, gap), (-gap, gap), (gap, -gap), (-gap, -gap), (0, 1.6 * gap), (0, -1.6 * gap)]
        for dx, dy in spots:
            _aim(t, dx, dy)
            box = t.get_window_extent(renderer)
            if not any(box.overlaps(b) for b in placed):
                break
        else:
            _aim(t, *first)
            box = t.get_window_extent(renderer)
        placed.append(box)


def save_chart(chart: Chart, path: str | Path, width: int = 1000, height: int = 600) -> None:
    """One colour per model; train solid, validation dashed."""
    fig, ax = _figure(width, height)
    models = chart.models
    several = len(models) > 1
    for c in chart.curves:
        colour = hex_colour(models.index(c.model))
        ax.plot(c.xs, c.ys, color=colour, linestyle="--" if c.dashed else "-",
                marker="o" if len(c.xs) <= 30 else None, markersize=4, label=c.label(several))
    ax.set_xlabel(chart.xlabel)
    ax.set_ylabel(chart.ylabel)
    if chart.logy:
        ax.set_yscale("log")
    ax.set_title(chart.title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    _save(fig, path)
