"""The torch embedding engine on CUDA (skipped without a GPU; bench/device.sh runs them on a GPU machine)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from vector_fixtures import topic_accuracy, topic_corpus  # noqa: E402

torch = pytest.importorskip("torch")

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def _same_step_on(device, subword):
    from wordshell.vectors import torch_engine as E

    words = ["apple", "apply", "maple", "pale", "leap", "plea", "peal", "lap"]
    sub = {"min_n": 2, "max_n": 4, "bucket": 64} if subword else None
    t = E.init_tables(len(words), 8, seed=2, device=device, subword=sub, words=words)
    g = torch.Generator().manual_seed(3)            # every draw on the CPU: the same numbers for both devices
    t.w_out.copy_(torch.randn(t.w_out.shape, generator=g) * 0.3)
    inputs, targets = torch.randint(0, 8, (300,), generator=g), torch.randint(0, 8, (300,), generator=g)
    noise = torch.randint(0, 8, (300, 5), generator=g)
    loss = E.sg_step(t, inputs.to(device), targets.to(device), noise.to(device), 0.05)
    ctx, mask = torch.randint(0, 8, (50, 4), generator=g), torch.rand(50, 4, generator=g) < 0.7
    mask[:, 0] = True
    E.cbow_step(t, ctx.to(device), mask.to(device), targets[:50].to(device), noise[:50].to(device), 0.05)
    return float(loss), {k: v.cpu().numpy() for k, v in t.tensors().items()}


@pytest.mark.parametrize("subword", [False, True], ids=["word2vec", "fasttext"])
def test_a_cuda_step_equals_the_cpu_step(subword):
    """Same examples, same tables: CUDA's unordered atomic adds change float sums by rounding only."""
    loss_cpu, cpu = _same_step_on("cpu", subword)
    loss_gpu, gpu = _same_step_on("cuda", subword)
    assert loss_gpu == pytest.approx(loss_cpu, rel=1e-5)
    for k in cpu:
        np.testing.assert_allclose(gpu[k], cpu[k], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kind,mode", [("word2vec", "--sg"), ("word2vec", "--cbow"), ("fasttext", "--sg")])
def test_train_on_cuda_through_the_cli(ws, tmp_path, kind, mode):
    from wordshell.store import Store
    from wordshell.vectors.keyed import KeyedVectors

    corpus = topic_corpus(tmp_path / "topics.txt")
    r = ws("train", kind, "m", "--corpus", str(corpus), "--engine", "auto", mode, "--epochs", "5", "--min-count", "1",
           "--dim", "16", "--batch-words", "1024", "-q")
    assert r.code == 0, r
    meta = json.loads((ws.home / "checkpoints" / "m" / "model.json").read_text())
    assert meta["engine"] == "torch" and meta["training"]["device"].startswith("cuda")   # auto picks torch on a GPU
    assert topic_accuracy(KeyedVectors.from_store(Store(ws.home), "m")) >= 0.9


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="NCCL needs a GPU per process")
def test_two_gpu_processes_with_nccl(ws, tmp_path):
    from wordshell.store import Store
    from wordshell.vectors.keyed import KeyedVectors

    corpus = topic_corpus(tmp_path / "topics.txt", sentences=2500)
    r = ws("train", "word2vec", "two", "--corpus", str(corpus), "--device", "cuda", "--nproc", "2", "--epochs", "4",
           "--min-count", "1", "--dim", "24", "--batch-words", "512", "-q")
    assert r.code == 0, r
    meta = json.loads((ws.home / "checkpoints" / "two" / "model.json").read_text())
    assert meta["training"]["world"] == 2
    assert topic_accuracy(KeyedVectors.from_store(Store(ws.home), "two")) >= 0.9


@pytest.mark.skipif(torch.cuda.device_count() != 1, reason="for a machine with one GPU")
def test_two_processes_on_one_gpu_are_refused_in_one_line(ws, tmp_path):
    corpus = topic_corpus(tmp_path / "topics.txt", sentences=100)
    r = ws("train", "word2vec", "x", "--corpus", str(corpus), "--device", "cuda", "--nproc", "2", "--min-count", "1")
    assert r.code == 1 and "needs 2 GPUs" in r.err and r.err.count("\n") == 1
