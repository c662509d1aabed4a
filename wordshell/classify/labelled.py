"""Labelled: parallel lists of texts and labels, the one type every classifier module speaks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


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
