"""A stored tagger at work: load it once, tag batches of sentences, evaluate it on gold data.

    load_tagger(store, name) -> Tagger      model.json + vocab.txt + chars.txt + weights.safetensors
    Tagger.tag(sentences)                   tags in the data's own scheme (+ marginal probabilities)
    tokenize(text, split)                   words with character offsets (for raw text lines)
    evaluate(session, name, data)           accuracy, accuracy on unseen words, entity P/R/F1, confusion

On the CPU the forward pass is infer.py's, in numpy (torch is not imported); on CUDA the torch model's.
Sentences are sorted by length and run in batches of 256; the order is restored.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from wordshell.errors import CorruptFile, UsageError
from wordshell.kinds import family_of

# PTB-like words: abbreviations (U.S.) and numbers (1,000.5) kept whole, a clitic already apart ('s) too;
# clitics split off afterwards (do|n't, it|'s) by `_clitics`, which is cheaper than a look-ahead tried at
# every letter
_TOKEN = re.compile(r"(?:[A-Za-z]\.){2,}|\d+(?:[.,:/]\d+)*|(?i:['’](?:s|re|ll|ve|m|d)\b)|\w+(?:[-'’]\w+)*|\S")
_SPACE = re.compile(r"\S+")
_CLITICS = ("n't", "'s", "'re", "'ll", "'ve", "'m", "'d", "n’t", "’s", "’re", "’ll", "’ve", "’m", "’d")


def _clitics(w: str, s: int, e: int) -> list[tuple[str, int, int]]:
    low = w.lower()
    for c in _CLITICS:
        if low.endswith(c) and len(w) > len(c):
            k = e - len(c)
            return [(w[:-len(c)], s, k), (w[-len(c):], k, e)]
    return [(w, s, e)]


def tokenize(text: str, split: str = "ptb", offsets: bool = True) -> list[tuple[str, int | None, int | None]]:
    """(word, start, end) character offsets of the words of `text`; `offsets=False`: (word, None, None),
    twice as fast (re.findall, no match objects) for output that shows no offsets.

    >>> [w for w, _, _ in tokenize("I don't live in the U.S., it's 1,000.5 miles away.")]
    ['I', 'do', "n't", 'live', 'in', 'the', 'U.S.', ',', 'it', "'s", '1,000.5', 'miles', 'away', '.']
    >>> tokenize("New  York", "whitespace")
    [('New', 0, 3), ('York', 5, 9)]
    >>> [w for w, _, _ in tokenize("it 's Ann 'S")]    # clitics already split off stay whole
    ['it', "'s", 'Ann', "'S"]
    >>> tokenize("don't go", offsets=False)
    [('do', None, None), ("n't", None, None), ('go', None, None)]
    """
    if not offsets:
        if split == "whitespace":
            return [(w, None, None) for w in text.split()]
        out = []
        for w in _TOKEN.findall(text):
            if "'" in w or "’" in w:
                out += [(x, None, None) for x, _, _ in _clitics(w, 0, len(w))]
            else:
                out.append((w, None, None))
        return out
    if split == "whitespace":
        return [(m.group(), *m.span()) for m in _SPACE.finditer(text)]
    out = []
    for m in _TOKEN.finditer(text):
        w = m.group()
        if "'" in w or "’" in w:
            out += _clitics(w, *m.span())
        else:
            out.append((w, *m.span()))
    return out


class FormCache:
    """Word ids and char features of the word forms a Tagger has seen (a stream of batches repeats most
    of its forms: 10,000 sentences have 38,000 per-batch forms but 12,000 distinct ones). Holds at most
    `cap` forms (20 MB of features at 100,000 x 50); past that it starts again."""

    def __init__(self, encoder, net, cap: int = 100_000):
        self.encoder, self.net, self.cap = encoder, net, cap
        self.index: dict[str, int] = {}
        self.words = np.zeros(0, dtype=np.int64)
        self.feats = None

    def rows(self, tokens: list[str]) -> np.ndarray:
        """(N,) the row of each token's form, computing word ids and char features of the new forms."""
        index = self.index
        new = list(dict.fromkeys(w for w in tokens if w not in index))
        if new and len(index) + len(new) > self.cap:
            index.clear()
            self.words, self.feats = np.zeros(0, dtype=np.int64), None
            new = list(dict.fromkeys(tokens))
        if new:
            base = len(index)
            index.update(zip(new, range(base, base + len(new))))
            self.words = np.concatenate([self.words, self.encoder.word_ids(new)])
            feats = self.net.char_features(self.encoder.char_ids(new))
            if feats is not None:
                self.feats = feats if self.feats is None else np.concatenate([self.feats, feats])
        return np.fromiter((index[w] for w in tokens), dtype=np.int64, count=len(tokens))


