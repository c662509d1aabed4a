"""Classifier models: numpy `bag` inference equals the torch forward; hashing is fixed; RNN padding is inert."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from wordshell.classify.text import TextEncoder, bag_features, grouped
from wordshell.corpus.tokens import Tokenizer


def test_ngram_hashing_is_a_fixed_function():
    # two texts: [2 3 4] and [unk 5 6]; unknown words and n-grams touching them are dropped
    ids, segs = bag_features(np.array([2, 3, 4, 1, 5, 6]), np.array([3, 3]), 10, 3, 1000)
    assert ids.tolist() == [2, 3, 4, 5, 6, 571, 257, 817, 200]
    assert segs.tolist() == [0, 0, 0, 1, 1, 0, 0, 1, 0]
    assert grouped(ids, segs, 2).tolist() == [[2, 3, 4, 571, 257, 200], [5, 6, 817, 0, 0, 0]]


def test_hashing_does_not_depend_on_python_hash_seed():
    code = ("from wordshell.classify.text import TextEncoder, bag_features; from wordshell.corpus.tokens import Tokenizer;"
            "e = TextEncoder(['good', 'film', 'not'], Tokenizer()); f, n = e.flat(['not a good film'] * 2);"
            "print(bag_features(f, n, e.size, 3, 99991)[0].tolist())")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PYTHONPATH": sys.path[0]}).stdout for seed in ("1", "2")}
    assert len(outs) == 1


def test_encoder_ids_and_padding():
    enc = TextEncoder(["good", "bad"], Tokenizer())
    assert enc.ids("Good, not BAD!") == [2, 1, 3]
    assert enc.padded(["good bad good", "", "bad"]).tolist() == [[2, 3, 2], [0, 0, 0], [3, 0, 0]]
    assert enc.padded(["", ""]).shape == (2, 1)


def test_numpy_bag_equals_torch_forward():
    torch = pytest.importorskip("torch")
    from wordshell.classify.predict import BagPredictor
    from wordshell.classify.bag import BagClassifier

    words = "the a film good bad plot great boring fun slow".split()
    enc = TextEncoder(words, Tokenizer())
    cfg = BagClassifier.Config(vocab_rows=enc.size, num_classes=3, dim=16, buckets=97, ngrams=3)
    torch.manual_seed(0)
    model = BagClassifier(cfg).eval()
    with torch.no_grad():  # random output layer and bias, so every term matters
        model.out.weight.normal_()
        model.out.bias.normal_()
        model.embed.weight.normal_()
        model.embed.weight[0].zero_()
    texts = ["the film is good", "", "boring slow plot, bad", "unseen words only", "great fun great fun film",
             "a"]
    flat, lengths = enc.flat(texts)
    ids, segs = bag_features(flat, lengths, enc.size, cfg.ngrams, cfg.buckets)
    with torch.no_grad():
        expect = torch.softmax(model(torch.from_numpy(grouped(ids, segs, len(texts)))), -1).numpy()
    weights = {k: v.numpy() for k, v in model.state_dict().items()}
    meta = {"labels": ["x", "y", "z"], "config": {"vocab_rows": enc.size, "ngrams": 3, "buckets": 97}}
    got = BagPredictor(meta, enc, weights).proba(texts)
    np.testing.assert_allclose(got, expect, atol=1e-5, rtol=0)
    assert np.allclose(got.sum(axis=1), 1.0)


@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
@pytest.mark.parametrize("cell,bidi", [("lstm", True), ("gru", True), ("rnn", False)])
def test_rnn_ignores_padding(pooling, cell, bidi):
    torch = pytest.importorskip("torch")
    from wordshell.classify.rnn import RNNClassifier

    torch.manual_seed(0)
    m = RNNClassifier(RNNClassifier.Config(vocab_rows=20, num_classes=3, cell=cell, emb_dim=8, hidden=6, layers=2,
                                           bidirectional=bidi, pooling=pooling)).eval()
    a = torch.tensor([[5, 6, 7]])
    b = torch.tensor([[5, 6, 7, 0, 0], [9, 0, 0, 0, 0], [0, 0, 0, 0, 0]])  # padded, plus an empty text
    with torch.no_grad():
        out = m(b)
        assert torch.allclose(m(a), out[:1], atol=1e-6)
        assert torch.isfinite(out).all()


@pytest.mark.parametrize("spec", [dict(), dict(punct=False), dict(lowercase=False), dict(split="whitespace")])
def test_batch_tokenising_equals_one_text_at_a_time(spec):
    tok = Tokenizer(**spec)
    texts = ["", "Hello, World!", "it's state-of-the-art\tstuff", "multi\nline text", "  ", "ÉCOLE été _x_ ’tis",
             "wo n't -- (yes) !", "a\r\nb", "İstanbul"] * 3
    vocab = sorted({w for t in texts for w in tok(t)})[::2]  # half the words known, half unknown
    enc = TextEncoder(vocab, tok)
    flat, lengths = enc.flat(texts)
    expect = [enc.ids(t.replace("\n", " ")) for t in texts]
    assert lengths.tolist() == [len(e) for e in expect]
    assert flat.tolist() == [i for e in expect for i in e]
    flat, lengths = enc.flat(texts, max_len=2)
    assert flat.tolist() == [i for e in expect for i in e[:2]]
    assert enc.flat([])[0].shape == (0,)


def test_word_dropout_reads_words_as_unknown_and_keeps_lengths():
    """RNN word dropout: about `drop` of the words become UNK; lengths, padding and labels are untouched.
    (bag drops to padding, which its EmbeddingBag skips.)"""
    from wordshell.classify.text import PAD, UNK
    from wordshell.classify.task import Encoded

    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 30, size=200)
    flat = rng.integers(2, 500, size=int(lengths.sum()))
    enc = Encoded(flat, lengths, rng.integers(0, 2, size=200))
    idx = np.arange(200)
    clean, y0 = enc.batch(idx)
    ids, y = enc.batch(idx, 0.25, np.random.default_rng(1), drop_to=UNK)
    clean, ids = clean.numpy(), ids.numpy()
    assert ids.shape == clean.shape and (y.numpy() == y0.numpy()).all()
    assert ((ids != PAD).sum(axis=1) == lengths).all()          # the RNN still reads every position
    changed = ids != clean
    assert (ids[changed] == UNK).all()
    assert abs(changed.sum() / lengths.sum() - 0.25) < 0.03
    bag_ids, _ = enc.batch(idx, 0.25, np.random.default_rng(1))  # same draws, dropped to padding
    assert ((bag_ids.numpy() == PAD) & (clean != PAD)).sum() == changed.sum()
