"""Output ("context") vectors: the second matrix word2vec trains, which P(o|c) needs beside the word vectors.

Skip-gram scores a (centre c, context o) pair as u_o . v_c: v is the input vector of a word
(vectors.npy, what every query uses), u its output vector. Training keeps u and throws it away;
wordshell keeps it (unless --no-context-vectors), so `explain prob` can compute P(o|c) on a real model.

On disk, beside vectors.npy (numpy .npy, never pickle):

    context.npy     float32 (V, D)   row i = output vector u_i of word i (vocab.txt order), as trained by
                                     negative sampling (gensim's syn1neg)
    hs_nodes.npy    float32 (N, D)   hierarchical softmax: the Huffman tree's inner-node vectors (gensim's
                                     syn1; N >= V-1 rows, the paths use rows 0..V-2)
    hs_codes.npy    uint8   (L,)     every word's Huffman code, concatenated (word i's code is
    hs_points.npy   int32   (L,)     codes[offsets[i]:offsets[i+1]]); the inner nodes on its path likewise
    hs_offsets.npy  int64   (V+1,)

Hierarchical softmax (gensim's convention): at the j-th node of word o's path the model goes the way of
code bit b_j with probability sigma((1 - 2 b_j) u_node . v_c), so P(o|c) = prod_j sigma((1 - 2 b_j) u_pj . v_c)
and the V probabilities sum to 1 (each inner node splits its mass between its two subtrees).

>>> tree = HuffmanTree.from_paths(np.zeros((2, 3), np.float32), [[0], [1, 0], [1, 1]], [[0], [0, 1], [0, 1]])
>>> tree.path(1)
(array([1, 0], dtype=uint8), array([0, 1], dtype=int32))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from wordshell.atomic import atomic_save_npy
from wordshell.errors import CorruptFile

CONTEXT = "context.npy"
HS_FILES = ("hs_nodes.npy", "hs_codes.npy", "hs_points.npy", "hs_offsets.npy")


@dataclass
class HuffmanTree:
    nodes: np.ndarray           # (N, D) float32 inner-node vectors
    codes: np.ndarray           # (L,) uint8, all words' codes concatenated
    points: np.ndarray          # (L,) int32, all words' paths (rows of `nodes`) concatenated
    offsets: np.ndarray         # (V+1,) int64

    @classmethod
    def from_paths(cls, nodes, codes: Sequence[Sequence[int]], points: Sequence[Sequence[int]]) -> "HuffmanTree":
        """From per-word lists (gensim's wv.expandos['code'] / ['point'])."""
        lengths = [len(c) for c in codes]
        if lengths != [len(p) for p in points]:
            raise CorruptFile("Huffman codes and paths differ in length")
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = lambda xs, dt: np.concatenate([np.asarray(x, dtype=dt) for x in xs]) if xs else np.zeros(0, dt)  # noqa: E731
        return cls(np.asarray(nodes, dtype=np.float32), flat(codes, np.uint8), flat(points, np.int32), offsets)

    @classmethod
    def from_gensim(cls, model) -> "HuffmanTree":
        wv = model.wv
        return cls.from_paths(model.syn1, list(wv.expandos["code"]), list(wv.expandos["point"]))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def path(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Word i's (code bits, inner-node rows), root first."""
        a, b = self.offsets[i], self.offsets[i + 1]
        return np.asarray(self.codes[a:b]), np.asarray(self.points[a:b])

    def check(self, vocab_size: int) -> None:
        if len(self) != vocab_size:
            raise CorruptFile(f"the Huffman tree has {len(self)} words, the vocabulary {vocab_size}")
        if len(self.points) and (int(self.points.max()) >= len(self.nodes) or int(self.points.min()) < 0):
            raise CorruptFile("a Huffman path points outside the tree's nodes")
        if len(self.codes) != len(self.points) or int(self.offsets[-1]) != len(self.codes):
            raise CorruptFile("Huffman codes, paths and offsets do not agree")


def save_context(d: Path, vocab_size: int, dim: int, context: np.ndarray | None,
                 hs: HuffmanTree | None) -> dict | None:
    """Write (or remove) the output vectors in folder d; return model.json's `context_vectors` (None: none)."""
    info = {}
    if context is not None:
        context = np.asarray(context, dtype=np.float32)
        if context.shape != (vocab_size, dim):
            raise CorruptFile(f"context vectors of shape {context.shape}, expected ({vocab_size}, {dim})")
        atomic_save_npy(d / CONTEXT, context)
        info["negative"] = CONTEXT
    else:
        (d / CONTEXT).unlink(missing_ok=True)
    if hs is not None:
        hs.check(vocab_size)
        if hs.nodes.ndim != 2 or hs.nodes.shape[1] != dim:
            raise CorruptFile(f"Huffman node vectors of shape {hs.nodes.shape}, expected (N, {dim})")
        for name, arr in zip(HS_FILES, (hs.nodes, hs.codes, hs.points, hs.offsets)):
            atomic_save_npy(d / name, arr)
        info["hs"] = "hs_*.npy"
    else:
        for name in HS_FILES:
            (d / name).unlink(missing_ok=True)
    return info or None


@dataclass
class Context:
    """A stored model's output vectors: u (V, D) for the softmax / negative sampling and/or the Huffman tree."""

    u: np.ndarray | None
    tree: HuffmanTree | None

    @classmethod
    def load(cls, d: Path, vocab_size: int, dim: int) -> "Context":
        def npy(name):
            p = d / name
            return np.load(p, mmap_mode="r", allow_pickle=False) if p.exists() else None

        try:
            u = npy(CONTEXT)
            parts = [npy(n) for n in HS_FILES]
        except (ValueError, OSError) as e:
            raise CorruptFile(f"context vectors in {d} are corrupt: {e}") from None
        if u is not None and u.shape != (vocab_size, dim):
            raise CorruptFile(f"{d / CONTEXT} has shape {u.shape}, expected ({vocab_size}, {dim})")
        tree = None
        if all(p is not None for p in parts):
            tree = HuffmanTree(*parts)
            tree.check(vocab_size)
        return cls(u, tree)