class Tagger:
    """A stored tagger. On the CPU it runs in numpy (infer.Net: no torch import); on CUDA the torch
    model is built from the same weights when `to("cuda")` asks for it."""

    def __init__(self, meta: dict, encoder, net, arrays: dict):
        from wordshell.tag.schemes import convert

        self.meta, self.encoder, self.net, self._arrays = meta, encoder, net, arrays
        self.tags = list(meta["config"]["tags"])        # what the model outputs (BIOES for span tags)
        self.scheme = meta.get("scheme")                # the data's scheme: answers are written in it
        self.max_tokens = int(meta.get("max_tokens") or 500)
        self._convert = convert
        self.device = "cpu"
        self.model = None                               # the torch model, for CUDA only
        self._forms = FormCache(encoder, net)

    def to(self, device: str) -> "Tagger":
        """Run on `device` (cpu, cuda, cuda:N, auto); BadInput when it is not there."""
        if device == "cpu":
            self.device = "cpu"
            return self
        from wordshell.fit.config import resolve_device

        device = resolve_device(device)
        if device != "cpu" and self.model is None:
            import torch

            from wordshell.kinds import build

            self.model = build(self.meta["kind"], self.meta["config"])
            self.model.load_state_dict({k: torch.from_numpy(v) for k, v in self._arrays.items()})
            self.model.eval()
        if self.model is not None:
            self.model.to(device)
        self.device = device
        return self

    @property
    def span(self) -> bool:
        return self.scheme is not None

    def tag(self, sentences: Sequence[Sequence[str]], probs: bool = False, threads: int = 1,
            batch: int = 256) -> tuple[list[list[str]], list[list[float]] | None]:
        """(tags per sentence in the data's scheme, marginal probability of each tag or None).

        `threads`: CPU threads for this call (restored after: a shell's training keeps its own)."""
        if self.device == "cpu":
            from wordshell.vectors.blas import threads as blas_threads

            with blas_threads(threads):
                return self._tag(sentences, probs, batch)
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            with torch.inference_mode():
                return self._tag(sentences, probs, batch)
        finally:
            torch.set_num_threads(before)

    def _tag(self, sentences, probs: bool, batch: int):
        out_tags: list = [[] for _ in sentences]
        out_probs: list | None = [[] for _ in sentences] if probs else None
        keep = [i for i, s in enumerate(sentences) if s]
        if not keep:
            return out_tags, out_probs
        lengths = np.array([len(sentences[i]) for i in keep], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)])
        rows = self._forms.rows([w for i in keep for w in sentences[i]])     # (N,) each token's form
        used, local = np.unique(rows, return_inverse=True)                   # this call's forms
        local = local.reshape(-1)
        word_of = self._forms.words[used]
        feats = self._forms.feats[used] if self._forms.feats is not None else None
        order = np.argsort(-lengths, kind="stable")
        cpu = self.device == "cpu"
        if cpu:   # the first layer's input projection once per form of this call (infer.py)
            proj = self.net.project(word_of, feats)
        else:
            import torch

            feats_t = torch.from_numpy(feats).to(self.device) if feats is not None else None
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            n_i = lengths[idx]
            B, T = len(idx), int(n_i.max())
            row = np.repeat(np.arange(B), n_i)
            col = np.arange(int(n_i.sum())) - np.repeat(np.cumsum(n_i) - n_i, n_i)
            pos = starts[idx][row] + col
            forms = np.zeros((B, T), dtype=np.int64)
            forms[row, col] = local[pos]
            if cpu:
                em = self.net.emissions(proj, forms, n_i)
                best = self.net.decode(em, n_i)
                if probs:
                    p = np.take_along_axis(self.net.marginals(em, n_i), best[:, :, None], axis=2)[:, :, 0]
            else:
                words = np.zeros((B, T), dtype=np.int64)
                words[row, col] = word_of[local[pos]]
                w_t, f_t = torch.from_numpy(words).to(self.device), torch.from_numpy(forms).to(self.device)
                if probs:
                    best, marg = self.model.probs(w_t, f_t, None, feats_t)
                    p = marg.gather(2, best.unsqueeze(2)).squeeze(2).cpu().numpy()
                else:
                    best = self.model.decode(w_t, f_t, None, feats_t)
                best = best.cpu().numpy()
            for r, j in enumerate(idx):
                n = int(lengths[j])
                i = keep[j]
                tags = [self.tags[k] for k in best[r, :n]]
                out_tags[i] = self._convert(tags, "bioes", self.scheme) if self.span else tags
                if probs:
                    out_probs[i] = [round(float(x), 4) for x in p[r, :n]]
        return out_tags, out_probs

    def unseen(self, words: Sequence[str]) -> list[bool]:
        """True for each word the training data never had (vocabulary from --vectors does not count)."""
        known = self.encoder.word_index
        limit = int(self.meta.get("data_vocab") or len(self.encoder.words))
        return [known.get(self.encoder.norm(w), 1 << 62) - 2 >= limit for w in words]


