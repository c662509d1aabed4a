"""The loop's gradient norms (before clipping) against torch.autograd.grad, the clip count, the log's bounds,
and `plot training --metric grad_norm`."""

from __future__ import annotations

import copy
import json
import math
import random

import pytest

torch = pytest.importorskip("torch")

from wordshell.fit import loop as train  # noqa: E402
from wordshell.fit.gradients import GradLog  # noqa: E402
from wordshell.kinds import build  # noqa: E402
from wordshell.lm.data import LMTask  # noqa: E402

from lm_fixtures import TINY, run_cli, toy_corpus  # noqa: E402

TEXT = "the cat sat on the mat . the dog sat on the log . " * 40


def task(kind="lstm-lm", seed=0):
    words = TEXT.split()
    itos = ["<eos>", "<unk>"] + sorted(set(words))
    ids = torch.tensor([itos.index(w) for w in words])
    torch.manual_seed(seed)
    cfg = {"vocab_size": len(itos), "emb": 12, "hidden": 12, "dropout": 0.0}
    cfg.update({"context": 3} if kind == "ffnn-lm" else {"cell": kind.split("-")[0], "layers": 2})
    return LMTask(build(kind, cfg), ids[:400], ids[400:], batch=4, bptt=8)


class Steps:
    def __init__(self):
        self.norms = []

    def on_step(self, info):
        self.norms.append(info["grad_norm"])


def autograd_norm(model, batch) -> float:
    """The oracle: ||d loss / d params|| by torch.autograd.grad on a copy of the model, first batch, no state."""
    model = copy.deepcopy(model)
    x, y = batch
    loss, _ = model(x, None, targets=y)
    params = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads if g is not None))


@pytest.mark.parametrize("kind,clip", [("lstm-lm", 0.0), ("lstm-lm", 0.05), ("gru-lm", 0.0), ("ffnn-lm", 0.05)])
def test_first_step_norm_equals_autograd(kind, clip, tmp_path):
    t = task(kind)
    first = next(iter(t.batches(0)))
    expected = autograd_norm(t.model, first)
    steps = Steps()
    cfg = train.TrainConfig(threads=1, optimizer="sgd", lr=0.5, clip=clip, epochs=1, max_steps=3, ckpt_every=0)
    res = train.fit(t, cfg, tmp_path / "ckpt", [steps])
    assert steps.norms[0] == pytest.approx(expected, rel=1e-5)   # before clipping, whatever the clip
    g = res["grad_norms"]
    assert g["steps"] == 3
    assert g["clipped_steps"] == (sum(n > clip for n in steps.norms) if clip else 0)


def test_clipping_unchanged(tmp_path):
    """One step of the loop = one step of the textbook clip_grad_norm_ + SGD."""
    t = task()
    first = next(iter(t.batches(0)))
    ref = copy.deepcopy(t.model)
    x, y = first
    loss, _ = ref(x, None, targets=y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.05)
    with torch.no_grad():
        for p in ref.parameters():
            p -= 0.5 * p.grad
    cfg = train.TrainConfig(threads=1, optimizer="sgd", lr=0.5, clip=0.05, epochs=1, max_steps=1, ckpt_every=0,
                            schedule="none")
    train.fit(t, cfg, tmp_path / "ckpt")
    for (k, a), b in zip(t.model.state_dict().items(), ref.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7, msg=k)


def test_history_rows_and_resume_carry_the_log(tmp_path):
    cfg = train.TrainConfig(threads=1, optimizer="sgd", lr=1.0, clip=0.1, epochs=2, ckpt_every=5, seed=3)
    steps = Steps()
    res = train.fit(task(), cfg, tmp_path / "a", [steps])
    rows = res["history"]
    assert all({"grad_norm", "grad_norm_max", "clipped"} <= set(r) for r in rows)
    per_epoch = len(steps.norms) // 2
    first = steps.norms[:per_epoch]
    assert rows[0]["grad_norm"] == pytest.approx(sum(first) / len(first), rel=1e-5)
    assert rows[0]["grad_norm_max"] == pytest.approx(max(first), rel=1e-5)
    assert rows[0]["clipped"] == pytest.approx(sum(n > 0.1 for n in first) / len(first), abs=1e-4)
    # resumed after a kill: the same log as the straight run
    class Kill:
        def on_step(self, info):
            if info["step"] == 13:
                raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        train.fit(task(), cfg, tmp_path / "b", [Kill()])
    res_b = train.fit(task(seed=5), cfg, tmp_path / "b", resume=True)
    assert res_b["grad_norms"]["clipped_steps"] == res["grad_norms"]["clipped_steps"]
    assert [p[0] for p in res_b["grad_norms"]["points"]] == [p[0] for p in res["grad_norms"]["points"]]
    for a, b in zip(res_b["grad_norms"]["points"], res["grad_norms"]["points"]):
        assert a[1] == pytest.approx(b[1], rel=1e-4)


