"""`train tagger`, `tag`, `eval tagger` end to end on toy data: a tiny tagger overfits; outputs in every
format; bad input is one line and a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SMALL = ["--hidden", "16", "--dim", "16", "--char-dim", "8", "--char-out", "8", "--batch-size", "4",
         "--valid-split", "0", "--dropout", "0", "--word-dropout", "0", "--lr", "0.02", "--patience", "0",
         "--threads", "1"]

POS = [("the cat sleeps", "DET NOUN VERB"), ("a dog runs", "DET NOUN VERB"), ("the dog sleeps", "DET NOUN VERB"),
       ("cats run", "NOUN VERB"), ("a cat runs fast", "DET NOUN VERB ADV"), ("dogs sleep", "NOUN VERB")]
NER = [("John lives in Paris", "I-PER O O I-LOC"), ("Mary Smith visited Rome", "I-PER I-PER O I-LOC"),
       ("Paris Rome", "I-LOC B-LOC"), ("he met John in Berlin", "O O I-PER O I-LOC"),
       ("Anna Berg likes Oslo", "I-PER I-PER O I-LOC")]


def write(path, pairs, sep="\t"):
    with open(path, "w") as f:
        for words, tags in pairs:
            for w, t in zip(words.split(), tags.split()):
                f.write(f"{w}{sep}{t}\n")
            f.write("\n")
    return str(path)


@pytest.fixture
def pos_model(ws, tmp_path):
    data = write(tmp_path / "pos.tsv", POS)
    r = ws("train", "tagger", "pos", "--data", data, "--epochs", "40", *SMALL)
    assert r.code == 0, r
    return data


def test_tiny_tagger_overfits_and_tags_in_every_format(ws, pos_model, tmp_path):
    ev = ws("eval", "tagger", "--model", "pos", "--data", pos_model, "--format", "json").json[0]
    assert ev["accuracy"] == 1.0 and ev["tokens"] == 17 and ev["unseen_tokens"] == 0
    # pipe: word/TAG per line, in input order, blank lines kept
    r = ws("tag", "--model", "pos", input="the cat sleeps\n\na dog runs\n")
    assert r.code == 0, r
    assert r.out == "the/DET cat/NOUN sleeps/VERB\n\na/DET dog/NOUN runs/VERB\n"
    j = ws("tag", "the dog runs", "--model", "pos", "--format", "json", "--probs").json[0]
    assert j["tokens"] == ["the", "dog", "runs"] and j["tags"] == ["DET", "NOUN", "VERB"]
    assert all(0.5 < p <= 1.0 for p in j["probs"]) and "entities" not in j
    # CoNLL columns in, the same lines with the tag added out
    r = ws("tag", "--model", "pos", "--format", "conll", "--file", pos_model)
    first = r.out.split("\n\n")[0].splitlines()
    assert first == ["the\tDET\tDET", "cat\tNOUN\tNOUN", "sleeps\tVERB\tVERB"]
    info = ws("models", "info", "pos", "--format", "json").json[0]
    assert info["family"] == "tagger" and info["kind"] == "bilstm-tagger" and info["metrics"]["valid_acc"] == 1.0


def test_tag_and_eval_on_the_cpu_do_not_import_torch(ws, pos_model):
    """The CPU forward pass runs in numpy (tag/infer.py): `import torch` alone costs 2-3 s."""
    probe = ("import sys, json\n"
             "from wordshell.cli import main\n"
             "try:\n    main(sys.argv[1:])\n"
             "except SystemExit as e:\n    sys.stderr.write('CODE=%s TORCH=%s\\n' % (e.code, 'torch' in sys.modules))\n")
    env = {**os.environ, "WORDSHELL_HOME": str(ws.home)}
    for args, stdin in ((["tag", "--model", "pos"], "the cat sleeps\na dog runs\n"),
                        (["eval", "tagger", "--model", "pos", "--data", pos_model, "--format", "json"], "")):
        p = subprocess.run([sys.executable, "-c", probe, *args], input=stdin, capture_output=True, text=True, env=env)
        assert "CODE=0 TORCH=False" in p.stderr, p.stderr
    assert p.stdout and json.loads(p.stdout.splitlines()[0])["accuracy"] == 1.0


def test_ner_tagger_answers_in_the_datas_scheme_with_offsets(ws, tmp_path):
    data = write(tmp_path / "ner.txt", NER, sep=" ")
    r = ws("train", "tagger", "ner", "--data", data, "--epochs", "60", *SMALL)
    assert r.code == 0, r
    ev = ws("eval", "tagger", "--model", "ner", "--data", data, "--format", "json").json[0]
    assert ev["entities"]["overall"]["f1"] == 1.0 and ev["accuracy"] == 1.0
    j = ws("tag", "Paris Rome", "--model", "ner", "--format", "json").json[0]
    assert j["tags"] == ["I-LOC", "B-LOC"]  # IOB1 in, IOB1 out (trained as BIOES)
    j = ws("tag", "Mary Smith visited  Rome", "--model", "ner", "--format", "json").json[0]
    assert j["entities"] == [
        {"type": "PER", "start": 0, "end": 2, "char_start": 0, "char_end": 10, "text": "Mary Smith"},
        {"type": "LOC", "start": 3, "end": 4, "char_start": 20, "char_end": 24, "text": "Rome"}]
    meta = json.loads((ws.home / "checkpoints" / "ner" / "model.json").read_text())
    assert meta["scheme"] == "iob1" and meta["config"]["crf"] is True and "S-LOC" in meta["config"]["tags"]


def test_conllu_in_conllu_out(ws, tmp_path):
    from tests.test_tag_data import CONLLU

    p = tmp_path / "t.conllu"
    p.write_text(CONLLU)
    assert ws("train", "tagger", "u", "--data", str(p), "--epochs", "30", *SMALL).code == 0
    r = ws("tag", "--model", "u", "--format", "conllu", "--file", str(p))
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "# sent_id = 1" and lines[3].startswith("2-3\tdon't\t_\t_")  # ranges untouched
    assert [l.split("\t")[3] for l in lines if l and l[0].isdigit() and "-" not in l.split("\t")[0]
            and "." not in l.split("\t")[0]] == ["PRON", "AUX", "PART", "VERB", "PUNCT", "INTJ"]


def test_bad_input_is_one_line_and_nonzero(ws, pos_model, tmp_path):
    def one_line(r, code):
        assert r.code == code, r
        assert r.err.count("\n") == 1 and "Traceback" not in r.err and "internal error" not in r.err

    (tmp_path / "ragged.txt").write_text("a DT\nb NN X\n")
    r = ws("train", "tagger", "x", "--data", str(tmp_path / "ragged.txt"))
    one_line(r, 1)
    assert "line 2 has 3 columns" in r.err
    (tmp_path / "long.txt").write_text("".join(f"w{i}\tX\n" for i in range(40)))
    r = ws("train", "tagger", "x", "--data", str(tmp_path / "long.txt"), "--max-tokens", "10")
    one_line(r, 1)
    assert "over the limit of 10" in r.err
    one_line(ws("train", "tagger", "x", "--data", pos_model, "--scheme", "bilou"), 2)
    r = ws("train", "tagger", "x", "--data", pos_model, "--scheme", "iob2")
    one_line(r, 1)
    assert "not IOB2 span tags" in r.err
    r = ws("tag", " ".join(["w"] * 600), "--model", "pos")
    one_line(r, 1)
    assert "over the model's limit" in r.err
    one_line(ws("tag", "--model", "pos", input=""), 1)
    assert not (ws.home / "checkpoints" / "x" / "model.json").exists()


def test_tagging_with_a_classifier_is_refused(ws, pos_model):
    assert ws("train", "classifier", "clf", "--data", "polarity", "--epochs", "1").code == 0
    r = ws("tag", "a good film", "--model", "clf")
    assert r.code == 2 and "not a tagger" in r.err and r.err.count("\n") == 1
    r = ws("eval", "tagger", "--model", "clf", "--data", pos_model)
    assert r.code == 2 and "not a tagger" in r.err


def test_shell_completes_tagger_options_data_and_models(ws, pos_model, with_w2v):
    from tests.test_repl import complete
    from wordshell.session import Session

    s = Session(ws.home)
    assert complete(s, "train tagger x --tags ") == ["upos", "xpos", "feats"]
    assert "bioes" in complete(s, "train tagger x --scheme ")
    assert {"ud-ewt", "ud-ewt-dev", "ud-ewt-test"} <= set(complete(s, "train tagger x --data ud-"))
    assert complete(s, "train tagger x --vectors w") == ["w2v"]
    assert complete(s, "tag --model p") == ["pos"]
    assert "conllu" in complete(s, "tag --format c")


def test_resume_continues_from_the_checkpoint(ws, tmp_path):
    data = write(tmp_path / "pos.tsv", POS)
    assert ws("train", "tagger", "r", "--data", data, "--epochs", "2", *SMALL).code == 0
    r = ws("train", "tagger", "r", "--data", data, "--epochs", "5", "--resume", *SMALL)
    assert r.code == 0, r
    meta = json.loads((ws.home / "checkpoints" / "r" / "model.json").read_text())
    assert meta["training"]["epochs"] == 5 and [h["epoch"] for h in meta["history"]] == [1, 2, 3, 4, 5]
    assert (ws.home / "checkpoints" / "r" / "vocab.txt").is_file()
    # a time budget bounds a run without --epochs
    r = ws("train", "tagger", "t", "--data", data, "--time", "2s", *SMALL)
    assert r.code == 0, r
    assert json.loads((ws.home / "checkpoints" / "t" / "model.json").read_text())["training"]["stopped"] == "time"


def test_eval_answers_in_the_gold_datas_scheme(ws, tmp_path):
    from wordshell.tag.schemes import convert

    data = write(tmp_path / "ner.txt", NER, sep=" ")
    assert ws("train", "tagger", "ner", "--data", data, "--epochs", "60", *SMALL).code == 0
    iob2 = [(w, " ".join(convert(t.split(), "iob1", "iob2"))) for w, t in NER]
    ev = ws("eval", "tagger", "--model", "ner", "--data", write(tmp_path / "iob2.txt", iob2), "--format", "json").json[0]
    assert ev["accuracy"] == 1.0 and ev["entities"]["overall"]["f1"] == 1.0


def test_vectors_train_only_the_datas_rows_and_resume(ws, with_w2v, tmp_path):
    """With --vectors the vectors' words the data lacks keep their vector exactly; --vectors-dropout and the
    split embedding survive --resume; the stored model is one table that `tag` reads."""
    import numpy as np
    from safetensors.numpy import load_file

    from wordshell.store import Store
    from wordshell.vectors.keyed import KeyedVectors

    data = write(tmp_path / "pos.tsv", POS)
    small = [o for o in SMALL]
    del small[small.index("--dim"):small.index("--dim") + 2]     # the vectors' size
    opts = ["--data", data, "--vectors", with_w2v, *small]      # --vectors-dropout: its default, 0.5
    assert ws("train", "tagger", "v", "--epochs", "2", *opts).code == 0
    r = ws("train", "tagger", "v", "--epochs", "4", "--resume", *opts)
    assert r.code == 0, r
    d = ws.home / "checkpoints" / "v"
    meta = json.loads((d / "model.json").read_text())
    assert [h["epoch"] for h in meta["history"]] == [1, 2, 3, 4] and meta["vectors_dropout"] == 0.5
    table = load_file(str(d / "weights.safetensors"))["embed.weight"]
    vocab = (d / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    n = meta["data_vocab"]
    assert table.shape[0] == len(vocab) + 2 and 0 < n < len(vocab)
    kv = KeyedVectors.from_store(Store(ws.home), with_w2v)
    first = {}
    for i, w in enumerate(kv.words):
        first.setdefault(w.lower(), i)
    for row in (n, len(vocab) - 1):                    # words only the vectors have: untouched
        assert np.allclose(table[row + 2], kv.vectors[first[vocab[row]]], atol=1e-6), vocab[row]
    trained = [r for r in range(n) if vocab[r] in first]
    assert trained and not np.allclose(table[trained[0] + 2], kv.vectors[first[vocab[trained[0]]]], atol=1e-3)
    r = ws("tag", "the cat runs", "--model", "v")
    assert r.code == 0 and len(r.out.split()) == 3, r
    assert ws("train", "tagger", "x", "--data", data, "--epochs", "1", *SMALL).code == 0   # default, no --vectors
    r = ws("train", "tagger", "x", "--data", data, "--vectors-dropout", "0.2", "--force", *SMALL)
    assert r.code != 0 and "--vectors-dropout needs --vectors" in r.err and len(r.err.strip().splitlines()) <= 2