def load_tagger(store, name: str) -> Tagger:
    """The Tagger of stored model `name`: weights read into numpy (no torch), checked on one word."""
    from wordshell.fit.weights import load_arrays
    from wordshell.tag.infer import Net
    from wordshell.tag.vocab import TagEncoder

    meta = dict(store.model_meta(name))
    meta["name"] = name
    if family_of(meta.get("kind")) != "tagger":
        raise UsageError(f"model '{name}' is a {meta.get('kind')} model, not a tagger",
                         "train one with 'train tagger NAME --data train.conllu'")
    d = store.model_dir(name)
    try:
        encoder = TagEncoder.load(d, meta["config"]["tags"], bool(meta.get("lowercase", True)))
    except FileNotFoundError as e:
        raise CorruptFile(f"model '{name}' is incomplete: {e.filename} is missing") from None
    path = d / "weights.safetensors"
    if not path.is_file():
        raise CorruptFile(f"model '{name}' is incomplete: weights.safetensors is missing")
    arrays, _ = load_arrays(path)
    try:
        net = Net(meta["config"], arrays)
        em = net.emissions(net.project(np.array([1]), net.char_features(np.array([[1]]))), np.zeros((1, 1), np.int64),
                           np.array([1]))
        if em.shape != (1, 1, len(meta["config"]["tags"])):
            raise ValueError(f"{em.shape[2]} tag scores for {len(meta['config']['tags'])} tags")
    except (KeyError, ValueError, IndexError) as e:
        raise CorruptFile(f"model '{name}': cannot load weights: {str(e)[:200]}") from None
    return Tagger(meta, encoder, net, arrays)


def evaluate(session, name: str, data, threads: int = 1) -> dict:
    """Token accuracy (all words and those unseen in training), entity P/R/F1 for span tags, confusion."""
    from wordshell.tag.metrics import accuracy, confusion, span_report

    from wordshell.tag.schemes import convert, detect

    tagger = session.tagger(name)
    pred, _ = tagger.tag(data.words, threads=threads)
    if tagger.span:  # gold data in another scheme (IOB2 against a model trained on IOB1): answer in the gold's
        scheme = detect(data.tags)
        if scheme and scheme != tagger.scheme:
            pred = [convert(p, tagger.scheme, scheme) for p in pred]
    unseen = [tagger.unseen(s) for s in data.words]
    rep = {"sentences": len(data), **accuracy(data.tags, pred, unseen)}
    if tagger.span:
        rep["entities"] = span_report(data.tags, pred)
    labels = sorted({t for s in data.tags for t in s} | {t for s in pred for t in s}, key=lambda t: (t == "O", t))
    rep["labels"] = labels
    rep["confusion"] = confusion(data.tags, pred, labels)
    unknown = sorted({t for s in data.tags for t in s} - set(tagger.meta.get("tagset") or labels))
    rep["unknown_tags"] = unknown
    return rep
