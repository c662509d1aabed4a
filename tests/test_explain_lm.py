"""The language-model half of `explain`: hand-written cells = torch's cells, gradient norms = torch.autograd.grad
through the model's own forward, gates = a numpy cell step, and the commands in every output format."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from wordshell.explain.cells import gru_step, lstm_step, unroll  # noqa: E402
from wordshell.explain.gradients import gradient_norms  # noqa: E402
from wordshell.kinds import build  # noqa: E402

from lm_fixtures import TINY, run_cli, toy_corpus  # noqa: E402

IDS = [0, 5, 3, 7, 2, 9, 4, 4, 8, 6, 3]


def model(cell, layers=2, seed=0, **extra):
    torch.manual_seed(seed)
    kind = "ffnn-lm" if cell == "ffnn" else f"{cell}-lm"
    cfg = {"vocab_size": 12, "emb": 6, "hidden": 5, "dropout": 0.0}
    cfg.update({"context": 3, "hidden": 7} if cell == "ffnn" else {"cell": cell, "layers": layers, **extra})
    if cell == "ffnn":
        cfg.update(extra)
    m = build(kind, cfg)
    with torch.no_grad():                      # not the init's small uniform weights: gates away from 0.5
        for p in m.parameters():
            p.mul_(8.0)
    return m.eval()


# -- cells ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cell,layers", [("lstm", 1), ("lstm", 2), ("gru", 2), ("rnn", 3)])
def test_unrolled_cells_equal_torch(cell, layers):
    m = model(cell, layers)
    x = torch.tensor(IDS).view(-1, 1)
    with torch.no_grad():
        out, state = m.rnn(m.encoder(x), None)                     # torch's fused kernel
        tr = unroll(m, IDS)
    top = torch.cat([hs[-1] for hs in tr.h])                      # (T, H)
    torch.testing.assert_close(top, out[:, 0], rtol=1e-5, atol=1e-6)
    h_n = state[0] if cell == "lstm" else state
    torch.testing.assert_close(torch.cat(tr.h[-1]), h_n[:, 0], rtol=1e-5, atol=1e-6)
    if cell == "lstm":
        torch.testing.assert_close(torch.cat(tr.c[-1]), state[1][:, 0], rtol=1e-5, atol=1e-6)


def sig(x):
    return 1 / (1 + np.exp(-x))


def test_lstm_gates_equal_numpy_cell():
    """The slide's equations in numpy on fixed weights, against the gates the hand cell reports."""
    rng = np.random.default_rng(0)
    E, H = 4, 3
    W, U, b1, b2 = rng.normal(size=(4 * H, E)), rng.normal(size=(4 * H, H)), rng.normal(size=4 * H), rng.normal(size=4 * H)
    x, h, c = rng.normal(size=E), rng.normal(size=H), rng.normal(size=H)
    z = W @ x + b1 + U @ h + b2
    i, f, g, o = sig(z[:H]), sig(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sig(z[3 * H:])
    c2 = f * c + i * g
    h2 = o * np.tanh(c2)
    t = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    th, tc, gates = lstm_step(t(x)[None], t(h)[None], t(c)[None], t(W), t(U), t(b1), t(b2))
    for name, want in (("input", i), ("forget", f), ("output", o), ("candidate", g)):
        np.testing.assert_allclose(gates[name][0].numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(tc[0].numpy(), c2, rtol=1e-12)
    np.testing.assert_allclose(th[0].numpy(), h2, rtol=1e-12)
    # and the same weights through torch.nn.LSTMCell
    ref = torch.nn.LSTMCell(E, H).double()
    with torch.no_grad():
        ref.weight_ih.copy_(t(W)), ref.weight_hh.copy_(t(U)), ref.bias_ih.copy_(t(b1)), ref.bias_hh.copy_(t(b2))
        rh, rc = ref(t(x)[None], (t(h)[None], t(c)[None]))
    torch.testing.assert_close(th, rh)
    torch.testing.assert_close(tc, rc)


def test_gru_gates_equal_numpy_cell():
    rng = np.random.default_rng(1)
    E, H = 4, 3
    W, U, b1, b2 = rng.normal(size=(3 * H, E)), rng.normal(size=(3 * H, H)), rng.normal(size=3 * H), rng.normal(size=3 * H)
    x, h = rng.normal(size=E), rng.normal(size=H)
    gi, gh = W @ x + b1, U @ h + b2
    r = sig(gi[:H] + gh[:H])
    z = sig(gi[H:2 * H] + gh[H:2 * H])
    n = np.tanh(gi[2 * H:] + r * gh[2 * H:])
    h2 = (1 - z) * n + z * h
    t = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    th, gates = gru_step(t(x)[None], t(h)[None], t(W), t(U), t(b1), t(b2))
    np.testing.assert_allclose(gates["reset"][0].numpy(), r, rtol=1e-12)
    np.testing.assert_allclose(gates["update"][0].numpy(), z, rtol=1e-12)
    np.testing.assert_allclose(th[0].numpy(), h2, rtol=1e-12)
    ref = torch.nn.GRUCell(E, H).double()
    with torch.no_grad():
        ref.weight_ih.copy_(t(W)), ref.weight_hh.copy_(t(U)), ref.bias_ih.copy_(t(b1)), ref.bias_hh.copy_(t(b2))
        torch.testing.assert_close(th, ref(t(x)[None], t(h)[None]))


# -- gradient norms -------------------------------------------------------------------------

def oracle_embedding_norms(m, ids):
    """|| d loss_T / d e_t || by torch.autograd.grad through the model's OWN forward (fused kernels),
    the encoder's output swapped for a leaf by a forward hook."""
    inputs, target = ids[:-1], ids[-1]
    leaf = {}

    def hook(_mod, _inp, out):
        leaf["e"] = out.detach().requires_grad_(True)
        return leaf["e"]

    handle = m.encoder.register_forward_hook(hook)
    try:
        logits, _ = m(torch.tensor(inputs).view(-1, 1), None)
    finally:
        handle.remove()
    loss = -torch.log_softmax(logits[-1, 0], -1)[target]
    (g,) = torch.autograd.grad(loss, [leaf["e"]])
    if g.dim() == 4:                       # ffnn: (T, 1, k, E), token t sits in up to k windows
        k = g.shape[2]
        T = len(inputs)
        per = torch.zeros(T, g.shape[-1])
        for w in range(T):                 # window w holds positions w-k+1 .. w (negative: <eos> padding)
            for j in range(k):
                pos = w - k + 1 + j
                if pos >= 0:
                    per[pos] += g[w, 0, j]
        return [float(v.norm()) for v in per], float(loss.detach())
    return [float(v.norm()) for v in g[:, 0]], float(loss.detach())


def oracle_hidden_norms(m, ids):
    """|| d loss_T / d h_t || with torch's nn.LSTM/GRU called one step at a time: its state h_t (top layer)
    is then a graph node; the last prediction is read from the last state."""
    inputs, target = ids[:-1], ids[-1]
    state, tops = None, []
    for tok in inputs:
        _, state = m.rnn(m.encoder(torch.tensor([[tok]])), state)
        tops.append(state[0] if isinstance(state, tuple) else state)        # (L, 1, H)
    logits = m.decoder(tops[-1][-1])
    loss = -torch.log_softmax(logits[0], -1)[target]
    grads = torch.autograd.grad(loss, tops)
    return [float(g[-1].norm()) for g in grads], float(loss)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "ffnn"])