def test_grad_log_keeps_spikes_in_bounded_memory():
    rng = random.Random(0)
    norms = [rng.uniform(0, 1) for _ in range(5000)]
    norms[3217] = 50.0
    log = GradLog(cap=16)
    for s, n in enumerate(norms, 1):
        log.add(s, n, clipped=n > 0.9)
    assert 16 <= len(log.points) < 32
    assert max(p[1] for p in log.points) == 50.0
    # each point is the max of its window of `stride` steps
    s = log.stride
    for step, value in log.points:
        assert value == pytest.approx(max(norms[step - s:step]), abs=1e-6)
    assert log.total_clipped == sum(n > 0.9 for n in norms)
    log.add(5001, float("inf"), clipped=False)
    assert log.nonfinite == 1 and math.isfinite(log.interval()["grad_norm_max"])


def test_train_lm_stores_norms_and_plot_grad_norm(tmp_path):
    home = tmp_path / "ws2"
    corpus = toy_corpus(tmp_path / "toy.txt", lines=120)
    for name, clip in (("c0", "0"), ("c25", "0.25")):
        r = run_cli(home, "train", "lm", name, "--corpus", str(corpus), *TINY, "--epochs", "2", "--optimizer", "sgd",
                    "--lr", "20", "--clip", clip)
        assert r.exit_code == 0, r.output
    meta = {n: json.loads((home / "checkpoints" / n / "model.json").read_text()) for n in ("c0", "c25")}
    assert meta["c0"]["training"]["clipped_steps"] == 0
    g = meta["c25"]["grad_norms"]
    assert g["stride"] == 1 and meta["c25"]["training"]["clipped_steps"] == sum(v > 0.25 for _, v in g["points"])
    assert g["steps"] == meta["c25"]["training"]["steps"] and g["clipped_steps"] > 0
    r = run_cli(home, "plot", "training", "c0", "c25", "--metric", "grad_norm", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    for name in ("c0", "c25"):
        pts = meta[name]["grad_norms"]["points"]
        assert [(o["x"], o["y"]) for o in rows if o["model"] == name] == [(float(s), v) for s, v in pts]
    # by epoch: the history's mean and max per evaluation
    r = run_cli(home, "plot", "training", "c25", "--metric", "grad_norm", "--x", "epoch", "--format", "json")
    curves = {json.loads(line)["curve"] for line in r.stdout.splitlines()}
    assert curves == {"mean", "max"}, r.output


def test_sparse_gradients_count_as_their_dense_gradient():
    """The bag classifier's embeddings have sparse gradients (repeated rows): the norm is the dense one's,
    and clipping scales them as it scales the dense ones."""
    import torch

    from wordshell.fit.gradients import clip_with_norm, total_norm

    torch.manual_seed(0)
    emb = torch.nn.Embedding(10, 4, sparse=True)
    lin = torch.nn.Linear(4, 1)
    lin(emb(torch.tensor([1, 3, 3, 7])).sum(0)).sum().backward()   # row 3 twice: uncoalesced duplicates
    params = list(emb.parameters()) + list(lin.parameters())
    dense = [emb.weight.grad.to_dense(), lin.weight.grad, lin.bias.grad]
    expect = float(torch.sqrt(sum((g.double() ** 2).sum() for g in dense)))
    norm = total_norm(params)
    assert abs(float(norm) - expect) < 1e-5 * expect
    clip_with_norm(params, expect / 2, norm)
    after = float(torch.sqrt(sum((g.double() ** 2).sum() for g in
                                 [emb.weight.grad.to_dense(), lin.weight.grad, lin.bias.grad])))
    assert abs(after - expect / 2) < 1e-4 * expect
