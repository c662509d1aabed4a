"""The one progress callback of the training loop: fit's events -> a wordshell Progress.

The Progress is a bar on a terminal, plain lines in a pipe, or job.json in a background job
(session.progress() picks). Every torch trainer uses this class; what differs between them is
the metric, given as a parameter: its key in the evaluation, how the bar shows it, and the line
each evaluation logs.

    bar     train lm: 40% 120/300 steps  epoch 1/3  loss 5.12  valid_ppl 170.2  lr 0.003  tok/s 41.2k  eta 0:08
    line    epoch 1.00 step 100: train loss 5.1533  valid loss 5.1356  ppl 169.97  lr 0.00011
            |grad| 0.84 (max 3.1, clipped 12%)  10s  *best

>>> PPL.show(169.971), ACC.show(0.84287), F1.show(0.88123)
(169.97, '84.29%', '88.12')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from wordshell.progress import fmt_count, fmt_duration

UNIT_ABBREV = {"tokens": "tok/s", "examples": "ex/s", "words": "words/s"}


@dataclass(frozen=True)
class Metric:
    key: str                                    # in the evaluation's metrics: valid_ppl, valid_acc, ...
    show: Callable[[float], Any]                # the bar's view of a value
    line: Callable[[dict, bool], str]           # the log line of one evaluation (metrics row, improved?)


def _ppl_line(m: dict, improved: bool) -> str:
    return (f"epoch {m['epoch']:.2f} step {m['step']}: train loss {m.get('train_loss', float('nan')):.4f}"
            f"  valid loss {m['valid_loss']:.4f}  ppl {m['valid_ppl']:.2f}  lr {m['lr']:.3g}{_grad(m)}"
            f"  {m['elapsed']:.0f}s{'  *best' if improved else ''}")


def _grad(m: dict) -> str:
    """'  |grad| 0.84 (max 3.1, clipped 12%)': the gradient norms before clipping since the last line."""
    if m.get("grad_norm") is None:
        return ""
    clipped = f", clipped {100 * m['clipped']:.0f}%" if m.get("clipped") else ""
    return f"  |grad| {m['grad_norm']:.3g} (max {m['grad_norm_max']:.3g}{clipped})"


def _acc_line(m: dict, improved: bool) -> str:
    if "train_acc" in m:  # no validation data: the figures are on the training set, and say so
        what = (f"train-set loss (eval mode) {m['train_eval_loss']:.4f}  "
                f"train acc (no validation data) {100 * m['train_acc']:.2f}%")
    else:
        what = f"valid loss {m['valid_loss']:.4f}  valid acc {100 * m['valid_acc']:.2f}%"
    return (f"epoch {m['epoch']:g}  train loss {m.get('train_loss', float('nan')):.4f}  "
            f"{what}{'  (best)' if improved else ''}")


def _f1_line(m: dict, improved: bool) -> str:
    return (f"epoch {m['epoch']:g}  train loss {m.get('train_loss', float('nan')):.4f}  "
            f"valid loss {m['valid_loss']:.4f}  valid F1 {100 * m['valid_f1']:.2f}  "
            f"(token acc {100 * m.get('valid_acc', float('nan')):.2f}%){'  (best)' if improved else ''}")


PPL = Metric("valid_ppl", lambda v: round(v, 2), _ppl_line)
ACC = Metric("valid_acc", lambda v: f"{100 * v:.2f}%", _acc_line)
# a classifier with no validation data reports its accuracy on the training set, and says so
ACC_ON_TRAIN = Metric("train_acc", ACC.show, _acc_line)
# span tags (NER, chunks): entity F1 (exact spans, the CoNLL way), shown x 100 as in the literature
F1 = Metric("valid_f1", lambda v: f"{100 * v:.2f}", _f1_line)


class FitProgress:
    """fit callbacks -> `progress`. `epochs` (when the run is bounded by epochs) adds 'epoch k/E' to the
    bar and, beyond 20 epochs, keeps about 10 evaluation lines (and the last)."""

    def __init__(self, progress, desc: str, metric: Metric, epochs: int | None = None):
        self.p, self.desc, self.metric, self.epochs = progress, desc, metric, epochs or None
        self.shown = None

    def on_start(self, info: dict) -> None:
        self.p.start(self.desc, info.get("total_steps"), "steps")
        if info.get("resumed"):
            self.p.log(f"resumed at step {info['step']} (epoch {info['epoch']:.2f})")

    def on_step(self, info: dict) -> None:
        m: dict[str, Any] = {}
        if self.epochs:
            m["epoch"] = f"{min(int(info['epoch']) + 1, self.epochs)}/{self.epochs}"
        m["loss"] = round(info["avg_loss"], 3)
        m[self.metric.key] = self.shown
        m["lr"] = f"{info['lr']:.3g}"
        if info.get("items_per_sec"):
            m[UNIT_ABBREV.get(info.get("unit"), "items/s")] = fmt_count(info["items_per_sec"])
        if info.get("eta") is not None and not info.get("total_steps"):
            m["eta"] = fmt_duration(info["eta"])
        self.p.update(info["step"], **m)

    def on_eval(self, info: dict) -> None:
        m = info["metrics"]
        value = m.get(self.metric.key)
        self.shown = None if value is None else self.metric.show(value)
        if self.epochs and self.epochs > 20:  # a long run: about 10 lines, and the last
            every = max(1, self.epochs // 10)
            epoch = int(round(m["epoch"]))
            if epoch % every and epoch != self.epochs:
                return
        self.p.log(self.metric.line(m, bool(info.get("improved"))))

    def on_end(self, info: dict) -> None:
        self.p.finish()
