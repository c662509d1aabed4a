"""`plot words | analogy | training`: coordinates against a numpy PCA, real image files,
unknown words, training curves from real and LM-shaped histories, t-SNE determinism."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

WORDS = ["government", "minister", "president", "police", "sydney", "australia", "man", "woman"]


def stored_vectors(home, words, unit=True):
    d = home / "checkpoints" / "w2v"
    vocab = (d / "vocab.txt").read_text(encoding="utf-8").split("\n")
    V = np.load(d / "vectors.npy").astype(np.float64)
    X = np.stack([V[vocab.index(w)] for w in words])
    return X / np.linalg.norm(X, axis=1, keepdims=True) if unit else X


def pca_by_eigh(X):
    """An independent PCA: eigenvectors of the covariance matrix (not an SVD of the data)."""
    Xc = X - X.mean(axis=0)
    vals, vecs = np.linalg.eigh(Xc.T @ Xc)
    top = vecs[:, np.argsort(vals)[::-1][:2]]        # (D, 2)
    return Xc @ top


def assert_same_up_to_sign(got, want):
    for j in range(2):
        col = got[:, j]
        ok = np.allclose(col, want[:, j], atol=1e-5) or np.allclose(col, -want[:, j], atol=1e-5)
        assert ok, (j, col, want[:, j])


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# -- word maps ------------------------------------------------------------------------

def test_words_json_is_numpy_pca(ws, with_w2v):
    r = ws("plot", "words", *WORDS, "--model", "w2v", "--format", "json")
    assert r.code == 0, r
    rows = r.json
    assert [o["word"] for o in rows] == WORDS and all(o["group"] == "" for o in rows)
    got = np.array([[o["x"], o["y"]] for o in rows])
    assert_same_up_to_sign(got, pca_by_eigh(stored_vectors(ws.home, WORDS)))
    # the sign convention: in each column the largest |value| is positive
    assert all(got[np.argmax(np.abs(got[:, j])), j] > 0 for j in range(2))


def test_words_raw_vectors_and_tsv_in_a_pipe(ws, with_w2v):
    r = ws("plot", "words", *WORDS[:5], "--raw", "--model", "w2v")
    assert r.code == 0, r
    rows = r.rows                                   # not a terminal: TSV numbers, no drawing
    assert [row[0] for row in rows] == WORDS[:5] and all(len(row) == 4 for row in rows)
    got = np.array([[float(row[1]), float(row[2])] for row in rows])
    want = pca_by_eigh(stored_vectors(ws.home, WORDS[:5], unit=False))
    for j in range(2):                              # TSV keeps 6 significant digits
        assert np.allclose(np.abs(got[:, j]), np.abs(want[:, j]), rtol=1e-4, atol=1e-5)


def test_groups_pairs_and_terminal_drawing(ws, with_w2v):
    args = ("plot", "words", "--group", "people: man woman", "--group", "places: sydney australia",
            "australia:sydney", "--pairs", "man:woman", "--model", "w2v")
    rows = ws(*args, "--format", "json").json
    assert {o["word"]: o["group"] for o in rows} == {
        "man": "people", "woman": "people", "sydney": "places", "australia": "places"}
    r = ws(*args, "--draw", "--size", "90x24")
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert all(w in r.out for w in ("man", "woman", "sydney", "australia"))
    assert "● people  ● places" in lines[-1]                      # the legend line
    assert any("┌" in line for line in lines) and any(ch in r.out for ch in "→↗↑↖←↙↓↘")
    assert "\x1b[" not in r.out                                    # no colour codes into a pipe
    assert max(len(line) for line in lines) <= 90


def test_neighbours_are_most_similar(ws, with_w2v):
    r = ws("plot", "words", "--neighbours", "government", "--top", "6", "--model", "w2v", "--format", "json")
    assert r.code == 0, r
    rows = r.json
    near = [row[1] for row in ws("similar", "government", "--top", "6", "--model", "w2v").rows]
    assert [o["word"] for o in rows] == ["government", *near]
    assert {o["group"] for o in rows} == {"near government"}


def test_png_of_requested_size(ws, with_w2v, tmp_path):
    out = tmp_path / "pics" / "map.png"
    out.parent.mkdir()  # the folder must exist, as for cp (a missing one is refused: see below)
    r = ws("plot", "words", *WORDS, "--pairs", "man:woman", "--model", "w2v", "--out", str(out),
           "--size", "640x480")
    assert r.code == 0, r
    assert r.out.strip() == str(out)                               # the path, for pipes
    assert png_size(out) == (640, 480)
    assert [p.name for p in out.parent.iterdir()] == ["map.png"]    # no temp file left behind
    r = ws("plot", "words", *WORDS[:3], "--model", "w2v", "--out", str(out), "--width", "300", "--height", "200")
    assert r.code == 0 and png_size(out) == (300, 200)


def test_svg_is_xml(ws, with_w2v, tmp_path):
    out = tmp_path / "map.svg"
    r = ws("plot", "words", *WORDS, "--model", "w2v", "--out", str(out))
    assert r.code == 0, r
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    assert "government" in out.read_text(encoding="utf-8") or root.find(".//{*}text") is not None


def test_json_with_out_writes_and_prints_coordinates(ws, with_w2v, tmp_path):
    out = tmp_path / "m.png"
    r = ws("plot", "words", *WORDS[:4], "--model", "w2v", "--out", str(out), "--format", "json")
    assert r.code == 0 and out.exists()
    assert [o["word"] for o in r.json] == WORDS[:4]
    assert f"wrote {out}" in r.err


def test_unknown_words_named_with_did_you_mean(ws, with_w2v):
    r = ws("plot", "words", "government", "goverment", "polise", "sydney", "--model", "w2v")
    assert r.code == 1
    assert "'goverment' is not in the vocabulary" in r.err and "did you mean: government" in r.err
    assert "also unknown: polise" in r.err and "--skip-unknown" in r.err
    assert r.err.count("\n") == 1 and "Traceback" not in r.err


def test_skip_unknown_plots_the_others(ws, with_w2v):
    r = ws("plot", "words", "government", "goverment", "minister", "sydney", "--skip-unknown",
           "--model", "w2v", "--format", "json")
    assert r.code == 0, r
    assert [o["word"] for o in r.json] == ["government", "minister", "sydney"]
    assert "left out" in r.err and "goverment (did you mean: government" in r.err
    got = np.array([[o["x"], o["y"]] for o in r.json])
    assert_same_up_to_sign(got, pca_by_eigh(stored_vectors(ws.home, ["government", "minister", "sydney"])))


def test_bad_arguments(ws, with_w2v, tmp_path):
    assert ws("plot", "words", "--model", "w2v").code == 2
    assert ws("plot", "words", "king", "--model", "w2v").code == 2               # one word: nothing to project
    r = ws("plot", "words", "king", "man", "--model", "w2v", "--out", str(tmp_path / "x.jpg"))
    assert r.code == 2 and ".png, .svg or .pdf" in r.err
    assert ws("plot", "words", "king", "man", "--model", "w2v", "--size", "big").code == 2
    assert ws("plot", "words", "a:b:c", "--model", "w2v").code == 2
    assert ws("plot", "analogy", "king + man", "--model", "w2v").code == 2


def test_tsne_is_deterministic_for_a_seed(ws, with_w2v):
    args = ("plot", "words", *WORDS, "--method", "tsne", "--model", "w2v", "--format", "json")
    a = ws(*args, "--seed", "3").json
    b = ws(*args, "--seed", "3").json
    assert a == b and len(a) == len(WORDS)
    xy = np.array([[o["x"], o["y"]] for o in a])
    assert np.all(np.isfinite(xy)) and xy.std(axis=0).min() > 0


# -- analogy ------------------------------------------------------------------------------

def test_analogy_points_and_parallel_offset(ws, with_w2v):
    r = ws("plot", "analogy", "king - man + woman", "--model", "w2v", "--format", "json")
    assert r.code == 0, r
    rows = {o["word"]: o for o in r.json}
    answer = ws("analogy", "king - man + woman", "--model", "w2v", "--top", "1").rows[0][1]
    assert [o["group"] for o in r.json] == ["input", "input", "input", "answer", "arithmetic"]
    assert r.json[3]["word"] == answer
    p = {w: np.array([rows[w]["x"], rows[w]["y"]]) for w in rows}
    # PCA is linear: the point b - a + c projects to b - a + c, so woman -> target is parallel to man -> king
    assert np.allclose(p["king - man + woman"] - p["woman"], p["king"] - p["man"], atol=1e-9)
    # same words, colon form
    r2 = ws("plot", "analogy", "man:king::woman:?", "--model", "w2v", "--format", "json")
    assert [o["word"] for o in r2.json] == [o["word"] for o in r.json]


def test_analogy_png(ws, with_w2v, tmp_path):
    out = tmp_path / "a.png"
    r = ws("plot", "analogy", "king - man + woman", "--top", "3", "--model", "w2v", "--out", str(out))
    assert r.code == 0, r
    assert png_size(out) == (1000, 750)
    assert "3CosAdd answer" in r.err


# -- training curves -------------------------------------------------------------------------

def test_training_curve_from_real_word2vec_history(ws, with_w2v, tmp_path):
    meta = json.loads((ws.home / "checkpoints" / "w2v" / "model.json").read_text())
    r = ws("plot", "training", "w2v", "--format", "json")
    assert r.code == 0, r
    assert [(o["model"], o["curve"], o["x"], o["y"]) for o in r.json] == [
        ("w2v", "train", float(h["epoch"]), h["loss"]) for h in meta["history"]]
    assert len(r.json) == 5
    t = ws("plot", "training", "w2v", "--metric", "speed", "--x", "time", "--format", "json").json
    assert [o["y"] for o in t] == [float(h["words_per_sec"]) for h in meta["history"]]
    assert t[-1]["x"] == pytest.approx(sum(h["seconds"] for h in meta["history"]))
    out = tmp_path / "loss.png"
    assert ws("plot", "training", "w2v", "--out", str(out), "--size", "500x300").code == 0
    assert png_size(out) == (500, 300)
    d = ws("plot", "training", "w2v", "--draw", "--size", "70x16")
    assert d.code == 0 and "loss by epoch: w2v" in d.out and "── train" in d.out


def lm_history(n=6, scale=1.0):
    return [{"step": 100 * i, "epoch": i / 3, "train_loss": scale * 6 / i + 4, "valid_loss": scale * 6 / i + 4.2,
             "valid_ppl": math.exp(scale * 6 / i + 4.2), "valid_acc": 0.1 * i, "lr": 0.1 / i, "elapsed": 2.0 * i}
            for i in range(1, n + 1)]


def write_model(home, name, meta=None, state=None):
    d = home / "checkpoints" / name
    (d / "ckpt").mkdir(parents=True, exist_ok=True)
    if meta is not None:
        (d / "model.json").write_text(json.dumps(meta))
    if state is not None:
        (d / "job.json").write_text("{}")
        (d / "ckpt" / "state.json").write_text(json.dumps(state))


def test_training_reads_lm_and_classifier_keys(ws, tmp_path):
    write_model(ws.home, "lstm", {"kind": "lstm-lm", "family": "lm", "history": lm_history()})
    write_model(ws.home, "gru", state={"history": lm_history(3, 1.2)})            # still training
    r = ws("plot", "training", "lstm", "gru", "--format", "json")
    assert r.code == 0, r
    curves = {(o["model"], o["curve"]) for o in r.json}
    assert curves == {("lstm", "train"), ("lstm", "valid"), ("gru", "train"), ("gru", "valid")}
    assert [o["x"] for o in r.json if o["model"] == "lstm" and o["curve"] == "valid"] == [100, 200, 300, 400, 500, 600]
    assert "'gru': 3 rows from ckpt/state.json (still training)" in r.err
    ppl = ws("plot", "training", "lstm", "--metric", "ppl", "--format", "json").json
    train = [o["y"] for o in ppl if o["curve"] == "train"]
    assert train == pytest.approx([math.exp(h["train_loss"]) for h in lm_history()])
    assert [o["y"] for o in ppl if o["curve"] == "valid"] == [h["valid_ppl"] for h in lm_history()]
    acc = ws("plot", "training", "lstm", "--metric", "acc", "--x", "time", "--format", "json").json
    assert [(o["x"], o["y"]) for o in acc] == [(h["elapsed"], h["valid_acc"]) for h in lm_history()]
    lr = ws("plot", "training", "lstm", "--metric", "lr", "--x", "epoch", "--format", "json").json
    assert [o["x"] for o in lr] == [h["epoch"] for h in lm_history()]
    out = tmp_path / "ppl.svg"
    assert ws("plot", "training", "lstm", "gru", "--metric", "ppl", "--logy", "--out", str(out)).code == 0
    assert ET.parse(out).getroot().tag.endswith("svg")
    d = ws("plot", "training", "lstm", "gru", "--draw", "--size", "90x20")
    assert "•• lstm valid" in d.out and "gru train (training)" in d.out


def test_training_errors(ws, with_w2v):
    write_model(ws.home, "imported", {"kind": "word2vec", "family": "vectors"})
    r = ws("plot", "training", "imported")
    assert r.code == 1 and "has no training history" in r.err
    r = ws("plot", "training", "w2v", "--metric", "acc")
    assert r.code == 1 and "no 'acc'" in r.err and "it has: epoch" in r.err
    r = ws("plot", "training", "w2x")
    assert r.code == 1 and "did you mean: w2v" in r.err
    write_model(ws.home, "starting", state=None)
    (ws.home / "checkpoints" / "starting" / "job.json").write_text("{}")
    r = ws("plot", "training", "starting")
    assert r.code == 1 and "still training" in r.err


def test_plot_modules_import_no_heavy_libraries():
    code = ("import sys, wordshell.commands.plot, wordshell.plots.wordmap, wordshell.plots.history, "
            "wordshell.plots.image, wordshell.plots.terminal; "
            "print(sorted(m for m in ('matplotlib', 'plotext', 'sklearn', 'torch', 'gensim') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_tsne_without_scikit_learn_is_one_line(ws, with_w2v, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)             # import sklearn -> ImportError
    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)
    r = ws("plot", "words", *WORDS, "--method", "tsne", "--model", "w2v")
    assert r.code == 1 and r.err.count("\n") == 1
    assert "pip install 'wordshell[tsne]'" in r.err


def test_out_into_a_missing_folder_is_refused_not_created(ws, with_w2v, tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "x.png"
    r = ws("plot", "words", "king", "queen", "man", "--model", "w2v", "--out", str(target))
    assert r.code == 1 and "no such directory" in r.err and r.err.count("\n") == 1
    assert not (tmp_path / "no").exists()
