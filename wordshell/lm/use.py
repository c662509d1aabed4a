"""Using a trained language model: load it (final or still-training), generate, score.

Other code gets a language model with ONE call:

    >>> lm = load_lm(session, "ptb-lstm")        # doctest: +SKIP
    >>> lm.model, lm.vocab, lm.tokenizer, lm.meta, lm.source   # source: "final" | "checkpoint"  # doctest: +SKIP

`load_lm` prefers the finished model (weights.safetensors + model.json); when only
ckpt/last.safetensors exists (training still running, or a stopped run) it loads that and
says so through `session.note`. Finished models are cached in the session (reloaded when
model.json changes); checkpoints are re-read on every call, since they move on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

from wordshell.errors import BadInput, CorruptFile, NotFound, UsageError
from wordshell.lm.data import EOS, Vocab
from wordshell.corpus.tokens import Tokenizer


@dataclass
class LanguageModel:
    name: str
    model: object                 # RNNLM | FFNNLM, in eval mode, on the CPU
    vocab: Vocab
    tokenizer: Tokenizer
    meta: dict
    source: str = "final"         # final | checkpoint

    @property
    def level(self) -> str:
        return self.vocab.level

    def tokens(self, text: str) -> list[str]:
        """One line of text -> tokens, exactly as in training (no <eos>)."""
        if self.level == "char":
            return list(text.lower() if self.tokenizer.lowercase else text)
        return self.tokenizer(text)

    def encode_lines(self, lines) -> tuple[list[int], list[str]]:
        """Lines -> ids with <eos> after each line, and the tokens that became <unk>."""
        ids, unknown = [], []
        stoi = self.vocab.stoi
        for line in lines:
            toks = self.tokens(line)
            if not toks and self.level == "word":
                continue
            for t in toks:
                i = stoi.get(t, 1)
                if i == 1 and t != "<unk>":
                    unknown.append(t)
                ids.append(i)
            ids.append(0)
        return ids, unknown


def load_lm(session, name: str | None = None) -> LanguageModel:
    """The language model `name` (default: the active/only LM); see the module docstring."""
    store = session.store
    name = session.model_name(name, ("lm",)) if name is None else name
    d = store.model_dir(name)
    if store.has_model(name):
        meta = store.model_meta(name)
        if meta.get("family") != "lm":
            raise UsageError(f"model '{name}' is a {meta.get('family') or meta.get('kind')} model, "
                             "not a language model", "train one with 'train lm'")
        return session.cached("lm", name, lambda: _load(d, name, meta, d / "weights.safetensors", "", "final"))
    last = d / "ckpt" / "last.safetensors"
    if last.is_file():
        from wordshell.fit.weights import read_meta

        state = read_meta(last)
        meta = state.get("meta") or {}
        if meta.get("family") != "lm":
            raise UsageError(f"model '{name}' (in training) is not a language model")
        run = state.get("run", {})
        ppl = (run.get("best_metrics") or {}).get("valid_ppl")
        session.note(f"note: model '{name}' has no final weights yet (still training or stopped): using its last "
                     f"checkpoint, step {run.get('step', '?')}"
                     + (f", best valid ppl so far {ppl:.2f}" if ppl else ""))
        return _load(d, name, meta, last, "model.", "checkpoint")
    store.model_meta(name)  # raises NotFound with did-you-mean / "still training" hints
    raise NotFound(f"model '{name}' has no weights")


def _load(d, name, meta, weights_path, prefix, source) -> LanguageModel:
    from wordshell.fit import weights as ck
    from wordshell.kinds import build

    try:
        vocab = Vocab.load(d / "vocab.txt", meta.get("level", "word"))
        model = build(meta["kind"], meta["config"])
    except (KeyError, TypeError) as e:
        raise CorruptFile(f"model '{name}' metadata is incomplete ({e})") from None
    tensors, _ = ck.load_tensors(weights_path)
    weights = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    try:
        model.load_state_dict(weights)
    except RuntimeError as e:
        raise CorruptFile(f"model '{name}': weights do not fit its config ({str(e).splitlines()[0]})") from None
    if len(vocab) != model.config.vocab_size:
        raise CorruptFile(f"model '{name}': vocab.txt has {len(vocab)} tokens, the model {model.config.vocab_size}")
    model.eval()
    return LanguageModel(name, model, vocab, Tokenizer.from_spec(meta.get("tokenizer")), meta, source)


def check_text(text: str, what: str = "the prompt") -> str:
    """Arguments that were not valid UTF-8 arrive with lone surrogates: refuse them in one line."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(f"{what} is not valid UTF-8 text", "check the terminal's encoding") from None
    return text


# -- generation ------------------------------------------------------------------------

