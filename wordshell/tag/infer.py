"""The tagger's encoder at inference time: nn.LSTM's numbers, with a third of the work on the CPU.

`tag` spends nearly all its time in the BiLSTM. Two things make the packed nn.LSTM do more than it must:

  1. The first layer's input projection W_ih [word vector; char features] + b depends only on the word
     form, and a batch of 1,000 sentences has ~19,000 tokens but ~4,000 distinct forms. So it is
     computed once per form (both directions in one matrix product) and gathered for each token:
     with 150 inputs and 100 hidden units that is 60 % of the LSTM's multiply-adds, done 5x less often.
  2. Both directions run in one loop: sentences sorted longest first, step t moves the forward
     direction to token t and the backward one to token L-1-t of every sentence longer than t, which
     is always a prefix of the batch, so each step is one batched matrix product (2, b, H) x (2, H, G)
     and a few elementwise ops on contiguous rows, nothing padded.

States are stored "packed": step t's b rows at [off_t, off_t + b). A token (p, i) finds its forward
state at off_p + i and its backward state at off_{L_i-1-p} + i. Layers past the first take the
previous layer's outputs, projected per token. Eval mode only (no dropout). tests/test_tag_infer.py
checks emissions against the model's own packed nn.LSTM/GRU for every architecture.

    enc = FastEncoder(model)
    proj = enc.project(form_words, feats)        (2, U, G) the first layer's input, per distinct form
    em = enc.emissions(proj, forms, lengths)     (B, T, K) the same as model.emissions(...)
"""

from __future__ import annotations

import numpy as np
import torch


