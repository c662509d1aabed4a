"""Training curves from real short runs of a language model and a classifier (not hand-written histories)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lm_fixtures import TINY, toy_corpus  # noqa: E402


def test_lm_and_classifier_curves_come_from_their_training_logs(ws, tmp_path):
    corpus = toy_corpus(tmp_path / "toy.txt")
    r = ws("train", "lm", "tiny", "--corpus", str(corpus), *TINY, "--epochs", "3", "--optimizer", "adam",
           "--lr", "0.01", "-q")
    assert r.code == 0, r
    r = ws("train", "classifier", "clf", "--data", "polarity", "--epochs", "4", "-q")
    assert r.code == 0, r
    lm_hist = json.loads((ws.home / "checkpoints" / "tiny" / "model.json").read_text())["history"]
    clf_hist = json.loads((ws.home / "checkpoints" / "clf" / "model.json").read_text())["history"]
    assert len(lm_hist) >= 3 and len(clf_hist) >= 4

    ppl = ws("plot", "training", "tiny", "--metric", "ppl", "--format", "json")
    assert ppl.code == 0, ppl
    valid = [o["y"] for o in ppl.json if o["curve"] == "valid"]
    assert valid == pytest.approx([h["valid_ppl"] for h in lm_hist])
    assert valid[-1] < valid[0]  # the model learned the toy grammar

    acc = ws("plot", "training", "clf", "--metric", "acc", "--format", "json")
    assert acc.code == 0, acc
    assert [o["y"] for o in acc.json if o["curve"] == "valid"] == pytest.approx([h["valid_acc"] for h in clf_hist])

    both = ws("plot", "training", "tiny", "clf", "--metric", "loss", "--format", "json")
    assert {o["model"] for o in both.json} == {"tiny", "clf"}
