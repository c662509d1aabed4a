"""Classification metrics in numpy: confusion matrix, accuracy, per-class P/R/F1, macro-F1.

Conventions follow scikit-learn (checked against `precision_recall_fscore_support` in
tests): rows of the confusion matrix are true classes, columns predicted ones; a
precision or recall with a zero denominator is 0, and so is the F1 built on it;
macro-F1 is the unweighted mean of the per-class F1 over all classes.

>>> cm = confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], 2)
>>> cm.tolist()
[[1, 1], [0, 2]]
>>> report(cm, ["neg", "pos"])["accuracy"]
0.75
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> np.ndarray:
    """(C, C) int64 counts: cm[t, p] = how many examples of class t were predicted as p."""
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    assert t.shape == p.shape, (t.shape, p.shape)
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (t, p), 1)
    return cm


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(num.shape, dtype=np.float64), where=den > 0)


def per_class(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(precision, recall, f1, support), each (C,)."""
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    support = cm.sum(axis=1)
    precision = _ratio(tp, predicted)
    recall = _ratio(tp, support.astype(np.float64))
    f1 = _ratio(2 * precision * recall, precision + recall)
    return precision, recall, f1, support


def accuracy(cm: np.ndarray) -> float:
    total = cm.sum()
    return float(np.trace(cm) / total) if total else 0.0


def report(cm: np.ndarray, labels: Sequence[str]) -> dict:
    """Everything `eval classifier` shows, as plain Python values (JSON-ready)."""
    assert cm.shape == (len(labels), len(labels)), (cm.shape, len(labels))
    p, r, f, s = per_class(cm)
    return {
        "examples": int(cm.sum()),
        "accuracy": accuracy(cm),
        "macro_f1": float(f.mean()) if len(f) else 0.0,
        "macro_precision": float(p.mean()) if len(p) else 0.0,
        "macro_recall": float(r.mean()) if len(r) else 0.0,
        "classes": [{"label": lab, "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                     "support": int(s[i])} for i, lab in enumerate(labels)],
        "labels": list(labels),
        "confusion": cm.tolist(),
    }
