"""What `train classifier` and `eval classifier` do, between reading the data and the Result.

train:    split -> vocabulary -> model (+ --vectors) -> train.fit(ClassifierTask) -> best weights
          -> checkpoints/<name>/{vocab.txt, weights.safetensors, model.json}
evaluate: predictor (numpy for bag) over the test texts in batches -> metrics.report
"""

from __future__ import annotations

import math
import shutil
from dataclasses import asdict

import numpy as np

from wordshell.clf_data import Labelled, check_trainable, stratified_split
from wordshell.errors import BadInput

# per-architecture defaults for the options left unset
DEFAULTS = {
    # fastText's recipe: plain SGD, lr decaying linearly to 0, small batches
    # (lr x batch: per example about fastText's 0.1); tiny ops run best on one thread
    "bag": {"epochs": 10, "batch_size": 8, "lr": 1.0, "optimizer": "sgd", "schedule": "linear", "dim": 100,
            "threads": 1},
    "rnn": {"epochs": 10, "batch_size": 32, "lr": 1e-3, "optimizer": "adam", "schedule": "none", "dim": 100,
            "threads": 1},
}
MIN_UPDATES = 1500  # default epochs grow on small data sets until training makes this many steps


def auto_buckets(data: Labelled, encoder, ngrams: int, max_len: int | None) -> int:
    """n-gram hash rows for `--buckets 0`: a power of two >= 2x the distinct training n-grams,
    between 1,024 and 65,536 (fastText's fixed 2M rows would be 800 MB at 100 dims; on SST-2 more
    rows than 65k did not help)."""
    from wordshell.clf_text import bag_features

    if ngrams < 2:
        return 0
    flat, lengths = encoder.flat(data.texts, max_len)
    ids, _ = bag_features(flat, lengths, 0, ngrams, 1 << 62)
    distinct = len(np.unique(ids[ids >= encoder.size]))  # words have ids < size, n-grams hash far above
    return int(min(1 << 16, max(1 << 10, 1 << math.ceil(math.log2(max(1, 2 * distinct))))))


