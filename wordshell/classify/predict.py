"""Loading a stored classifier and computing class probabilities for batches of texts.

    checkpoints/<model>/model.json         kind (bag-clf | bilstm-clf | bigru-clf | rnn-clf), config,
                                           labels, tokenizer, max_len
    checkpoints/<model>/vocab.txt          one word per line (id = line + 2, see text.py)
    checkpoints/<model>/weights.safetensors

`bag` runs in numpy alone (no torch import: ~1.8 s saved per process). Its forward is
mean(E[ids]) @ W.T + b; since the mean and the product are both linear, we fold W into
the table once at load time, T = E @ W.T (rows, C), and per batch only gather T[ids]
and average per text: C numbers per token instead of D. The RNN kinds load torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from wordshell.classify.text import TextEncoder, bag_features
from wordshell.errors import CorruptFile, UsageError
from wordshell.kinds import family_of
from wordshell.atomic import read_vocab
from wordshell.corpus.tokens import Tokenizer

if TYPE_CHECKING:
    from wordshell.classify.labelled import Labelled


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Predictor:
    """Base: labels + encoder; subclasses turn a batch of texts into (B, C) probabilities."""

    def __init__(self, meta: dict, encoder: TextEncoder):
        self.meta = meta
        self.labels: list[str] = list(meta["labels"])
        self.encoder = encoder
        self.max_len = meta.get("max_len")

    def proba(self, texts: Sequence[str], threads: int = 1) -> np.ndarray:
        """(B, C) class probabilities; `threads`: CPU threads for this call (torch models)."""
        raise NotImplementedError

    def predict(self, texts: Sequence[str], threads: int = 1) -> list[str]:
        p = self.proba(texts, threads)
        return [self.labels[i] for i in p.argmax(axis=1)]


class BagPredictor(Predictor):
    def __init__(self, meta: dict, encoder: TextEncoder, weights: dict[str, np.ndarray]):
        super().__init__(meta, encoder)
        cfg = meta["config"]
        self.vocab_rows = int(cfg["vocab_rows"])
        self.ngrams = int(cfg.get("ngrams", 1))
        self.buckets = int(cfg.get("buckets", 0)) if self.ngrams > 1 else 0
        E, W, b = weights["embed.weight"], weights["out.weight"], weights["out.bias"]
        if E.shape[0] != self.vocab_rows + self.buckets or W.shape != (len(self.labels), E.shape[1]):
            raise CorruptFile(f"model '{meta.get('name', '?')}' has weights that do not match its config")
        T = (E @ W.T).astype(np.float64)                                          # (rows, C)
        # one contiguous float64 column per class: bincount's weights, with no copy per batch
        self.columns = [np.ascontiguousarray(T[:, c]) for c in range(T.shape[1])]
        self.bias = b.astype(np.float64)                                           # (C,)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        flat, lengths = self.encoder.flat(texts, self.max_len)
        ids, segs = bag_features(flat, lengths, self.vocab_rows, self.ngrams, self.buckets)
        B = len(texts)
        counts = np.bincount(segs, minlength=B)                                   # (B,) features per text
        sums = np.stack([np.bincount(segs, weights=col[ids], minlength=B) for col in self.columns], axis=1)
        return sums / np.maximum(counts, 1)[:, None] + self.bias                  # (B, C)

    def proba(self, texts: Sequence[str], threads: int = 1) -> np.ndarray:
        return softmax(self.logits(texts))


class TorchPredictor(Predictor):
    """The RNN kinds: rebuild the module from model.json, load the weights, eval mode."""

    def __init__(self, meta: dict, encoder: TextEncoder, path):
        super().__init__(meta, encoder)
        import torch

        from wordshell.fit.weights import load_weights
        from wordshell.kinds import build

        self.torch = torch
        self.model = build(meta["kind"], meta["config"])
        try:
            self.model.load_state_dict(load_weights(path)[0])
        except (RuntimeError, KeyError) as e:
            raise CorruptFile(f"model '{meta.get('name', '?')}': cannot load weights: {str(e)[:200]}") from None
        self.model.eval()

    def proba(self, texts: Sequence[str], threads: int = 1) -> np.ndarray:
        """One thread unless told otherwise: with small matrices a second thread gains little on a quiet
        machine, and when another process holds a core OpenMP's spinning makes 2 threads ~20x slower.
        The process's thread count is restored after the call (a shell's next training keeps its own)."""
        torch = self.torch
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return self._proba(texts)
        finally:
            torch.set_num_threads(before)

    def _proba(self, texts: Sequence[str]) -> np.ndarray:
        from wordshell.classify.text import pad

        torch = self.torch
        flat, lengths = self.encoder.flat(texts, self.max_len)
        # sort by length so each batch pads little; undo the order at the end
        order = np.argsort(-lengths, kind="stable")
        starts = np.concatenate([[0], np.cumsum(lengths)])
        out = np.empty((len(texts), len(self.labels)), dtype=np.float32)
        step = 256
        with torch.inference_mode():
            for i in range(0, len(order), step):
                idx = order[i:i + step]
                sub = np.concatenate([flat[starts[j]:starts[j + 1]] for j in idx]) if len(idx) else flat[:0]
                ids = torch.from_numpy(pad(sub, lengths[idx]))
                out[idx] = torch.softmax(self.model(ids).float(), dim=-1).numpy()
        return out


def load_predictor(store, name: str) -> Predictor:
    """The predictor of stored classifier `name` (numpy for bag, torch for the RNNs)."""
    meta = dict(store.model_meta(name))
    meta["name"] = name
    if meta.get("family") != "classifier" or family_of(meta.get("kind")) != "classifier":
        raise UsageError(f"model '{name}' is a {meta.get('kind')} model, not a classifier",
                         "train one with 'train classifier NAME --data FILE'")
    d = store.model_dir(name)
    try:
        words = read_vocab(d / "vocab.txt")
    except FileNotFoundError:
        raise CorruptFile(f"model '{name}' is incomplete: vocab.txt is missing") from None
    encoder = TextEncoder(words, Tokenizer.from_spec(meta.get("tokenizer")))
    path = d / "weights.safetensors"
    if not path.is_file():
        raise CorruptFile(f"model '{name}' is incomplete: weights.safetensors is missing")
    if meta["kind"] == "bag-clf":
        from safetensors.numpy import load_file

        try:
            weights = load_file(str(path))
        except Exception as e:  # safetensors raises its own error types on a damaged header
            raise CorruptFile(f"model '{name}': cannot read weights.safetensors ({e})") from None
        return BagPredictor(meta, encoder, weights)
    return TorchPredictor(meta, encoder, path)


def evaluate(session, name: str, data: Labelled, batch: int = 2048) -> dict:
    """metrics.report of classifier `name` on labelled `data` (unknown labels count as errors)."""
    from wordshell.classify.metrics import confusion_matrix, report

    pred = session.classifier(name)
    labels = list(pred.labels) + [lab for lab in data.classes if lab not in pred.labels]
    index = {lab: i for i, lab in enumerate(labels)}
    y_true = np.array([index[lab] for lab in data.labels], dtype=np.int64)
    y_pred = np.empty(len(data), dtype=np.int64)
    for s in range(0, len(data), batch):
        y_pred[s:s + batch] = pred.proba(data.texts[s:s + batch]).argmax(axis=1)
    rep = report(confusion_matrix(y_true, y_pred, len(labels)), labels)
    rep["unknown_labels"] = int(sum(1 for lab in data.labels if lab not in pred.labels))
    return rep
