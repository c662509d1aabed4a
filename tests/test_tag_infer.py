"""tag/infer.py: the inference encoder gives the model's own (packed nn.LSTM / nn.GRU) emissions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wordshell.tag.infer import FastEncoder
from wordshell.tag.model import BiRNNTagger, TaggerConfig
from wordshell.tag.task import Encoded
from wordshell.tag.vocab import TagEncoder

TAGS = ["B-PER", "I-PER", "E-PER", "S-PER", "O"]


def sentences(rng, n: int) -> list[list[str]]:
    vocab = ["the", "cat", "Sat", "on", "a", "mat", "1999", "Ada", "zzz", "unseen", "x"]
    return [[vocab[k] for k in rng.integers(0, len(vocab), int(rng.integers(1, 13)))] for _ in range(n)]


@pytest.mark.parametrize("cell,layers,chars", [("lstm", 1, "cnn"), ("lstm", 2, "lstm"), ("gru", 1, "none"),
                                               ("gru", 3, "cnn")])
def test_fast_encoder_equals_packed_rnn(cell, layers, chars):
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    enc = TagEncoder(["the", "cat", "sat", "on", "a", "mat", "0000", "ada"], list("TtheSaondmcx"), TAGS)
    model = BiRNNTagger(TaggerConfig(word_rows=enc.word_rows, char_rows=enc.char_rows, tags=TAGS, scheme="bioes",
                                     emb_dim=12, chars=chars, char_dim=5, char_out=8, cell=cell, hidden=7,
                                     layers=layers)).eval()
    for p in model.parameters():   # biases and weights away from their init, so every term counts
        p.data.normal_(0, 0.5)
    sents = sentences(rng, 40)
    data = Encoded(enc, sents, None)
    fast = FastEncoder(model)
    with torch.inference_mode():
        feats = model.char_features(torch.from_numpy(data.chars))
        proj = fast.project(torch.from_numpy(data.form_words), feats)
        idx = np.arange(len(sents))
        words, forms, _, _ = data.batch(idx, local=False)
        want = model.emissions(words, forms, None, feats)
        got = fast.emissions(proj, forms.numpy(), data.lengths[idx])
    mask = (words != 0).unsqueeze(2)
    assert got.shape == want.shape
    assert torch.allclose(got * mask, want * mask, atol=1e-5), (got - want).abs().max()


def test_char_cnn_features_by_length_equal_the_padded_batch():
    torch.manual_seed(0)
    model = BiRNNTagger(TaggerConfig(word_rows=5, char_rows=20, tags=["A", "B"], chars="cnn", char_dim=6,
                                     char_out=9)).eval()
    rng = np.random.default_rng(0)
    chars = np.zeros((50, 24), dtype=np.int64)
    for i, n in enumerate(rng.integers(1, 25, 50)):
        chars[i, :n] = rng.integers(1, 20, n)
    chars = torch.from_numpy(chars)
    with torch.inference_mode():
        assert torch.allclose(model.char_features(chars), model.char(chars), atol=1e-6)