class FastEncoder:
    def __init__(self, model):
        c = model.config
        self.model, self.cell, self.layers, self.H = model, c.cell, c.layers, c.hidden
        H, rnn = c.hidden, model.rnn
        # tanh(x) = 2 sigmoid(2x) - 1: torch's CPU sigmoid is 3-4x faster per element than its tanh, so
        # the rows that feed a tanh (LSTM: g; GRU: n) are doubled here and every gate is one sigmoid
        tanh_rows = slice(2 * H, 3 * H)
        self.w = []                                     # per layer: W_ih^T (2, In, G), b (2, 1, G), W_hh^T (2, H, G), GRU's b_hn
        for layer in range(c.layers):
            get = [lambda n, s=s: getattr(rnn, f"{n}_l{layer}{s}").detach().clone() for s in ("", "_reverse")]
            w_ih, w_hh = torch.stack([g("weight_ih") for g in get]), torch.stack([g("weight_hh") for g in get])
            b_ih, b_hh = torch.stack([g("bias_ih") for g in get]), torch.stack([g("bias_hh") for g in get])
            for t in (w_ih, w_hh, b_ih, b_hh):
                t[:, tanh_rows] *= 2
            if self.cell == "lstm":                     # both biases fold into the input side
                b, b_hn = b_ih + b_hh, None
            else:                                       # GRU: b_hn sits inside r * (W_hn h + b_hn)
                b = b_ih.clone()
                b[:, :2 * H] += b_hh[:, :2 * H]
                b_hn = torch.cat([torch.zeros(2, 1, 2 * H), b_hh[:, None, 2 * H:]], dim=2)   # (2, 1, 3H)
            self.w.append((w_ih.transpose(1, 2).contiguous(), b[:, None, :].contiguous(),
                           w_hh.transpose(1, 2).contiguous(), b_hn))
        out = model.out
        self.out_w = out.weight.detach().t().contiguous()  # (2H, K)
        self.out_b = out.bias.detach()

    def project(self, form_words: torch.Tensor, feats: torch.Tensor | None) -> torch.Tensor:
        """(2, U, G): the first layer's input projection of each distinct form, both directions."""
        x = self.model.embed(form_words)
        if feats is not None:
            x = torch.cat([x, feats], dim=1)
        w_ih, b, _, _ = self.w[0]
        return torch.baddbmm(b, x.unsqueeze(0).expand(2, -1, -1), w_ih)

    def emissions(self, proj: torch.Tensor, forms: np.ndarray, lengths: np.ndarray) -> torch.Tensor:
        """(B, T, K) tag scores of B sentences: forms (B, T) each token's form (row of `proj`), lengths (B,)."""
        B = len(lengths)
        order = np.argsort(-lengths, kind="stable")
        L = lengths[order]
        T = int(L[0])
        n = (L[None, :] > np.arange(T)[:, None]).sum(1)            # (T,) sentences still running at step t
        off = np.concatenate([[0], np.cumsum(n)])                  # packed rows of step t: [off_t, off_t + n_t)
        N = int(off[-1])
        # packed order: step t, sentence i < n_t; it reads token t forward and token L_i-1-t backward
        step = np.repeat(np.arange(T), n)
        sent = np.arange(N) - off[step]
        pos_f, pos_b = step, L[sent] - 1 - step
        # sentence order: sentence i (sorted), token p -> its rows in the packed forward / backward states
        starts = np.concatenate([[0], np.cumsum(L)[:-1]])
        s_sent = np.repeat(np.arange(B), L)
        s_pos = np.arange(N) - starts[s_sent]
        rf = torch.from_numpy(off[s_pos] + s_sent)
        rb = torch.from_numpy(off[L[s_sent] - 1 - s_pos] + s_sent)
        fsorted = forms[order]
        table, rows_f, rows_b = proj, fsorted[sent, pos_f], fsorted[sent, pos_b]
        for layer in range(self.layers):
            if layer:                                  # the previous layer's output per token, projected
                z = torch.cat([h[0].index_select(0, rf), h[1].index_select(0, rb)], dim=1)     # (N, 2H)
                w_ih, b, _, _ = self.w[layer]
                table = torch.baddbmm(b, z.unsqueeze(0).expand(2, -1, -1), w_ih)           # (2, N, G) sentence order
                rows_f, rows_b = starts[sent] + pos_f, starts[sent] + pos_b
            h = self._run(layer, table, _step_rows(rows_f, rows_b + table.shape[1], n, off), n, off)
        z = torch.cat([h[0].index_select(0, rf), h[1].index_select(0, rb)], dim=1)             # (N, 2H)
        em = torch.addmm(self.out_b, z, self.out_w)                                            # (N, K)
        out = em.new_zeros(B, T, em.shape[1])
        out[torch.from_numpy(order[s_sent]), torch.from_numpy(s_pos)] = em
        return out

    def _run(self, layer: int, table: torch.Tensor, rows: torch.Tensor, n: np.ndarray, off: np.ndarray) -> torch.Tensor:
        """(2, N, H) the states of one bidirectional layer. Step t's inputs (2, b, G) are the rows
        rows[2 off_t : 2 off_t + 2 b] of table (2, R, G) seen flat (2R, G): forward ones, then backward.

        No tensor is allocated inside the loop (every op writes into the step's own buffers or rows of
        `out`): a thousand steps of fresh 1 MB tensors cost more in page faults than in arithmetic. The
        state h of step t-1 is read back from `out` (its first b rows: the sentences still running)."""
        _, _, w_hh, b_hn = self.w[layer]
        H, B, G = self.H, int(n[0]), table.shape[2]
        flat = table.reshape(-1, G)
        out = table.new_empty(2, int(off[-1]), H)
        xbuf = table.new_empty(2 * B * G)
        ghbuf = table.new_empty(2 * B * G) if self.cell == "gru" else None
        c = table.new_zeros(2, B, H) if self.cell == "lstm" else None
        zero = table.new_zeros(2, B, H)
        for t in range(len(n)):
            b, a = int(n[t]), int(off[t])
            x = torch.index_select(flat, 0, rows[2 * a:2 * (a + b)], out=xbuf[:2 * b * G].view(2 * b, G)).view(2, b, G)
            hb = zero[:, :b] if t == 0 else out[:, int(off[t - 1]):int(off[t - 1]) + b]
            v = out[:, a:a + b]
            if c is not None:                                     # x: i f g o (g doubled)
                x.baddbmm_(hb, w_hh).sigmoid_()
                i, f, g, o = x.split(H, dim=2)
                g.mul_(2).sub_(1).mul_(i)                         # i * tanh(g)
                cb = c[:, :b]
                cb.mul_(f).add_(g)                                # c = f c + i tanh(g)
                v.copy_(cb).mul_(2).sigmoid_().mul_(2).sub_(1).mul_(o)   # h = o tanh(c)
            else:                                                 # x: r z n (n doubled, like b_hn and W_hn)
                gh = torch.baddbmm(b_hn, hb, w_hh, out=ghbuf[:2 * b * G].view(2, b, G))
                rz = x[..., :2 * H].add_(gh[..., :2 * H]).sigmoid_()
                nn_ = x[..., 2 * H:].add_(gh[..., 2 * H:].mul_(rz[..., :H])).sigmoid_().mul_(2).sub_(1)
                v.copy_(hb).sub_(nn_).mul_(rz[..., H:]).add_(nn_)  # h = n + z (h - n)
        return out


def _step_rows(rows_f: np.ndarray, rows_b: np.ndarray, n: np.ndarray, off: np.ndarray) -> torch.Tensor:
    """(2N,) the packed rows of both directions interleaved by step: step t's n_t forward rows, then its
    n_t backward rows, at [2 off_t, 2 off_t + 2 n_t)."""
    step = np.repeat(np.arange(len(n)), n)
    j = np.arange(len(rows_f)) - off[step]
    out = np.empty(2 * len(rows_f), dtype=np.int64)
    out[2 * off[step] + j] = rows_f
    out[2 * off[step] + n[step] + j] = rows_b
    return torch.from_numpy(out)
