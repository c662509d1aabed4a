"""train.fit: the one loop (LM task and a toy classifier task), checkpoints, resume, schedules."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from wordshell.fit import loop as train  # noqa: E402
from wordshell.lm.data import LMTask  # noqa: E402
from wordshell.kinds import build  # noqa: E402

TEXT = "the cat sat on the mat . the dog sat on the log . " * 40


def toy_ids(text=TEXT):
    words = text.split()
    itos = ["<eos>", "<unk>"] + sorted(set(words))
    stoi = {w: i for i, w in enumerate(itos)}
    return torch.tensor([stoi[w] for w in words]), len(itos)


def lm_task(kind="lstm-lm", dropout=0.0, seed=0, **cfg):
    ids, v = toy_ids()
    torch.manual_seed(seed)
    model = build(kind, {"vocab_size": v, "emb": 16, "hidden": 16, "dropout": dropout,
                         **({"cell": kind.split("-")[0], "layers": 1} if kind != "ffnn-lm" else {"context": 3}),
                         **cfg})
    return LMTask(model, ids[:400], ids[400:], batch=4, bptt=8)


def weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("kind", ["lstm-lm", "gru-lm", "rnn-lm", "ffnn-lm"])
def test_tiny_lm_overfits(kind, tmp_path):
    task = lm_task(kind)
    cfg = train.TrainConfig(threads=1, optimizer="adam", lr=0.01, epochs=6, schedule="none", ckpt_every=0)
    res = train.fit(task, cfg, tmp_path / "ckpt")
    hist = res["history"]
    assert len(hist) == 6
    # the text is periodic (12 tokens), so a model that learned it has a perplexity near 1-2
    assert hist[-1]["train_loss"] < 0.6 * hist[0]["train_loss"]
    assert res["best"]["valid_ppl"] < 3.0, hist
    assert (tmp_path / "ckpt" / "best.safetensors").is_file()


def test_resume_after_kill_matches_straight_run(tmp_path):
    cfg = train.TrainConfig(threads=1, optimizer="sgd", lr=1.0, momentum=0.9, clip=0.5, epochs=3, ckpt_every=5,
                            schedule="plateau", seed=3)
    straight = lm_task(dropout=0.3)
    res_a = train.fit(straight, cfg, tmp_path / "a")

    class Kill:  # dies between checkpoints, like a SIGKILL: nothing saved after step 5*k
        def on_step(self, info):
            if info["step"] == 23:
                raise RuntimeError("killed")

    task = lm_task(dropout=0.3)
    with pytest.raises(RuntimeError):
        train.fit(task, cfg, tmp_path / "b", [Kill()])
    state = json.loads((tmp_path / "b" / "state.json").read_text())
    assert state["run"]["step"] == 20 and state["run"]["batch_in_epoch"] > 0  # mid-epoch, carried state saved
    resumed = lm_task(dropout=0.3, seed=99)  # fresh (different) init: everything must come from the checkpoint
    res_b = train.fit(resumed, cfg, tmp_path / "b", resume=True)
    assert res_b["step"] == res_a["step"]
    wa, wb = weights(straight.model), weights(resumed.model)
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], rtol=1e-5, atol=1e-6)
    assert [round(h["valid_loss"], 5) for h in res_a["history"]] == [round(h["valid_loss"], 5)
                                                                     for h in res_b["history"]]


def test_resume_finished_run_continues_with_more_epochs(tmp_path):
    cfg = train.TrainConfig(threads=1, optimizer="adam", lr=0.01, epochs=2, schedule="none")
    t = lm_task()
    train.fit(t, cfg, tmp_path / "c")
    again = train.fit(lm_task(), cfg, tmp_path / "c", resume=True)  # nothing left to do
    assert again["step"] == 2 * t.steps_per_epoch() and len(again["history"]) == 2
    more = train.fit(lm_task(), train.TrainConfig(threads=1, optimizer="adam", lr=0.01, epochs=3, schedule="none"),
                     tmp_path / "c", resume=True)
    assert more["epoch"] == 3 and len(more["history"]) == 3


def test_checkpoints_hold_no_pickle(tmp_path):
    from safetensors import safe_open

    train.fit(lm_task(tied=True), train.TrainConfig(threads=1, epochs=1, ckpt_every=3), tmp_path / "ck")
    files = sorted(p.name for p in (tmp_path / "ck").iterdir())
    assert files == ["best.safetensors", "last.safetensors", "state.json"]
    for p in (tmp_path / "ck").iterdir():
        raw = p.read_bytes()
        assert b"\x80\x04\x95" not in raw[:64] and not raw.startswith(b"PK")  # no pickle, no torch zip
        if p.suffix == ".json":
            json.loads(raw)
        else:
            with safe_open(str(p), "pt") as f:
                assert f.keys()


class ToyClassifier:
    """A non-LM task (the classifier engineer's shape): shuffled minibatches, accuracy as primary."""

    unit = "examples"
    primary = ("valid_acc", "max")

    def __init__(self, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(256, 5, generator=g)
        self.y = (self.x[:, 0] + 0.5 * self.x[:, 1] > 0).long()
        torch.manual_seed(seed)
        self.model = torch.nn.Linear(5, 2)
        self.seed = seed

    def steps_per_epoch(self, world=1):
        return 192 // 32

    def batches(self, epoch, rank, world):
        order = torch.randperm(192, generator=torch.Generator().manual_seed(self.seed * 1000 + epoch))
        for i in range(0, 192, 32):
            idx = order[i:i + 32][rank::world]
            yield self.x[idx], self.y[idx]

    def loss(self, model, batch, state):
        x, y = batch
        return torch.nn.functional.cross_entropy(model(x), y), len(y), None

    def evaluate(self, model):
        dev = next(model.parameters()).device
        logits = model(self.x[192:].to(dev))
        y = self.y[192:].to(dev)
        return {"valid_loss": float(torch.nn.functional.cross_entropy(logits, y)),
                "valid_acc": float((logits.argmax(1) == y).float().mean())}


def test_classifier_task_and_callbacks(tmp_path):
    seen = {"step": 0, "eval": [], "ckpt": 0, "end": 0}

    class Spy(train.Callback):
        def on_step(self, info):
            seen["step"] += 1
            assert info["lr"] > 0 and "examples_per_sec" in info

        def on_eval(self, info):
            seen["eval"].append(info["metrics"]["valid_acc"])

        def on_checkpoint(self, info):
            seen["ckpt"] += 1

        def on_end(self, info):
            seen["end"] += 1

    res = train.fit(ToyClassifier(), train.TrainConfig(threads=1, optimizer="adamw", lr=0.05, epochs=8, eval_every=4,
                                                        schedule="cosine"), tmp_path / "k", [Spy()])
    assert seen["step"] == 48 and seen["end"] == 1 and seen["ckpt"] >= len(seen["eval"])
    assert res["best"]["valid_acc"] == max(seen["eval"]) >= 0.85
    assert all("examples_per_sec" in h for h in res["history"])
    assert res["history"][-1]["lr"] < 0.05 * 0.1  # cosine decays to ~0 at the end


def test_plateau_annealing_and_patience(tmp_path):
    class Flat(ToyClassifier):
        def evaluate(self, model):
            return {"valid_loss": 1.0, "valid_acc": 0.5}  # never improves after the first eval

    cfg = train.TrainConfig(threads=1, optimizer="sgd", lr=1.0, epochs=20, schedule="plateau", anneal=4, patience=3)
    res = train.fit(Flat(), cfg, tmp_path / "p")
    assert res["stopped"] == "patience" and res["epoch"] == 4
    assert [h["lr"] for h in res["history"]] == [1.0, 1.0, 0.25, 0.0625]  # row lr = lr in use; annealed after a bad eval


def test_time_budget_and_divergence(tmp_path):
    res = train.fit(ToyClassifier(), train.TrainConfig(threads=1, epochs=10**6, time_budget=0.5), tmp_path / "t")
    assert res["stopped"] == "time" and 0.5 <= res["elapsed"] < 5

    from wordshell.errors import BadInput

    class Exploding(ToyClassifier):
        def loss(self, model, batch, state):
            loss, n, _ = super().loss(model, batch, state)
            return loss * float("inf"), n, None

    with pytest.raises(BadInput, match="diverged at step 1"):
        train.fit(Exploding(), train.TrainConfig(threads=1, optimizer="sgd", lr=1.0, epochs=2), tmp_path / "d")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_bf16_autocast_trains(tmp_path):
    task = lm_task()
    res = train.fit(task, train.TrainConfig(optimizer="adam", lr=0.01, epochs=4, schedule="none", device="cuda"),
                    tmp_path / "gpu")
    assert res["device"].startswith("cuda") and next(task.model.parameters()).is_cuda
    assert res["history"][-1]["valid_loss"] < 0.7 * res["history"][0]["valid_loss"]


def test_cpu_bf16_trains_and_evaluates_in_float32(tmp_path):
    """--bf16 on CPU: the steps run under bf16 autocast, the weights stay float32, and the reported
    validation loss is a float32 evaluation (it equals a fresh evaluation of the saved best weights).
    On a CPU without native bfloat16 the run falls back to float32 (oneDNN has no bf16 LSTM there)."""
    from wordshell.fit import weights as ck

    task = lm_task()
    cfg = train.TrainConfig(threads=1, optimizer="adam", lr=0.01, epochs=6, schedule="none", ckpt_every=0,
                            cpu_bf16=True)
    res = train.fit(task, cfg, tmp_path / "bf")
    assert res["cpu_bf16"] == train.cpu_bf16_supported()
    assert all(p.dtype == torch.float32 for p in task.model.parameters())
    assert res["best"]["valid_ppl"] < 3.0, res["history"]
    fresh = lm_task()
    tensors, _ = ck.load_weights(tmp_path / "bf" / "best.safetensors")
    fresh.model.load_state_dict(tensors)
    again = fresh.evaluate(fresh.model)
    assert again["valid_loss"] == pytest.approx(res["best"]["valid_loss"], rel=1e-6)
    plain = train.fit(lm_task(), train.TrainConfig(threads=1, optimizer="adam", lr=0.01, epochs=6,
                                                   schedule="none", ckpt_every=0), tmp_path / "fp")
    if res["cpu_bf16"]:  # bf16 really was on: the same run in float32 takes different steps
        assert plain["history"][0]["train_loss"] != res["history"][0]["train_loss"]
    else:  # the fallback is exactly the float32 run
        assert [r["train_loss"] for r in plain["history"]] == [r["train_loss"] for r in res["history"]]


def test_cpu_bf16_falls_back_to_float32_without_cpu_support(tmp_path, monkeypatch):
    monkeypatch.setattr(train, "cpu_bf16_supported", lambda: False)
    cfg = dict(threads=1, optimizer="adam", lr=0.01, epochs=2, schedule="none", ckpt_every=0)
    res = train.fit(lm_task(), train.TrainConfig(cpu_bf16=True, **cfg), tmp_path / "bf")
    plain = train.fit(lm_task(), train.TrainConfig(**cfg), tmp_path / "fp")
    assert res["cpu_bf16"] is False
    assert [r["valid_loss"] for r in res["history"]] == [r["valid_loss"] for r in plain["history"]]


def test_time_budget_counts_across_resume(tmp_path):
    cfg = train.TrainConfig(threads=1, epochs=0, time_budget=0.4, schedule="linear")
    first = train.fit(ToyClassifier(), cfg, tmp_path / "tb")
    state = json.loads((tmp_path / "tb" / "state.json").read_text())
    assert first["stopped"] == "time" and state["run"]["elapsed"] >= 0.4
    again = train.fit(ToyClassifier(), cfg, tmp_path / "tb", resume=True)  # budget already spent
    assert again["step"] == first["step"] and again["stopped"] == "time"
    more = train.fit(ToyClassifier(), train.TrainConfig(threads=1, epochs=0, time_budget=0.8, schedule="linear"),
                     tmp_path / "tb", resume=True)
    assert more["step"] > first["step"] and 0.8 <= more["elapsed"] < 3


def test_thread_tuner_keeps_the_faster_setting(monkeypatch):
    from wordshell.fit import runtime as train_runtime

    clock = {"t": 0.0}
    monkeypatch.setattr(train_runtime.time, "perf_counter", lambda: clock["t"])
    old = torch.get_num_threads()
    try:
        for slow in (2, 1):  # whichever thread count is slow, the tuner must settle on the other
            tuner = train_runtime.ThreadTuner(most=2, every=50, probe=4)
            chosen = []
            for _ in range(20):
                tuner.before_step()
                clock["t"] += 1.0 if torch.get_num_threads() == slow else 0.25
                tuner.after_step()
                chosen.append(torch.get_num_threads())
            assert chosen[:8] == [2] * 4 + [1] * 4 and set(chosen[8:]) == {3 - slow}
    finally:
        torch.set_num_threads(old)
