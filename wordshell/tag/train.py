"""`train tagger`: options -> tagged data -> tag scheme -> vocabulary -> model (+ --vectors) -> fit() -> the store.

    TaggerOptions        every option of `train tagger`, built once by the command
    train_tagger(...)    the whole run; returns model.json's content for the command's Result

    checkpoints/<name>/vocab.txt, chars.txt   written first (a --resume reads them back)
    checkpoints/<name>/ckpt/                  fit's checkpoints (last, best)
    checkpoints/<name>/weights.safetensors    the best epoch's weights
    checkpoints/<name>/model.json             LAST (build.commit)

Span tags (IOB1, IOB2, BIOES: detected, or --scheme) are trained as BIOES and converted back to the
data's scheme when tagging. The Task is task.py; tagging and evaluation are predict.py.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from dataclasses import field as _field  # (TaggerOptions has an option named "field")

from wordshell.errors import BadInput
from wordshell.tag.data import MAX_TOKENS, Tagged

INTERNAL = "bioes"   # the scheme span tags are trained in


@dataclass
class TaggerOptions:
    """The options of `train tagger` (None = the default chosen from the data, see `_train`)."""

    arch: str = "bilstm"
    field: str = "upos"
    column: int | None = None
    data_format: str = "auto"
    scheme: str = "auto"              # auto | iob1 | iob2 | bioes | none
    crf: bool | None = None           # None: CRF for span tags, softmax otherwise
    valid_split: float = 0.1
    vectors: str | None = None
    freeze: bool = False
    vectors_vocab: bool = True
    lowercase: bool = True
    min_count: int = 1
    dim: int | None = None
    chars: str = "cnn"
    char_dim: int = 30
    char_out: int = 50
    hidden: int = 100
    layers: int = 1
    dropout: float = 0.5
    word_dropout: float = 0.05
    vectors_dropout: float = 0.5      # with --vectors: see model.SplitEmbedding
    epochs: int = 30
    time_budget: float = 0.0
    batch_size: int = 32
    lr: float = 2e-3
    optimizer: str = "adam"
    schedule: str = "none"
    clip: float = 5.0
    patience: int = 6
    seed: int = 1
    threads: int = 0
    device: str = "auto"
    encoding: str | None = None
    max_tokens: int = MAX_TOKENS
    explicit: frozenset = _field(default_factory=frozenset)   # the options the user gave


def train_tagger(session, name: str, train: Tagged, valid: Tagged | None, opts: TaggerOptions, *,
                 resume: bool = False, force: bool = False) -> dict:
    """Train and save tagger `name` (through a ModelBuild); return model.json's content plus a summary."""
    with session.store.build(name, force=force, resume=resume, resumable=True,
                             command=session.command_line) as build:
        if resume and not build.resumed:
            session.note(f"note: no checkpoint of '{name}' to resume; starting from scratch")
        return _train(session, build, train, valid, opts)


