"""The one-shot CLI: output formats, exit codes, one-line errors."""

from __future__ import annotations



def test_help_lists_commands(ws):
    r = ws("--help")
    assert r.code == 0
    for name in ("similar", "analogy", "train", "corpus", "models", "eval", "oov"):
        assert name in r.out


def test_unknown_command_suggests(ws):
    r = ws("simlar", "king")
    assert r.code == 2
    assert "did you mean: similar" in r.err
    assert r.err.count("\n") == 1  # one line, no traceback


def test_similar_tsv_and_json(ws, with_w2v):
    r = ws("similar", "government", "--model", "w2v", "--top", "3")
    assert r.code == 0, r
    rows = r.rows
    assert [row[0] for row in rows] == ["1", "2", "3"]
    assert all(len(row) == 3 for row in rows)
    j = ws("similar", "government", "--model", "w2v", "--top", "3", "--format", "json")
    objs = j.json
    assert [o["word"] for o in objs] == [row[1] for row in rows]
    assert all(-1 <= o["similarity"] <= 1 for o in objs)


def test_unknown_word_did_you_mean(ws, with_w2v):
    r = ws("similar", "goverment", "--model", "w2v")
    assert r.code == 1
    assert "not in the vocabulary" in r.err and "government" in r.err
    assert "Traceback" not in r.err and r.err.count("\n") == 1


def test_missing_model_lists_models(ws, with_w2v):
    r = ws("similar", "king", "--model", "w2w")
    assert r.code == 1
    assert "did you mean: w2v" in r.err


def test_bad_model_name_rejected(ws):
    r = ws("similar", "king", "--model", "../etc")
    assert r.code == 2
    assert "invalid model name" in r.err


def test_active_model_with_use(ws, with_w2v):
    assert ws("use", "w2v").code == 0
    r = ws("similar", "government", "--top", "2")
    assert r.code == 0 and len(r.rows) == 2


def test_models_list_and_info_json(ws, with_w2v):
    r = ws("models", "list")
    assert r.code == 0 and r.rows[0][0] == "w2v"
    info = ws("models", "info", "w2v", "--format", "json").json[0]
    assert info["kind"] == "word2vec" and info["family"] == "vectors"
    assert info["config"]["dim"] == 100 and info["vocab_size"] > 1000
    assert info["tokenizer"] == {"lowercase": True, "punct": False, "split": "words"}
    assert len(info["history"]) == 5 and all(h["loss"] > 0 for h in info["history"])