def test_embedding_gradient_norms_equal_autograd(cell):
    m = model(cell)
    norms, loss = gradient_norms(m, IDS, "embedding")
    want, want_loss = oracle_embedding_norms(m, IDS)
    assert loss == pytest.approx(want_loss, rel=1e-5)
    np.testing.assert_allclose(norms, want, rtol=1e-4, atol=1e-9)
    if cell == "ffnn":   # a window of 3 sees the last 3 inputs only
        assert all(v == 0 for v in norms[:-3]) and all(v > 0 for v in norms[-3:])


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_hidden_gradient_norms_equal_autograd(cell):
    m = model(cell)
    norms, loss = gradient_norms(m, IDS, "hidden")
    want, want_loss = oracle_hidden_norms(m, IDS)
    assert loss == pytest.approx(want_loss, rel=1e-5)
    np.testing.assert_allclose(norms, want, rtol=1e-4, atol=1e-9)


def test_hidden_gradients_of_a_window_model_are_refused():
    from wordshell.errors import UsageError

    with pytest.raises(UsageError, match="recurrent"):
        gradient_norms(model("ffnn"), IDS, "hidden")


# -- the commands ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lm_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("explain_lm")
    corpus = toy_corpus(home / "toy.txt", lines=200)
    for arch in ("lstm", "gru", "rnn", "ffnn"):
        r = run_cli(home, "train", "lm", arch, "--corpus", str(corpus), "--arch", arch, *TINY, "--epochs", "1",
                    "--optimizer", "adam", "--lr", "0.01")
        assert r.exit_code == 0, r.output
    return home


