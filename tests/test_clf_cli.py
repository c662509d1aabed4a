"""`train classifier`, `classify`, `eval classifier` end to end: toy data, pipes, formats, errors."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys

import pytest

POS = "good great superb lovely fine".split()
NEG = "bad awful poor dull ugly".split()
FILL = "the film plot cast story was really quite and very".split()


def toy_lines(n=40, seed=0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        y = "pos" if i % 2 == 0 else "neg"
        words = rng.sample(FILL, 4) + [rng.choice(POS if y == "pos" else NEG)]
        rng.shuffle(words)
        out.append(f"__label__{y} {' '.join(words)}")
    return out


def cli(home, *args, input=None):
    from click.testing import CliRunner

    from conftest import Run
    from wordshell.cli import cli as root
    from wordshell.session import Session

    r = CliRunner().invoke(root, list(args), input=input, obj=Session(home), catch_exceptions=False)
    return Run(r.exit_code, r.stdout, r.stderr)


@pytest.fixture(scope="session")
def toy_home(tmp_path_factory):
    """A workspace with `toy` (bag) and `toyrnn` (bilstm) trained once on a separable toy set."""
    home = tmp_path_factory.mktemp("clf")
    data = home / "toy.txt"
    data.write_text("\n".join(toy_lines()) + "\n", encoding="utf-8")
    r = cli(home, "-q", "train", "classifier", "toy", "--data", str(data), "--valid-split", "0", "--epochs", "30")
    assert r.code == 0, r
    r = cli(home, "-q", "train", "classifier", "toyrnn", "--data", str(data), "--arch", "bilstm", "--valid-split",
            "0", "--epochs", "20", "--hidden", "16", "--dim", "16", "--batch-size", "8", "--lr", "0.01",
            "--word-dropout", "0.1")
    assert r.code == 0, r
    return home


@pytest.fixture
def toy(ws, toy_home):
    for name in ("toy", "toyrnn"):
        shutil.copytree(toy_home / "checkpoints" / name, ws.home / "checkpoints" / name)
    shutil.copy(toy_home / "toy.txt", ws.home / "toy.txt")
    return ws


@pytest.mark.parametrize("model", ["toy", "toyrnn"])
def test_separable_toy_set_reaches_100_percent(toy, model):
    r = toy("eval", "classifier", "--model", model, "--data", str(toy.home / "toy.txt"), "--format", "json")
    assert r.code == 0, r
    rep = r.json[0]
    assert rep["accuracy"] == 1.0 and rep["macro_f1"] == 1.0
    assert rep["confusion"] == [[20, 0], [0, 20]] and rep["labels"] == ["neg", "pos"]
    meta = json.loads((toy.home / "checkpoints" / model / "model.json").read_text())
    assert meta["family"] == "classifier" and meta["labels"] == ["neg", "pos"] and meta["history"]
    assert meta.get("word_dropout") == (0.1 if model == "toyrnn" else None)


def test_unseen_sentences(toy):
    r = toy("classify", "--model", "toy", "a superb story", "an awful cast", "lovely and fine")
    assert [row[0] for row in r.rows] == ["pos", "neg", "pos"]
    assert [row[2] for row in r.rows] == ["a superb story", "an awful cast", "lovely and fine"]
    assert all(0.5 < float(row[1]) <= 1 for row in r.rows)


@pytest.mark.parametrize("model", ["toy", "toyrnn"])
def test_stdin_keeps_order_and_count_with_empty_lines(toy, model):
    lines = ["good film", "", "bad plot", "   ", "ugly\tcast", "", "lovely"] * 300  # several batches
    r = toy("classify", "--model", model, "--batch-size", "64", input="\r\n".join(lines) + "\r\n")
    assert r.code == 0, r
    out = r.out.split("\n")[:-1]
    assert len(out) == len(lines)
    one_by_one = {t: toy("classify", "--model", model, t).rows[0][:2] for t in set(lines) if t.strip()}
    for line, text in zip(out, lines):
        label, prob, echoed = line.split("\t")
        assert echoed == text.replace("\t", " ")
        if text.strip():
            assert [label, prob] == one_by_one[text]
        else:
            assert label == "" and prob == ""
    if model == "toy":
        assert one_by_one["lovely"][0] == "pos" and one_by_one["ugly\tcast"][0] == "neg"


def test_rnn_classify_leaves_the_thread_count_as_it_was(toy):
    """A shell's classify must not change the threads of its next training (they are set per call)."""
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        for threads in ("1", "2", "1"):
            r = toy("classify", "--model", "toyrnn", "--threads", threads, "good film")
            assert r.code == 0, r
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_top_k_probs_and_json(toy):
    r = toy("classify", "--model", "toy", "--probs", "--top-k", "2", "great", "--format", "json")
    (obj,) = r.json
    assert list(obj) == ["label", "prob", "label_2", "prob_2", "p_neg", "p_pos", "text"]
    assert obj["label"] == "pos" and obj["label_2"] == "neg"
    assert obj["prob"] + obj["prob_2"] == pytest.approx(1, abs=1e-5)
    assert obj["p_pos"] == obj["prob"]
    r = toy("classify", "--model", "toy", "--file", str(toy.home / "toy.txt"))
    assert len(r.rows) == 40


