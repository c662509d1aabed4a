"""`train classifier`, `classify` and `eval classifier`.

The heavy parts live in classify/: data (labelled formats), train (the run, saving), task (what
fit trains), predict (numpy `bag`, torch RNNs), metrics. This module parses
options and shapes Results; `classify` streams rows from a generator, batch by batch.
"""

from __future__ import annotations

from itertools import islice

import click

from wordshell.options import background_option, command, model_option, pass_session, run_in_background
from wordshell.errors import BadInput, UsageError
from wordshell.kinds import archs
from wordshell.render import isatty
from wordshell.result import Result

DATA_FORMATS = ("auto", "fasttext", "tsv", "csv", "label-text", "dir", "files")


def data_options(fn):
    opts = [
        click.option("--data-format", type=click.Choice(DATA_FORMATS), default="auto", show_default=True,
                     help="How labels are written (auto looks at the first lines)."),
        click.option("--label-column", default=None, metavar="N|NAME",
                     help="TSV/CSV: the label column (1-based, or a header name)."),
        click.option("--text-column", default=None, metavar="N|NAME",
                     help="TSV/CSV: the text column (1-based, or a header name)."),
        click.option("--encoding", default=None, metavar="ENC", help="Text encoding (default utf-8; e.g. latin-1)."),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def _read(session, specs, data_format, encoding, label_column, text_column):
    from wordshell.classify.data import read_labelled

    return read_labelled(session.store, list(specs), data_format, encoding, label_column, text_column)


# -- train classifier ------------------------------------------------------------------

@command("classifier")
@click.argument("name")
@click.option("--data", "-d", "data", multiple=True, required=True, metavar="FILE|DIR|LABEL=FILE|NAME",
              help="Labelled data (repeat for one file per class); 'polarity' is gensim's bundled sample.")
@data_options
@click.option("--arch", type=click.Choice(archs("classifier")), default="bag", show_default=True,
              help="bag: fastText-style n-gram bag (seconds); bilstm/bigru/rnn: recurrent (minutes).")
@click.option("--valid", "valid_file", default=None, metavar="FILE", help="Validation data (same format).")
@click.option("--valid-split", type=click.FloatRange(0, 0.9), default=0.1, show_default=True,
              help="Without --valid: this fraction of each class is held out (seeded). 0 = none.")
@click.option("--vectors", default=None, metavar="MODEL", help="Start the embeddings from a word2vec/fasttext model.")
@click.option("--freeze/--fine-tune", default=False, show_default=True, help="Keep --vectors fixed.")
@click.option("--vectors-vocab/--data-vocab", default=True, show_default=True,
              help="RNNs with --vectors: the vectors' words join the vocabulary too, so words the labelled "
                   "data never had keep their pretrained vector at classify time instead of reading as unknown.")
@click.option("--lowercase/--cased", default=True, show_default=True)
@click.option("--punct/--no-punct", default=True, show_default=True, help="Punctuation marks are tokens ('!').")
@click.option("--split", type=click.Choice(["words", "whitespace"]), default="words", show_default=True)
@click.option("--min-count", type=click.IntRange(1), default=1, show_default=True)
@click.option("--max-vocab", type=click.IntRange(1), default=None)
@click.option("--max-len", type=click.IntRange(1), default=400, show_default=True, help="Tokens kept per text.")
@click.option("--dim", type=click.IntRange(1), default=None, help="Embedding size [bag 100, RNNs 100 or the vectors'].")
@click.option("--ngrams", type=click.IntRange(1, 5), default=2, show_default=True, help="bag: longest word n-gram.")
@click.option("--buckets", type=click.IntRange(0), default=0, show_default=True,
              help="bag: hash rows for n-grams; 0 = 2x the distinct training n-grams, at most 65,536 "
                   "(x dim x 4 bytes: 65k x 100 = 26 MB).")
@click.option("--hidden", type=click.IntRange(1), default=64, show_default=True, help="RNN units per direction.")
@click.option("--layers", type=click.IntRange(1, 8), default=1, show_default=True)
@click.option("--bidirectional/--no-bidirectional", default=None, help="[bilstm/bigru: yes, rnn: no]")
@click.option("--pooling", type=click.Choice(["max", "mean", "last"]), default="max", show_default=True)
@click.option("--dropout", type=click.FloatRange(0, 0.95), default=0.5, show_default=True,
              help="RNNs: dropout after pooling (and between layers); bag: the fraction of words and "
                   "n-grams dropped at random from each training example.")
@click.option("--word-dropout", type=click.FloatRange(0, 0.9), default=0.0, show_default=True,
              help="RNNs: the fraction of words read as 'unknown' in each training example (a regulariser; "
                   "it also teaches the model what to do with words it never saw).")
@click.option("--epochs", type=click.IntRange(1), default=None,
              help="[10, more on small data: at least 1,500 updates, at most 100 epochs]")
@click.option("--batch-size", type=click.IntRange(1), default=None, help="[bag 8, RNNs 32]")
@click.option("--lr", type=click.FloatRange(0, min_open=True), default=None, help="Learning rate [bag 1.0 (SGD, linear decay), RNNs 0.001 (Adam)].")
@click.option("--optimizer", type=click.Choice(["sgd", "adam", "adamw"]), default=None)
@click.option("--patience", type=click.IntRange(0), default=None,
              help="Stop after this many epochs without a better validation accuracy, 0 = never "
                   "[bag 0, RNNs epochs/5, at least 3]. The best epoch is kept either way.")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True)
