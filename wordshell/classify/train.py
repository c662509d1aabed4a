"""`train classifier`: options -> labelled data -> vocabulary -> model (+ --vectors) -> fit() -> the store.

    ClassifierOptions       every option of `train classifier`, built once by the command
    train_classifier(...)   the whole run; returns a summary for the command's Result

    checkpoints/<name>/vocab.txt, weights.safetensors (the best epoch), model.json (last)

The Task (batches, loss, accuracy) is in task.py; prediction in predict.py.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from wordshell.classify.labelled import Labelled, label_key
from wordshell.classify.text import FIRST, TextEncoder
from wordshell.errors import BadInput, UsageError
from wordshell.fit.progress import ACC, ACC_ON_TRAIN, FitProgress


@dataclass
class ClassifierOptions:
    """The options of `train classifier` (None = the architecture's default, see DEFAULTS)."""

    arch: str = "bag"
    valid_split: float = 0.1
    vectors: str | None = None
    freeze: bool = False
    vectors_vocab: bool = True
    lowercase: bool = True
    punct: bool = True
    split: str = "words"
    min_count: int = 1
    max_vocab: int | None = None
    max_len: int | None = 400
    dim: int | None = None
    ngrams: int = 2
    buckets: int = 0
    hidden: int = 64
    layers: int = 1
    bidirectional: bool | None = None
    pooling: str = "max"
    dropout: float = 0.5
    word_dropout: float = 0.0
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None
    patience: int | None = None
    seed: int = 1
    threads: int | None = None
    device: str = "auto"


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
    from wordshell.classify.text import bag_features

    if ngrams < 2:
        return 0
    flat, lengths = encoder.flat(data.texts, max_len)
    ids, _ = bag_features(flat, lengths, 0, ngrams, 1 << 62)
    distinct = len(np.unique(ids[ids >= encoder.size]))  # words have ids < size, n-grams hash far above
    return int(min(1 << 16, max(1 << 10, 1 << math.ceil(math.log2(max(1, 2 * distinct))))))


def train_classifier(session, name: str, data: Labelled, valid: Labelled | None, opts: ClassifierOptions,
                     force: bool = False) -> dict:
    """Train and save classifier `name` (through a ModelBuild); return a summary for the command's Result."""
    with session.store.build(name, force=force, command=session.command_line) as build:
        return _train(session, build, data, valid, opts)


def _train(session, build, data: Labelled, valid: Labelled | None, opts: ClassifierOptions) -> dict:
    from wordshell.classify.task import ClassifierTask, encode
    from wordshell.classify.text import UNK
    from wordshell.corpus.tokens import Tokenizer

    arch = opts.arch
    d = DEFAULTS["bag" if arch == "bag" else "rnn"]
    opt = {k: v if getattr(opts, k, None) is None else getattr(opts, k) for k, v in d.items()}
    check_trainable(data)
    split_note = "--valid"
    if valid is None and opts.valid_split > 0:
        data, valid = stratified_split(data, opts.valid_split, opts.seed)
        split_note = f"{opts.valid_split:g} of each class"
        if not len(valid):  # every class has one example: nothing to hold out
            session.note("note: no class has two examples, so nothing was held out for validation; "
                         "the accuracy shown is on the training data")
            valid = None
    labels = data.classes
    if valid is not None:
        unknown = sorted(set(valid.labels) - set(labels))
        if unknown:
            raise BadInput(f"the validation data has labels the training data lacks: {', '.join(unknown[:5])}")
    tok = Tokenizer(lowercase=opts.lowercase, punct=opts.punct, split=opts.split)
    encoder = TextEncoder.build(data.texts, tok, opts.min_count, opts.max_vocab)
    if not encoder.words:
        raise BadInput(f"no words in {data.source} (with --min-count {opts.min_count})")
    kv = session.vectors(opts.vectors) if opts.vectors else None
    data_vocab = len(encoder.words)
    # RNNs: the vectors' words join the vocabulary. Not bag: like fastText it keeps the data's dictionary,
    # since an n-gram with a word the data never had would only hash into rows trained for other n-grams
    if kv is not None and arch != "bag" and opts.vectors_vocab:
        encoder = encoder.extended(kv.words)
    word_drop = 0.0 if arch == "bag" else opts.word_dropout or 0.0
    dim = opts.dim or (kv.dim if kv is not None else opt["dim"])

    import torch

    from wordshell import kinds
    from wordshell.fit.loop import fit
    from wordshell.fit.config import TrainConfig

    kind = kinds.kind_of("classifier", arch)
    cfg_cls = kinds.model_class(kind).Config
    if arch == "bag":
        buckets = opts.buckets or auto_buckets(data, encoder, opts.ngrams, opts.max_len)
        config = cfg_cls(vocab_rows=encoder.size, num_classes=len(labels), dim=dim, buckets=buckets,
                         ngrams=opts.ngrams, sparse=opt["optimizer"] == "sgd")  # Adam needs dense grads
    else:
        bidi = opts.bidirectional if opts.bidirectional is not None else arch != "rnn"
        config = cfg_cls(vocab_rows=encoder.size, num_classes=len(labels), cell=kinds.get(kind).cell, emb_dim=dim,
                         hidden=opts.hidden, layers=opts.layers, bidirectional=bidi, pooling=opts.pooling,
                         dropout=opts.dropout)
    torch.manual_seed(opts.seed)
    model = kinds.build(kind, asdict(config))
    vec_info = init_from_vectors(model, encoder, kv, opts.freeze) if kv is not None else None
    cfg_dict = asdict(config)
    train_enc = encode(data, encoder, labels, cfg_dict, arch, opts.max_len)
    valid_enc = encode(valid, encoder, labels, cfg_dict, arch, opts.max_len) if valid is not None else None
    task = ClassifierTask(model, train_enc, valid_enc, opt["batch_size"], opts.seed, by_length=arch != "bag",
                          feature_drop=opts.dropout if arch == "bag" else word_drop,
                          drop_to=0 if arch == "bag" else UNK)
    if opts.epochs is None:  # small data: enough epochs for MIN_UPDATES updates
        opt["epochs"] = max(opt["epochs"], min(100, math.ceil(MIN_UPDATES / task.steps_per_epoch(1))))
    # bag: no early stopping by default; its linearly decaying lr makes the last epochs the best
    patience = opts.patience if opts.patience is not None else 0 if arch == "bag" else max(3, opt["epochs"] // 5)
    tcfg = TrainConfig(optimizer=opt["optimizer"], lr=opt["lr"], epochs=opt["epochs"], schedule=opt["schedule"],
                       patience=patience, seed=opts.seed, threads=opt["threads"] or 0, device=opts.device,
                       eval_every=0, ckpt_every=0)
    name, ckpt = build.name, build.dir / "ckpt"
    progress = FitProgress(session.progress(), f"train {arch} {name}", ACC_ON_TRAIN if valid is None else ACC,
                           opt["epochs"])
    result = fit(task, tcfg, ckpt, [progress], meta={"kind": kind, "config": cfg_dict, "labels": labels})
    load_best(model, ckpt)
    model.cpu().eval()
    params = sum(p.numel() for p in model.parameters())
    data_info = {"name": data.name, "source": data.source, "format": data.format, "train": len(data),
                 "valid": len(valid) if valid is not None else 0, "valid_from": split_note if valid else None,
                 "classes": data.counts()}
    extra = {"params": params, "max_len": opts.max_len, "dropout": opts.dropout,
             "command": session.command_line, "arch": arch}
    if arch != "bag":
        extra["word_dropout"] = word_drop
    if vec_info:
        vec_info["added_words"] = len(encoder.words) - data_vocab
        extra["vectors"] = vec_info
    meta = model_meta(kind, config, tcfg, encoder, labels, data_info, result, extra)
    save_classifier(build, model, encoder, meta)
    session.forget(name)
    best = result.get("best") or {}
    return {"arch": arch, "labels": labels, "vocab": len(encoder.words), "data_vocab": data_vocab, "params": params,
            "epochs": result.get("epoch"), "best_acc": best.get(task.primary[0]), "on_train": valid is None,
            "seconds": result.get("elapsed", 0.0), "speed": result.get("examples_per_sec"),
            "data_desc": f"{len(data):,} train / {len(valid) if valid is not None else 0:,} valid ({data.format})"}


# -- splits ---------------------------------------------------------------------------

def stratified_split(data: Labelled, fraction: float, seed: int = 1) -> tuple[Labelled, Labelled]:
    """(train, valid): `fraction` of each class goes to valid, chosen with a seeded shuffle.

    Every class keeps at least one training example; a class with 2+ examples gives at
    least one to valid.
    """
    if not 0 < fraction < 1:
        raise UsageError("--valid-split must be between 0 and 1")
    rng = random.Random(seed)
    by_class: dict[str, list[int]] = {}
    for i, y in enumerate(data.labels):
        by_class.setdefault(y, []).append(i)
    train_idx, valid_idx = [], []
    for y in sorted(by_class, key=label_key):
        idx = by_class[y]
        rng.shuffle(idx)
        k = min(len(idx) - 1, max(1, round(fraction * len(idx)))) if len(idx) > 1 else 0
        valid_idx += idx[:k]
        train_idx += idx[k:]
    return data.subset(sorted(train_idx)), data.subset(sorted(valid_idx))


def check_trainable(data: Labelled, what: str = "training data") -> None:
    """Errors a user can fix: nothing to learn from."""
    if not data.texts:
        raise BadInput(f"no labelled examples in {data.source or what}")
    classes = data.classes
    if len(classes) < 2:
        raise BadInput(f"{data.source or what} has only one class ({classes[0]!r}); a classifier needs two or more")
    if not any(t.strip() for t in data.texts):
        raise BadInput(f"every text in {data.source or what} is empty")


def init_from_vectors(model, encoder: TextEncoder, kv, freeze: bool) -> dict:
    """Copy word vectors into the embedding rows of the vocabulary; FastText fills unseen words too."""
    import torch

    emb = model.embed.weight
    if kv.dim != emb.shape[1]:
        raise BadInput(f"vectors '{kv.name}' have {kv.dim} dimensions, the embedding {emb.shape[1]}")
    found = oov = 0
    with torch.no_grad():
        for i, w in enumerate(encoder.words):
            k = kv.key(w)
            if k is not None:
                vec, found = kv.vectors[kv.index[k]], found + 1
            elif kv.is_fasttext:
                vec = kv.oov_vector(w)
                if vec is None:
                    continue
                oov += 1
            else:
                continue
            emb[i + FIRST] = torch.from_numpy(np.array(vec, dtype=np.float32))  # a copy: kv rows may be read-only mmaps
    if freeze:
        emb.requires_grad_(False)
    return {"vectors": kv.name, "found": found, "from_ngrams": oov, "missing": len(encoder.words) - found - oov,
            "frozen": freeze}


def save_classifier(build, model, encoder: TextEncoder, meta: dict) -> dict:
    """vocab.txt, weights.safetensors, then model.json last and the model goes live (build.commit)."""
    from wordshell.atomic import atomic_write
    from wordshell.fit.weights import save_weights

    d = build.dir
    atomic_write(d / "vocab.txt", "".join(w + "\n" for w in encoder.words))
    save_weights(model, d / "weights.safetensors", {"kind": meta["kind"]})
    return build.commit(meta)


def model_meta(kind: str, config, train_cfg, encoder: TextEncoder, labels: list[str], data_info: dict,
               result: dict, extra: dict) -> dict:
    from wordshell.fit.loop import training_summary

    best = result.get("best") or {}
    return {
        "kind": kind, "config": asdict(config), "train": asdict(train_cfg),
        "tokenizer": encoder.tokenizer.spec(), "labels": labels, "data": data_info,
        # without validation data the figures are on the training set, and their names say so
        "metrics": ({"train_acc": best.get("train_acc"), "best_train_acc": best.get("train_acc"),
                     "train_eval_loss": best.get("train_eval_loss"), "best_epoch": best.get("epoch")}
                    if "train_acc" in best else
                    {"valid_acc": best.get("valid_acc"), "best_valid_acc": best.get("valid_acc"),
                     "valid_loss": best.get("valid_loss"), "best_epoch": best.get("epoch")}),
        "training": training_summary(result), "history": result.get("history", []),
        "seed": train_cfg.seed, **extra,
    }


def load_best(model, ckpt_dir: Path) -> bool:
    """Put the best checkpoint's weights into `model` (False when fit wrote none)."""
    from wordshell.fit.weights import load_weights

    path = ckpt_dir / "best.safetensors"
    if not path.is_file():
        return False
    weights, _ = load_weights(path)
    model.load_state_dict(weights)
    return True