def test_eval_table(toy):
    r = toy("eval", "classifier", "--model", "toy", "--data", str(toy.home / "toy.txt"), "--format", "table")
    assert r.code == 0
    assert "accuracy" in r.out and "Confusion matrix" in r.out and "macro-F1" in r.out


def test_bag_classify_does_not_import_torch(toy):
    code = ("import sys, atexit\n"
            "atexit.register(lambda: sys.stderr.write('TORCH=%s\\n' % ('torch' in sys.modules)))\n"
            "from wordshell.cli import main\n"
            "main(['classify', '--model', 'toy', 'a lovely film'])\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "WORDSHELL_HOME": str(toy.home)})
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("pos\t")
    assert "TORCH=False" in p.stderr


def error_line(r):
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert r.code != 0 and len(lines) == 1 and lines[0].startswith("error: "), r
    return lines[0]


def test_bad_training_data(ws, tmp_path):
    prose = tmp_path / "prose.txt"
    prose.write_text("".join(f"{w} went home at {i}\n" for i, w in enumerate("Ann Bob Cy Di Ed Flo Gil Hu Io".split())))
    assert "cannot tell" in error_line(ws("train", "classifier", "m", "--data", str(prose)))
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    assert "no text" in error_line(ws("train", "classifier", "m", "--data", str(empty)))
    one = tmp_path / "one.txt"
    one.write_text("__label__pos nice\n__label__pos fine\n")
    assert "only one class" in error_line(ws("train", "classifier", "m", "--data", str(one)))
    binary = tmp_path / "model.bin"
    binary.write_bytes(bytes(range(256)) * 50)
    assert "binary" in error_line(ws("train", "classifier", "m", "--data", str(binary)))
    assert not (ws.home / "checkpoints" / "m" / "model.json").exists()


def test_word_dropout_is_for_rnns(ws, tmp_path):
    data = tmp_path / "d.txt"
    data.write_text("__label__a good\n__label__b bad\n")
    r = ws("train", "classifier", "b", "--data", str(data), "--word-dropout", "0.2")
    assert r.code != 0 and "--word-dropout is for the RNN" in error_line(r)
    assert not (ws.home / "checkpoints" / "b").exists()


def test_bad_classify_use(toy):
    assert "no model named" in error_line(toy("classify", "--model", "nope", "hi"))
    (toy.home / "bad.txt").write_bytes(b"ok\n\xff\xfe broken\n")
    assert "--encoding" in error_line(toy("classify", "--model", "toy", "--file", str(toy.home / "bad.txt")))
    assert "not both" in error_line(toy("classify", "--model", "toy", "--file", "x", "text"))
    # no lines at all is an error; one blank line is one (blank) output line
    empty = toy("classify", "--model", "toy", input="")
    assert empty.code != 0 and "no input" in error_line(empty)
    (toy.home / "empty.txt").write_text("")
    assert "no input" in error_line(toy("classify", "--model", "toy", "--file", str(toy.home / "empty.txt")))
    blank = toy("classify", "--model", "toy", input="\n")
    assert blank.code == 0 and blank.out == "\t\t\n"


def test_vectors_initialise_embeddings_frozen(ws, with_w2v, tmp_path):
    """--vectors + --freeze: each vocabulary word's row is the word2vec vector; FastText fills unseen words."""
    import numpy as np
    from safetensors.numpy import load_file

    from wordshell.store import Store
    from wordshell.vectors.keyed import KeyedVectors

    data = tmp_path / "d.txt"
    data.write_text("__label__a the government said\n__label__b police and fire\n__label__a zzqx government\n"
                    "__label__b fire police zzqx\n")
    r = ws("-q", "train", "classifier", "v", "--data", str(data), "--arch", "rnn", "--vectors", "w2v", "--freeze",
           "--valid-split", "0", "--epochs", "2")
    assert r.code == 0, r
    kv = KeyedVectors.from_store(Store(ws.home), "w2v")
    d = ws.home / "checkpoints" / "v"
    words = (d / "vocab.txt").read_text().split()
    E = load_file(str(d / "weights.safetensors"))["embed.weight"]
    meta = json.loads((d / "model.json").read_text())
    assert meta["vectors"]["frozen"] is True and meta["config"]["emb_dim"] == kv.dim
    for i, w in enumerate(words):
        if w in kv.index:
            np.testing.assert_array_equal(E[i + 2], kv.vectors[kv.index[w]])
    assert "zzqx" in words and meta["vectors"]["missing"] >= 1


def test_vectors_vocab_keeps_pretrained_words_the_data_lacks(ws, with_w2v, tmp_path):
    """--vectors adds the vectors' words to the vocabulary (rows = their vectors), so a word the labelled
    data never had is not 'unknown' at classify time; --data-vocab keeps the data's words only."""
    import numpy as np
    from safetensors.numpy import load_file

    from wordshell.store import Store
    from wordshell.vectors.keyed import KeyedVectors

    kv = KeyedVectors.from_store(Store(ws.home), "w2v")
    data = tmp_path / "d.txt"
    data.write_text("__label__a the government said\n__label__b police and fire\n")
    assert "minister" in kv.index and "minister" not in data.read_text()
    common = ("--data", str(data), "--arch", "rnn", "--vectors", "w2v", "--freeze", "--valid-split", "0",
              "--epochs", "1", "--format", "json")
    r = ws("train", "classifier", "big", *common)
    assert r.code == 0, r
    d = ws.home / "checkpoints" / "big"
    words = (d / "vocab.txt").read_text().split("\n")[:-1]
    # the data's words first (their ids do not move), then every other vector word, each exactly once
    data_words = ["and", "fire", "government", "police", "said", "the"]  # all seen once: alphabetical
    assert words[:6] == data_words
    assert words[6:] == [w for w in kv.words if w not in data_words]
    E = load_file(str(d / "weights.safetensors"))["embed.weight"]
    i = words.index("minister")
    np.testing.assert_array_equal(E[i + 2], kv.vectors[kv.index["minister"]])
    meta = json.loads((d / "model.json").read_text())
    assert meta["vectors"]["added_words"] == len(words) - 6
    r = ws("train", "classifier", "small", *common, "--data-vocab")
    assert r.code == 0, r
    small = (ws.home / "checkpoints" / "small" / "vocab.txt").read_text().split()
    assert small == data_words
    # bag keeps the data's dictionary, as fastText does with pretrained vectors
    r = ws("train", "classifier", "bag", *[c if c != "rnn" else "bag" for c in common])
    assert r.code == 0, r
    assert (ws.home / "checkpoints" / "bag" / "vocab.txt").read_text().split() == data_words
    # at classify time the unseen-in-data word changes the prediction input only in the big model
    from wordshell.classify.predict import load_predictor

    big_p, small_p = load_predictor(Store(ws.home), "big"), load_predictor(Store(ws.home), "small")
    assert not np.allclose(big_p.proba(["minister"]), big_p.proba(["zzzqqq"]))
    np.testing.assert_allclose(small_p.proba(["minister"]), small_p.proba(["zzzqqq"]))


def test_fasttext_vectors_fill_unseen_words(ws, tmp_path):
    import numpy as np
    from safetensors.numpy import load_file

    from wordshell.store import Store
    from wordshell.vectors.keyed import KeyedVectors

    r = ws("-q", "train", "fasttext", "ft", "--corpus", "lee", "--epochs", "1", "--dim", "16", "--bucket", "2000",
           "--min-count", "2", "--workers", "1")
    assert r.code == 0, r
    data = tmp_path / "d.txt"
    data.write_text("__label__a the government\n__label__b unheardofword fire\n")
    r = ws("-q", "train", "classifier", "v", "--data", str(data), "--arch", "rnn", "--vectors", "ft", "--freeze",
           "--valid-split", "0", "--epochs", "1")
    assert r.code == 0, r
    kv = KeyedVectors.from_store(Store(ws.home), "ft")
    d = ws.home / "checkpoints" / "v"
    words = (d / "vocab.txt").read_text().split()
    E = load_file(str(d / "weights.safetensors"))["embed.weight"]
    assert "unheardofword" not in kv.index
    i = words.index("unheardofword")
    np.testing.assert_allclose(E[i + 2], kv.get("unheardofword"), rtol=1e-6)
    assert json.loads((d / "model.json").read_text())["vectors"]["from_ngrams"] >= 1


def test_plain_text_is_not_taken_for_labelled_data(ws, tmp_path, gensim_data):
    r = ws("train", "classifier", "x", "--data", str(gensim_data / "lee_background.cor"), "--data-format",
           "label-text")
    assert r.code == 1 and "does not look labelled" in r.err and "different labels for 300 lines" in r.err
    few = tmp_path / "few.txt"
    few.write_text("the cat sat\nthe dog ran\na bird flew\nthe cow ate\na fox hid\n")
    r = ws("train", "classifier", "x", "--data", str(few))
    assert r.code == 1 and "ordinary words" in r.err and r.err.count("\n") == 1
    assert not (ws.home / "checkpoints" / "x" / "model.json").exists()


def test_no_validation_data_is_named_train_accuracy_everywhere(toy):
    meta = json.loads((toy.home / "checkpoints" / "toy" / "model.json").read_text())  # --valid-split 0
    assert "train_acc" in meta["metrics"] and "valid_acc" not in meta["metrics"]
    assert all("valid_acc" not in row and "train_acc" in row for row in meta["history"])
    listed = [row for row in toy("models", "list").rows if row[0] == "toy"][0]
    assert "train_acc 1" in listed[3] and "valid_acc" not in listed[3]


def test_named_corpus_is_listed_by_its_name(ws):
    r = ws("train", "classifier", "pol", "--data", "polarity", "--epochs", "1")
    assert r.code == 0, r
    row = [row for row in ws("models", "list").rows if row[0] == "pol"][0]
    assert row[2] == "polarity"


def test_a_huge_line_is_one_line_out(toy, tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "w") as f:
        f.write("a superb story\n" + "awful " * 200_000 + "\nlovely and fine\n")  # a 1.2 MB line between two short
    r = toy("classify", "--model", "toy", "--file", str(big))
    assert r.code == 0, r
    rows = r.rows
    assert len(rows) == 3 and [row[0] for row in rows] == ["pos", "neg", "pos"]
    assert "line 2 is longer than" in r.err
