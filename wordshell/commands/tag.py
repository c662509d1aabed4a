"""`train tagger`, `tag` and `eval tagger`: options -> one call into tag/ -> a Result.

The tagger itself is in tag/ (data, schemes, crf, model, task, train, predict, stream, metrics).
"""

from __future__ import annotations

import click

from wordshell.errors import UsageError
from wordshell.kinds import archs
from wordshell.options import Duration, background_option, command, model_option, pass_session, run_in_background
from wordshell.render import FORMATS
from wordshell.result import Result, Span
from wordshell.session import Session

COLOURS = ("green", "yellow", "orange", "red", "bold")   # entity types in turn (render.STYLES names)


def data_options(fn):
    opts = [
        click.option("--data-format", type=click.Choice(["auto", "conllu", "conll"]), default="auto", show_default=True,
                     help="conllu: UD treebanks; conll: columns, the word first (CoNLL-2003/2000, word<TAB>tag)."),
        click.option("--tags", "field", type=click.Choice(["upos", "xpos", "feats"]), default=None,
                     help="CoNLL-U: the field to learn [upos; eval: the model's]."),
        click.option("--column", type=click.IntRange(2), default=None,
                     help="Column files: the tag column, 1-based [the last; eval: the model's]."),
        click.option("--encoding", default=None, metavar="ENC", help="Text encoding (default utf-8)."),
        click.option("--max-tokens", type=click.IntRange(1, 100_000), default=500, show_default=True,
                     help="Refuse sentences longer than this (a file without blank lines is one 'sentence')."),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def _read(session, specs, data_format, field, column, encoding, max_tokens):
    from wordshell.tag.data import read_tagged

    return read_tagged(session.store, list(specs), data_format, field or "upos", column, encoding, max_tokens)


# -- train tagger ------------------------------------------------------------------------

@command("tagger")
@click.argument("name")
@click.option("--data", "-d", "data", multiple=True, required=True, metavar="FILE|NAME",
              help="Tagged training data: CoNLL-U, CoNLL columns or word<TAB>tag lines (repeat for several files).")
@click.option("--valid", "valid_file", default=None, metavar="FILE|NAME", help="Validation data (same format).")
@data_options
@click.option("--valid-split", type=click.FloatRange(0, 0.5), default=0.1, show_default=True,
              help="Without --valid: this fraction of the sentences is held out (seeded). 0 = none.")
@click.option("--scheme", type=click.Choice(["auto", "iob1", "iob2", "bioes", "none"]), default="auto",
              show_default=True, help="Span tags' scheme (auto: detected; none: plain tags). Answers use it too.")
@click.option("--crf/--softmax", default=None, help="Output layer [CRF for span tags, softmax otherwise].")
@click.option("--arch", type=click.Choice(archs("tagger")), default="bilstm", show_default=True)
@click.option("--vectors", default=None, metavar="MODEL", help="Start the word embeddings from a word2vec/fasttext model.")
@click.option("--freeze/--fine-tune", default=False, show_default=True, help="Keep --vectors fixed.")
@click.option("--vectors-vocab/--data-vocab", default=True, show_default=True,
              help="With --vectors: their words join the vocabulary (words the data lacks keep their vector).")
@click.option("--lowercase/--cased", default=True, show_default=True,
              help="Look words up lower-cased, digits as 0 (the characters keep the case).")
@click.option("--min-count", type=click.IntRange(1), default=1, show_default=True)
@click.option("--dim", type=click.IntRange(1, 4096), default=None, help="Word embedding size [100, or the vectors'].")
@click.option("--chars", type=click.Choice(["cnn", "lstm"]), default="cnn", show_default=True,
              help="Character features per word: a CNN (Ma & Hovy) or a BiLSTM (Lample et al.).")
@click.option("--no-chars", is_flag=True, help="No character features (words only).")
@click.option("--char-dim", type=click.IntRange(1, 512), default=30, show_default=True)
@click.option("--char-out", type=click.IntRange(2, 1024), default=50, show_default=True,
              help="Character features per word (CNN filters, or 2 x the char BiLSTM's units).")
@click.option("--hidden", type=click.IntRange(1, 4096), default=100, show_default=True, help="Units per direction.")
@click.option("--layers", type=click.IntRange(1, 8), default=1, show_default=True)
@click.option("--dropout", type=click.FloatRange(0, 0.95), default=0.5, show_default=True)
@click.option("--word-dropout", type=click.FloatRange(0, 0.9), default=0.05, show_default=True,
              help="The fraction of words read as 'unknown' in training (teaches the unknown-word vector).")
@click.option("--vectors-dropout", type=click.FloatRange(0, 0.9), default=0.5, show_default=True,
              help="With --vectors: the fraction of training words read through their pretrained vector, not the "
                   "fine-tuned one, as the words the data lacks are read (0 = off).")
@click.option("--epochs", type=click.IntRange(1, 10_000), default=30, show_default=True)
@click.option("--time", "time_budget", type=Duration(), default=0.0, help="Time budget: 600, 10m, 1h.")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=32, show_default=True, help="Sentences per step.")
@click.option("--lr", type=click.FloatRange(0, 100, min_open=True), default=2e-3, show_default=True)
@click.option("--optimizer", type=click.Choice(["adam", "adamw", "sgd"]), default="adam", show_default=True)
@click.option("--schedule", type=click.Choice(["none", "cosine", "linear", "plateau"]), default="none",
              show_default=True, help="LR schedule over the epochs (or --time).")
