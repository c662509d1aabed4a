"""The update rule of word2vec.c and fastText, for a whole batch of examples at once, in torch.

No autograd and no optimizer: the gradient of the negative-sampling loss is two lines, and an
update touches a few rows of two tables, so each step gathers those rows, computes the pair
gradients, and adds them back with `index_add_` (sparse updates; a dense optimizer step would
touch every row of the (V, D) tables).

Per example (an input representation h and a target word t with K noise words n_1..n_K):

    f_k = h . W_out[t_k]            t_0 = t (label 1), t_k = n_k (label 0)
    g_k = (label_k - sigmoid(f_k)) * alpha        0 when a noise word equals the target
    neu1e = sum_k g_k W_out[t_k]    (with W_out BEFORE this update, as word2vec.c)
    W_out[t_k] += g_k h
    every input row += neu1e        (word2vec.c / fastText unsupervised: the full error, not / rows)
    loss = -log sigmoid(f_0) - sum_k log sigmoid(-f_k)

The input representation h:

    word2vec skip-gram   W_in[context word]  predicting the center word (word2vec.c's order)
    word2vec CBOW        mean of W_in over the window's words, predicting the center word
    fastText skip-gram   mean of the center word's rows (its own + its n-gram buckets, ngrams.py)
                         predicting each context word (fastText's order)
    fastText CBOW        mean over all rows of all the window's words

Batching changes one thing against word2vec.c's one-pair-at-a-time updates: every example of a
batch reads the tables as they were before the batch (like Hogwild threads reading stale rows),
and updates to the same row add up. See docs/ARCHITECTURE.md for the batch sizes that keep this
within noise of gensim's quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Tables:
    """The trained parameters and what the subword model needs, all on one device.

    w_in     (V, D)      input vectors (fastText: each word's own row)
    w_out    (V, D)      output ("context") vectors, syn1neg
    ngrams   (B+1, D)    fastText n-gram buckets; row B is padding, kept at zero; None for word2vec
    sub_ptr  (V+1,)      CSR: the buckets of word i are sub_idx[sub_ptr[i]:sub_ptr[i+1]]
    sub_idx  (nnz,)
    """

    w_in: object
    w_out: object
    ngrams: object = None
    sub_ptr: object = None
    sub_idx: object = None
    touched: object = None     # DDP: a function (table name, rows) told which rows a step changed

    def touch(self, name: str, rows) -> None:
        if self.touched is not None:
            self.touched(name, rows)

    @property
    def subword(self) -> bool:
        return self.ngrams is not None

    def tensors(self) -> dict:
        out = {"w_in": self.w_in, "w_out": self.w_out}
        if self.subword:
            out["ngrams"] = self.ngrams
        return out


def subword_csr(words: list[str], min_n: int, max_n: int, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """(ptr, idx) int64: each vocabulary word's n-gram buckets, by ngrams.py (fastText's hash).

    >>> ptr, idx = subword_csr(["ab", "c"], 2, 3, 1000)
    >>> ptr.tolist(), len(idx)
    ([0, 5, 8], 8)
    """
    from wordshell.vectors.ngrams import ngram_buckets

    lists = [ngram_buckets(w, min_n, max_n, bucket) for w in words]
    ptr = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum([len(x) for x in lists], out=ptr[1:])
    idx = np.fromiter((b for x in lists for b in x), dtype=np.int64, count=int(ptr[-1]))
    return ptr, idx


def init_tables(vocab: int, dim: int, *, seed: int, device, subword: dict | None = None,
                words: list[str] | None = None) -> Tables:
    """Fresh tables, the same on every rank (the generator is seeded by `seed` alone).

    word2vec.c: W_in uniform in [-0.5/D, 0.5/D), W_out zeros. fastText: every input row (words and
    n-grams) uniform in [-1/D, 1/D), W_out zeros. `subword` = {"min_n", "max_n", "bucket"} for fastText.
    """
    import torch

    g = torch.Generator().manual_seed(int(seed))
    scale = 1.0 / dim if subword else 0.5 / dim
    w_in = ((torch.rand(vocab, dim, generator=g) * 2 - 1) * scale).to(device)
    w_out = torch.zeros(vocab, dim, device=device)
    if not subword:
        return Tables(w_in, w_out)
    b = int(subword["bucket"])
    ngrams = ((torch.rand(b + 1, dim, generator=g) * 2 - 1) * scale)
    ngrams[b] = 0.0
    ptr, idx = subword_csr(words, int(subword["min_n"]), int(subword["max_n"]), b)
    return Tables(w_in, w_out, ngrams.to(device), torch.from_numpy(ptr).to(device), torch.from_numpy(idx).to(device))


# -- the input side --------------------------------------------------------------------------

def _subword_rows(t: Tables, words):
    """For unique words (U,): (seg, rows) listing every n-gram row of each word, seg = its word."""
    import torch

    start, end = t.sub_ptr[words], t.sub_ptr[words + 1]
    n = end - start
    seg = torch.repeat_interleave(torch.arange(len(words), device=words.device), n)
    first = torch.cumsum(n, 0) - n                          # where each word's run starts in the flat list
    rows = t.sub_idx[start[seg] + torch.arange(len(seg), device=words.device) - first[seg]]
    return seg, rows, n


def _subword_sums(t: Tables, words):
    """Sum of each unique word's rows (own + n-grams), (U, D); and how many rows, (U,)."""
    seg, rows, n = _subword_rows(t, words)
    s = t.w_in.index_select(0, words).index_add_(0, seg, t.ngrams.index_select(0, rows))
    return s, (n + 1).to(s.dtype), (seg, rows)


