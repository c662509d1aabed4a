"""Training curves from a model's `history` (model.json, or ckpt/state.json while it trains).

History rows are dicts, one per evaluation. Embeddings write `epoch, loss, seconds,
words_per_sec`; torch models `step, epoch, train_loss, valid_loss, valid_ppl,
valid_acc, lr, elapsed, tokens_per_sec`. A metric name picks the columns to draw:

    loss   train_loss (solid), valid_loss (dashed), or word2vec's per-epoch loss
    ppl    valid_ppl, and train perplexity = exp(train_loss) for language models
    acc    train_acc, valid_acc
    lr     lr;  speed: tokens_per_sec / words_per_sec
    grad_norm   the global gradient norm before clipping: by step, the model's per-window maxima
           (model.json grad_norms, every step of the run); by epoch/time, each evaluation's mean and max
    KEY    any other column by name (e.g. --metric valid_ppl)

>>> rows = [{"epoch": 1, "loss": 9.0}, {"epoch": 2, "loss": 7.5}]
>>> [(c.name, c.xs, c.ys) for c in curves_of("m", rows, "loss", "auto", {})[0]]
[('train', [1.0, 2.0], [9.0, 7.5])]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from wordshell.errors import BadInput, NotFound, UsageError
from wordshell.atomic import read_json
from wordshell.store import Store

# metric -> (axis label, [(curve name, key), ...])
METRICS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "loss": ("loss", [("train", "train_loss"), ("train", "loss"), ("valid", "valid_loss")]),
    "ppl": ("perplexity", [("train", "train_ppl"), ("valid", "valid_ppl")]),
    "acc": ("accuracy", [("train", "train_acc"), ("valid", "valid_acc")]),
    "lr": ("learning rate", [("", "lr")]),
    "speed": ("throughput (per second)", [("tokens/s", "tokens_per_sec"), ("words/s", "words_per_sec")]),
    "grad_norm": ("gradient norm (before clipping)", [("mean", "grad_norm"), ("max", "grad_norm_max")]),
}
XAXES = ("auto", "step", "epoch", "time")


@dataclass
class Curve:
    model: str
    name: str                   # "train", "valid", or "" (a single series)
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    live: bool = False          # read from a model still training

    @property
    def dashed(self) -> bool:
        return self.name == "valid"

    def label(self, several_models: bool) -> str:
        text = f"{self.model} {self.name}".strip() if several_models else (self.name or self.model)
        return text + " (training)" if self.live else text


@dataclass
class Chart:
    curves: list[Curve]
    xlabel: str
    ylabel: str
    title: str
    logy: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(c.model for c in self.curves))


def read_history(store: Store, name: str) -> tuple[list[dict], dict, str]:
    """(rows, model.json or {}, where they came from) for a finished or still-training model."""
    d = store.model_dir(name)
    if (d / "model.json").is_file():
        meta = store.model_meta(name)
        rows, source = meta.get("history"), "model.json"
    elif (d / "ckpt" / "state.json").is_file():
        state = read_json(d / "ckpt" / "state.json", f"model '{name}' training state")
        meta, rows, source = state, state.get("history"), "ckpt/state.json (still training)"
    elif (d / "job.json").is_file():
        raise NotFound(f"model '{name}' is still training and has no checkpoint yet",
                       "its history appears with the first checkpoint; see 'jobs'")
    else:
        store.model_meta(name)          # raises NotFound with did-you-mean
        raise AssertionError("unreachable")
    rows = [r for r in rows or [] if isinstance(r, dict)]
    if not rows:
        raise BadInput(f"model '{name}' has no training history",
                       "imported models have none; train one to plot its curves")
    return rows, meta, source


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _columns(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(k for r in rows for k in r))


def pick_x(histories: dict[str, list[dict]], x: str) -> str:
    """'auto' -> step if every model logs steps, else epoch if every model logs epochs, else time."""
    if x != "auto":
        return x
    for key in ("step", "epoch"):
        if all(any(key in r for r in rows) for rows in histories.values()):
            return key
    return "time"


def _x_values(rows: list[dict], x: str) -> list[float | None]:
    if x in ("step", "epoch"):
        return [_num(r.get(x)) for r in rows]
    # time: seconds since the start; embeddings log seconds per epoch, so add them up
    if any("elapsed" in r for r in rows):
        return [_num(r.get("elapsed")) for r in rows]
    out, total = [], 0.0
    for r in rows:
        s = _num(r.get("seconds"))
        total = total + s if s is not None else total
        out.append(round(total, 6) if s is not None else None)
    return out


def curves_of(model: str, rows: list[dict], metric: str, x: str, meta: dict) -> tuple[list[Curve], str]:
    """The curves of one model for `metric` along x ('step' | 'epoch' | 'time' | 'auto')."""
    x = pick_x({model: rows}, x)
    if metric == "grad_norm" and x == "step":
        points = grad_points(meta)
        if points:  # every step of the run (max per window), not only the evaluations
            return [Curve(model, "", [float(s) for s, _ in points], [float(v) for _, v in points])], METRICS[metric][0]
    xs = _x_values(rows, x)
    if all(v is None for v in xs):
        raise BadInput(f"model '{model}' has no '{'elapsed/seconds' if x == 'time' else x}' in its history",
                       f"it has: {', '.join(_columns(rows))}; try --x " +
                       ("epoch" if x != "epoch" else "step"))
    label, keys = METRICS.get(metric, (metric, [("", metric)]))
    derived = {}
    if metric == "ppl" and not any("train_ppl" in r for r in rows) and _is_lm(rows, meta):
        # train perplexity = exp(mean cross-entropy in nats)
        derived["train_ppl"] = [math.exp(min(v, 700)) if v is not None else None
                                for v in (_num(r.get("train_loss")) for r in rows)]
    curves = []
    taken = set()
    for name, key in keys:
        values = derived.get(key) or [_num(r.get(key)) for r in rows]
        c = Curve(model, name)
        for xv, yv in zip(xs, values):
            if xv is not None and yv is not None:
                c.xs.append(xv)
                c.ys.append(yv)
        if c.xs and name not in taken:   # 'train_loss' wins over 'loss' for the train curve
            taken.add(name)
            curves.append(c)
    return curves, label


def grad_points(meta: dict) -> list:
    """[[step, norm], ...] of a finished model (model.json grad_norms) or one in training (its run state)."""
    g = meta.get("grad_norms") or ((meta.get("run") or {}).get("grads")) or {}
    return [p for p in g.get("points") or [] if isinstance(p, list) and len(p) == 2]


def _is_lm(rows: list[dict], meta: dict) -> bool:
    return meta.get("family") == "lm" or any("valid_ppl" in r for r in rows)


def training_chart(store: Store, models: list[str], metric: str = "loss", x: str = "auto",
                   logy: bool = False) -> Chart:
    """Read each model's history and build one chart with all their curves."""
    if not models:
        raise UsageError("give at least one model name")
    histories, metas, notes, live = {}, {}, [], set()
    for name in dict.fromkeys(models):
        rows, meta, source = read_history(store, name)
        histories[name], metas[name] = rows, meta
        if source != "model.json":
            live.add(name)
            notes.append(f"'{name}': {len(rows)} rows from {source}")
    xkey = pick_x(histories, x)
    curves, label, missing = [], metric, []
    for name, rows in histories.items():
        cs, label = curves_of(name, rows, metric, xkey, metas[name])
        for c in cs:
            c.live = name in live
        if not cs:
            missing.append(name)
        curves += cs
    if missing:
        name = missing[0]
        cols = _columns(histories[name])
        hint = f"it has: {', '.join(cols)}"
        usable = [m for m, (_, keys) in METRICS.items() if any(k in cols for _, k in keys)]
        if usable:
            hint += f"; try --metric {' or '.join(usable)}"
        if len(missing) == len(histories):
            raise BadInput(f"no '{metric}' in the training history of model '{name}'", hint)
        notes.append(f"left out (no '{metric}' in their history): {', '.join(missing)}")
    if logy and any(y <= 0 for c in curves for y in c.ys):
        raise UsageError("--logy needs positive values")
    xlabel = {"time": "seconds", "step": "step", "epoch": "epoch"}[xkey]
    title = f"{label} by {xlabel}: {', '.join(dict.fromkeys(c.model for c in curves))}"
    return Chart(curves, xlabel, label, title, logy, notes)