def generate(lm: LanguageModel, prompt_ids: list[int], length: int, *, temperature: float = 1.0,
             top_k: int = 0, top_p: float = 1.0, greedy: bool = False, allow_unk: bool = False,
             generator=None) -> Iterator[tuple[int, float, float]]:
    """Yield (token id, its model probability, entropy of the model's distribution in bits) `length` times.

    The model reads <eos> + prompt first (a prompt starts a new line of text). Sampling uses
    logits / temperature, then top-k, then nucleus (top-p) filtering; greedy (or temperature 0)
    takes the argmax. <unk> is never produced unless allow_unk.
    """
    import torch

    model = lm.model
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one token at a time: thread sync costs more than it gains
    try:
        yield from _generate(model, prompt_ids, length, temperature, top_k, top_p, greedy, allow_unk, generator)
    finally:
        torch.set_num_threads(threads)


def _generate(model, prompt_ids, length, temperature, top_k, top_p, greedy, allow_unk, generator):
    import torch

    with torch.inference_mode():
        x = torch.tensor([0] + list(prompt_ids), dtype=torch.long).view(-1, 1)   # (T, 1)
        logits, state = model(x, None)
        last = logits[-1, 0].float()                                            # (V,)
        for _ in range(length):
            logp = torch.log_softmax(last, -1)
            probs = logp.exp()
            entropy = float(-(probs * logp).sum()) / math.log(2)
            dist = sampling_distribution(last, temperature, top_k, top_p, greedy, allow_unk)
            i = int(dist.argmax()) if int((dist > 0).sum()) == 1 else \
                int(torch.multinomial(dist, 1, generator=generator))
            yield i, float(probs[i]), entropy
            logits, state = model(torch.tensor([[i]], dtype=torch.long), state)
            last = logits[-1, 0].float()


# temperatures below this are greedy: logits / 1e-40 overflow to inf, and the argmax is what they tend to
GREEDY_BELOW = 1e-4


def sampling_distribution(logits, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                          greedy: bool = False, allow_unk: bool = False):
    """The distribution the next token is drawn from: logits / temperature, then top-k, then nucleus
    (top-p); greedy (or a temperature under GREEDY_BELOW) puts all the mass on the argmax. Computed in
    float64, so a huge temperature gives the uniform distribution instead of inf/nan. <unk> (id 1) gets
    no mass unless allow_unk.

    >>> import torch
    >>> sampling_distribution(torch.tensor([0.0, 5.0, 1.0, 2.0]), temperature=1e-40).tolist()
    [0.0, 0.0, 0.0, 1.0]
    >>> sampling_distribution(torch.tensor([0.0, 5.0, 1.0, 2.0]), temperature=1e308).tolist()
    [0.3333333333333333, 0.0, 0.3333333333333333, 0.3333333333333333]
    """
    import torch

    scores = logits.double().clone()
    if not allow_unk and scores.numel() > 2:
        scores[1] = -math.inf
    if greedy or temperature < GREEDY_BELOW:
        out = torch.zeros_like(scores)
        out[int(scores.argmax())] = 1.0
        return out
    scores = scores / temperature
    if top_k and top_k < scores.numel():
        kth = torch.topk(scores, top_k).values[-1]
        scores[scores < kth] = -math.inf
    if top_p < 1.0:
        sorted_scores, order = torch.sort(scores, descending=True)
        p = torch.softmax(sorted_scores, -1)
        drop = p.cumsum(-1) - p >= top_p   # keep the smallest prefix with mass >= top_p
        scores[order[drop]] = -math.inf
    return torch.softmax(scores, -1)


# -- scoring -------------------------------------------------------------------------

def score(lm: LanguageModel, ids: list[int], bptt: int = 256) -> tuple[float, int]:
    """Total NLL (nats) of `ids` given a leading <eos>, and the number of tokens scored."""
    import torch

    from wordshell.lm.data import nll

    if not ids:
        raise BadInput("no text to score")
    data = torch.tensor([0] + list(ids), dtype=torch.long).view(-1, 1)          # (N+1, 1)
    threads = torch.get_num_threads()
    if sum(p.numel() for p in lm.model.parameters()) < 1_000_000:
        torch.set_num_threads(1)  # small matmuls: thread sync would cost more than it gains
    try:
        return nll(lm.model, data, bptt)
    finally:
        torch.set_num_threads(threads)


def describe_prompt(lm: LanguageModel, prompt: str) -> tuple[list[int], list[str]]:
    """A prompt -> ids (no trailing <eos>) and its unknown tokens."""
    ids, unknown = lm.encode_lines([prompt]) if prompt else ([0], [])
    return ids[:-1], unknown


__all__ = ["LanguageModel", "load_lm", "generate", "score", "check_text", "EOS"]