@click.option("--clip", type=click.FloatRange(0), default=5.0, show_default=True, help="Gradient-norm clipping (0 = off).")
@click.option("--patience", type=click.IntRange(0), default=6, show_default=True,
              help="Stop after this many epochs without a better dev score (0 = never); the best is kept.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True)
@click.option("--threads", type=click.IntRange(0, 256), default=0, show_default=True, help="CPU threads (0 = auto: timed 1 vs all, re-checked as the load changes).")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda | cuda:N")
@click.option("--resume", is_flag=True, help="Continue from ckpt/last (a killed or cut-short run).")
@click.option("--force", is_flag=True, help="Replace an existing model of this name.")
@background_option
@pass_session
@click.pass_context
def train_tagger(ctx, session, name, data, valid_file, background, resume, force, data_format, field, column,
                 encoding, max_tokens, no_chars, time_budget, **kw):
    """Train a sequence tagger (POS, NER, chunks): BiLSTM/BiGRU + character features + CRF.

    \b
      train tagger pos --data en_ewt-ud-train.conllu --valid en_ewt-ud-dev.conllu --tags upos
      train tagger ner --data eng.train --valid eng.testa --vectors w2v
      train tagger chunk --data conll2000 --column 3 --time 10m
    """
    if session.store.has_model(name) and not force and not resume:  # before a background job starts
        raise UsageError(f"model '{name}' exists", "use --force to replace it, or pick another name")
    budget = time_budget
    if background:
        return run_in_background(session, name, "tagger")
    from wordshell.tag.train import TaggerOptions, train_tagger as train

    explicit = frozenset(k for k in kw if ctx.get_parameter_source(k) != click.core.ParameterSource.DEFAULT)
    fmt = (data_format, field, column, encoding, max_tokens)
    train_data = _read(session, data, *fmt)
    valid_data = _read(session, [valid_file], *fmt) if valid_file else None
    if no_chars:
        kw["chars"] = "none"
    if "vectors_dropout" in explicit and kw["vectors_dropout"] and not kw["vectors"]:
        raise UsageError("--vectors-dropout needs --vectors", "name a word2vec/fasttext model with --vectors M")
    if budget and "epochs" not in explicit:
        kw["epochs"] = 0  # the time budget bounds the run
    opts = TaggerOptions(**kw, field=field or "upos", column=column, data_format=data_format, encoding=encoding,
                         max_tokens=max_tokens, time_budget=budget, explicit=explicit)
    meta = train(session, name, train_data, valid_data, opts, resume=resume, force=force)
    return _trained(name, meta)


def _trained(name: str, meta: dict) -> Result:
    m, t, d, c = meta["metrics"], meta["training"], meta["data"], meta["config"]
    shape = (f"{meta['kind']}: {c['layers']}x{c['hidden']} {c['cell'].upper()}, emb {c['emb_dim']}, "
             f"chars {c['chars']}, {'CRF' if c['crf'] else 'softmax'}")
    vocab = f"{meta['vocab']:,}"
    if meta["vocab"] != meta["data_vocab"]:
        vocab += f" ({meta['data_vocab']:,} from the data, the rest from --vectors)"
    score = (("best valid entity F1", round(100 * m["valid_f1"], 2)) if m.get("valid_f1") is not None
             else ("best valid accuracy", m.get("valid_acc")))
    rows = [("model", name), ("kind", shape),
            ("data", f"{d['train']:,} train / {d['valid']:,} valid sentences ({d['format']}, {d['field']})"),
            ("tags", f"{len(meta['tagset'])} ({meta['scheme'].upper() if meta['scheme'] else 'no spans'})"),
            ("vocabulary", vocab), ("parameters", meta["params"]), score,
            ("epochs", t["epochs"]), ("time", f"{t['seconds']:.1f} s ({t['stopped']})"),
            ("tokens/s", round(meta["speed"] or 0))]
    return Result(["", "value"], rows, title=f"Trained tagger '{name}'", keys=["field", "value"],
                  notes=[f"try: echo 'Ada Lovelace wrote in London .' | wordshell tag --model {name}"])


# -- tag ---------------------------------------------------------------------------------

def _set_format(ctx, _param, value):
    if value in FORMATS:
        ctx.ensure_object(Session).fmt = value
    return value


@command("tag")
@click.argument("texts", nargs=-1)
@model_option("Tagger name (default: the active or only tagger).")
@click.option("--file", "-f", "file", default=None, metavar="FILE", help="Tag FILE ('-' = stdin).")
@click.option("--split", type=click.Choice(["ptb", "whitespace"]), default="ptb", show_default=True,
              help="Raw lines: ptb splits words and marks (do|n't, U.S.); whitespace: already tokenised.")
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "conllu", "conll"]), default=None, callback=_set_format,
              help="table/tsv/json [by terminal]; conllu/conll: read CoNLL sentences, write them with the tags in.")