def _subword_backward(t: Tables, words, grad, seg_rows) -> None:
    """Add each unique word's error (U, D) to its own row and to every one of its n-gram rows."""
    seg, rows = seg_rows
    t.w_in.index_add_(0, words, grad)
    t.ngrams.index_add_(0, rows, grad[seg])
    t.touch("w_in", words)
    t.touch("ngrams", rows)
    t.ngrams[-1] = 0.0  # the padding row never moves (no word lists it; kept exact anyway)


def sg_hidden(t: Tables, inputs):
    """h (P, D) of word2vec skip-gram inputs (P,), and the function that applies the error neu1e (P, D).
    (fastText's inputs go through CenterRows.)"""
    def backward_words(neu1e):
        t.w_in.index_add_(0, inputs, neu1e)
        t.touch("w_in", inputs)

    return t.w_in.index_select(0, inputs), backward_words


class CenterRows:
    """fastText skip-gram, one step: every input row of the step's center words (their own rows and
    their n-gram buckets) copied once into a small local table, updated there round after round, and
    written back at the end of the step.

    Exact: in fastText's skip-gram only the input side touches w_in and ngrams, and the step's inputs
    are these words. Why: a round re-reads the rows the previous round changed; gathering ~17 n-gram
    rows per center from the (bucket, D) table and `index_add_`-ing them back costs ~5x more per row
    than the same on a table of a few thousand rows (random rows of a 2M-row table, and index_add_'s
    per-row path on the CPU). One gather and one write per step instead of one per round.

        words (U,)     the step's distinct center words; inv (B,) maps a center position to its word
        own (U, D)     their w_in rows; local (L, D) their distinct n-gram rows (urows in ngrams)
        seg, lidx      CSR of (word, local n-gram row) pairs, an n-gram listed once per occurrence

    Levels (optional, one int per center position): a round at level k touches only positions of
    level >= k. Words are kept in order of their highest level, so such a round computes the sums of
    a prefix of the words and their n-grams only (skip-gram: a position's level is its reduced window,
    and the outer offsets' rounds hold few centers).
    """

    def __init__(self, t: Tables, centers, levels=None):
        import torch

        self.t = t
        words, inv = torch.unique(centers, return_inverse=True)
        if levels is None:
            levels = torch.zeros_like(centers)
        top = torch.zeros(len(words), dtype=levels.dtype, device=words.device).scatter_reduce_(
            0, inv, levels, "amax", include_self=False)
        order = torch.argsort(top, descending=True, stable=True)    # highest level first
        rank = torch.empty_like(order)
        rank[order] = torch.arange(len(order), device=order.device)
        self.words, self.inv = words[order], rank[inv]
        self.neg_top = (-top[order]).tolist()                       # ascending: bisect finds a prefix
        self.seg, rows, n = _subword_rows(t, self.words)
        self.ends = torch.cumsum(n, 0).tolist()                     # the n-gram list of the first u words ends
        self.urows, self.lidx = torch.unique(rows, return_inverse=True)
        self.own = t.w_in.index_select(0, self.words)
        self.local = t.ngrams.index_select(0, self.urows)
        self.n = (n + 1).to(self.own.dtype)[:, None]

    @classmethod
    def of_rounds(cls, t: Tables, centers, pos, sizes: list[int], levels: list[int]) -> "CenterRows":
        """For rounds of pairs at positions pos (P,), `sizes[i]` pairs in round i of level `levels[i]`:
        a position's level is the highest level of the rounds it takes part in."""
        import torch

        per_pair = torch.repeat_interleave(torch.tensor(levels, device=pos.device),
                                           torch.tensor(sizes, device=pos.device))
        at = torch.zeros_like(centers).scatter_reduce_(0, pos, per_pair.to(centers.dtype), "amax")
        return cls(t, centers, at)

    def prefix(self, level) -> tuple[int, int]:
        """(words, n-gram list entries) that a round at `level` may touch."""
        import bisect

        u = len(self.neg_top) if level is None else bisect.bisect_right(self.neg_top, -level)
        return u, (self.ends[u - 1] if u else 0)

    def hidden(self, pos, level=None):
        """h (P, D) of the centers at positions pos (P,) (all of level >= `level`, when given), and the
        function that applies neu1e (P, D)."""
        import torch

        u, r = self.prefix(level)
        seg, lidx = self.seg[:r], self.lidx[:r]
        s = self.own[:u].clone().index_add_(0, seg, self.local.index_select(0, lidx))
        which = self.inv[pos]
        h = (s / self.n[:u]).index_select(0, which)

        def backward(neu1e):
            grad = torch.zeros_like(s).index_add_(0, which, neu1e)
            self.own[:u] += grad
            self.local.index_add_(0, lidx, grad.index_select(0, seg))

        return h, backward

    def write_back(self) -> None:
        t = self.t
        t.w_in.index_copy_(0, self.words, self.own)
        t.ngrams.index_copy_(0, self.urows, self.local)
        t.touch("w_in", self.words)
        t.touch("ngrams", self.urows)
        t.ngrams[-1] = 0.0  # the padding row never moves (no word lists it; kept exact anyway)