def _train(session, build, train: Tagged, valid: Tagged | None, opts: TaggerOptions) -> dict:
    from wordshell.fit.loop import read_state
    from wordshell.tag.vocab import FIRST, TagEncoder

    saved = read_state(build.dir / "ckpt") if build.resumed else None
    split_note = "--valid"
    if valid is None and opts.valid_split > 0:
        train, valid = split(train, opts.valid_split, opts.seed)
        split_note = f"{opts.valid_split:g} of the sentences"
    scheme = data_scheme(train, opts.scheme)
    train_tags = internal_tags(train.tags, scheme)
    valid_tags = internal_tags(valid.tags, scheme) if valid is not None else None
    if saved:  # the checkpoint's model and vocabulary; this command's training settings
        kind, cfg = saved["meta"]["kind"], saved["meta"]["config"]
        encoder = TagEncoder.load(build.dir, cfg["tags"], saved["meta"]["lowercase"])
        data_vocab = saved["meta"]["data_vocab"]
        unknown = sorted({t for s in train_tags + (valid_tags or []) for t in s} - set(cfg["tags"]))
        if unknown:
            raise BadInput(f"the data has tags the checkpoint does not know: {', '.join(unknown[:5])}")
    else:
        tagset = sorted({t for s in train_tags + (valid_tags or []) for t in s}, key=lambda t: (t != "O", t))
        kv = session.vectors(opts.vectors) if opts.vectors else None
        extra = kv.words if kv is not None and opts.vectors_vocab else ()
        data_only = TagEncoder.build(train.words, tagset, opts.lowercase, opts.min_count)
        data_vocab = len(data_only.words)
        encoder = TagEncoder.build(train.words, tagset, opts.lowercase, opts.min_count, extra) if extra else data_only
        kind, cfg = model_config(opts, encoder, tagset, scheme, kv)
    import torch

    from wordshell import kinds
    from wordshell.fit.config import TrainConfig
    from wordshell.fit.loop import fit
    from wordshell.fit.progress import ACC, F1, FitProgress
    from wordshell.tag.task import Encoded, TaggerTask

    torch.manual_seed(opts.seed)
    model = kinds.build(kind, cfg)
    vec_info = None
    # With --vectors only the training data's rows can learn: the optimizer steps those (model.SplitEmbedding).
    embed_split = saved["meta"].get("split") if saved else None
    if not saved:
        if opts.vectors:
            vec_info, has_vec = init_from_vectors(model, encoder, kv, opts.freeze)
            vec_info["added_words"] = len(encoder.words) - data_vocab
            n = FIRST + data_vocab
            embed_split = {"rows": n, "vectors_dropout": opts.vectors_dropout}
            model.split_embedding(n, torch.from_numpy(has_vec[:n]), opts.vectors_dropout)
        encoder.save(build.dir)
    elif embed_split:
        model.split_embedding(embed_split["rows"], None, embed_split["vectors_dropout"])   # the checkpoint fills it in
    tr = Encoded(encoder, train.words, train_tags)
    va = Encoded(encoder, valid.words, valid_tags) if valid is not None else None
    task = TaggerTask(model, tr, va, opts.batch_size, opts.seed, opts.word_dropout, span=scheme is not None)
    tcfg = TrainConfig(optimizer=opts.optimizer, lr=opts.lr, clip=opts.clip, epochs=opts.epochs,
                       time_budget=opts.time_budget, schedule=opts.schedule, patience=opts.patience,
                       seed=opts.seed, threads=opts.threads or -1, device=opts.device, eval_every=0, ckpt_every=200)
    tcfg.check()
    metric = F1 if scheme else ACC
    meta = {"kind": kind, "config": cfg, "lowercase": opts.lowercase, "data_vocab": data_vocab,
            "command": session.command_line, **({"split": embed_split} if embed_split else {})}
    progress = FitProgress(session.progress(), f"train tagger {build.name}", metric, opts.epochs or None)
    result = fit(task, tcfg, build.dir / "ckpt", [progress], resume=bool(saved), meta=meta)
    from wordshell.fit.weights import load_weights

    if (build.dir / "ckpt" / "best.safetensors").is_file():  # the best epoch (fit writes it on each improvement)
        model.load_state_dict(load_weights(build.dir / "ckpt" / "best.safetensors")[0])
    model.merge_embedding()
    model.cpu().eval()
    params = sum(p.numel() for p in model.parameters())
    best = result.get("best") or {}
    data_info = {"source": train.source, "format": train.format, "field": train.field,
                 "train": len(train), "train_tokens": train.tokens, "valid": len(valid) if valid is not None else 0,
                 "valid_from": split_note if valid is not None else None}
    full = save_tagger(build, model, {
        **meta, "arch": opts.arch, "scheme": scheme, "tagset": sorted({t for s in train.tags for t in s}),
        "tokenizer": {"split": "ptb"}, "max_tokens": opts.max_tokens, "params": params, "data": data_info,
        "train": asdict(tcfg), "seed": opts.seed, "word_dropout": opts.word_dropout,
        **({"vectors_dropout": embed_split["vectors_dropout"]} if embed_split else {}),
        **({"vectors": vec_info} if vec_info else {}),
        "metrics": {"valid_acc": best.get("valid_acc"), "valid_f1": best.get("valid_f1"),
                    "valid_loss": best.get("valid_loss"), "best_epoch": best.get("epoch")},
        "training": _summary(result), "history": result.get("history", [])})
    session.forget(build.name)
    return {**full, "vocab": len(encoder.words), "speed": result.get("tokens_per_sec")}


