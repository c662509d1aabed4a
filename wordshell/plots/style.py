"""Colours shared by the image and terminal renderers, so a group has one colour everywhere.

Each entry is (matplotlib colour, xterm-256 colour number close to it): the tab10 palette.
"""

from __future__ import annotations

PALETTE: list[tuple[str, int]] = [
    ("#1f77b4", 32),    # blue
    ("#ff7f0e", 208),   # orange
    ("#2ca02c", 34),    # green
    ("#d62728", 160),   # red
    ("#9467bd", 98),    # purple
    ("#8c564b", 130),   # brown
    ("#e377c2", 170),   # pink
    ("#7f7f7f", 244),   # grey
    ("#bcbd22", 142),   # olive
    ("#17becf", 38),    # cyan
]

# roles of the analogy picture get fixed colours whatever their order
ROLE_COLOURS = {"input": 0, "answer": 3, "candidates": 7, "arithmetic": 2}


def colour_index(group: str, groups: list[str]) -> int:
    if group in ROLE_COLOURS and set(groups) <= set(ROLE_COLOURS):
        return ROLE_COLOURS[group]
    return groups.index(group) % len(PALETTE) if group in groups else 0


def hex_colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)][0]


def term_colour(i: int) -> int:
    return PALETTE[i % len(PALETTE)][1]
