"""The torch engine's pieces against oracles: word2vec.c's update written out pair by pair in numpy,
gensim's vocabulary and subsampling tables, brute-force windows, the noise distribution."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from wordshell.vectors import torch_batches as TB  # noqa: E402
from wordshell.vectors import torch_engine as E  # noqa: E402
from wordshell.vectors.vocab_ids import keep_probability, noise_cdf, read_ids  # noqa: E402


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_output(w_out, h, target, noise, alpha):
    """word2vec.c's inner loop for one example, in float64: (neu1e, W_out changes {row: delta}, loss)."""
    neu1e = np.zeros_like(h)
    delta = {}
    loss = 0.0
    for k, row in enumerate([target, *noise]):
        if k and row == target:
            continue
        label = 1.0 if k == 0 else 0.0
        f = h @ w_out[row]
        g = (label - sigmoid(f)) * alpha
        neu1e += g * w_out[row]
        delta[row] = delta.get(row, 0) + g * h
        loss -= np.log(sigmoid(f)) if k == 0 else np.log(sigmoid(-f))
    return neu1e, delta, loss


def tables(v=12, d=6, seed=0, subword=None, words=None):
    t = E.init_tables(v, d, seed=seed, device="cpu", subword=subword, words=words)
    t.w_out.normal_(0, 0.3, generator=torch.Generator().manual_seed(seed + 1))  # W_out starts at 0: make it talk
    t.w_in.mul_(40)
    if t.subword:
        t.ngrams[:-1].mul_(40)
    return t


def as64(x):
    return x.detach().double().numpy().copy()