def cbow_hidden(t: Tables, ctx, mask):
    """h (B, D): the mean over a window's rows; ctx (B, 2W) word ids, mask (B, 2W) which are real."""
    import torch

    rows_of = torch.arange(ctx.shape[0], device=ctx.device)[:, None].expand_as(ctx)[mask]   # (M,)
    words = ctx[mask]                                                                      # (M,)
    if not t.subword:
        cnt = mask.sum(1, keepdim=True).to(t.w_in.dtype)
        h = torch.zeros(ctx.shape[0], t.w_in.shape[1], device=ctx.device).index_add_(0, rows_of, t.w_in.index_select(0, words))
        def backward_words(neu1e):
            t.w_in.index_add_(0, words, neu1e[rows_of])
            t.touch("w_in", words)

        return h / cnt, backward_words
    uniq, inv = torch.unique(words, return_inverse=True)
    s, n, seg_rows = _subword_sums(t, uniq)
    h = torch.zeros(ctx.shape[0], s.shape[1], device=ctx.device).index_add_(0, rows_of, s[inv])
    cnt = torch.zeros(ctx.shape[0], device=ctx.device).index_add_(0, rows_of, n[inv])

    def backward(neu1e):
        grad = torch.zeros_like(s).index_add_(0, inv, neu1e[rows_of])
        _subword_backward(t, uniq, grad, seg_rows)

    return h / cnt[:, None], backward


