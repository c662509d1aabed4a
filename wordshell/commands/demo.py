"""`demo`: a short guided tour that trains small models on bundled data and queries them.

Each step is a real wordshell command line, printed before it runs, so the tour also
teaches the commands. Sections can be chosen with --only; models are named demo-*.
"""

from __future__ import annotations

import shlex
import time

import click

from wordshell.options import command, pass_session
from wordshell.result import message

# (section, [(command line, what it shows)])
TOUR: list[tuple[str, list[tuple[str, str]]]] = [
    ("corpus", [
        ("corpus info wiki-sample --top 8",
         "A Wikipedia sample ships with gensim: 400k words, parsed to plain text once."),
    ]),
    ("word2vec", [
        ("train word2vec demo-w2v --corpus wiki-sample --epochs 10 --force",
         "Skip-gram with negative sampling (gensim), loss per epoch as it trains."),
        ("similar music --model demo-w2v --top 8",
         "Nearest neighbours by cosine: words used in similar contexts."),
        ("analogy 'spanish - spain + italy' --model demo-w2v --top 3 --expect italian --cosmul",
         "Vector arithmetic: spain is to spanish as italy is to ? (3CosAdd and 3CosMul)."),
        ("analogy 'king - man + woman' --model demo-w2v --top 3 --expect queen",
         "Not every analogy works on 400k words: --expect shows where the answer ranks. "
         "A bigger corpus ('corpus download text8', 17M words) does much better."),
        ("odd-one-out france germany italy music --model demo-w2v",
         "The word farthest from the mean of the others."),
    ]),
    ("fasttext", [
        ("train fasttext demo-ft --corpus wiki-sample --epochs 5 --bucket 100000 --force",
         "FastText also learns vectors for character n-grams (3..6 letters)."),
        ("oov computerization --model demo-ft --top 5",
         "A word never seen in training still gets a vector: the mean of its n-gram buckets."),
    ]),
    ("lm", [
        ("train lm demo-lm --corpus lee --epochs 8 --layers 1 --hidden 256 --emb 256 --adaptive 500,1500 "
         "--dropout 0.3 --force",
         "A word-level LSTM language model (PyTorch, CUDA when present): validation perplexity falls "
         "epoch by epoch; an adaptive softmax keeps the output layer cheap."),
        ("generate 'the prime minister' --model demo-lm --length 25 --seed 7 --temperature 0.8",
         "Sampling one word at a time (--greedy, --top-k, --top-p, --show-probs for more)."),
        ("perplexity --model demo-lm --text 'the government said on tuesday that the fires were under control'",
         "How surprised the model is by a sentence: perplexity and bits per token."),
    ]),
    ("plots", [
        ("plot words france:paris italy:rome germany:berlin spain:madrid --model demo-w2v",
         "Country -> capital arrows after a PCA projection (a drawing on a terminal, coordinates in a pipe; "
         "--out map.png writes an image)."),
    ]),
    ("classifier", [
        ("train classifier demo-clf --data polarity --valid-split 0 --force",
         "A fastText-style bag of words and bigrams on the 200 labelled movie-review lines bundled with gensim."),
        ("classify --model demo-clf 'a charming and beautiful film' 'dull, silly and tedious'",
         "Label and probability per line; 'cat reviews.txt | wordshell classify --model demo-clf' streams a file."),
    ]),
    ("tagger", [
        ("train tagger demo-tagger --data ewt-sample --valid-split 0.15 --epochs 30 --batch-size 4 --threads 1 --force",
         "A BiLSTM part-of-speech tagger with character features, on the 19 sentences of UD English-EWT "
         "bundled with wordshell (CC BY-SA 4.0): a toy. 'corpus download ud-ewt' fetches the 12,544 "
         "training sentences ('--data ud-ewt --valid ud-ewt-dev'); eng.train gives an NER tagger the same way."),
        ("tag 'The judge nominated two people in Washington .' --model demo-tagger",
         "word/TAG per word; --format json adds offsets, --probs each tag's probability (eval tagger scores one)."),
    ]),
    ("jobs", [
        ("train word2vec demo-bg --corpus lee --epochs 20 --force --background",
         "Training in a background process: the shell stays free ('jobs' lists it from any terminal)."),
        ("jobs wait demo-bg", "Wait for it here (in the shell you would carry on working)."),
        ("similar police --model demo-bg --top 5", "A finished job's model is queryable at once."),
    ]),
]


@command("demo")
@click.option("--only", multiple=True, type=click.Choice([s for s, _ in TOUR]),
              help="Run only these sections (repeatable).")
@click.option("--list", "list_", is_flag=True, help="Print the tour's commands without running them.")
@pass_session
def demo(session, only, list_):
    """A short tour: train small Word2Vec, FastText, LSTM-LM, classifier and tagger models on bundled data and query them.

    Takes about a minute on 2 cores. Every step is an ordinary wordshell command, shown before it runs.
    """
    from wordshell.cli import execute

    sections = [(s, steps) for s, steps in TOUR if not only or s in only]
    if list_:
        return message("\n".join(f"wordshell {line}" for _, steps in sections for line, _ in steps))
    from wordshell.render import isatty, paint

    out = session.stdout
    tty = isatty(out)
    t0 = time.monotonic()
    n = 0
    for section, steps in sections:
        for line, why in steps:
            n += 1
            out.write(f"\n{paint('# ' + why, 'dim', tty)}\n{paint('$ wordshell ' + line, 'bold', tty)}\n")
            out.flush()
            code = execute(shlex.split(line), session)
            if code != 0:
                return message(f"the tour stopped at step {n} (exit code {code})")
    return message(f"\ntour done in {time.monotonic() - t0:.0f} s: {n} steps. Models: "
                   + ", ".join(sorted({w for s, steps in sections for line, _ in steps
                                       for w in shlex.split(line) if w.startswith("demo-")}))
                   + ". Next: 'wordshell' for the interactive shell, 'wordshell --help' for every command.")
