"""Oracles: perplexity and greedy generation against a hand-written numpy LSTM; window/step agreement."""

from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lm_fixtures import tiny_lm_home, toy_corpus  # noqa: E402

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny_home(tmp_path_factory):
    return tiny_lm_home(tmp_path_factory)


@pytest.fixture
def tiny(workspace, tiny_home):
    shutil.copytree(tiny_home / "checkpoints" / "tiny", workspace / "checkpoints" / "tiny")
    return workspace / "checkpoints" / "tiny"


class NumpyLSTMLM:
    """The 1-layer LSTM LM written out by hand from the stored tensors (PyTorch gate order i, f, g, o)."""

    def __init__(self, model_dir: Path):
        from safetensors.numpy import load_file

        w = load_file(str(model_dir / "weights.safetensors"))
        self.E = w["encoder.weight"]
        self.Wih, self.Whh = w["rnn.weight_ih_l0"], w["rnn.weight_hh_l0"]
        self.b = w["rnn.bias_ih_l0"] + w["rnn.bias_hh_l0"]
        self.Wd, self.bd = w["decoder.weight"], w["decoder.bias"]
        H = self.Whh.shape[1]
        self.h, self.c = np.zeros(H), np.zeros(H)
        self.vocab = (model_dir / "vocab.txt").read_text().split("\n")[:-1]

    def step(self, token: int) -> np.ndarray:
        """Feed one token; return log-probabilities of the next."""
        sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
        z = self.Wih @ self.E[token] + self.Whh @ self.h + self.b
        i, f, g, o = np.split(z, 4)
        self.c = sig(f) * self.c + sig(i) * np.tanh(g)
        self.h = sig(o) * np.tanh(self.c)
        logits = self.Wd @ self.h + self.bd
        return logits - (np.log(np.exp(logits - logits.max()).sum()) + logits.max())


def test_perplexity_is_exp_of_hand_computed_nll(tiny, ws, tmp_path):
    text = toy_corpus(tmp_path / "t.txt", lines=30, seed=11)
    got = ws("perplexity", str(text), "--model", "tiny", "--format", "json").json[0]
    ref = NumpyLSTMLM(tiny)
    stoi = {w: i for i, w in enumerate(ref.vocab)}
    ids = []
    for line in text.read_text().splitlines():
        ids += [stoi.get(w, 1) for w in line.split()] + [0]
    nll, prev = 0.0, 0  # the text starts after an <eos>
    for t in ids:
        nll -= ref.step(prev)[t]
        prev = t
    mean = nll / len(ids)
    assert got["tokens"] == len(ids)
    assert got["nll"] == pytest.approx(mean, rel=1e-5)
    assert got["perplexity"] == pytest.approx(math.exp(mean), rel=1e-5)
    assert got["bits"] == pytest.approx(mean / math.log(2), rel=1e-5)


def test_greedy_picks_the_argmax(tiny, ws):
    r = ws("generate", "the dog", "--model", "tiny", "--length", "15", "--greedy", "--show-probs",
           "--format", "json")
    got = [o["token"] for o in r.json]
    ref = NumpyLSTMLM(tiny)
    stoi = {w: i for i, w in enumerate(ref.vocab)}
    for t in [0, stoi["the"]]:
        logp = ref.step(t)
    prev, want, probs = stoi["dog"], [], []
    for _ in range(15):
        logp = ref.step(prev)
        masked = logp.copy()
        masked[1] = -np.inf  # <unk> is never produced unless --unk
        prev = int(masked.argmax())
        want.append(ref.vocab[prev])
        probs.append(math.exp(logp[prev]))
    assert got == want
    assert [o["p"] for o in r.json] == pytest.approx(probs, abs=2e-6)
    top1 = ws("generate", "the dog", "--model", "tiny", "--length", "15", "--top-k", "1", "--seed", "9",
              "--show-probs", "--format", "json")
    assert [o["token"] for o in top1.json] == want  # top-k 1 is greedy, whatever the seed


def test_windows_equal_token_by_token():
    from wordshell.lm.data import batchify, nll
    from wordshell.kinds import build

    torch.manual_seed(0)
    ids = torch.randint(0, 30, (200,))
    for kind, cfg in [("gru-lm", {"cell": "gru", "layers": 2}), ("ffnn-lm", {"context": 3})]:
        m = build(kind, {"vocab_size": 30, "emb": 8, "hidden": 8, "dropout": 0.0, **cfg}).eval()
        data = batchify(ids, 1)
        windowed, n = nll(m, data, bptt=17)
        stepped, n1 = nll(m, data, bptt=1)
        assert n == n1 == 199 and windowed == pytest.approx(stepped, rel=1e-5)


def test_vocab_round_trip_escapes_whitespace(tmp_path):
    from collections import Counter

    from wordshell.lm.data import Vocab

    v = Vocab.build(Counter(list("a b\\c\td\n e\r")), level="char")
    v.save(tmp_path / "vocab.txt")
    w = Vocab.load(tmp_path / "vocab.txt", "char")
    assert w.itos == v.itos and " " in w.itos and "\\" in w.itos and "\t" in w.itos
    assert len((tmp_path / "vocab.txt").read_text().splitlines()) == len(v)


def test_adaptive_softmax_log_probs_match_its_loss():
    from wordshell.kinds import build

    torch.manual_seed(1)
    m = build("lstm-lm", {"vocab_size": 60, "emb": 8, "hidden": 8, "layers": 1, "dropout": 0.0,
                          "adaptive": [10, 30]}).eval()
    x, y = torch.randint(0, 60, (7, 3)), torch.randint(0, 60, (7, 3))
    with torch.no_grad():
        logp, _ = m(x)                                         # (T, B, V) log-probabilities
        loss, _ = m(x, targets=y)
    assert torch.allclose(logp.exp().sum(-1), torch.ones(7, 3), atol=1e-5)
    by_hand = -logp.gather(2, y.unsqueeze(2)).mean()
    assert float(loss) == pytest.approx(float(by_hand), rel=1e-5)
