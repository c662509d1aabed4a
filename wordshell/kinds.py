"""The one table of model kinds: what a `--arch` trains, which class builds it, which family it is in.

    family      kind         --arch   class (imported only when a model is built)   cell
    vectors     word2vec     -        -  (numpy arrays: vectors.npy, vocab.txt, ...)
    vectors     fasttext     -        -  (+ ngrams.npy)
    vectors     vectors      -        -  (imported from word2vec / GloVe / .vec files)
    lm          lstm-lm      lstm     RNNLM                                        lstm
    lm          ...          gru, rnn, ffnn
    classifier  bag-clf      bag      BagClassifier
    classifier  bilstm-clf   bilstm   RNNClassifier                                lstm
    classifier  ...          bigru, rnn
    tagger      bilstm-tagger bilstm  BiRNNTagger (+ char CNN/BiLSTM, CRF)              lstm
    tagger      bigru-tagger  bigru   BiRNNTagger                                      gru

A model is rebuilt from its model.json as `build(meta["kind"], meta["config"])` followed by
`load_state_dict`. Importing this module imports no torch: `models list` and `--help` stay fast.

>>> kind_of("lm", "gru"), family_of("bag-clf"), archs("classifier")
('gru-lm', 'classifier', ['bag', 'bilstm', 'bigru', 'rnn'])
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from wordshell.errors import NotFound

FAMILIES = ("vectors", "lm", "classifier", "tagger")


@dataclass(frozen=True)
class Kind:
    name: str                 # stored in model.json "kind"
    family: str               # vectors | lm | classifier | tagger
    arch: str | None = None   # the --arch value that trains it
    cls: str | None = None    # "module:Class" of the torch module (None: numpy arrays only)
    cell: str | None = None   # recurrent cell: rnn (tanh) | lstm | gru


_TABLE = [
    Kind("word2vec", "vectors"),
    Kind("fasttext", "vectors"),
    Kind("vectors", "vectors"),
    Kind("lstm-lm", "lm", "lstm", "wordshell.lm.rnn:RNNLM", "lstm"),
    Kind("gru-lm", "lm", "gru", "wordshell.lm.rnn:RNNLM", "gru"),
    Kind("rnn-lm", "lm", "rnn", "wordshell.lm.rnn:RNNLM", "rnn"),
    Kind("ffnn-lm", "lm", "ffnn", "wordshell.lm.ffnn:FFNNLM"),
    Kind("bag-clf", "classifier", "bag", "wordshell.classify.bag:BagClassifier"),
    Kind("bilstm-clf", "classifier", "bilstm", "wordshell.classify.rnn:RNNClassifier", "lstm"),
    Kind("bigru-clf", "classifier", "bigru", "wordshell.classify.rnn:RNNClassifier", "gru"),
    Kind("rnn-clf", "classifier", "rnn", "wordshell.classify.rnn:RNNClassifier", "rnn"),
    Kind("bilstm-tagger", "tagger", "bilstm", "wordshell.tag.model:BiRNNTagger", "lstm"),
    Kind("bigru-tagger", "tagger", "bigru", "wordshell.tag.model:BiRNNTagger", "gru"),
]
KINDS: dict[str, Kind] = {k.name: k for k in _TABLE}


def get(kind: str) -> Kind:
    k = KINDS.get(kind)
    if k is None:
        from wordshell.suggest import did_you_mean

        close = did_you_mean(str(kind), list(KINDS))
        raise NotFound(f"unknown model kind {kind!r}",
                       f"did you mean: {', '.join(close)}?" if close else "kinds: " + ", ".join(KINDS))
    return k


def family_of(kind: str | None) -> str | None:
    k = KINDS.get(kind or "")
    return k.family if k else None


def archs(family: str) -> list[str]:
    """The --arch choices of a family, in table order."""
    return [k.arch for k in _TABLE if k.family == family and k.arch]


def kind_of(family: str, arch: str) -> str:
    for k in _TABLE:
        if k.family == family and k.arch == arch:
            return k.name
    raise NotFound(f"no {family} architecture {arch!r}", "choose " + ", ".join(archs(family)))


def kinds_of(family: str) -> list[str]:
    return [k.name for k in _TABLE if k.family == family]


def model_class(kind: str):
    """The torch class of `kind` (imports its module, hence torch)."""
    k = get(kind)
    if k.cls is None:
        raise NotFound(f"model kind {kind!r} has no torch module (its vectors are numpy arrays)")
    module, _, attr = k.cls.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise NotFound(f"model kind {kind!r} is not available in this build ({e})") from None


def build(kind: str, config: dict[str, Any]):
    """A fresh model: `cls(cls.Config(**config))` (weights initialised; load a state dict after)."""
    cls = model_class(kind)
    return cls(cls.Config(**config))
