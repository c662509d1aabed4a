"""Training Word2Vec / FastText with gensim, and writing the result to the store.

gensim does the training; this module feeds it the cached token file (streamed, never
in memory), reports progress from inside each epoch, and records a per-epoch loss.

Loss: gensim accumulates `running_training_loss` in float32 across a whole train()
call, so on a real corpus the cumulative value saturates and per-epoch differences
become noise. We reset it at each epoch start and read it as float64 at each epoch end
(and during the epoch for the progress bar). FastText in gensim computes no loss at all;
we say so rather than print zeros.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from wordshell.corpus.corpus import Corpus, TokenFile
from wordshell.errors import BadInput, Cancelled
from wordshell.store import Store
from wordshell.corpus.tokens import Tokenizer
from wordshell.vectors.keyed import save_vectors


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@dataclass
class EmbeddingConfig:
    kind: str = "word2vec"        # word2vec | fasttext
    dim: int = 100
    window: int = 5
    min_count: int = 5
    sg: bool = True               # skip-gram (True) or CBOW (False)
    negative: int = 5             # negative samples; 0 with hs=True for hierarchical softmax only
    hs: bool = False
    sample: float = 1e-3
    epochs: int = 5
    alpha: float = 0.025
    min_alpha: float = 0.0001
    workers: int = field(default_factory=default_workers)
    seed: int = 1
    max_vocab: int | None = None
    # FastText
    min_n: int = 3
    max_n: int = 6
    bucket: int = 200_000
    # the engine (vectors/engine.py); the rest is read by the torch engine only
    engine: str = "gensim"        # gensim | torch (resolve "auto" with engine.choose first)
    device: str = "auto"
    nproc: int = 1
    batch_words: int = 0          # corpus tokens per step and process, 0 = the device's default
    sync_every: int = 4           # steps between the processes' table syncs (bench/bench_w2v_sync.py)
    context_vectors: bool = True  # keep the output vectors (context.npy, Huffman tree) for `explain prob`

    def check(self) -> None:
        if self.kind not in ("word2vec", "fasttext"):
            raise BadInput(f"unknown embedding kind {self.kind!r}")
        for k in ("dim", "window", "epochs", "workers"):
            if getattr(self, k) < 1:
                raise BadInput(f"--{k.replace('_', '-')} must be at least 1")
        if self.min_count < 1:
            raise BadInput("--min-count must be at least 1")
        if self.negative < 0:
            raise BadInput("--negative must be 0 or more")
        if not self.hs and self.negative == 0:
            raise BadInput("nothing to train: --negative 0 needs --hs")
        if not 0 <= self.sample < 1:
            raise BadInput("--sample must be in [0, 1)")
        if self.kind == "fasttext":
            if not 1 <= self.min_n <= self.max_n:
                raise BadInput("need 1 <= --min-n <= --max-n")
            if self.bucket < 1:
                raise BadInput("--bucket must be at least 1")

    def gensim_kwargs(self) -> dict:
        kw = dict(vector_size=self.dim, window=self.window, min_count=self.min_count, sg=int(self.sg),
                  hs=int(self.hs), negative=self.negative, sample=self.sample, epochs=self.epochs,
                  alpha=self.alpha, min_alpha=self.min_alpha, workers=self.workers, seed=self.seed,
                  max_final_vocab=self.max_vocab)
        if self.kind == "fasttext":
            kw.update(min_n=self.min_n, max_n=self.max_n, bucket=self.bucket)
        return kw


class _Feed:
    """Wraps the token file for gensim; counts words as gensim's producer thread pulls them."""

    def __init__(self, tokens: TokenFile, on_words):
        self.tokens = tokens
        self.on_words = on_words
        self.stop = False  # set on Ctrl-C: gensim's producer thread then ends the epoch at once

    def __iter__(self):
        n = 0
        pending = 0
        for sent in self.tokens:
            if self.stop:
                return
            n += 1
            pending += len(sent)
            if n % 256 == 0:
                self.on_words(pending)
                pending = 0
            yield sent
        if pending:
            self.on_words(pending)


def train_embeddings(store: Store, name: str, corpus: Corpus, tokenizer: Tokenizer, config: EmbeddingConfig,
                     progress, command: str = "", force: bool = False, resume: bool = False,
                     ckpt_minutes: float = 5.0, note=print) -> dict | None:
    """Train, save to checkpoints/<name>/ (through a ModelBuild: locked, old model kept until the new one
    is complete), return model.json's content. `config.engine` "torch" goes to vectors/torch_train.py."""
    config.check()
    if config.engine == "torch":
        from wordshell.vectors.torch_train import train_torch

        return train_torch(store, name, corpus, tokenizer, config, progress, command=command, force=force,
                           resume=resume, ckpt_minutes=ckpt_minutes, note=note)
    with store.build(name, force=force, command=command) as build:
        return _train(store, build, corpus, tokenizer, config, progress, command)