@click.option("--threads", type=click.IntRange(0), default=None,
              help="CPU threads for training [1: small models gain nothing from more on a busy machine].")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda | cuda:N")
@click.option("--force", is_flag=True, help="Replace an existing model of this name.")
@background_option
@pass_session
def train_classifier(session, name, data, background, force, valid_file, data_format, encoding, label_column,
                     text_column, **kw):
    """Train a sentence classifier on labelled text.

    \b
      train classifier sent --data polarity
      train classifier sst --data stsa.binary.train --valid stsa.binary.dev --arch bilstm
      train classifier mr --data pos=rt-polarity.pos --data neg=rt-polarity.neg --encoding latin-1
    """
    if session.store.has_model(name) and not force:  # before a background job starts, not inside it
        raise UsageError(f"model '{name}' exists", "use --force to replace it, or pick another name")
    if kw["arch"] == "bag" and kw["word_dropout"]:
        raise UsageError("--word-dropout is for the RNN classifiers",
                         "bag already drops words and n-grams while training: set how many with --dropout")
    if background:
        return run_in_background(session, name, "classifier")
    from wordshell.classify.train import ClassifierOptions, train_classifier as train

    fmt = (data_format, encoding, label_column, text_column)
    train_data = _read(session, data, *fmt)
    valid_data = _read(session, [valid_file], *fmt) if valid_file else None
    info = train(session, name, train_data, valid_data, ClassifierOptions(**kw), force=force)
    vocab = info["vocab"]
    if vocab != info["data_vocab"]:
        vocab = f"{vocab:,} ({info['data_vocab']:,} from the data, the rest from --vectors)"
    rows = [("model", name), ("arch", info["arch"]), ("data", info["data_desc"]),
            ("classes", ", ".join(info["labels"])), ("vocabulary", vocab), ("parameters", info["params"]),
            ("epochs", info["epochs"]),
            ("best train accuracy (no validation data)" if info["on_train"] else "best valid accuracy", info["best_acc"]),
            ("time", f"{info['seconds']:.1f} s"), ("examples/s", round(info["speed"] or 0))]
    return Result(["", "value"], rows, title=f"Trained {info['arch']} classifier '{name}'", keys=["field", "value"],
                  notes=[f"try: echo 'a gripping, funny film' | wordshell classify --model {name}"])


# -- classify --------------------------------------------------------------------------

def _effective_fmt(session) -> str:
    from wordshell.render import default_format

    return session.fmt or default_format(session.stdout)


@command("classify")
@click.argument("texts", nargs=-1)
@model_option("Classifier name (default: the active or only classifier).")
@click.option("--file", "-f", "file", default=None, metavar="FILE", help="Classify each line of FILE ('-' = stdin).")
@click.option("--top-k", "-k", type=click.IntRange(1), default=1, show_default=True, help="Best K labels per line.")
@click.option("--probs", is_flag=True, help="A probability column for every class.")
@click.option("--batch-size", type=click.IntRange(1), default=None, help="Lines per batch [bag 4096, RNNs 2048].")
@click.option("--encoding", default=None, metavar="ENC", help="Input encoding (default utf-8).")
@click.option("--threads", type=click.IntRange(1), default=1, show_default=True,
              help="CPU threads for RNN models (more help only on an otherwise idle machine).")
@pass_session
def classify(session, texts, model, file, top_k, probs, batch_size, encoding, threads):
    """Label sentences: from arguments, --file, or lines on stdin (one output line per input line).

    \b
      classify "a gripping, funny film" --model sent
      cat reviews.txt | wordshell classify --model sent --probs > labelled.tsv
    """
    pred = session.classifier(model)
    lines = _input_lines(session, texts, file, encoding, pred.max_len)
    k = min(top_k, len(pred.labels))
    headers, keys = ["label", "prob"], ["label", "prob"]
    for j in range(2, k + 1):
        headers += [f"label {j}", f"prob {j}"]
        keys += [f"label_{j}", f"prob_{j}"]
    if probs:
        headers += [f"P({lab})" for lab in pred.labels]
        keys += [f"p_{lab}" for lab in pred.labels]
    headers.append("text")
    keys.append("text")
    size = batch_size or (4096 if pred.meta["kind"] == "bag-clf" else 2048)
    return Result(headers, _rows(pred, lines, k, probs, size, threads), keys=keys, styles={0: "bold"}, batched=True)


