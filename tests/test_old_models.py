"""Models written by an earlier wordshell (before the one-writer model.json) still load and answer the same.

tests/data/old_models/ holds tiny models of every family, written by wordshell 40fbe2e, and
answers.txt what that version answered about them (the commands are in its '# ...' lines).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

OLD = Path(__file__).parent / "data" / "old_models"


def answers() -> dict[str, str]:
    out, key = {}, None
    for line in (OLD / "answers.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            key = line[2:]
            out[key] = ""
        else:
            out[key] += line + "\n"
    return out


@pytest.fixture
def old(ws):
    for d in OLD.iterdir():
        if d.is_dir():
            shutil.copytree(d, ws.home / "checkpoints" / d.name)
    return ws


def test_old_models_list_and_upgrade(old):
    r = old("models", "list")
    assert r.code == 0, r
    assert {row[0] for row in r.rows} == {"w2v", "ft", "lm", "bag", "rnn"}
    for name, unit in (("w2v", "words"), ("ft", "words"), ("lm", "tokens"), ("bag", "examples"), ("rnn", "examples")):
        meta = old("models", "info", name, "--format", "json").json[0]
        t = meta["training"]
        assert t["unit"] == unit and t["seconds"] >= 0 and t["per_second"] > 0, (name, t)
        for stale in ("train_seconds", "seconds", "tokens_per_sec", "examples_per_sec", "params"):
            assert stale not in meta.get("metrics", {}), (name, stale)
        if name in ("lm", "bag", "rnn"):
            assert meta["params"] > 0


@pytest.mark.parametrize("key, argv", [
    ("similar government --model w2v --top 5", ["similar", "government", "--model", "w2v", "--top", "5"]),
    ("similar governmental --model ft --top 5", ["similar", "governmental", "--model", "ft", "--top", "5"]),
    ("generate the --model lm --greedy --length 8",
     ["generate", "the government", "--model", "lm", "--greedy", "--length", "8"]),
    ("classify bag", ["classify", "--model", "bag", "a charming film", "dull and silly", "--probs"]),
    ("classify rnn", ["classify", "--model", "rnn", "a charming film", "dull and silly", "--probs"]),
])
def test_old_models_answer_as_before(old, key, argv):
    r = old(*argv)
    assert r.code == 0, r
    want = [line for line in answers()[key].splitlines() if "\t" in line or key.startswith("generate")]
    got = r.out.splitlines()
    if key.startswith("similar"):  # the same neighbours, scores to float32 precision
        assert [g.split("\t")[1] for g in got] == [w.split("\t")[1] for w in want]
        assert [float(g.split("\t")[2]) for g in got] == pytest.approx([float(w.split("\t")[2]) for w in want],
                                                                        abs=1e-5)
    else:
        assert got == want


def test_old_lm_perplexity_as_before(old):
    import json

    want = json.loads(answers()["perplexity"])
    got = old("perplexity", "--model", "lm", "--text", "the government said", "--format", "json").json[0]
    assert got["tokens"] == want["tokens"] and got["perplexity"] == pytest.approx(want["perplexity"], rel=1e-6)