def _train(store: Store, build, corpus: Corpus, tokenizer: Tokenizer, config: EmbeddingConfig, progress,
           command: str) -> dict:
    name = build.name
    tokens = corpus.sentences(store, tokenizer, progress)
    stats = tokens.stats

    from gensim.models import FastText, Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    cls = FastText if config.kind == "fasttext" else Word2Vec
    compute_loss = config.kind == "word2vec"
    model = cls(**config.gensim_kwargs(), **({"compute_loss": True} if compute_loss else {}))
    progress.start(f"vocab {corpus.name}", stats["tokens"], "words")
    model.build_vocab(corpus_iterable=_Feed(tokens, lambda n: progress.update(progress.done + n)))
    progress.finish()
    if len(model.wv) == 0:
        raise BadInput(f"no word occurs {config.min_count} times or more in '{corpus.name}'",
                       "lower --min-count or use a bigger corpus")
    if len(model.wv) < 2:
        raise BadInput(f"only one word in the vocabulary of '{corpus.name}'; lower --min-count")

    total = stats["tokens"] * config.epochs
    history: list[dict] = []
    state = {"words": 0, "epoch": 0, "t_epoch": time.monotonic(), "w_epoch": 0}

    def on_words(n: int) -> None:
        state["words"] += n
        progress.update(state["words"], epoch=f"{min(state['epoch'] + 1, config.epochs)}/{config.epochs}")

    class EpochLog(CallbackAny2Vec):
        def on_epoch_begin(self, m):
            m.running_training_loss = 0.0
            state["t_epoch"] = time.monotonic()
            state["w_epoch"] = state["words"]

        def on_epoch_end(self, m):
            secs = time.monotonic() - state["t_epoch"]
            words = state["words"] - state["w_epoch"]
            row = {"epoch": state["epoch"] + 1, "seconds": round(secs, 3),
                   "words_per_sec": round(words / secs) if secs > 0 else None}
            if compute_loss:
                row["loss"] = float(np.float64(m.running_training_loss))
            history.append(row)
            if compute_loss:  # the bar shows the last finished epoch's loss, never a partial sum
                progress.update(state["words"], loss=row["loss"])
            loss = f"  loss {row['loss']:.6g}" if compute_loss else ""
            progress.log(f"epoch {row['epoch']}/{config.epochs}{loss}  {row['words_per_sec'] or 0:,} words/s")
            state["epoch"] += 1

    progress.start(f"train {config.kind} {name}", total, "words")
    t0 = time.monotonic()
    feed = _Feed(tokens, on_words)
    try:
        trained, raw = model.train(corpus_iterable=feed, total_examples=model.corpus_count,
                                   total_words=model.corpus_total_words, epochs=config.epochs,
                                   callbacks=[EpochLog()], **({"compute_loss": True} if compute_loss else {}))
    except KeyboardInterrupt:
        feed.stop = True  # gensim's threads finish the few queued jobs and exit
        progress.finish()
        raise Cancelled("training cancelled; nothing was saved") from None
    seconds = time.monotonic() - t0
    progress.finish()

    wv = model.wv
    counts = np.array([wv.get_vecattr(w, "count") for w in wv.index_to_key], dtype=np.int64)
    cfg = asdict(config)
    if config.kind != "fasttext":
        for k in ("min_n", "max_n", "bucket"):
            cfg.pop(k)
    for k in ("device", "nproc", "batch_words", "sync_every"):  # torch engine settings
        cfg.pop(k)
    meta = {
        "kind": config.kind,
        "engine": "gensim",
        "config": cfg,
        "tokenizer": tokenizer.spec(),
        "corpus": {"name": corpus.name, "fingerprint": stats["fingerprint"], "tokens": stats["tokens"],
                   "sentences": stats["sentences"], "types": stats["types"], "origin": corpus.origin},
        "training": {"seconds": round(seconds, 3), "unit": "words",
                     "per_second": round(raw / seconds) if seconds > 0 else None, "epochs": config.epochs,
                     "raw_words": int(raw), "effective_words": int(trained), "loss_note": _loss_note(config)},
        "history": history,
        "command": command,
        "seed": config.seed,
    }
    if config.kind == "fasttext":
        meta.update(min_n=config.min_n, max_n=config.max_n, bucket=config.bucket)
    context, hs = None, None
    if config.context_vectors:
        from wordshell.vectors.context import HuffmanTree

        context = model.syn1neg if config.negative > 0 else None
        hs = HuffmanTree.from_gensim(model) if config.hs else None
    return save_vectors(build, list(wv.index_to_key), wv.vectors, meta, counts=counts,
                        ngrams=wv.vectors_ngrams if config.kind == "fasttext" else None, context=context, hs=hs)


def _loss_note(config: EmbeddingConfig) -> str | None:
    if config.kind == "fasttext":
        return "gensim's FastText does not report a training loss"
    if config.workers > 1:
        return ("gensim adds each worker thread's loss to a shared total without a lock, so with several "
                "workers the epoch loss undercounts and jitters; train with --workers 1 for an exact curve")
    return None