# -- the output side ---------------------------------------------------------------------------

def output_step(t: Tables, h, targets, noise, alpha: float):
    """Negative-sampling step for P examples: h (P, D), targets (P,), noise (P, K).

    Updates W_out in place; returns (neu1e (P, D) for the input side, the loss summed, float64 0-d).
    """
    import torch
    import torch.nn.functional as F

    rows = torch.cat([targets[:, None], noise], 1)                   # (P, 1+K)
    w = t.w_out.index_select(0, rows.reshape(-1)).view(*rows.shape, -1)  # (P, 1+K, D)
    f = torch.linalg.vecdot(w, h[:, None, :])                        # (P, 1+K)
    real = torch.ones_like(f)
    real[:, 1:] = (noise != targets[:, None]).to(f.dtype)            # word2vec.c skips a noise word == target
    label = torch.zeros_like(f)
    label[:, 0] = 1.0
    g = (label - torch.sigmoid(f)) * (alpha * real)                  # (P, 1+K)
    neu1e = torch.bmm(g[:, None, :], w)[:, 0, :]                     # (P, D)
    t.w_out.index_add_(0, rows.reshape(-1), (g[:, :, None] * h[:, None, :]).reshape(-1, h.shape[1]))
    t.touch("w_out", rows.reshape(-1))
    loss = -(F.logsigmoid(f[:, 0]).sum(dtype=torch.float64)
             + (F.logsigmoid(-f[:, 1:]) * real[:, 1:]).sum(dtype=torch.float64))
    return neu1e, loss


def sg_step(t: Tables, inputs, targets, noise, alpha: float, rows: CenterRows | None = None, level=None):
    """One batch of skip-gram pairs (inputs (P,), targets (P,), noise (P, K)); returns the loss (0-d).

    fastText: `rows` is the step's CenterRows and `inputs` are center positions in it, all of `level`
    or above (the tables change at rows.write_back()); without it the inputs are words and the tables
    change at once."""
    if t.subword:
        if rows is None:
            import torch

            own = CenterRows(t, inputs)
            loss = sg_step(t, torch.arange(len(inputs), device=inputs.device), targets, noise, alpha, own)
            own.write_back()
            return loss
        h, backward = rows.hidden(inputs, level)
    else:
        h, backward = sg_hidden(t, inputs)
    neu1e, loss = output_step(t, h, targets, noise, alpha)
    backward(neu1e)
    return loss


def cbow_step(t: Tables, ctx, mask, centers, noise, alpha: float):
    """One batch of CBOW windows (ctx, mask (B, 2W); centers (B,); noise (B, K)); returns the loss."""
    h, backward = cbow_hidden(t, ctx, mask)
    neu1e, loss = output_step(t, h, centers, noise, alpha)
    backward(neu1e)
    return loss


def composed_vectors(t: Tables, chunk: int = 8192):
    """The stored word vectors (V, D): W_in for word2vec; for fastText each word's mean row (its own
    and its n-grams), what gensim's `adjust_vectors` stores and fastText's getWordVector returns."""
    import torch

    if not t.subword:
        return t.w_in
    out = []
    for a in range(0, t.w_in.shape[0], chunk):
        words = torch.arange(a, min(a + chunk, t.w_in.shape[0]), device=t.w_in.device)
        s, n, _ = _subword_sums(t, words)
        out.append(s / n[:, None])
    return torch.cat(out)
