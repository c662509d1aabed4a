"""tag/infer.py: the numpy tagger gives the torch model's numbers (emissions, char features, Viterbi,
marginals) for every cell, depth, char model and output layer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wordshell.tag.infer import Net
from wordshell.tag.model import BiRNNTagger, TaggerConfig
from wordshell.tag.task import Encoded
from wordshell.tag.vocab import TagEncoder

TAGS = ["B-PER", "I-PER", "E-PER", "S-PER", "O"]


def sentences(rng, n: int) -> list[list[str]]:
    vocab = ["the", "cat", "Sat", "on", "a", "mat", "1999", "Ada", "zzz", "unseen", "x", "Lovelace"]
    return [[vocab[k] for k in rng.integers(0, len(vocab), int(rng.integers(1, 13)))] for _ in range(n)]


def pair(cell, layers, chars, crf, seed=0):
    torch.manual_seed(seed)
    enc = TagEncoder(["the", "cat", "sat", "on", "a", "mat", "0000", "ada"], list("TtheSaondmcxLvl"), TAGS)
    cfg = TaggerConfig(word_rows=enc.word_rows, char_rows=enc.char_rows, tags=TAGS, scheme="bioes" if crf else None,
                       emb_dim=12, chars=chars, char_dim=5, char_out=8, cell=cell, hidden=7, layers=layers, crf=crf)
    model = BiRNNTagger(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():   # away from their init, so every term counts
            p.normal_(0, 0.5)
        for emb in (model.embed, getattr(model.char, "embed", None)):
            if emb is not None:
                emb.weight[0] = 0.0                 # padding rows stay zero in training (padding_idx)
    arrays = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return enc, model, Net(cfg.__dict__, arrays)


@pytest.mark.parametrize("cell,layers,chars,crf", [("lstm", 1, "cnn", True), ("lstm", 2, "lstm", False),
                                                   ("gru", 1, "none", True), ("gru", 3, "cnn", False)])
def test_numpy_tagger_equals_torch_model(cell, layers, chars, crf):
    enc, model, net = pair(cell, layers, chars, crf)
    sents = sentences(np.random.default_rng(1), 40)
    data = Encoded(enc, sents, None)
    idx = np.arange(len(sents))
    words, forms, _, _ = data.batch(idx, local=False)
    mask = words != 0
    with torch.inference_mode():
        feats_t = model.char_features(torch.from_numpy(data.chars))
        want = model.emissions(words, forms, None, feats_t)
        feats = net.char_features(data.chars)
        if chars == "none":
            assert feats is None and feats_t is None
        else:
            assert np.allclose(feats, feats_t.numpy(), atol=1e-5)
        got = net.emissions(net.project(data.form_words, feats), forms.numpy(), data.lengths)
        m = mask.unsqueeze(2).numpy()
        assert got.shape == tuple(want.shape)
        assert np.allclose(got * m, want.numpy() * m, atol=1e-4), np.abs(got - want.numpy()).max()
        em = torch.from_numpy(got)                  # the same emissions for both decoders
        best = net.decode(got, data.lengths)
        assert (torch.from_numpy(best)[mask] == model.decode(words, forms, None, feats_t, em)[mask]).all()
        _, marg = model.probs(words, forms, None, feats_t, em)
        assert np.allclose(net.marginals(got, data.lengths) * m, marg.numpy() * m, atol=1e-5)


def test_viterbi_with_forbidden_moves_and_ragged_lengths():
    """Long and short sentences in one batch: the numpy Viterbi equals crf.CRF.decode, never O -> I-PER."""
    enc, model, net = pair("lstm", 1, "cnn", True, seed=3)
    rng = np.random.default_rng(5)
    em = rng.normal(0, 3, (30, 9, len(TAGS))).astype(np.float32)
    lengths = rng.integers(1, 10, 30)
    mask = torch.from_numpy(np.arange(9)[None, :] < lengths[:, None])
    want = model.crf.decode(torch.from_numpy(em), mask)
    got = net.decode(em, lengths)
    assert (torch.from_numpy(got)[mask] == want[mask]).all()
    for row, n in zip(got, lengths):
        seq = [TAGS[k] for k in row[:n]]
        assert all(not (a == "O" and b.startswith(("I-", "E-"))) for a, b in zip(seq, seq[1:]))
        assert not seq[0].startswith(("I-", "E-"))


def test_numpy_char_cnn_by_length_equals_the_padded_batch():
    torch.manual_seed(0)
    model = BiRNNTagger(TaggerConfig(word_rows=5, char_rows=20, tags=["A", "B"], chars="cnn", char_dim=6,
                                     char_out=9)).eval()
    rng = np.random.default_rng(0)
    chars = np.zeros((50, 24), dtype=np.int64)
    for i, n in enumerate(rng.integers(1, 25, 50)):
        chars[i, :n] = rng.integers(1, 20, n)
    with torch.inference_mode():
        want = model.char(torch.from_numpy(chars))     # the padded batch, masked max
    net = Net(model.config.__dict__, {k: v.detach().numpy() for k, v in model.state_dict().items()})
    assert np.allclose(net.char_features(chars), want.numpy(), atol=1e-5)