class FitProgress:
    """train.fit callbacks -> the session's progress reporter (bar, plain lines or job status)."""

    def __init__(self, progress, desc: str, epochs: int, on_train: bool = False):
        self.p, self.desc, self.epochs = progress, desc, epochs
        self.acc = None
        self.what = "train acc (no validation data)" if on_train else "valid acc"
        self.loss_name = "train-set loss (eval mode)" if on_train else "valid loss"

    def on_start(self, info):
        self.p.start(self.desc, info.get("total_steps"), "steps")

    def on_step(self, info):
        self.p.update(info["step"], epoch=f"{min(int(info['epoch']) + 1, self.epochs)}/{self.epochs}",
                      loss=info.get("avg_loss"), valid_acc=None if self.acc is None else f"{100 * self.acc:.2f}%")

    def on_eval(self, info):
        m = info["metrics"]
        self.acc = m.get("valid_acc")
        best = "  (best)" if info.get("improved") else ""
        # one line per epoch for short runs; for long ones about 10 lines (+ the last), not 60
        every = max(1, self.epochs // 10) if self.epochs > 20 else 1
        epoch = int(round(m["epoch"]))
        if epoch % every and epoch != self.epochs:
            return
        self.p.log(f"epoch {m['epoch']:g}  train loss {m.get('train_loss', float('nan')):.4f}  "
                   f"{self.loss_name} {m['valid_loss']:.4f}  {self.what} {100 * m['valid_acc']:.2f}%{best}")

    def on_end(self, info):
        self.p.finish()


def train(session, name: str, data: Labelled, valid: Labelled | None, kw: dict) -> dict:
    """Train and save classifier `name`; return a summary for the command's Result."""
    from wordshell.clf_text import UNK, TextEncoder
    from wordshell.clf_train import (ClassifierTask, encode, init_from_vectors, load_best, model_meta,
                                     save_classifier)
    from wordshell.tokens import Tokenizer

    arch = kw["arch"]
    d = DEFAULTS["bag" if arch == "bag" else "rnn"]
    opt = {k: (kw.get(k) if kw.get(k) is not None else v) for k, v in d.items()}
    check_trainable(data)
    split_note = "--valid"
    if valid is None and kw["valid_split"] > 0:
        data, valid = stratified_split(data, kw["valid_split"], kw["seed"])
        split_note = f"{kw['valid_split']:g} of each class"
    labels = data.classes
    if valid is not None:
        unknown = sorted(set(valid.labels) - set(labels))
        if unknown:
            raise BadInput(f"the validation data has labels the training data lacks: {', '.join(unknown[:5])}")
    tok = Tokenizer(lowercase=kw["lowercase"], punct=kw["punct"], split=kw["split"])
    encoder = TextEncoder.build(data.texts, tok, kw["min_count"], kw["max_vocab"])
    if not encoder.words:
        raise BadInput(f"no words in {data.source} (with --min-count {kw['min_count']})")
    kv = session.vectors(kw["vectors"]) if kw.get("vectors") else None
    data_vocab = len(encoder.words)
    # RNNs: the vectors' words join the vocabulary. Not bag: like fastText it keeps the data's dictionary,
    # since an n-gram with a word the data never had would only hash into rows trained for other n-grams
    if kv is not None and arch != "bag" and kw.get("vectors_vocab", True):
        encoder = encoder.extended(kv.words)
    word_drop = 0.0 if arch == "bag" else kw.get("word_dropout") or 0.0
    dim = kw.get("dim") or (kv.dim if kv is not None else opt["dim"])

    import torch

    from wordshell import kinds
    from wordshell.train import TrainConfig, fit

    kind = kinds.kind_of("classifier", arch)
    cfg_cls = kinds.model_class(kind).Config
    if arch == "bag":
        buckets = kw["buckets"] or auto_buckets(data, encoder, kw["ngrams"], kw["max_len"])
        config = cfg_cls(vocab_rows=encoder.size, num_classes=len(labels), dim=dim, buckets=buckets,
                         ngrams=kw["ngrams"], sparse=opt["optimizer"] == "sgd")  # Adam needs dense grads
    else:
        bidi = kw["bidirectional"] if kw["bidirectional"] is not None else arch != "rnn"
        config = cfg_cls(vocab_rows=encoder.size, num_classes=len(labels), cell=kinds.get(kind).cell, emb_dim=dim,
                         hidden=kw["hidden"], layers=kw["layers"], bidirectional=bidi, pooling=kw["pooling"],
                         dropout=kw["dropout"])
    torch.manual_seed(kw["seed"])
    model = kinds.build(kind, asdict(config))
    vec_info = init_from_vectors(model, encoder, kv, kw["freeze"]) if kv is not None else None
    cfg_dict = asdict(config)
    train_enc = encode(data, encoder, labels, cfg_dict, arch, kw["max_len"])
    valid_enc = encode(valid, encoder, labels, cfg_dict, arch, kw["max_len"]) if valid is not None else None
    task = ClassifierTask(model, train_enc, valid_enc, opt["batch_size"], kw["seed"], by_length=arch != "bag",
                          feature_drop=kw["dropout"] if arch == "bag" else word_drop,
                          drop_to=0 if arch == "bag" else UNK)
    if kw.get("epochs") is None:  # small data: enough epochs for MIN_UPDATES updates
        opt["epochs"] = max(opt["epochs"], min(100, math.ceil(MIN_UPDATES / task.steps_per_epoch(1))))
    # bag: no early stopping by default; its linearly decaying lr makes the last epochs the best
    patience = kw["patience"] if kw.get("patience") is not None else 0 if arch == "bag" else max(3, opt["epochs"] // 5)
    tcfg = TrainConfig(optimizer=opt["optimizer"], lr=opt["lr"], epochs=opt["epochs"], schedule=opt["schedule"],
                       patience=patience, seed=kw["seed"], threads=opt["threads"] or 0, device=kw["device"],
                       eval_every=0, ckpt_every=0)
    store = session.store
    mdir = store.model_dir(name)
    (mdir / "model.json").unlink(missing_ok=True)  # --force: the old model is gone before the new one exists
    ckpt = mdir / "ckpt"
    shutil.rmtree(ckpt, ignore_errors=True)
    desc = f"train {arch} {name}"
    result = fit(task, tcfg, ckpt, [FitProgress(session.progress(), desc, opt["epochs"], valid is None)],
                 meta={"kind": kind, "config": cfg_dict, "labels": labels})
    load_best(model, ckpt)
    model.cpu().eval()
    params = sum(p.numel() for p in model.parameters())
    data_info = {"source": data.source, "format": data.format, "train": len(data),
                 "valid": len(valid) if valid is not None else 0, "valid_from": split_note if valid else None,
                 "classes": data.counts()}
    extra = {"params": params, "max_len": kw["max_len"], "dropout": kw["dropout"],
             "command": session.command_line, "arch": arch}
    if arch != "bag":
        extra["word_dropout"] = word_drop
    if vec_info:
        vec_info["added_words"] = len(encoder.words) - data_vocab
        extra["vectors"] = vec_info
    meta = model_meta(kind, config, tcfg, encoder, labels, data_info, result, extra)
    save_classifier(store, name, model, encoder, meta)
    session.forget(name)
    best = result.get("best") or {}
    return {"arch": arch, "labels": labels, "vocab": len(encoder.words), "data_vocab": data_vocab, "params": params,
            "epochs": result.get("epoch"), "best_acc": best.get("valid_acc"), "on_train": valid is None, "seconds": result.get("elapsed", 0.0),
            "speed": result.get("examples_per_sec"),
            "data_desc": f"{len(data):,} train / {len(valid) if valid is not None else 0:,} valid ({data.format})"}


def evaluate(session, name: str, data: Labelled, batch: int = 2048) -> dict:
    """metrics.report of classifier `name` on labelled `data` (unknown labels count as errors)."""
    from wordshell.clf_predict import load_predictor
    from wordshell.metrics import confusion_matrix, report

    pred = session.cached("classifier", name, lambda: load_predictor(session.store, name))
    labels = list(pred.labels) + [lab for lab in data.classes if lab not in pred.labels]
    index = {lab: i for i, lab in enumerate(labels)}
    y_true = np.array([index[lab] for lab in data.labels], dtype=np.int64)
    y_pred = np.empty(len(data), dtype=np.int64)
    for s in range(0, len(data), batch):
        y_pred[s:s + batch] = pred.proba(data.texts[s:s + batch]).argmax(axis=1)
    rep = report(confusion_matrix(y_true, y_pred, len(labels)), labels)
    rep["unknown_labels"] = int(sum(1 for lab in data.labels if lab not in pred.labels))
    return rep
