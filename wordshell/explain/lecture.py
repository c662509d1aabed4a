"""The guided lecture: the slides in order, each one an ordinary wordshell command on the chosen corpus.

    Plan      the corpus, the model names (prefix-role), how each missing model is trained, the example
              words (chosen from the trained model, so any corpus works)
    STEPS     (part, slide title, what it shows, command template, models it needs), in slide order

commands/lecture.py runs them: prints each step's command, runs it, pauses on a terminal. This module
decides what to run; it never prints or reads keys.

>>> [s.slide for s in STEPS][:3]
['The corpus', 'Skip-gram and CBOW training pairs', 'Characters: fastText n-grams']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

# the slide's sentences
PAIRS_SENTENCE = "I saw a cute grey cat playing in the garden"
NEXT_PROMPT = "the students opened their"
LONG_SENTENCE = "the president of the united states said that the war in the north was over"


@dataclass
class Plan:
    corpus: str = "wiki-sample"
    prefix: str = "lec"
    lm_steps: int = 300
    w2v_epochs: int = 5
    examples: dict = field(default_factory=dict)   # filled from the word2vec model when it exists

    def name(self, role: str) -> str:
        return f"{self.prefix}-{role}"

    def train_command(self, role: str) -> str:
        """The `train ...` line that builds model `role` (without --background / --force)."""
        c, n = self.corpus, self.name(role)
        if role == "w2v":
            return f"train word2vec {n} --corpus {c} --epochs {self.w2v_epochs}"
        if role == "hs":
            return f"train word2vec {n} --corpus {c} --epochs {self.w2v_epochs} --hs --negative 0"
        arch, clip = ("rnn", "0") if role == "rnn-noclip" else (role, "0.25")
        # one recipe for every LM (the slides' SGD + clipping), bounded by steps so any corpus trains quickly
        return (f"train lm {n} --corpus {c} --arch {arch} --layers 1 --hidden 100 --emb 100 --max-vocab 5000 "
                f"--optimizer sgd --lr 5 --clip {clip} --max-steps {self.lm_steps} "
                f"--eval-every {max(1, self.lm_steps // 5)}")

    def fill(self, template: str) -> str:
        return template.format(corpus=self.corpus, **{k.replace("-", "_"): self.name(k) for k in ROLES},
                               **self.examples)


ROLES = ("w2v", "hs", "ffnn", "rnn", "lstm", "gru", "rnn-noclip")


@dataclass
class Step:
    part: str
    slide: str
    why: str
    template: str                       # filled by Plan.fill; {word examples} need the w2v model
    needs: tuple[str, ...] = ()         # roles whose models must exist first
    when: Callable[[dict], bool] | None = None   # run only if examples allow (e.g. an analogy the model knows)


EMB, LM = "word vectors", "language models"
STEPS: list[Step] = [
    Step(EMB, "The corpus", "Everything below is computed on this text: its size, vocabulary and most frequent words.",
         "corpus info {corpus} --top 8"),
    Step(EMB, "Skip-gram and CBOW training pairs",
         "word2vec never sees sentences, only these examples: skip-gram predicts each context word from the "
         "centre word, CBOW the centre from the average of its context. The window size is drawn per word.",
         f"explain pairs '{PAIRS_SENTENCE}' --window 2"),
    Step(EMB, "Characters: fastText n-grams",
         "fastText represents a word by its character n-grams (with < and > marking the ends), so unseen "
         "words get vectors too.", "explain ngrams where"),
    Step(EMB, "One-hot vs dense vectors",
         "A one-hot vector is all zeros and one 1: every two different words are orthogonal. The dense vectors "
         "word2vec learned put related words close together.",
         "explain onehot {onehot} --model {w2v}", ("w2v",)),
    Step(EMB, "What word2vec really trains on",
         "With a model, words outside its vocabulary are dropped and frequent words are subsampled (randomly "
         "skipped) before the windows are cut, as word2vec does.",
         f"explain pairs '{PAIRS_SENTENCE}' --window 2 --model {{w2v}}", ("w2v",)),
    Step(EMB, "P(o|c): softmax and negative sampling",
         "P(o|c) = exp(u_o.v_c) / sum_w exp(u_w.v_c) needs a dot product with every word's output vector; "
         "negative sampling replaces it by a logistic loss on the true pair and k random words.",
         "explain prob {context} --center {centre} --model {w2v}", ("w2v",)),
    Step(EMB, "Hierarchical softmax",
         "The vocabulary as a Huffman tree: P(o|c) is a product of log2(V) sigmoids along o's path, and the "
         "probabilities still sum to 1.", "explain prob {context} --center {centre} --model {hs}", ("w2v", "hs")),
    Step(EMB, "Nearest neighbours", "Words used in similar contexts end up with similar vectors.",
         "similar {centre} --model {w2v} --top 8", ("w2v",)),
    Step(EMB, "Analogies by vector arithmetic",
         "b - a + c: the word nearest to the result; --expect shows where the right answer ranks (a small "
         "corpus often misses it).",
         "analogy '{analogy}' --model {w2v} --top 5 --expect {expect}", ("w2v",), lambda ex: bool(ex.get("analogy"))),
    Step(EMB, "Country - capital arrows",
         "The slide's picture on this corpus: parallel arrows mean a shared direction in the vector space.",
         "plot words --set capitals --max-pairs 6 --model {w2v}", ("w2v",), lambda ex: bool(ex.get("has_sets"))),
    Step(LM, "The next word: p(x_i | x_<i)",
         "A language model gives a distribution over the next token; its entropy says how unsure it is.",
         f"explain next '{NEXT_PROMPT}' --model {{lstm}}", ("lstm",)),
    Step(LM, "A window (feed-forward) language model",
         "Bengio's model sees only the last n tokens: everything before is forgotten.",
         f"explain next '{NEXT_PROMPT}' --model {{ffnn}}", ("ffnn",)),
    Step(LM, "Window LM vs RNN vs LSTM vs GRU",
         "The same corpus, the same recipe: parameters, speed and validation perplexity side by side.",
         "compare lm {ffnn} {rnn} {lstm} {gru}", ("ffnn", "rnn", "lstm", "gru")),
    Step(LM, "Exploding gradients and clipping",
         "The gradient norm at every step of two RNNs trained alike, one without clipping: its spikes are the "
         "exploding gradients that clipping (--clip 0.25) cuts down.",
         "plot training {rnn_noclip} {rnn} --metric grad_norm --logy", ("rnn-noclip", "rnn")),
    Step(LM, "Vanishing gradients",
         "How much the last word's loss depends on each earlier position. In theory a tanh RNN's gradient "
         "vanishes fastest with distance and the LSTM's cell and the GRU's update gate keep more of it; "
         "here is what these three models, trained alike on this corpus, actually do.",
         f"explain gradients '{LONG_SENTENCE}' -m {{rnn}} -m {{lstm}} -m {{gru}} --draw", ("rnn", "lstm", "gru")),
    Step(LM, "Inside the LSTM: gates",
         "Per token: how open the input, forget and output gates are, and how large the cell state grows.",
         f"explain gates '{LONG_SENTENCE}' --model {{lstm}} --units 32", ("lstm",)),
    Step(LM, "Inside the GRU: update and reset",
         "The GRU's two gates: update (keep the old state) and reset (how much of it the candidate reads).",
         f"explain gates '{LONG_SENTENCE}' --model {{gru}} --units 32", ("gru",)),
    Step(LM, "Generating text", "Sampling one word at a time from p(x_i | x_<i).",
         "generate 'the' --model {lstm} --length 20 --seed 1 --temperature 0.8", ("lstm",)),
]


def choose_examples(store, kv, max_rank: int = 400) -> dict:
    """Example words for the slides, from a word2vec model of THIS corpus (with its context vectors):

    centre, context   a frequent word and its most probable context word (the strongest pair by P(o|c))
    onehot            centre, context, centre's nearest neighbour, and a frequent word far from it
    analogy           'b - a + c' from the capitals set, if the model knows two of its pairs
    """
    from wordshell.explain.prob import load_context
    from wordshell.plots.sets import SETS

    ok = [i for i, w in enumerate(kv.words[:max_rank]) if w.isalpha() and len(w) >= 4]
    ctx = None
    try:
        ctx = load_context(store, kv)
    except Exception:       # no context vectors: the examples still come from cosine neighbours
        pass
    pool = ok[20:] or ok or list(range(min(len(kv), max_rank)))
    best = (-1.0, pool[0], pool[min(1, len(pool) - 1)])
    if ctx is not None and ctx.u is not None:
        U = np.asarray(ctx.u, dtype=np.float64)
        allowed = np.zeros(len(kv), dtype=bool)
        allowed[ok] = True
        for c in pool:
            s = U @ np.asarray(kv.vectors[c], dtype=np.float64)
            p = np.exp(s - s.max())
            p /= p.sum()
            p[c] = 0
            p[~allowed] = 0
            o = int(p.argmax())
            if p[o] > best[0]:
                best = (float(p[o]), c, o)
    else:
        c = pool[0]
        best = (0.0, c, kv.index[kv.most_similar([kv.words[c]], topn=1)[0][0]])
    _, c, o = best
    centre, context = kv.words[c], kv.words[o]
    near = next((w for w, _ in kv.most_similar([centre], topn=5) if w not in (centre, context)), None)
    far = min((kv.words[i] for i in ok[:200] if kv.words[i] not in (centre, context, near)),
              key=lambda w: kv.similarity(centre, w), default=None)
    ex = {"centre": centre, "context": context,
          "onehot": " ".join(w for w in dict.fromkeys([centre, context, near, far]) if w)}
    pairs = [(a, b) for a, b in SETS["capitals"][2] if kv.has(a) and kv.has(b)]
    ex["analogy"] = f"{pairs[0][1]} - {pairs[0][0]} + {pairs[1][0]}" if len(pairs) >= 2 else ""
    ex["expect"] = pairs[1][1] if len(pairs) >= 2 else ""
    ex["has_sets"] = len(pairs) >= 2
    return ex


def missing(session, plan: Plan, role: str) -> str | None:
    """Why model `role` must be (re)trained: None if it is there, trained on this corpus."""
    name = plan.name(role)
    store = session.store
    if not store.has_model(name):
        return "missing"
    corpus = (store.model_meta(name).get("corpus") or {}).get("name")
    if corpus != corpus_name(session, plan.corpus):
        return f"trained on '{corpus}', not '{plan.corpus}'"
    return None


def corpus_name(session, spec: str) -> str:
    """The name model.json records for corpus `spec` (a registered name stays; a path becomes its name)."""
    from wordshell.corpus import sources

    return sources.resolve(session.store, spec).name
