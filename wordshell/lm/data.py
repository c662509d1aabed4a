"""Language-model data: vocabulary, text -> ids, batchify, BPTT windows, and the training Task.

Word level: tokens from the corpus tokenizer, one `<eos>` after every line, words rarer than
`min_count` -> `<unk>`. Char level: every character is a token, a line break is `<eos>`.
Id 0 is always `<eos>` and id 1 `<unk>`; the vocabulary is saved beside the model (vocab.txt,
one token a line, whitespace and backslashes escaped) so scoring and generation tokenise
exactly as training did.

batchify cuts the id stream into B columns read top to bottom (time-major):

    a b c d e f g h i j k l m n o p q r s t u v w x      (24 ids, B = 4)
      ->  a g m s        rows = 24 // 4 = 6; each column is one contiguous stretch of text,
          b h n t        a BPTT window is `bptt` consecutive rows, and the target of row r
          c i o u        is row r+1, so the hidden state carried from one window to the next
          d j p v        continues the same text in every column.
          e k q w
          f l r x

Under DDP rank r of `world` takes columns [r*B/world, (r+1)*B/world): the global batch is B.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from wordshell.corpus import sources as corpora
from wordshell.errors import BadInput, CorruptFile
from wordshell.atomic import atomic_write, read_vocab
from wordshell.store import Store
from wordshell.corpus.tokens import Tokenizer

EOS, UNK = "<eos>", "<unk>"
_ESC = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", " ": "\\s"}
_UNESC = {v[1]: k for k, v in _ESC.items()}


def _escape(tok: str) -> str:
    return "".join(_ESC.get(c, c) for c in tok)


def _unescape(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append(_UNESC.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


class Vocab:
    """Token <-> id. `Vocab.build(counts, min_count)`; ids 0 and 1 are <eos> and <unk>.

    >>> v = Vocab.build(Counter("a b a c a b".split()), min_count=2)
    >>> v.itos, v.encode(["a", "z", "<eos>"])
    (['<eos>', '<unk>', 'a', 'b'], [2, 1, 0])
    """

    def __init__(self, itos: list[str], level: str = "word"):
        assert itos[:2] == [EOS, UNK], itos[:2]
        assert level in ("word", "char"), level
        self.itos = list(itos)
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.level = level

    def __len__(self) -> int:
        return len(self.itos)

    @classmethod
    def build(cls, counts: Counter, min_count: int = 1, max_size: int | None = None,
              level: str = "word") -> "Vocab":
        items = [(t, c) for t, c in counts.items() if c >= min_count and t not in (EOS, UNK)]
        items.sort(key=lambda tc: (-tc[1], tc[0]))
        if max_size:
            items = items[:max(0, max_size - 2)]
        return cls([EOS, UNK] + [t for t, _ in items], level)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        get = self.stoi.get
        return [get(t, 1) for t in tokens]

    def save(self, path: str | Path) -> None:
        atomic_write(path, "".join(_escape(t) + "\n" for t in self.itos))

    @classmethod
    def load(cls, path: str | Path, level: str = "word") -> "Vocab":
        try:
            itos = [_unescape(line) for line in read_vocab(path)]
        except FileNotFoundError:
            raise CorruptFile(f"vocabulary file missing: {path}") from None
        if itos[:2] != [EOS, UNK]:
            raise CorruptFile(f"{path} is not a language-model vocabulary (no <eos>/<unk> at the top)")
        return cls(itos, level)


# -- text -> ids ----------------------------------------------------------------------

def char_tokens(lines: Iterable[str]) -> Iterator[str]:
    """Characters of the lines, a line break after each as <eos>."""
    for line in lines:
        yield from line
        yield EOS


def to_ids(tokens: Iterable[str], vocab: Vocab):
    import numpy as np
    import torch

    get = vocab.stoi.get
    arr = np.fromiter((get(t, 1) for t in tokens), dtype=np.int64)
    return torch.from_numpy(arr)


def batchify(ids, batch: int):
    """(N,) -> (N // batch, batch) time-major; the tail that does not fill a row is dropped."""
    rows = ids.numel() // batch
    return ids[: rows * batch].view(batch, rows).t().contiguous()   # (rows, B)


def windows(data, bptt: int) -> Iterator[tuple]:
    """(x, y) BPTT windows over a (rows, B) matrix: x = rows i..i+L-1, y = rows i+1..i+L."""
    for i in range(0, data.shape[0] - 1, bptt):
        n = min(bptt, data.shape[0] - 1 - i)
        yield data[i:i + n], data[i + 1:i + 1 + n]


def detach(state):
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(detach(s) for s in state)
    return state.detach()


# -- a corpus -> train and validation ids ------------------------------------------------

@dataclass
class LMData:
    vocab: Vocab
    train_ids: object          # torch LongTensor (N,)
    valid_ids: object
    tokenizer: Tokenizer
    info: dict = field(default_factory=dict)


def prepare(store: Store, corpus_spec: str, tokenizer: Tokenizer, level: str, *, min_count: int,
            max_vocab: int | None, valid: str | None, valid_split: float, encoding: str | None,
            vocab: Vocab | None = None, progress=None) -> LMData:
    """Read, split (last `valid_split` of the text unless `valid` names a file/corpus) and encode."""
    if not 0 < valid_split < 1:
        raise BadInput("--valid-split must be between 0 and 1")
    corpus = corpora.resolve(store, corpus_spec, encoding=encoding, progress=progress)
    vcorpus = corpora.resolve(store, valid, encoding=encoding) if valid else None
    info = {"name": corpus.name, "origin": corpus.origin, "fingerprint": corpus.fingerprint(store),
            "valid": vcorpus.name if vcorpus else f"last {valid_split:g} of the corpus"}
    if level == "char":
        text_ids = list(char_tokens(corpus.lines()))
        if not any(t != EOS for t in text_ids):
            raise BadInput(f"corpus '{corpus.name}' is empty")
        if vcorpus is not None:
            train_toks, valid_toks = text_ids, list(char_tokens(vcorpus.lines()))
        else:
            cut = len(text_ids) - max(2, int(len(text_ids) * valid_split))
            train_toks, valid_toks = text_ids[:cut], text_ids[cut:]
        vocab = vocab or Vocab.build(Counter(train_toks), min_count, max_vocab, level="char")
        train_ids, valid_ids = to_ids(train_toks, vocab), to_ids(valid_toks, vocab)
    else:
        path, stats = corpus.token_file(store, tokenizer, progress)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if vcorpus is not None:
            train_lines = lines
            vpath, _ = vcorpus.token_file(store, tokenizer)
            with open(vpath, encoding="utf-8") as f:
                valid_lines = [line for line in f.read().split("\n") if line]
        else:
            if len(lines) < 2:
                raise BadInput(f"corpus '{corpus.name}' has only {len(lines)} line(s): too short to split off "
                               "a validation part", "give --valid FILE")
            n_valid = max(1, round(len(lines) * valid_split))
            train_lines, valid_lines = lines[:-n_valid], lines[-n_valid:]

        def toks(ls):
            for line in ls:
                yield from line.split()
                yield EOS

        if vocab is None:
            counts = Counter()
            for line in train_lines:
                counts.update(line.split())
            vocab = Vocab.build(counts, min_count, max_vocab, level="word")
            if len(vocab) <= 2:
                raise BadInput(f"no word occurs {min_count} times or more in '{corpus.name}'",
                               "lower --min-count or use a bigger corpus")
        train_ids, valid_ids = to_ids(toks(train_lines), vocab), to_ids(toks(valid_lines), vocab)
    info.update(tokens=int(train_ids.numel() + (0 if vcorpus else valid_ids.numel())),
                train_tokens=int(train_ids.numel()), valid_tokens=int(valid_ids.numel()),
                train_unk=int((train_ids == 1).sum()), valid_unk=int((valid_ids == 1).sum()))
    return LMData(vocab, train_ids, valid_ids, tokenizer, info)


# -- the training task ----------------------------------------------------------------

class LMTask:
    """fit()'s Task for next-token prediction over a batchified id stream (see fit/loop.py)."""

    unit = "tokens"
    primary = ("valid_ppl", "min")

    def __init__(self, model, train_ids, valid_ids, batch: int, bptt: int, eval_batch: int = 10):
        if batch < 1 or bptt < 1:
            raise BadInput("--batch and --bptt must be at least 1")
        rows = train_ids.numel() // batch
        if rows < bptt + 1:
            raise BadInput(f"the training text is too short: {train_ids.numel():,} tokens in {batch} columns "
                           f"give {rows} rows, fewer than --bptt {bptt} + 1",
                           "lower --batch or --bptt, or use a longer corpus")
        if valid_ids.numel() < 2:
            raise BadInput("the validation text has fewer than 2 tokens", "use --valid FILE or a longer corpus")
        self.model = model
        self.batch, self.bptt = batch, bptt
        self.train = batchify(train_ids, batch)                      # (rows, B)
        eval_batch = max(1, min(eval_batch, valid_ids.numel() // 2))
        self.valid = batchify(valid_ids, eval_batch)                 # (rows, Bv)
        self.vocab_size = model.config.vocab_size
        self.ddp_find_unused = bool(getattr(model.config, "adaptive", None))  # tail clusters may sit idle

    def steps_per_epoch(self, world: int = 1) -> int:
        return math.ceil((self.train.shape[0] - 1) / self.bptt)

    def batches(self, epoch: int, rank: int = 0, world: int = 1):
        if self.batch % world:
            raise BadInput(f"--batch {self.batch} is not divisible by {world} processes")
        per = self.batch // world
        yield from windows(self.train[:, rank * per:(rank + 1) * per], self.bptt)

    def loss(self, model, batch, state):
        x, y = batch                                                 # (T, B) each
        loss, state = model(x, state, targets=y)                     # mean over T*B tokens
        return loss, y.numel(), detach(state)

    def evaluate(self, model) -> dict:
        total, n = nll(model, self.valid, self.bptt)
        mean = total / n
        return {"valid_loss": mean, "valid_ppl": math.exp(min(mean, 700.0)), "valid_bits": mean / math.log(2)}


def nll(model, data, bptt: int) -> tuple[float, int]:
    """Summed negative log-likelihood (nats) and token count over a (rows, B) matrix, state carried."""
    import torch

    device = next(model.parameters()).device
    total, n, state = 0.0, 0, None
    with torch.no_grad():
        for x, y in windows(data, bptt):
            loss, state = model(x.to(device), state, targets=y.to(device))
            total += float(loss) * y.numel()
            n += y.numel()
    return total, n