@click.option("--probs", is_flag=True, help="Each tag's marginal probability (forward-backward for the CRF).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=1024, show_default=True, help="Sentences per batch.")
@click.option("--threads", type=click.IntRange(1, 256), default=1, show_default=True,
              help="CPU threads (more help only on an otherwise idle machine).")
@click.option("--device", default="cpu", show_default=True, help="cpu | cuda | cuda:N | auto")
@click.option("--encoding", default=None, metavar="ENC", help="Input encoding (default utf-8).")
@pass_session
def tag(session, texts, model, file, split, fmt, probs, batch_size, threads, device, encoding):
    """Tag sentences, one per line: from arguments, --file, or stdin; output in input order.

    \b
      tag "Ada Lovelace was born in London ." --model ner
      cat sentences.txt | wordshell tag --model pos > tagged.tsv
      wordshell tag --model pos --format conllu --file test.conllu > predicted.conllu
    """
    from wordshell.render import default_format
    from wordshell.tag import stream

    tagger = session.tagger(model).to(device)
    lines = _input_lines(session, texts, file, encoding)
    if fmt in ("conllu", "conll"):
        return Result(text=(line + "\n" for batch in stream.conll_lines(tagger, lines, fmt, probs, batch_size, threads)
                            for line in batch))
    out = session.fmt or default_format(session.stdout)
    # character offsets are shown only with entities (JSON, and the terminal's coloured spans)
    recs = stream.records(tagger, lines, split, probs, batch_size, threads, offsets=tagger.span and out != "tsv")
    if out == "json":
        keys = ["text", "tokens", "tags"] + (["probs"] if probs else []) + (["entities"] if tagger.span else [])
        return Result(keys, (_json_rows(batch, probs, tagger.span) for batch in recs), keys=keys, batched=True)
    if out == "table":
        return Result(text=_spans(recs, tagger.span, probs))
    return Result(["tagged"], ([(_slashed(r, probs),) for r in batch] for batch in recs), batched=True)


def _input_lines(session, texts, file, encoding):
    """The lines to tag: the arguments, --file, or stdin (not a terminal's: nothing would come)."""
    import sys

    from wordshell.corpus import textio
    from wordshell.render import isatty

    if texts and file:
        raise UsageError("give sentences as arguments or --file, not both")
    if texts:
        return iter(texts)
    if file and file != "-":
        return textio.read_lines(file, encoding or "utf-8")
    if file != "-" and (session.interactive or isatty(sys.stdin)):
        raise UsageError("nothing to tag", "give sentences as arguments, --file FILE, or pipe lines in")
    return textio.stdin_lines(sys.stdin, encoding or "utf-8")


def _slashed(r: dict, probs: bool) -> str:
    if probs:
        return " ".join(f"{w}/{t}/{p:.3f}" for (w, _, _), t, p in zip(r["words"], r["tags"], r["probs"]))
    return " ".join(f"{w}/{t}" for (w, _, _), t in zip(r["words"], r["tags"]))


def _json_rows(batch: list[dict], probs: bool, span: bool) -> list[list]:
    from wordshell.tag.stream import entities

    rows = []
    for r in batch:
        row = [r["text"], [w for w, _, _ in r["words"]], r["tags"]]
        if probs:
            row.append(r["probs"])
        if span:
            row.append(entities(r["words"], r["tags"], r["text"]))
        rows.append(row)
    return rows


def _spans(recs, span: bool, probs: bool):
    """A terminal's view: entities coloured in the running text ([Ada Lovelace PER]); else word/TAG."""
    from wordshell.tag.stream import entities

    colour: dict[str, str] = {}
    for batch in recs:
        for r in batch:
            text = r["text"]
            if span:
                at = 0
                for e in entities(r["words"], r["tags"], text):
                    style = colour.setdefault(e["type"], COLOURS[len(colour) % len(COLOURS)])
                    yield text[at:e["char_start"]]
                    yield Span(f"[{e['text']} {e['type']}]", style)
                    at = e["char_end"]
                yield text[at:] + "\n"
            else:
                for i, ((w, _, _), t) in enumerate(zip(r["words"], r["tags"])):
                    yield (" " if i else "") + w
                    yield Span(f"/{t}" + (f"/{r['probs'][i]:.2f}" if probs else ""), "dim")
                yield "\n"


# -- eval tagger ---------------------------------------------------------------------------

@command("tagger")
@model_option("Tagger name (default: the active or only tagger).")
@click.option("--data", "-d", "data", multiple=True, required=True, metavar="FILE|NAME",
              help="Gold tagged data, in any format 'train tagger' reads.")
@data_options
@click.option("--threads", type=click.IntRange(1, 256), default=1, show_default=True, help="CPU threads.")
@click.option("--device", default="cpu", show_default=True, help="cpu | cuda | cuda:N | auto")
@pass_session
def eval_tagger(session, model, data, data_format, field, column, encoding, max_tokens, threads, device):
    """Token accuracy (and on words unseen in training), entity P/R/F1 per type (CoNLL), confusion.

    \b
      eval tagger --model pos --data en_ewt-ud-test.conllu
      eval tagger --model ner --data eng.testa --format json
    """
    from wordshell.render import default_format
    from wordshell.tag.predict import evaluate

    name = session.model_name(model, ("tagger",))
    tagger = session.tagger(name).to(device)
    d = tagger.meta.get("data") or {}
    if field is None and d.get("format") == "conllu":
        field = d.get("field")
    if column is None and str(d.get("field", "")).startswith("column ") and d["field"].split()[1].isdigit():
        column = int(d["field"].split()[1])
    test = _read(session, data, data_format, field, column, encoding, max_tokens)
    rep = evaluate(session, name, test, threads)
    if (session.fmt or default_format(session.stdout)) == "json":
        return Result(data={"model": name, "data": test.source, **rep})
    rows = [("sentences", rep["sentences"]), ("tokens", rep["tokens"]), ("accuracy", rep["accuracy"]),
            ("unseen words", rep["unseen_tokens"]), ("accuracy on unseen words", rep["unseen_accuracy"])]
    notes = [f"tags the model never saw in training: {', '.join(rep['unknown_tags'][:8])}"] if rep["unknown_tags"] else []
    out = []
    ent = rep.get("entities")
    if ent:
        o = ent["overall"]
        rows += [("entity precision", o["precision"]), ("entity recall", o["recall"]), ("entity F1", o["f1"])]
    out.append(Result(["metric", "value"], rows, title=f"Tagger '{name}' on {test.source}", styles={0: "bold"},
                      notes=notes))
    if ent:
        out.append(Result(["type", "precision", "recall", "F1", "gold", "predicted"],
                          [(t, v["precision"], v["recall"], v["f1"], v["support"], v["predicted"])
                           for t, v in ent["types"].items()], title="Entities by type (exact spans)", styles={0: "bold"}))
    labs = rep["labels"]
    out.append(Result(["gold \\ predicted", *labs], [(lab, *row) for lab, row in zip(labs, rep["confusion"])],
                      title="Tag confusion (rows: gold tag)", styles={0: "bold"}))
    return out
