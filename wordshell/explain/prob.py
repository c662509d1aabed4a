"""P(o|c) on a stored word2vec/FastText model: the full softmax, negative sampling, hierarchical softmax.

    v_c   the input vector of the centre word c (vectors.npy)
    u_o   the output ("context") vector of word o (context.npy: vectors/context.py)

    full softmax          P(o|c) = exp(u_o . v_c) / sum_w exp(u_w . v_c)        (V dot products)
    negative sampling     J = log sigma(u_o . v_c) + sum_k log sigma(-u_k . v_c)    k words drawn from
                          P(w) ~ count(w)^0.75 (what training maximises instead: k+1 dot products)
    hierarchical softmax  P(o|c) = prod_j sigma((1 - 2 b_j) u_node_j . v_c) along o's Huffman path
                          (log2 V dot products; sums to 1 over the vocabulary)

All in float64 numpy. Every function takes plain arrays, so tests check them against hand computations.

>>> u = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]); v = np.array([2.0, 0.0])
>>> softmax(u @ v).round(4).tolist()
[0.4683, 0.0634, 0.4683]
>>> round(ns_objective(u, v, 0, [1, 1]), 4)      # log sigma(2) + 2 log sigma(0)
-1.5132
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from wordshell.errors import BadInput
from wordshell.vectors.context import Context, HuffmanTree


def log_sigmoid(x):
    """log sigma(x) without overflow."""
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def softmax(scores: np.ndarray) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64)
    e = np.exp(s - s.max())
    return e / e.sum()


def ns_objective(u: np.ndarray, v_c: np.ndarray, o: int, negatives: Sequence[int]) -> float:
    """log sigma(u_o . v_c) + sum_k log sigma(-u_k . v_c) for the given negatives (word2vec maximises it)."""
    v = np.asarray(v_c, dtype=np.float64)
    pos = float(log_sigmoid(np.asarray(u[o], dtype=np.float64) @ v))
    neg = sum(float(log_sigmoid(-(np.asarray(u[k], dtype=np.float64) @ v))) for k in negatives)
    return pos + neg


def unigram_table(counts: np.ndarray, exponent: float = 0.75) -> np.ndarray:
    """P(w) ~ count^0.75: the noise distribution negatives are drawn from (word2vec, gensim's cum_table)."""
    p = np.asarray(counts, dtype=np.float64) ** exponent
    return p / p.sum()


def draw_negatives(counts: np.ndarray, k: int, exclude: int, seed: int, exponent: float = 0.75) -> list[int]:
    """k word indices from the unigram^0.75 table, redrawing the positive word as gensim skips it."""
    if len(counts) < 2:
        raise BadInput("negative sampling needs at least two words in the vocabulary")
    rng = np.random.default_rng(seed)
    p = unigram_table(counts, exponent)
    out = []
    while len(out) < k:
        w = int(rng.choice(len(p), p=p))
        if w != exclude:
            out.append(w)
    return out


def hs_log_probs(tree: HuffmanTree, v_c: np.ndarray) -> np.ndarray:
    """log P(w|c) of every word w under hierarchical softmax: (V,) float64 (exp sums to 1)."""
    s = np.asarray(tree.nodes, dtype=np.float64) @ np.asarray(v_c, dtype=np.float64)   # (N,) one per node
    signs = 1.0 - 2.0 * np.asarray(tree.codes, dtype=np.float64)                         # (L,)
    terms = log_sigmoid(signs * s[np.asarray(tree.points)])                               # (L,)
    starts = np.asarray(tree.offsets[:-1])
    assert np.all(np.diff(tree.offsets) > 0), "every word has a non-empty Huffman code (V >= 2)"
    return np.add.reduceat(terms, starts)


# -- the views `explain prob` shows -----------------------------------------------------

@dataclass
class Term:
    word: str
    score: float                 # u . v_c
    value: float                 # sigma(score) (positive) or sigma(-score) (negative), or P(branch)
    log: float                   # log of value


@dataclass
class ProbView:
    centre: str
    context: str
    softmax_p: float | None = None      # full softmax P(o|c)
    softmax_rank: int | None = None     # o's rank among all words by P(.|c)
    score: float | None = None          # u_o . v_c
    log_z: float | None = None          # log sum_w exp(u_w . v_c)
    top: list[tuple[str, float]] = field(default_factory=list)   # the most probable context words of c
    top_by: str = ""                    # "softmax" | "hierarchical softmax"
    positive: Term | None = None        # negative sampling
    negatives: list[Term] = field(default_factory=list)
    objective: float | None = None
    path: list[tuple[int, int, int, float, float]] = field(default_factory=list)  # (depth, node, bit, score, P)
    hs_p: float | None = None
    hs_total: float | None = None       # sum of P(w|c) over the whole vocabulary (1 up to rounding)
    notes: list[str] = field(default_factory=list)


def load_context(store, kv) -> Context:
    """The output vectors of vectors model `kv`; one line (BadInput) when it has none."""
    ctx = Context.load(store.model_dir(kv.name), len(kv), kv.dim)
    if ctx.u is None and ctx.tree is None:
        why = ("it was imported (files of word vectors hold no output vectors)" if kv.meta.get("imported")
               else "it was trained with --no-context-vectors or before they were kept")
        raise BadInput(f"model '{kv.name}' has no context (output) vectors, so P(o|c) cannot be computed: {why}",
                       "train one: train word2vec NAME --corpus C")
    return ctx


def explain_prob(kv, ctx: Context, centre: str, context: str, top: int = 10, k: int = 5, seed: int = 1) -> ProbView:
    """P(context | centre) every way the model allows (see the module docstring)."""
    c, o = kv.idx(centre), kv.idx(context)
    v_c = np.asarray(kv.vectors[c], dtype=np.float64)
    view = ProbView(kv.words[c], kv.words[o])
    cfg = kv.meta.get("config") or {}
    if ctx.u is not None:
        scores = np.asarray(ctx.u, dtype=np.float64) @ v_c                   # (V,) u_w . v_c
        m = scores.max()
        view.log_z = float(m + np.log(np.exp(scores - m).sum()))
        probs = np.exp(scores - view.log_z)
        view.score, view.softmax_p = float(scores[o]), float(probs[o])
        view.softmax_rank = int((probs > probs[o]).sum()) + 1
        view.top, view.top_by = _top(kv, probs, top), "softmax"
        if kv.counts is not None and k > 0:
            negs = draw_negatives(np.asarray(kv.counts), k, o, seed)
            s_pos = float(scores[o])
            view.positive = Term(view.context, s_pos, float(np.exp(log_sigmoid(s_pos))), float(log_sigmoid(s_pos)))
            view.negatives = [Term(kv.words[w], float(scores[w]), float(np.exp(log_sigmoid(-scores[w]))),
                                   float(log_sigmoid(-scores[w]))) for w in negs]
            view.objective = ns_objective(ctx.u, v_c, o, negs)
        elif k > 0:
            view.notes.append("no corpus counts stored: negative sampling's unigram table cannot be built")
        if cfg.get("negative", 0) > 0:
            view.notes.append("this model was trained by negative sampling: it never normalised over V, so the "
                              "softmax above is what its scores imply, not what training optimised")
    if ctx.tree is not None:
        bits, nodes = ctx.tree.path(o)
        logp = 0.0
        for depth, (b, n) in enumerate(zip(bits.tolist(), nodes.tolist()), 1):
            s = float(np.asarray(ctx.tree.nodes[n], dtype=np.float64) @ v_c)
            lp = float(log_sigmoid((1 - 2 * b) * s))
            logp += lp
            view.path.append((depth, n, b, s, float(np.exp(lp))))
        view.hs_p = float(np.exp(logp))
        all_p = np.exp(hs_log_probs(ctx.tree, v_c))
        view.hs_total = float(all_p.sum())
        if not view.top:
            view.top, view.top_by = _top(kv, all_p, top), "hierarchical softmax"
    if cfg and not cfg.get("sg", True):
        view.notes.append("this is a CBOW model: it trained u_centre . mean(v_context); with one context word "
                          "that is the same formula")
    return view


def _top(kv, probs: np.ndarray, top: int) -> list[tuple[str, float]]:
    k = min(top, len(probs))
    best = np.argpartition(-probs, k - 1)[:k]
    best = best[np.argsort(-probs[best], kind="stable")]
    return [(kv.words[i], float(probs[i])) for i in best]
