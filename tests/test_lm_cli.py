"""train lm / generate / perplexity through the CLI: files written, outputs, one-line errors."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lm_fixtures import TINY, tiny_lm_home, toy_corpus  # noqa: E402


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory):
    """A 1x24 LSTM trained once per session on the toy corpus (~2 s)."""
    return tiny_lm_home(tmp_path_factory)


@pytest.fixture
def with_tiny(workspace, tiny_lm):
    shutil.copytree(tiny_lm / "checkpoints" / "tiny", workspace / "checkpoints" / "tiny")
    return "tiny"


def test_train_writes_model_files(with_tiny, ws):
    d = ws.home / "checkpoints" / "tiny"
    assert sorted(p.name for p in d.iterdir()) == ["ckpt", "model.json", "vocab.txt", "weights.safetensors"]
    meta = json.loads((d / "model.json").read_text())
    for key in ("kind", "family", "config", "train", "tokenizer", "corpus", "metrics", "history", "versions",
                "command", "seed", "created", "level", "vocab_size"):
        assert key in meta, key
    assert meta["kind"] == "lstm-lm" and meta["family"] == "lm" and meta["config"]["hidden"] == 24
    assert len(meta["history"]) == 4 and meta["history"][-1]["valid_ppl"] < meta["history"][0]["valid_ppl"]
    # the grammar has ~25 word types; a trained model is far better than uniform
    assert meta["metrics"]["best_valid_ppl"] < 8
    info = ws("models", "info", "tiny", "--format", "json").json[0]
    assert info["params"] > 1000 and info["training"]["unit"] == "tokens" and info["training"]["seconds"] > 0
    listed = ws("models", "list").rows
    assert listed[0][:2] == ["tiny", "lstm-lm"] and "valid_ppl" in listed[0][3]


def test_generate_streams_reproducibly(with_tiny, ws):
    a = ws("generate", "the cat", "--model", "tiny", "--length", "12", "--seed", "3")
    b = ws("generate", "the cat", "--model", "tiny", "--length", "12", "--seed", "3")
    c = ws("generate", "the cat", "--model", "tiny", "--length", "12", "--seed", "4")
    assert a.code == 0 and a.out == b.out and a.out != c.out
    assert a.out.startswith("the cat ") and len(a.out.split()) >= 8  # <eos> renders as a line break
    words = set(a.out.split())
    assert words <= set(Path(ws.home / "checkpoints" / "tiny" / "vocab.txt").read_text().split()) | {"the", "cat"}
    many = ws("generate", "the", "--model", "tiny", "--length", "5", "--samples", "3", "--seed", "1",
              "--format", "json").json
    assert [o["sample"] for o in many] == [1, 2, 3] and all(o["text"].startswith("the") for o in many)


def test_show_probs_table_in_pipes(with_tiny, ws):
    r = ws("generate", "my friend", "--model", "tiny", "--length", "6", "--greedy", "--show-probs")
    rows = r.rows
    assert len(rows) == 6 and [row[1] for row in rows] == ["1", "2", "3", "4", "5", "6"]
    assert all(0 < float(row[3]) <= 1 and float(row[4]) >= 0 for row in rows)
    greedy = ws("generate", "my friend", "--model", "tiny", "--length", "6", "--greedy").out.split()
    assert [row[2] for row in rows if row[2] != "<eos>"] == greedy[2:]


def test_unknown_prompt_word_warns(with_tiny, ws):
    r = ws("generate", "the zebra", "--model", "tiny", "--length", "3", "--seed", "1")
    assert r.code == 0 and "zebra" in r.err and "<unk>" in r.err


def test_perplexity_file_stdin_and_text(with_tiny, ws, tmp_path):
    f = toy_corpus(tmp_path / "held.txt", lines=20, seed=5)
    by_file = ws("perplexity", str(f), "--model", "tiny", "--format", "json").json[0]
    by_stdin = ws("perplexity", "--model", "tiny", "--format", "json", input=f.read_text()).json[0]
    assert by_file["perplexity"] == pytest.approx(by_stdin["perplexity"])
    assert by_file["tokens"] == sum(len(line.split()) + 1 for line in f.read_text().splitlines()) and 1 < by_file["perplexity"] < 10
    assert by_file["bits"] == pytest.approx(by_file["nll"] / 0.6931471805599453)
    t = ws("perplexity", "--model", "tiny", "--text", "the cat sees a zebra .")
    assert t.code == 0 and "zebra" in t.err


def test_char_level_model(ws, tmp_path):
    corpus = toy_corpus(tmp_path / "c.txt", lines=80)
    r = ws("train", "lm", "ch", "--corpus", str(corpus), "--level", "char", "--arch", "gru", "--hidden", "32",
           "--emb", "16", "--layers", "1", "--batch", "4", "--bptt", "20", "--epochs", "1")
    assert r.code == 0, r
    meta = json.loads((ws.home / "checkpoints" / "ch" / "model.json").read_text())
    assert meta["level"] == "char" and meta["tokenizer"]["split"] == "chars" and meta["vocab_size"] < 40
    g = ws("generate", "The", "--model", "ch", "--length", "40", "--seed", "1")
    assert g.code == 0 and g.out.startswith("The") and len(g.out) >= 41
    p = ws("perplexity", "--model", "ch", "--text", "the cat sees the ball .")
    assert "bits per char" in p.out


def test_ffnn_model(ws, tmp_path):
    corpus = toy_corpus(tmp_path / "f.txt")
    r = ws("train", "lm", "ff", "--corpus", str(corpus), "--arch", "ffnn", "--context", "3", *TINY, "--epochs", "2",
           "--format", "json")
    assert r.code == 0, r
    assert json.loads((ws.home / "checkpoints" / "ff" / "model.json").read_text())["config"]["context"] == 3
    assert ws("generate", "the dog", "--model", "ff", "--length", "5", "--seed", "2").code == 0


def test_still_training_model_loads_from_checkpoint(with_tiny, ws):
    d = ws.home / "checkpoints" / "tiny"
    (d / "model.json").unlink()
    (d / "weights.safetensors").unlink()
    r = ws("generate", "the", "--model", "tiny", "--length", "4", "--seed", "1")
    assert r.code == 0 and "last checkpoint" in r.err


@pytest.mark.parametrize("args, code, text", [
    (["generate", "hi", "--model", "nosuch"], 1, "no model named 'nosuch'"),
    (["perplexity", "--model", "tiny", "--text", ""], 1, "no text to score"),
    (["generate", "\udcff\udcfe", "--model", "tiny"], 1, "not valid UTF-8"),
    (["train", "lm", "tiny", "--corpus", "lee"], 2, "exists"),
    (["train", "lm", "x", "--corpus", "nosuch-corpus"], 1, "no corpus or file named"),
    (["train", "lm", "x", "--corpus", "lee", "--arch", "lstm", "--tied", "--emb", "10", "--hidden", "20"], 1,
     "--tied needs"),
    (["train", "lm", "x", "--corpus", "lee", "--time", "ten minutes"], 2, "cannot read the duration"),
    # every number is checked when the command line is read (exit 2, before torch is imported)
    (["train", "lm", "x", "--corpus", "lee", "--lr", "-5"], 2, "Invalid value for '--lr'"),
    (["train", "lm", "x", "--corpus", "lee", "--clip", "-1"], 2, "Invalid value for '--clip'"),
    (["train", "lm", "x", "--corpus", "lee", "--valid-split", "1.5"], 2, "Invalid value for '--valid-split'"),
    (["train", "lm", "x", "--corpus", "lee", "--adaptive", "5,2"], 2, "increasing positive integers"),
    (["train", "lm", "x", "--corpus", "lee", "--anneal", "0.5"], 2, "Invalid value for '--anneal'"),
    (["train", "lm", "x", "--corpus", "lee", "--weight-decay", "-1"], 2, "Invalid value for '--weight-decay'"),
])
def test_bad_input_one_line(with_tiny, ws, args, code, text):
    r = ws(*args)
    assert r.code == code, r
    assert text in r.err and r.err.count("\n") == 1 and "Traceback" not in r.err


def test_extreme_temperatures_neither_crash_nor_lie(with_tiny, ws):
    greedy = ws("generate", "the cat", "--model", "tiny", "--length", "8", "--greedy")
    tiny = ws("generate", "the cat", "--model", "tiny", "--length", "8", "--temperature", "1e-40", "--seed", "3")
    assert tiny.code == 0 and tiny.out == greedy.out, tiny  # a tiny temperature is greedy
    huge = ws("generate", "the cat", "--model", "tiny", "--length", "8", "--temperature", "1e308", "--seed", "3",
              "--show-probs", "--format", "json")
    assert huge.code == 0, huge
    assert len(huge.json) == 8 and all("<unk>" != o["token"] for o in huge.json)


def test_prompts_from_stdin_one_generation_each(with_tiny, ws):
    r = ws("generate", "--model", "tiny", "--length", "4", "--greedy", input="the cat\n\nmy friend\n")
    assert r.code == 0, r
    rows = r.rows
    assert [row[1] for row in rows] == ["the cat", "", "my friend"]
    alone = ws("generate", "my friend", "--model", "tiny", "--length", "4", "--greedy")
    assert rows[2][2] == alone.out.strip().replace("\n", " ")
    empty = ws("generate", "--model", "tiny", input="")
    assert empty.code == 1 and "no input" in empty.err


def test_empty_and_too_short_corpus(ws, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    r = ws("train", "lm", "e", "--corpus", str(empty))
    assert r.code == 1 and "empty" in r.err and r.err.count("\n") == 1
    short = tmp_path / "short.txt"
    short.write_text("one two three four five six\nseven eight nine ten\n")
    r = ws("train", "lm", "s", "--corpus", str(short), "--min-count", "1", "--bptt", "35")
    assert r.code == 1 and "too short" in r.err and "--bptt" in r.err and r.err.count("\n") == 1
    assert not (ws.home / "checkpoints" / "s" / "model.json").exists()
