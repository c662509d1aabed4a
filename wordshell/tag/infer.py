"""A stored tagger on the CPU in numpy: the torch model's numbers without importing torch.

`import torch` alone takes 2.3-2.9 s on the 2-core VM of bench/, half of what tagging 10,000 sentences
may take in all (issue 14: 2,000 sentences/s, whole process). The forward pass of a trained tagger is a
few matrix products, so `tag` and `eval tagger` on the CPU run it here from weights.safetensors (read
with safetensors.numpy); torch is imported only to train, or to tag on CUDA (nn.LSTM with cuDNN).

It also does less work than the packed nn.LSTM:
  1. The first layer's input projection W_ih [word vector; char features] + b depends only on the word
     form, so it is computed once per distinct form of a call (~4,000 forms for ~19,000 tokens in a
     1,000-line batch; 60 % of a 100-unit LSTM's multiply-adds) and gathered per token. The char
     BiLSTM does the same per character.
  2. Both directions run in one loop over length-sorted sentences: step t moves the forward direction
     to token t and the backward one to token L-1-t of every sentence longer than t, always a prefix of
     the batch; one product per direction and step, nothing padded, no array allocated in the loop.
  3. Every gate is one sigmoid; tanh(x) = 2 sigmoid(2x) - 1, with the rows that feed a tanh (LSTM g,
     GRU n) doubled once at load.
States are stored "packed": step t's b rows at [off_t, off_t + b). Token p of sentence i finds its
forward state at off_p + i and its backward state at off_{L_i-1-p} + i.

tests/test_tag_infer.py checks emissions, char features, Viterbi and marginals against the torch model
(every cell, depth, char model, CRF or softmax).

    net = Net(config, arrays)                    arrays: the state dict as float32 numpy arrays
    feats = net.char_features(chars)             (U, F) per distinct form, or None
    proj = net.project(form_words, feats)        (2, U, G) the first layer's input, per form
    em = net.emissions(proj, forms, lengths)     (B, T, K)
    net.decode(em, lengths) / net.marginals(em, lengths)
"""

from __future__ import annotations

import numpy as np

def sigmoid_(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) in place."""
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += 1.0
    np.reciprocal(x, out=x)
    return x


class BiRNN:
    """One bidirectional LSTM/GRU layer's weights, both directions stacked, tanh rows doubled."""

    def __init__(self, arrays: dict, prefix: str, layer: int, cell: str, hidden: int):
        H = hidden
        get = lambda n: np.stack([arrays[f"{prefix}{n}_l{layer}{s}"] for s in ("", "_reverse")]).astype(np.float32)
        w_ih, w_hh, b_ih, b_hh = get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")
        for a in (w_ih, w_hh, b_ih, b_hh):
            a[:, 2 * H:3 * H] *= 2
        self.cell, self.H = cell, H
        if cell == "lstm":                              # both biases fold into the input side
            b, self.b_hn = b_ih + b_hh, None
        else:                                           # GRU: b_hn sits inside r * (W_hn h + b_hn)
            b = b_ih.copy()
            b[:, :2 * H] += b_hh[:, :2 * H]
            self.b_hn = np.ascontiguousarray(b_hh[:, None, 2 * H:])        # (2, 1, H)
        self.w_ih = np.ascontiguousarray(w_ih.transpose(0, 2, 1))           # (2, In, G)
        self.w_hh = np.ascontiguousarray(w_hh.transpose(0, 2, 1))           # (2, H, G)
        self.b = b[:, None, :]                                              # (2, 1, G)

    def project(self, x: np.ndarray) -> np.ndarray:
        """(2, R, G) = x (R, In) W_ih^T + b, for each direction."""
        return np.matmul(x[None], self.w_ih) + self.b

    def run(self, table: np.ndarray, rows: np.ndarray, n: np.ndarray, off: np.ndarray) -> np.ndarray:
        """(2, N, H) states. Step t's inputs are rows[2 off_t : 2 off_t + 2 b] of table (2, R, G) seen
        flat (2R, G): b forward rows, then b backward rows. h of step t-1 is read back from `out`."""
        H, B, G = self.H, int(n[0]), table.shape[2]
        flat = table.reshape(-1, G)
        out = np.empty((2, int(off[-1]), H), dtype=np.float32)
        xbuf = np.empty(2 * B * G, dtype=np.float32)
        gbuf = np.empty(2 * B * G, dtype=np.float32)
        lstm = self.cell == "lstm"
        c = np.zeros((2, B, H), dtype=np.float32)
        zero = np.zeros((2, B, H), dtype=np.float32)
        for t in range(len(n)):
            b, a = int(n[t]), int(off[t])
            x = xbuf[:2 * b * G].reshape(2, b, G)
            np.take(flat, rows[2 * a:2 * (a + b)], axis=0, out=x.reshape(2 * b, G))
            hb = zero[:, :b] if t == 0 else out[:, int(off[t - 1]):int(off[t - 1]) + b]
            gh = gbuf[:2 * b * G].reshape(2, b, G)
            for d in (0, 1):
                np.matmul(hb[d], self.w_hh[d], out=gh[d])
            v = out[:, a:a + b]
            if lstm:                                    # x: i f g o (g doubled)
                x += gh
                sigmoid_(x)
                i, f, g, o = x[..., :H], x[..., H:2 * H], x[..., 2 * H:3 * H], x[..., 3 * H:]
                g *= 2
                g -= 1
                g *= i                                  # i tanh(g)
                cb = c[:, :b]
                cb *= f
                cb += g                                 # c = f c + i tanh(g)
                np.multiply(cb, 2, out=v)
                sigmoid_(v)
                v *= 2
                v -= 1
                v *= o                                  # h = o tanh(c)
            else:                                       # x: r z n (n doubled, like W_hn and b_hn)
                rz = x[..., :2 * H]
                rz += gh[..., :2 * H]
                sigmoid_(rz)
                hn = gh[..., 2 * H:]
                hn += self.b_hn
                hn *= rz[..., :H]
                nn_ = x[..., 2 * H:]
                nn_ += hn
                sigmoid_(nn_)
                nn_ *= 2
                nn_ -= 1                                # n = tanh(x_n + r (W_hn h + b_hn))
                np.subtract(hb, nn_, out=v)
                v *= rz[..., H:]
                v += nn_                                # h = n + z (h - n)
        return out