def _input_lines(session, texts, file, encoding, max_len):
    """The texts to label, one per input line. A line longer than the model can read is truncated (one
    line in, one line out, memory flat), with a note."""

    from wordshell.corpus import textio
    from wordshell.progress import fmt_count

    if texts and file:
        raise UsageError("give texts as arguments or --file, not both")
    if texts:
        return iter(texts)
    limit = max(1 << 16, 64 * (max_len or 0))  # bytes: far more than max_len tokens take
    said = []

    def truncated(lineno: int) -> None:
        said.append(lineno)
        if len(said) <= 3:
            session.note(f"note: line {lineno} is longer than {fmt_count(limit)}B: classified by its first "
                         f"{fmt_count(limit)}B (the model reads {max_len or 'all'} tokens)")

    if file and file != "-":
        return textio.read_lines(file, encoding or "utf-8", truncate=truncated, max_chars=limit)
    import sys

    stream = sys.stdin
    if file != "-" and (session.interactive or isatty(stream)):
        raise UsageError("nothing to classify", "give TEXT arguments, --file FILE, or pipe lines in")
    return textio.stdin_lines(stream, encoding or "utf-8", truncate=truncated, max_chars=limit)


def _rows(pred, lines, k, probs, size, threads):
    """Batches of rows, one row per input line, in input order; a blank line gets empty label/prob cells."""
    import numpy as np

    labels = pred.labels
    n_cols = 2 * k + (len(labels) if probs else 0)
    blank = (None,) * n_cols
    first = True
    while True:
        batch = list(islice(lines, size))
        if not batch:
            if first:  # zero lines in: a mistake (an empty file, a pipe that produced nothing), not a result
                raise BadInput("no input: there were no lines to classify")
            return
        first = False
        keep = [i for i, t in enumerate(batch) if t.strip()]
        P = pred.proba([batch[i] for i in keep], threads) if keep else np.zeros((0, len(labels)), np.float32)
        top = np.argsort(-P, axis=1, kind="stable")[:, :k]
        out = [blank] * len(batch)
        for r, i in enumerate(keep):
            cells = []
            for c in top[r]:
                cells += [labels[c], round(float(P[r, c]), 6)]
            if probs:
                cells += [round(float(p), 6) for p in P[r]]
            out[i] = cells
        yield [(*cells, text) for cells, text in zip(out, batch)]


# -- eval classifier -------------------------------------------------------------------

@command("classifier")
@model_option("Classifier name (default: the active or only classifier).")
@click.option("--data", "-d", "data", multiple=True, required=True, metavar="FILE|DIR|LABEL=FILE|NAME",
              help="Labelled test data, in any format 'train classifier' reads.")
@data_options
@pass_session
def eval_classifier(session, model, data, **kw):
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.

    \b
      eval classifier --model sst --data stsa.binary.dev
      eval classifier --model sst --data stsa.binary.dev --format json
    """
    from wordshell.classify.predict import evaluate

    name = session.model_name(model, ("classifier",))
    test = _read(session, data, **kw)
    rep = evaluate(session, name, test)
    if _effective_fmt(session) == "json":
        return Result(data={"model": name, "data": test.source, **rep})
    where = ", ".join(click.format_filename(d, shorten=True) for d in data)
    summary = Result(["metric", "value"], [("examples", rep["examples"]), ("accuracy", rep["accuracy"]),
                                           ("macro-F1", rep["macro_f1"]), ("macro precision", rep["macro_precision"]),
                                           ("macro recall", rep["macro_recall"])],
                     title=f"Classifier '{name}' on {where}", styles={0: "bold"})
    notes = [f"{rep['unknown_labels']:,} examples have labels the model does not know (counted as errors)"] \
        if rep.get("unknown_labels") else []
    per = Result(["class", "precision", "recall", "F1", "support"],
                 [(c["label"], c["precision"], c["recall"], c["f1"], c["support"]) for c in rep["classes"]],
                 title="Per class", styles={0: "bold"}, notes=notes)
    labs = rep["labels"]
    cm = Result(["true \\ predicted", *labs], [(lab, *row) for lab, row in zip(labs, rep["confusion"])],
                title="Confusion matrix (rows: true class)", styles={0: "bold"})
    return [summary, per, cm]