def test_explain_next_in_every_format(lm_home):
    r = run_cli(lm_home, "explain", "next", "the cat", "--model", "lstm", "--top", "3", "--format", "json")
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["prompt"] == ["the", "cat"] and len(obj["top"]) == 3
    ps = [t["p"] for t in obj["top"]]
    assert ps == sorted(ps, reverse=True) and 0 < sum(ps) <= 1 + 1e-6
    assert obj["window"] is None and obj["seen"] == ["<eos>", "the", "cat"]
    tsv = run_cli(lm_home, "explain", "next", "the cat", "--model", "lstm", "--top", "3")
    assert [row.split("\t")[1] for row in tsv.stdout.splitlines()] == [t["token"] for t in obj["top"]]
    ff = json.loads(run_cli(lm_home, "explain", "next", "the old man sees", "-m", "ffnn", "--format", "json").stdout)
    assert ff["window"] == 4 and ff["seen"] == ["old", "man", "sees", "."][:0] + ff["seen"]
    assert ff["seen"] == ["the", "old", "man", "sees"]


def test_explain_gradients_table_and_json(lm_home):
    r = run_cli(lm_home, "explain", "gradients", "the cat sees the ball .", "-m", "rnn", "-m", "lstm", "--format",
                "json")
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["wrt"] == "hidden" and obj["target"] == "."
    assert obj["tokens"][0] == "<eos>" and len(obj["models"]["rnn"]["norms"]) == len(obj["tokens"])
    mixed = json.loads(run_cli(lm_home, "explain", "gradients", "the cat sees the ball .", "-m", "lstm", "-m", "ffnn",
                               "--format", "json").stdout)
    assert mixed["wrt"] == "embedding"
    tsv = run_cli(lm_home, "explain", "gradients", "the cat sees the ball .", "-m", "gru")
    rows = [line.split("\t") for line in tsv.stdout.splitlines()]
    assert [row[1] for row in rows] == obj["tokens"] and len(rows[0]) == 4


def test_explain_gates_rows(lm_home):
    r = run_cli(lm_home, "explain", "gates", "the cat sees", "-m", "lstm", "--units", "8", "--format", "json")
    rows = json.loads(r.stdout)["rows"]
    assert [x["token"] for x in rows] == ["<eos>", "the", "cat", "sees"]
    assert all(0 < x[g] < 1 for x in rows for g in ("input", "forget", "output")) and len(rows[0]["strip"]) == 8
    g = json.loads(run_cli(lm_home, "explain", "gates", "the cat", "-m", "gru", "--gate", "reset", "--format",
                           "json").stdout)
    assert set(g["rows"][0]) >= {"update", "reset"} and g["gate"] == "reset"
    bad = run_cli(lm_home, "explain", "gates", "the cat", "-m", "rnn")
    assert bad.exit_code == 2 and "no gates" in bad.stderr
    bad = run_cli(lm_home, "explain", "gates", "the cat", "-m", "lstm", "--gate", "reset")
    assert bad.exit_code == 2 and "no reset gate" in bad.stderr
    bad = run_cli(lm_home, "explain", "gates", "the cat", "-m", "lstm", "--layer", "3")
    assert bad.exit_code == 2 and "1 layer" in bad.stderr


def test_compare_lm(lm_home, tmp_path):
    test = tmp_path / "test.txt"
    test.write_text("the cat sees the ball .\nmy friend likes a red fox .\n")
    r = run_cli(lm_home, "compare", "lm", "ffnn", "rnn", "lstm", "gru", "--test", str(test), "--format", "json")
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["model"] for x in rows] == ["ffnn", "rnn", "lstm", "gru"]
    assert all(x["params"] > 0 and x["test_ppl"] > 1 and x["best_valid_ppl"] > 1 for x in rows)
    # the test perplexity is the `perplexity` command's
    p = json.loads(run_cli(lm_home, "perplexity", "--model", "gru", str(test), "--format", "json").stdout)
    assert rows[-1]["test_ppl"] == pytest.approx(p["perplexity"], rel=1e-3)
    bad = run_cli(lm_home, "compare", "lm", "lstm", "nosuch")
    assert bad.exit_code == 1 and "nosuch" in bad.stderr and "Traceback" not in bad.output