class Packing:
    """Index arithmetic of the packed loop for sentences of `lengths` (any order)."""

    def __init__(self, lengths: np.ndarray):
        B = len(lengths)
        self.order = order = np.argsort(-lengths, kind="stable")
        self.L = L = lengths[order]
        T = int(L[0])
        self.n = n = (L[None, :] > np.arange(T)[:, None]).sum(1)             # (T,) sentences running at step t
        self.off = off = np.concatenate([[0], np.cumsum(n)])                 # step t's rows: [off_t, off_t + n_t)
        N = int(off[-1])
        step = np.repeat(np.arange(T), n)
        self.sent = np.arange(N) - off[step]                                 # packed row -> sorted sentence
        self.pos_f, self.pos_b = step, L[self.sent] - 1 - step               # its token, forward / backward
        self.starts = np.concatenate([[0], np.cumsum(L)[:-1]])
        s_sent = np.repeat(np.arange(B), L)                                  # sentence order: (sentence, token)
        self.s_sent, self.s_pos = s_sent, np.arange(N) - self.starts[s_sent]
        self.row_f = off[self.s_pos] + s_sent                                # -> packed forward state
        self.row_b = off[L[s_sent] - 1 - self.s_pos] + s_sent                # -> packed backward state
        self.last = off[L - 1] + np.arange(B)                                # both final states of sentence i

    def steps(self, rows_f: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
        """(2N,) table rows by step: step t's n_t forward rows, then its n_t backward rows."""
        n, off = self.n, self.off
        step = self.pos_f
        j = self.sent
        out = np.empty(2 * len(rows_f), dtype=np.int64)
        out[2 * off[step] + j] = rows_f
        out[2 * off[step] + n[step] + j] = rows_b
        return out

    def both(self, h: np.ndarray) -> np.ndarray:
        """(N, 2H) each token's [forward; backward] state, in sentence order (sorted sentences)."""
        return np.concatenate([h[0][self.row_f], h[1][self.row_b]], axis=1)


class Net:
    def __init__(self, config: dict, arrays: dict):
        c = config
        self.config = c
        f32 = lambda k: np.ascontiguousarray(arrays[k], dtype=np.float32)
        self.embed = f32("embed.weight")
        self.chars = c.get("chars", "cnn")
        if self.chars == "cnn":
            self.char_embed = f32("char.embed.weight")
            self.conv_w = f32("char.conv.weight")                           # (out, D, width)
            self.conv_b = f32("char.conv.bias")
        elif self.chars == "lstm":
            self.char_embed = f32("char.embed.weight")
            self.char_rnn = BiRNN(arrays, "char.rnn.", 0, "lstm", int(c.get("char_out", 50)) // 2)
        self.layers = [BiRNN(arrays, "rnn.", k, c.get("cell", "lstm"), int(c.get("hidden", 100)))
                       for k in range(int(c.get("layers", 1)))]
        self.out_w = np.ascontiguousarray(f32("out.weight").T)               # (2H, K)
        self.out_b = f32("out.bias")
        self.crf = c.get("crf", True)
        if self.crf:
            self.trans = f32("crf.trans") + f32("crf.trans_pen")
            self.start = f32("crf.start") + f32("crf.start_pen")
            self.end = f32("crf.end") + f32("crf.end_pen")

    # -- features -------------------------------------------------------------------------
    def char_features(self, chars: np.ndarray) -> np.ndarray | None:
        """(U, F) the char features of U word forms, chars (U, C) ids 0-padded; None without them."""
        if self.chars == "none" or not len(chars):
            return None if self.chars == "none" else np.zeros((0, self._char_dim()), np.float32)
        lengths = np.maximum((chars != 0).sum(1), 1)
        if self.chars == "lstm":
            rnn = self.char_rnn
            p = Packing(lengths)
            table = rnn.project(self.char_embed)                             # per character id
            cs = chars[p.order]
            h = rnn.run(table, p.steps(cs[p.sent, p.pos_f], cs[p.sent, p.pos_b] + table.shape[1]), p.n, p.off)
            out = np.empty((len(chars), 2 * rnn.H), dtype=np.float32)
            out[p.order] = np.concatenate([h[0][p.last], h[1][p.last]], axis=1)
            return out
        out = np.empty((len(chars), self.conv_w.shape[0]), dtype=np.float32)
        width = self.conv_w.shape[2]
        for n in np.unique(lengths):                                         # each length apart, as wide as it is
            rows = np.nonzero(lengths == n)[0]
            e = np.zeros((len(rows), n + width - 1, self.char_embed.shape[1]), dtype=np.float32)
            e[:, width // 2:width // 2 + n] = self.char_embed[chars[rows, :n]]
            y = sum(e[:, k:k + n] @ self.conv_w[:, :, k].T for k in range(width))   # (r, n, out)
            out[rows] = y.max(axis=1) + self.conv_b
        return out

    def _char_dim(self) -> int:
        return self.conv_w.shape[0] if self.chars == "cnn" else 2 * self.char_rnn.H

    def project(self, form_words: np.ndarray, feats: np.ndarray | None) -> np.ndarray:
        """(2, U, G): the first layer's input projection of each distinct form, both directions."""
        x = self.embed[form_words]
        if feats is not None:
            x = np.concatenate([x, feats], axis=1)
        return self.layers[0].project(x)

    def emissions(self, proj: np.ndarray, forms: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """(B, T, K) tag scores of B sentences: forms (B, T) each token's row of `proj`, lengths (B,)."""
        p = Packing(lengths)
        fs = forms[p.order]
        table, rows = proj, p.steps(fs[p.sent, p.pos_f], fs[p.sent, p.pos_b] + proj.shape[1])
        h = None
        for k, layer in enumerate(self.layers):
            if k:                                       # the previous layer's outputs per token, projected
                table = layer.project(p.both(h))        # (2, N, G) in sentence order
                s = p.starts[p.sent]
                rows = p.steps(s + p.pos_f, s + p.pos_b + table.shape[1])
            h = layer.run(table, rows, p.n, p.off)
        em = p.both(h) @ self.out_w + self.out_b                             # (N, K)
        out = np.zeros((len(lengths), int(p.L[0]), em.shape[1]), dtype=np.float32)
        out[p.order[p.s_sent], p.s_pos] = em
        return out

    # -- output -------------------------------------------------------------------------------
    def decode(self, em: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """(B, T) the best tag ids: Viterbi with the CRF (as crf.CRF.decode), else the argmax per token."""
        if not self.crf:
            return em.argmax(axis=2)
        B, T, K = em.shape
        score = self.start + em[:, 0]
        back = np.empty((T, B, K), dtype=np.int64)
        keep = np.broadcast_to(np.arange(K), (B, K))
        for t in range(1, T):
            cand = score[:, :, None] + self.trans                            # (B, K prev, K next)
            idx = cand.argmax(axis=1)
            best = np.take_along_axis(cand, idx[:, None, :], axis=1)[:, 0]
            on = (lengths > t)[:, None]
            score = np.where(on, best + em[:, t], score)
            back[t] = np.where(on, idx, keep)
        cur = (score + self.end).argmax(axis=1)
        path = np.empty((B, T), dtype=np.int64)
        path[:, T - 1] = cur
        for t in range(T - 1, 0, -1):
            cur = back[t][np.arange(B), cur]
            path[:, t - 1] = cur
        return path

    def marginals(self, em: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """(B, T, K) P(tag k at t | sentence): forward-backward with the CRF, else a softmax per token."""
        B, T, K = em.shape
        mask = (np.arange(T)[None, :] < lengths[:, None])[:, :, None]
        if not self.crf:
            e = np.exp(em - em.max(axis=2, keepdims=True))
            return e / e.sum(axis=2, keepdims=True) * mask
        em = em.astype(np.float64)
        trans, end = self.trans.astype(np.float64), self.end.astype(np.float64)
        alpha = self.start + em[:, 0]
        alphas = [alpha]
        for t in range(1, T):
            nxt = _logsumexp(alpha[:, :, None] + trans + em[:, t][:, None, :], axis=1)
            alpha = np.where((lengths > t)[:, None], nxt, alpha)
            alphas.append(alpha)
        logz = _logsumexp(alpha + end, axis=1)
        beta = np.broadcast_to(end, (B, K))
        betas = [beta]
        for t in range(T - 2, -1, -1):
            nxt = _logsumexp(trans[None] + (em[:, t + 1] + beta)[:, None, :], axis=2)
            beta = np.where((lengths > t + 1)[:, None], nxt, end)
            betas.append(beta)
        logp = np.stack(alphas, 1) + np.stack(betas[::-1], 1) - logz[:, None, None]
        return (np.exp(logp) * mask).astype(np.float32)


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    m = x.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)
