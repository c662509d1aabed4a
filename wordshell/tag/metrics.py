"""How good a tagger is: token accuracy (also on words unseen in training), entity-level precision,
recall and F1 per type and overall, the CoNLL way (a span counts when its type, start and end all match
exactly; spans read by schemes.spans, conlleval's rules), and a tag confusion table.

>>> gold = [["B-PER", "I-PER", "O", "B-LOC"]]
>>> pred = [["B-PER", "I-PER", "O", "B-ORG"]]
>>> r = span_report(gold, pred)
>>> r["overall"]["f1"], r["types"]["PER"]["f1"], r["types"]["LOC"]["recall"]
(0.5, 1.0, 0.0)
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from wordshell.tag.schemes import spans


def prf(correct: int, predicted: int, gold: int) -> dict:
    p = correct / predicted if predicted else 0.0
    r = correct / gold if gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "predicted": predicted, "support": gold, "correct": correct}


def span_report(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """{"overall": P/R/F1, "types": {type: P/R/F1}} over every sentence (micro-averaged, like conlleval)."""
    g_count, p_count, ok = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred):
        gs, ps = set(spans(g)), set(spans(p))
        g_count.update(t for t, _, _ in gs)
        p_count.update(t for t, _, _ in ps)
        ok.update(t for t, _, _ in gs & ps)
    types = sorted(set(g_count) | set(p_count))
    return {"overall": prf(sum(ok.values()), sum(p_count.values()), sum(g_count.values())),
            "types": {t: prf(ok[t], p_count[t], g_count[t]) for t in types}}


def accuracy(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], unseen=None) -> dict:
    """Token accuracy; with `unseen` (per sentence, per token: True for a word unseen in training) also
    the accuracy on those words.

    >>> accuracy([["A", "B"], ["C"]], [["A", "X"], ["C"]], [[False, True], [True]])
    {'tokens': 3, 'accuracy': 0.6666666666666666, 'unseen_tokens': 2, 'unseen_accuracy': 0.5}
    """
    n = right = n_new = right_new = 0
    for i, (g, p) in enumerate(zip(gold, pred)):
        for j, (a, b) in enumerate(zip(g, p)):
            n += 1
            right += a == b
            if unseen is not None and unseen[i][j]:
                n_new += 1
                right_new += a == b
    out = {"tokens": n, "accuracy": right / n if n else 0.0}
    if unseen is not None:
        out.update(unseen_tokens=n_new, unseen_accuracy=right_new / n_new if n_new else None)
    return out


def confusion(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str]) -> list[list[int]]:
    """counts[i][j]: tokens whose gold tag is labels[i] and predicted tag labels[j]."""
    index = {t: i for i, t in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred):
        for a, b in zip(g, p):
            m[index[a]][index[b]] += 1
    return m
