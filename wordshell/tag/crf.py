"""A linear-chain CRF in torch, batched: log-likelihood (forward algorithm), Viterbi, marginals.

    emissions (B, T, K)   a score per token and tag, from the encoder
    mask      (B, T)      True on real tokens; every sentence has >= 1, padding only at the end
    trans     (K, K)      trans[i, j] = score of tag j right after tag i
    start, end (K,)       scores of the first and of the last tag

    score(y) = start[y0] + sum_t em[t, y_t] + sum_t trans[y_{t-1}, y_t] + end[y_last]
    log Z    = logsumexp over every tag sequence of score(y)     (forward algorithm, O(T K^2))
    nll      = log Z - score(gold)

Moves the tag scheme forbids (I-PER after O in BIOES) get FORBIDDEN added to their score, in
training and decoding alike: their probability is exp(-10000) = 0, so they are never decoded and
add nothing to Z. tests/test_tag_crf.py checks log Z, Viterbi and the marginals against brute-force
enumeration of every tag sequence.

>>> import torch
>>> crf = CRF(3)
>>> em = torch.zeros(1, 4, 3); mask = torch.ones(1, 4, dtype=torch.bool)
>>> round(float(crf.log_partition(em, mask)[0].detach()), 4) == round(4 * math.log(3), 4)   # all 81 paths score 0
True
"""

from __future__ import annotations

import math  # noqa: F401  (the doctest above)

import torch
from torch import nn

FORBIDDEN = -10000.0


class CRF(nn.Module):
    def __init__(self, num_tags: int, allowed: torch.Tensor | None = None, start_ok: torch.Tensor | None = None,
                 end_ok: torch.Tensor | None = None):
        super().__init__()
        K = num_tags
        self.trans = nn.Parameter(torch.zeros(K, K))
        self.start = nn.Parameter(torch.zeros(K))
        self.end = nn.Parameter(torch.zeros(K))
        # constraints: additive penalties, stored with the weights (buffers) so a loaded model decodes the same
        ok = torch.ones(K, K, dtype=torch.bool) if allowed is None else allowed.bool()
        s_ok = torch.ones(K, dtype=torch.bool) if start_ok is None else start_ok.bool()
        e_ok = torch.ones(K, dtype=torch.bool) if end_ok is None else end_ok.bool()
        self.register_buffer("trans_pen", (~ok).float() * FORBIDDEN)
        self.register_buffer("start_pen", (~s_ok).float() * FORBIDDEN)
        self.register_buffer("end_pen", (~e_ok).float() * FORBIDDEN)

    def _params(self):
        return self.trans + self.trans_pen, self.start + self.start_pen, self.end + self.end_pen

    # -- likelihood --------------------------------------------------------------------
    def score(self, em: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B,) score of the given tag sequences."""
        trans, start, end = self._params()
        m = mask.to(em.dtype)                                                     # (B, T)
        s = em.gather(2, tags.unsqueeze(2)).squeeze(2)                            # (B, T) emission of each tag
        s = (s * m).sum(1) + start[tags[:, 0]]
        if tags.shape[1] > 1:
            s = s + (trans[tags[:, :-1], tags[:, 1:]] * m[:, 1:]).sum(1)          # pairs inside the sentence
        last = tags.gather(1, (mask.sum(1, keepdim=True) - 1).clamp(min=0)).squeeze(1)
        return s + end[last]

    def _alphas(self, em: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        """Forward variables: alphas[t] (B, K) = log-sum of the scores of every prefix ending in tag k at t
        (kept unchanged past a sentence's end)."""
        trans, start, _ = self._params()
        alpha = start + em[:, 0]                                                  # (B, K)
        out = [alpha]
        for t in range(1, em.shape[1]):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans + em[:, t].unsqueeze(1), dim=1)  # (B, K)
            alpha = torch.where(mask[:, t:t + 1], nxt, alpha)
            out.append(alpha)
        return out

    def log_partition(self, em: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B,) log Z."""
        _, _, end = self._params()
        return torch.logsumexp(self._alphas(em, mask)[-1] + end, dim=1)

    def nll(self, em: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B,) negative log-likelihood of the gold tags."""
        em = em.float()
        return self.log_partition(em, mask) - self.score(em, tags, mask)

    # -- decoding ------------------------------------------------------------------------
    def decode(self, em: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T) the best tag sequence of each sentence (Viterbi); past a sentence's end: its last tag."""
        em = em.float()
        trans, start, end = self._params()
        B, T, K = em.shape
        score = start + em[:, 0]                                                  # (B, K)
        back = []
        keep = torch.arange(K, device=em.device).expand(B, K)                     # identity for padding steps
        for t in range(1, T):
            best, idx = (score.unsqueeze(2) + trans).max(dim=1)                   # (B, K): best previous tag
            on = mask[:, t:t + 1]
            score = torch.where(on, best + em[:, t], score)
            back.append(torch.where(on, idx, keep))
        cur = (score + end).argmax(dim=1)                                         # (B,)
        path = [cur]
        for idx in reversed(back):
            cur = idx.gather(1, cur.unsqueeze(1)).squeeze(1)
            path.append(cur)
        return torch.stack(path[::-1], dim=1)                                     # (B, T)

    def marginals(self, em: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, K) P(tag k at t | sentence), by forward-backward."""
        em = em.float()
        trans, _, end = self._params()
        B, T, K = em.shape
        alphas = self._alphas(em, mask)
        logz = torch.logsumexp(alphas[-1] + end, dim=1)                           # (B,)
        beta = end.expand(B, K)
        betas = [beta]
        for t in range(T - 2, -1, -1):
            nxt = torch.logsumexp(trans + (em[:, t + 1] + beta).unsqueeze(1), dim=2)   # (B, K)
            beta = torch.where(mask[:, t + 1:t + 2], nxt, end.expand(B, K))
            betas.append(beta)
        betas = betas[::-1]
        logp = torch.stack(alphas, 1) + torch.stack(betas, 1) - logz[:, None, None]
        return logp.exp() * mask.unsqueeze(2)


def constraints(tags: list[str], scheme: str | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(allowed (K, K), start_ok (K,), end_ok (K,)) for `tags` under a span scheme (all True for None)."""
    from wordshell.tag.schemes import allowed

    K = len(tags)
    if scheme is None:
        return torch.ones(K, K, dtype=torch.bool), torch.ones(K, dtype=torch.bool), torch.ones(K, dtype=torch.bool)
    ok = torch.tensor([[allowed(a, b, scheme) for b in tags] for a in tags], dtype=torch.bool)
    start = torch.tensor([allowed(None, b, scheme) for b in tags], dtype=torch.bool)
    end = torch.tensor([allowed(a, None, scheme) for a in tags], dtype=torch.bool)
    return ok, start, end
