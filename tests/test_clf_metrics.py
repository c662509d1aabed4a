"""Metrics against hand-computed values and against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from wordshell.classify.metrics import confusion_matrix, report


def test_toy_confusion_matrix_by_hand():
    # true:  a a a a b b b c c c
    # pred:  a a b c b b a c c b
    y_true = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    y_pred = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1]
    cm = confusion_matrix(y_true, y_pred, 3)
    assert cm.tolist() == [[2, 1, 1], [1, 2, 0], [0, 1, 2]]
    r = report(cm, ["a", "b", "c"])
    assert r["accuracy"] == pytest.approx(6 / 10)
    # a: P = 2/3, R = 2/4 ; b: P = 2/4, R = 2/3 ; c: P = 2/3, R = 2/3
    expect = {"a": (2 / 3, 1 / 2), "b": (1 / 2, 2 / 3), "c": (2 / 3, 2 / 3)}
    f1s = []
    for c in r["classes"]:
        p, rec = expect[c["label"]]
        f1 = 2 * p * rec / (p + rec)
        f1s.append(f1)
        assert (c["precision"], c["recall"], c["f1"]) == pytest.approx((p, rec, f1))
    assert [c["support"] for c in r["classes"]] == [4, 3, 3]
    assert r["macro_f1"] == pytest.approx(sum(f1s) / 3)


def test_class_never_predicted_scores_zero():
    cm = confusion_matrix([0, 1, 1], [1, 1, 1], 2)
    r = report(cm, ["x", "y"])
    assert r["classes"][0]["precision"] == 0.0 and r["classes"][0]["f1"] == 0.0
    assert r["classes"][1]["recall"] == 1.0


def test_against_sklearn():
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 500)
    y_pred = np.where(rng.random(500) < 0.6, y_true, rng.integers(0, 4, 500))
    r = report(confusion_matrix(y_true, y_pred, 4), ["a", "b", "c", "d"])
    p, rec, f, s = precision_recall_fscore_support(y_true, y_pred, labels=[0, 1, 2, 3], zero_division=0)
    assert [c["precision"] for c in r["classes"]] == pytest.approx(p)
    assert [c["recall"] for c in r["classes"]] == pytest.approx(rec)
    assert [c["f1"] for c in r["classes"]] == pytest.approx(f)
    assert [c["support"] for c in r["classes"]] == s.tolist()
    assert r["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert r["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
