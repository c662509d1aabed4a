"""The CRF against brute force: log Z, Viterbi and marginals over every tag sequence of tiny inputs;
the scheme's constraints: a forbidden move is never decoded."""

from __future__ import annotations

import itertools

import pytest
import torch

from wordshell.tag.crf import CRF, constraints
from wordshell.tag.schemes import allowed, convert, spans


def brute(crf, em, length):
    """Every tag sequence of one sentence: (log Z, best path, marginals (T, K)) by enumeration."""
    trans, start, end = (t.detach() for t in crf._params())
    K = em.shape[1]
    scores, paths = [], []
    for path in itertools.product(range(K), repeat=length):
        s = start[path[0]] + sum(em[t, path[t]] for t in range(length))
        s = s + sum(trans[path[t - 1], path[t]] for t in range(1, length)) + end[path[-1]]
        scores.append(float(s))
        paths.append(path)
    scores_t = torch.tensor(scores, dtype=torch.float64)
    logz = torch.logsumexp(scores_t, 0)
    probs = (scores_t - logz).exp()
    marg = torch.zeros(length, K, dtype=torch.float64)
    for p, path in zip(probs, paths):
        for t, k in enumerate(path):
            marg[t, k] += p
    return float(logz), list(paths[int(scores_t.argmax())]), marg


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_log_partition_viterbi_marginals_equal_brute_force(seed):
    torch.manual_seed(seed)
    K, T = 3, 4
    crf = CRF(K)
    with torch.no_grad():
        crf.trans.normal_()
        crf.start.normal_()
        crf.end.normal_()
    em = torch.randn(3, T, K)
    lengths = [4, 2, 1]  # padding at the end of the shorter sentences
    mask = torch.tensor([[t < n for t in range(T)] for n in lengths])
    with torch.no_grad():
        logz = crf.log_partition(em, mask)
        best = crf.decode(em, mask)
        marg = crf.marginals(em, mask)
    for b, n in enumerate(lengths):
        z, path, m = brute(crf, em[b, :n], n)
        assert float(logz[b]) == pytest.approx(z, abs=1e-4)
        assert best[b, :n].tolist() == path
        assert torch.allclose(marg[b, :n].double(), m, atol=1e-5)
        assert float(marg[b, n:].abs().sum()) == 0.0


def test_nll_is_log_z_minus_gold_score_and_its_gradient_flows():
    torch.manual_seed(3)
    crf = CRF(4)
    em = torch.randn(2, 3, 4, requires_grad=True)
    mask = torch.tensor([[True, True, True], [True, True, False]])
    tags = torch.tensor([[0, 1, 2], [3, 3, 0]])
    nll = crf.nll(em, tags, mask)
    for b, n in enumerate([3, 2]):
        z, _, _ = brute(crf, em[b, :n].detach(), n)
        gold = tags[b, :n].tolist()
        s = crf.start[gold[0]] + sum(em[b, t, gold[t]] for t in range(n)) \
            + sum(crf.trans[gold[t - 1], gold[t]] for t in range(1, n)) + crf.end[gold[-1]]
        assert float(nll[b]) == pytest.approx(z - float(s), abs=1e-4)
        assert float(nll[b]) > 0
    nll.sum().backward()
    assert crf.trans.grad is not None and em.grad is not None


def test_forbidden_bioes_moves_are_never_decoded():
    tags = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"]
    ok, s_ok, e_ok = constraints(tags, "bioes")
    crf = CRF(len(tags), ok, s_ok, e_ok)
    torch.manual_seed(0)
    # random emissions that favour invalid tags (I-/E- everywhere): the constraints must win
    em = torch.randn(64, 7, len(tags)) * 3
    em[:, :, [2, 3, 6, 7]] += 4
    mask = torch.ones(64, 7, dtype=torch.bool)
    mask[32:, 4:] = False
    with torch.no_grad():
        best = crf.decode(em, mask)
    for b in range(64):
        n = int(mask[b].sum())
        seq = [tags[i] for i in best[b, :n].tolist()]
        prev = None
        for t in seq:
            assert allowed(prev, t, "bioes"), seq
            prev = t
        assert allowed(prev, None, "bioes"), seq
        assert convert(seq, "bioes", "bioes") == seq  # a valid sequence reads back unchanged
        assert all(e > s for _, s, e in spans(seq))