def test_skipgram_step_is_word2vec_c_summed_over_the_batch():
    """Each example computes word2vec.c's update from the tables as they were before the batch; the batch
    adds them up (a row hit twice gets both updates)."""
    t = tables()
    w_in, w_out = as64(t.w_in), as64(t.w_out)
    inputs = torch.tensor([3, 5, 3, 7])
    targets = torch.tensor([1, 1, 4, 2])
    noise = torch.tensor([[0, 1, 9], [1, 8, 8], [6, 2, 11], [2, 2, 0]])   # includes noise == target (skipped)
    alpha = 0.05
    loss = E.sg_step(t, inputs, targets, noise, alpha)
    want_in, want_out, want_loss = w_in.copy(), w_out.copy(), 0.0
    for i, tg, ns in zip(inputs.tolist(), targets.tolist(), noise.tolist()):
        neu1e, delta, l = reference_output(w_out, w_in[i], tg, ns, alpha)
        want_in[i] += neu1e
        for row, dv in delta.items():
            want_out[row] += dv
        want_loss += l
    np.testing.assert_allclose(as64(t.w_in), want_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(as64(t.w_out), want_out, rtol=1e-5, atol=1e-6)
    assert float(loss) == pytest.approx(want_loss, rel=1e-5)


def test_one_example_at_a_time_is_exactly_sequential_word2vec():
    t = tables(seed=3)
    w_in, w_out = as64(t.w_in), as64(t.w_out)
    rng = np.random.default_rng(0)
    for _ in range(20):
        i, tg = rng.integers(0, 12, 2)
        ns = rng.integers(0, 12, 5)
        E.sg_step(t, torch.tensor([i]), torch.tensor([tg]), torch.from_numpy(ns[None]), 0.025)
        neu1e, delta, _ = reference_output(w_out, w_in[i], tg, ns, 0.025)
        for row, dv in delta.items():
            w_out[row] += dv
        w_in[i] += neu1e
    np.testing.assert_allclose(as64(t.w_in), w_in, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(as64(t.w_out), w_out, rtol=1e-4, atol=1e-6)


def test_cbow_step_uses_the_window_mean_and_gives_each_word_the_full_error():
    t = tables(seed=5)
    w_in, w_out = as64(t.w_in), as64(t.w_out)
    ctx = torch.tensor([[1, 2, 3, 4], [5, 5, 6, 0]])
    mask = torch.tensor([[True, True, False, True], [True, True, True, False]])
    centers = torch.tensor([7, 8])
    noise = torch.tensor([[9, 10], [8, 11]])
    E.cbow_step(t, ctx, mask, centers, noise, 0.05)
    want_in, want_out = w_in.copy(), w_out.copy()
    for b in range(2):
        words = [w for w, m in zip(ctx[b].tolist(), mask[b].tolist()) if m]
        h = w_in[words].mean(0)                           # word2vec.c cbow: neu1 /= cw
        neu1e, delta, _ = reference_output(w_out, h, int(centers[b]), noise[b].tolist(), 0.05)
        for w in words:                                   # each context word gets neu1e (not / cw)
            want_in[w] += neu1e
        for row, dv in delta.items():
            want_out[row] += dv
    np.testing.assert_allclose(as64(t.w_in), want_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(as64(t.w_out), want_out, rtol=1e-5, atol=1e-6)


WORDS = ["apple", "apply", "ample", "maple", "pale", "leap", "plea", "peal", "lap", "pal", "alp", "ale"]


def test_fasttext_skipgram_input_is_the_mean_of_word_and_ngram_rows():
    """fastText: h = mean(own row, n-gram rows); the error goes in full to each of those rows."""
    from wordshell.vectors.ngrams import ngram_buckets

    sub = {"min_n": 2, "max_n": 4, "bucket": 50}      # few buckets: collisions between words happen
    t = tables(v=len(WORDS), subword=sub, words=WORDS)
    w_in, w_out, ng = as64(t.w_in), as64(t.w_out), as64(t.ngrams)
    inputs, targets = torch.tensor([0, 3, 0]), torch.tensor([5, 6, 7])
    noise = torch.tensor([[1, 2], [4, 6], [9, 10]])
    E.sg_step(t, inputs, targets, noise, 0.05)
    want_in, want_out, want_ng = w_in.copy(), w_out.copy(), ng.copy()
    for i, tg, ns in zip(inputs.tolist(), targets.tolist(), noise.tolist()):
        rows = ngram_buckets(WORDS[i], 2, 4, 50)
        h = (w_in[i] + ng[rows].sum(0)) / (1 + len(rows))
        neu1e, delta, _ = reference_output(w_out, h, tg, ns, 0.05)
        want_in[i] += neu1e
        for r in rows:
            want_ng[r] += neu1e
        for row, dv in delta.items():
            want_out[row] += dv
    np.testing.assert_allclose(as64(t.w_in), want_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(as64(t.w_out), want_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(as64(t.ngrams), want_ng, rtol=1e-5, atol=1e-6)
    assert float(t.ngrams[-1].abs().sum()) == 0.0     # the padding row stays zero


def test_fasttext_rounds_on_center_rows_match_numpy_round_by_round():
    """CenterRows (a step's input rows in a local table, written back once) gives the tables of a numpy
    walk that applies each round to the tables before the next: a round sees the rounds before it."""
    from wordshell.vectors.ngrams import ngram_buckets

    sub = {"min_n": 2, "max_n": 4, "bucket": 50}      # shared buckets between the words of a step
    t = tables(v=len(WORDS), subword=sub, words=WORDS)
    w_in, w_out, ng = as64(t.w_in), as64(t.w_out), as64(t.ngrams)
    rng = np.random.default_rng(7)
    centers = rng.integers(0, len(WORDS), 40)                        # the step's center positions' words
    levels = rng.integers(1, 4, 40)                                  # a round at level k: positions >= k
    rows = E.CenterRows(t, torch.from_numpy(centers), torch.from_numpy(levels))
    total = 0.0
    for level in (3, 1, 2, 1, None):                                 # rounds: each position at most once
        able = np.flatnonzero(levels >= (level or 0))
        pos = np.sort(rng.choice(able, min(len(able), 12), replace=False))
        targets = rng.integers(0, len(WORDS), len(pos))
        noise = rng.integers(0, len(WORDS), (len(pos), 3))
        total += float(E.sg_step(t, torch.from_numpy(pos), torch.from_numpy(targets), torch.from_numpy(noise), 0.05,
                                 rows=rows, level=level))
        d_in, d_out, d_ng = np.zeros_like(w_in), np.zeros_like(w_out), np.zeros_like(ng)
        for p, tg, ns in zip(pos, targets, noise):                   # batched within the round
            i = int(centers[p])
            grams = ngram_buckets(WORDS[i], 2, 4, 50)
            h = (w_in[i] + ng[grams].sum(0)) / (1 + len(grams))
            neu1e, delta, loss = reference_output(w_out, h, int(tg), ns.tolist(), 0.05)
            total -= loss
            d_in[i] += neu1e
            for r in grams:
                d_ng[r] += neu1e
            for row, dv in delta.items():
                d_out[row] += dv
        w_in, w_out, ng = w_in + d_in, w_out + d_out, ng + d_ng
    assert total == pytest.approx(0.0, abs=1e-4)
    np.testing.assert_allclose(as64(t.w_out), w_out, rtol=1e-5, atol=1e-6)
    assert not np.allclose(as64(t.w_in), w_in, rtol=1e-5, atol=1e-6)    # nothing written back yet
    rows.write_back()
    np.testing.assert_allclose(as64(t.w_in), w_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(as64(t.ngrams), ng, rtol=1e-5, atol=1e-6)


def test_fasttext_cbow_and_stored_vectors():
    from wordshell.vectors.ngrams import ngram_buckets

    sub = {"min_n": 3, "max_n": 5, "bucket": 40}
    t = tables(v=len(WORDS), subword=sub, words=WORDS)
    w_in, w_out, ng = as64(t.w_in), as64(t.w_out), as64(t.ngrams)
    ctx, mask = torch.tensor([[0, 1, 2]]), torch.tensor([[True, False, True]])
    E.cbow_step(t, ctx, mask, torch.tensor([4]), torch.tensor([[5, 6]]), 0.05)
    rows = {w: ngram_buckets(WORDS[w], 3, 5, 40) for w in (0, 2)}
    h = (sum(w_in[w] + ng[rows[w]].sum(0) for w in rows)) / sum(1 + len(r) for r in rows.values())
    neu1e, delta, _ = reference_output(w_out, h, 4, [5, 6], 0.05)
    want_in, want_ng = w_in.copy(), ng.copy()
    for w, r in rows.items():
        want_in[w] += neu1e
        for b in r:
            want_ng[b] += neu1e
    np.testing.assert_allclose(as64(t.w_in), want_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(as64(t.ngrams), want_ng, rtol=1e-5, atol=1e-6)
    # what the store gets: each word's mean row, gensim's adjust_vectors
    got = as64(E.composed_vectors(t, chunk=5))
    ng2, w2 = as64(t.ngrams), as64(t.w_in)
    for i, w in enumerate(WORDS):
        r = ngram_buckets(w, 3, 5, 40)
        np.testing.assert_allclose(got[i], (w2[i] + ng2[r].sum(0)) / (1 + len(r)), rtol=1e-5, atol=1e-7)


def test_initialisation_follows_word2vec_c_and_fasttext():
    t = E.init_tables(500, 50, seed=1, device="cpu")
    assert float(t.w_in.abs().max()) <= 0.5 / 50 and float(t.w_in.abs().max()) > 0.45 / 50
    assert float(t.w_out.abs().max()) == 0.0
    f = E.init_tables(len(WORDS), 50, seed=1, device="cpu", subword={"min_n": 3, "max_n": 6, "bucket": 1000},
                      words=WORDS)
    assert 0.9 / 50 < float(f.ngrams.abs().max()) <= 1 / 50 and float(f.ngrams[-1].abs().sum()) == 0
    again = E.init_tables(500, 50, seed=1, device="cpu")
    assert torch.equal(t.w_in, again.w_in)             # every rank starts from the same tables


# -- the corpus side -------------------------------------------------------------------------

def test_vocabulary_counts_and_subsampling_equal_gensims(gensim_data):
    from gensim.models import Word2Vec

    sents = [line.split() for line in open(gensim_data / "lee_background.cor", encoding="utf-8")]
    for min_count, max_vocab in [(5, None), (1, 500)]:
        m = Word2Vec(min_count=min_count, max_final_vocab=max_vocab, sample=1e-3)
        m.build_vocab(sents)
        c = read_ids(sents, min_count, max_vocab)
        assert c.words == m.wv.index_to_key
        assert c.counts.tolist() == [m.wv.get_vecattr(w, "count") for w in c.words]
        assert c.raw_words == m.corpus_total_words == sum(map(len, sents))
        gensim_keep = np.array([m.wv.get_vecattr(w, "sample_int") for w in c.words]) / (2**32 - 1)
        np.testing.assert_allclose(keep_probability(c.counts, 1e-3), gensim_keep, atol=1e-8)
        cum = m.cum_table / m.cum_table[-1]
        np.testing.assert_allclose(noise_cdf(c.counts), cum, atol=1e-8)
        assert len(c.ids) == sum(m.wv.get_vecattr(w, "count") for w in c.words)


def test_windows_equal_a_brute_force_walk():
    rng = np.random.default_rng(1)
    sent = np.sort(rng.integers(0, 12, 200)).astype(np.int32)
    ids = rng.integers(0, 30, 200).astype(np.int32)
    ep = TB.Epoch(torch.from_numpy(ids), torch.from_numpy(sent), torch.ones(30), 3, TB.generator("cpu", 0))
    assert len(ep.ids) == 200 and ep.bounds == [0, 66, 133, 200]
    pos = torch.arange(200)
    reach = torch.from_numpy(rng.integers(1, 6, 200))
    centers, nb, real = ep.neighbours(pos, reach, 5)
    got = sorted(zip(centers[:, None].expand_as(nb)[real].tolist(), nb[real].tolist(),
                     pos[:, None].expand_as(nb)[real].tolist()))
    want = sorted((int(ids[i]), int(ids[j]), i) for i in range(200) for j in range(200)
                  if j != i and abs(j - i) <= int(reach[i]) and sent[j] == sent[i])
    assert got == want


def test_skipgram_pairs_come_in_rounds_of_one_offset():
    # round r holds the pairs at offset r (-5..-1, 1..5) only, so no center and no neighbour position
    # occurs twice in one round's batched update
    rng = np.random.default_rng(2)
    sent = np.sort(rng.integers(0, 8, 120)).astype(np.int32)
    ids = rng.integers(0, 30, 120).astype(np.int32)
    ep = TB.Epoch(torch.from_numpy(ids), torch.from_numpy(sent), torch.ones(30), 1, TB.generator("cpu", 0))
    centers, at, others, rounds = ep.sg_pairs(0, 5, TB.generator("cpu", 5))
    _, _, real = ep.grid(0, 5, TB.generator("cpu", 5))        # the same draws: which pairs are real
    real = real.numpy()
    offsets = [*range(-5, 0), *range(1, 6)]
    assert centers.tolist() == ids.tolist()                   # one chunk: every position is a center
    assert rounds == real.sum(0).tolist() and sum(rounds) == len(at) == len(others) == int(real.sum())
    a = 0
    for r, off in enumerate(offsets):
        pos = np.flatnonzero(real[:, r])                       # center positions of this round, each once
        assert at[a:a + rounds[r]].tolist() == pos.tolist()
        assert others[a:a + rounds[r]].tolist() == ids[pos + off].tolist()
        a += rounds[r]


def test_subsampling_and_noise_follow_their_distributions():
    counts = np.array([5000, 1000, 200, 50, 10, 5])
    keep = keep_probability(counts, 1e-2)
    ids = torch.from_numpy(np.repeat(np.arange(6), counts * 20).astype(np.int32))
    ep = TB.Epoch(ids, torch.zeros_like(ids), torch.from_numpy(keep).float(), 1, TB.generator("cpu", 3))
    kept = np.bincount(ep.ids.numpy(), minlength=6) / (counts * 20)
    np.testing.assert_allclose(kept, keep, atol=0.02)
    drawn = TB.noise(torch.from_numpy(noise_cdf(counts)), (400_000,), TB.generator("cpu", 4)).numpy()
    want = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(np.bincount(drawn, minlength=6) / len(drawn), want, atol=0.003)


def test_shards_cut_at_sentence_starts_and_cover_everything():
    c = read_ids([["a", "b", "c"] * k for k in (3, 1, 4, 1, 5, 9, 2, 6)], 1)
    cuts = [c.shard(r, 3) for r in range(3)]
    assert cuts[0][0] == 0 and cuts[-1][1] == len(c.ids)
    assert all(a[1] == b[0] for a, b in zip(cuts, cuts[1:]))
    for lo, _ in cuts[1:]:
        assert c.sent[lo] != c.sent[lo - 1]               # never inside a sentence
