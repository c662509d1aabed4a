"""A toy corpus whose right answer is known, for training tests of the word-vector engines.

Four topics of eight words each, plus function words. A sentence draws its content words from ONE
topic, so words of a topic share contexts and a working trainer puts them next to each other.
`topic_accuracy` is the fraction of content words whose nearest content word is in their topic
(chance: 7/31 = 0.23).
"""

from __future__ import annotations

import random
from pathlib import Path

TOPICS = [
    ["apple", "pear", "plum", "grape", "melon", "lemon", "cherry", "peach"],
    ["car", "truck", "bus", "train", "plane", "boat", "bike", "tram"],
    ["red", "blue", "green", "yellow", "purple", "orange", "black", "white"],
    ["dog", "cat", "horse", "cow", "sheep", "goat", "mouse", "duck"],
]
FUNCTION = ["the", "a", "of", "and", "to", "in", "is", "with", "on", "for"]


def topic_corpus(path: Path, sentences: int = 1500, seed: int = 0) -> Path:
    rng = random.Random(seed)
    lines = []
    for _ in range(sentences):
        topic = rng.choice(TOPICS)
        words = [rng.choice(topic) if rng.random() < 0.6 else rng.choice(FUNCTION) for _ in range(rng.randint(6, 12))]
        lines.append(" ".join(words))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def topic_accuracy(kv) -> float:
    """kv: wordshell KeyedVectors (or anything with .get(word) -> vector)."""
    import numpy as np

    words = [w for t in TOPICS for w in t]
    topic = {w: i for i, t in enumerate(TOPICS) for w in t}
    m = np.stack([np.asarray(kv.get(w), dtype=np.float64) for w in words])
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    sims = m @ m.T
    np.fill_diagonal(sims, -np.inf)
    nearest = sims.argmax(1)
    return float(np.mean([topic[words[i]] == topic[words[j]] for i, j in enumerate(nearest)]))