def _summary(result: dict) -> dict:
    from wordshell.fit.loop import training_summary

    return training_summary(result)


# -- pieces --------------------------------------------------------------------------

def split(data: Tagged, fraction: float, seed: int = 1) -> tuple[Tagged, Tagged]:
    """(train, valid): `fraction` of the sentences (at least one) held out, chosen with a seeded shuffle."""
    if len(data) < 2:
        raise BadInput(f"{data.source} has one sentence: too few to hold some out", "give --valid FILE")
    idx = list(range(len(data)))
    random.Random(seed).shuffle(idx)
    k = min(len(idx) - 1, max(1, round(fraction * len(idx))))
    v, t = sorted(idx[:k]), sorted(idx[k:])
    pick = lambda ii: replace(data, words=[data.words[i] for i in ii], tags=[data.tags[i] for i in ii])
    return pick(t), pick(v)


def data_scheme(train: Tagged, wanted: str) -> str | None:
    """The span scheme of the training tags: detected (auto), checked (iob1/iob2/bioes), or None (none)."""
    from wordshell.tag.schemes import check, detect

    if wanted == "none":
        return None
    if wanted == "auto":
        return detect(train.tags)
    check(train.tags, wanted, train.source)
    return wanted


def internal_tags(tags: list[list[str]], scheme: str | None) -> list[list[str]]:
    from wordshell.tag.schemes import convert

    if scheme is None:
        return tags
    return [convert(s, scheme, INTERNAL) for s in tags]


def model_config(opts: TaggerOptions, encoder, tagset: list[str], scheme: str | None, kv) -> tuple[str, dict]:
    from wordshell import kinds

    kind = kinds.kind_of("tagger", opts.arch)
    crf = opts.crf if opts.crf is not None else scheme is not None
    dim = opts.dim or (kv.dim if kv is not None else 100)
    cfg = kinds.model_class(kind).Config(
        word_rows=encoder.word_rows, char_rows=encoder.char_rows, tags=tagset,
        scheme=INTERNAL if scheme else None, emb_dim=dim, chars=opts.chars, char_dim=opts.char_dim,
        char_out=opts.char_out, cell=kinds.get(kind).cell, hidden=opts.hidden, layers=opts.layers,
        dropout=opts.dropout, crf=crf)
    return kind, asdict(cfg)


def init_from_vectors(model, encoder, kv, freeze: bool) -> tuple[dict, object]:
    """Copy word vectors into the embedding rows of the vocabulary (looked up by the normalised form);
    FastText builds vectors for the words it lacks from their n-grams. Returns the counts and a bool per
    embedding row: it holds a vector."""
    import numpy as np
    import torch

    from wordshell.tag.vocab import FIRST

    emb = model.embed.weight
    if kv.dim != emb.shape[1]:
        raise BadInput(f"vectors '{kv.name}' have {kv.dim} dimensions, the embedding {emb.shape[1]}",
                       "leave out --dim (it follows the vectors)")
    rows: dict[str, int] = {}
    for i, w in enumerate(kv.words):  # the first vector word of each normalised form
        rows.setdefault(encoder.norm(w), i)
    found = oov = 0
    has_vec = np.zeros(emb.shape[0], dtype=bool)
    with torch.no_grad():
        for i, w in enumerate(encoder.words):
            r = rows.get(w)
            if r is not None:
                vec, found = kv.vectors[r], found + 1
            elif kv.is_fasttext and (vec := kv.oov_vector(w)) is not None:
                oov += 1
            else:
                continue
            emb[i + FIRST] = torch.from_numpy(np.array(vec, dtype=np.float32))
            has_vec[i + FIRST] = True
    if freeze:
        emb.requires_grad_(False)
    return {"vectors": kv.name, "found": found, "from_ngrams": oov, "missing": len(encoder.words) - found - oov,
            "frozen": freeze}, has_vec


def save_tagger(build, model, meta: dict) -> dict:
    """weights.safetensors, then model.json last and the model goes live (build.commit)."""
    from wordshell.fit.weights import save_weights

    save_weights(model, build.dir / "weights.safetensors", {"kind": meta["kind"]})
    return build.commit(meta)
