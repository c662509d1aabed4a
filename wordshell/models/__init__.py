"""The registry of torch models: kind -> "module:Class", imported only when used.

Importing this package does not import torch, so `models list` and the CLI's help stay fast.
Every model class exposes its config dataclass as the class attribute `Config`, so a
model is rebuilt from model.json as

    >>> from wordshell.models import build                       # doctest: +SKIP
    >>> model = build("lstm-lm", {"vocab_size": 100, "cell": "lstm"})
    >>> model.load_state_dict(weights)

Several kinds may share a class (lstm-lm / gru-lm / rnn-lm are all `RNNLM`); the config
(e.g. `cell`) tells them apart, and `kind_defaults(kind)` gives the config fields a kind implies.
"""

from __future__ import annotations

import importlib
from typing import Any

from wordshell.errors import NotFound

MODELS: dict[str, str] = {
    "ffnn-lm": "wordshell.models.ffnn_lm:FFNNLM",
    "rnn-lm": "wordshell.models.rnn_lm:RNNLM",
    "lstm-lm": "wordshell.models.rnn_lm:RNNLM",
    "gru-lm": "wordshell.models.rnn_lm:RNNLM",
    "bag-clf": "wordshell.models.bag_clf:BagClassifier",
    "bilstm-clf": "wordshell.models.rnn_clf:RNNClassifier",
    "bigru-clf": "wordshell.models.rnn_clf:RNNClassifier",
    "rnn-clf": "wordshell.models.rnn_clf:RNNClassifier",
}

# config fields implied by a kind when several kinds share one class
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "rnn-lm": {"cell": "rnn"},
    "lstm-lm": {"cell": "lstm"},
    "gru-lm": {"cell": "gru"},
}


def model_class(kind: str):
    """The class registered for `kind` (imports its module, hence torch)."""
    target = MODELS.get(kind)
    if target is None:
        from wordshell.suggest import did_you_mean

        close = did_you_mean(kind, list(MODELS))
        raise NotFound(f"unknown model kind {kind!r}",
                       f"did you mean: {', '.join(close)}?" if close else "kinds: " + ", ".join(MODELS))
    module, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise NotFound(f"model kind {kind!r} is not available in this build ({e})") from None


def kind_defaults(kind: str) -> dict[str, Any]:
    return dict(KIND_DEFAULTS.get(kind, {}))


def build(kind: str, config: dict[str, Any]):
    """A fresh model: `cls(cls.Config(**config))` (weights initialised; load a state dict after)."""
    cls = model_class(kind)
    return cls(cls.Config(**config))
