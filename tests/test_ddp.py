"""DDP: 2 CPU processes (gloo, loopback) give the same model as 1 process with the same global batch."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lm_fixtures import TINY, toy_corpus  # noqa: E402

torch = pytest.importorskip("torch")


def test_two_processes_match_one(ws, tmp_path):
    from safetensors.torch import load_file

    corpus = toy_corpus(tmp_path / "toy.txt", lines=200)
    args = ["--corpus", str(corpus), *TINY, "--dropout", "0", "--optimizer", "adam", "--lr", "0.01",
            "--max-steps", "25", "--eval-every", "10", "--seed", "3"]
    one = ws("train", "lm", "one", *args, "--nproc", "1")
    assert one.code == 0, one
    two = ws("train", "lm", "two", *args, "--nproc", "2")
    assert two.code == 0, two
    a = load_file(str(ws.home / "checkpoints" / "one" / "weights.safetensors"))
    b = load_file(str(ws.home / "checkpoints" / "two" / "weights.safetensors"))
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)
    ma = json.loads((ws.home / "checkpoints" / "one" / "model.json").read_text())
    mb = json.loads((ws.home / "checkpoints" / "two" / "model.json").read_text())
    assert mb["train"]["nproc"] == 2 and len(ma["history"]) == len(mb["history"]) == 3
    assert [h["valid_loss"] for h in ma["history"]] == pytest.approx([h["valid_loss"] for h in mb["history"]],
                                                                    rel=1e-4)
    assert [h["train_loss"] for h in ma["history"]] == pytest.approx([h["train_loss"] for h in mb["history"]],
                                                                    rel=1e-4)


def test_batch_must_split_evenly(ws, tmp_path):
    corpus = toy_corpus(tmp_path / "toy.txt", lines=100)
    r = ws("train", "lm", "odd", "--corpus", str(corpus), *TINY, "--batch", "5", "--nproc", "2", "--max-steps", "2")
    assert r.code == 1 and "not divisible by 2" in r.err and r.err.count("\n") == 1
