"""The lean one-shot `similar` (vectors/lean.py, entry.py): the same bits as KeyedVectors, the same
output as the full CLI, no numpy or click imported, and the full path wherever it cannot answer."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from wordshell.entry import parse_similar
from wordshell.store import Store
from wordshell.vectors import blas, lean
from wordshell.vectors.keyed import KeyedVectors

pytestmark = pytest.mark.skipif(blas.routines() is None, reason="numpy is not on its bundled OpenBLAS here")


def _write_vectors(path, words, vecs):
    lines = [f"{len(words)} {vecs.shape[1]}"] + [w + " " + " ".join(f"{x:.6f}" for x in v) for w, v in zip(words, vecs)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def rand_model(ws, tmp_path):
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(3000)] + ["King", "éclair", "tab\u00a0word"]
    vecs = rng.standard_normal((len(words), 40)).astype(np.float32)
    vecs[:500] += 2 * rng.standard_normal(40).astype(np.float32)   # a cluster: close neighbours
    assert ws("models", "import", str(_write_vectors(tmp_path / "r.txt", words, vecs)), "r",
              "-F", "word2vec-text").code == 0
    return "r"


def _both_splits(monkeypatch, split: bool):
    if split:
        monkeypatch.setattr(blas, "parts", lambda n, dim: [(0, n // 2), (n // 2, n)])
    else:
        monkeypatch.setattr(blas, "parts", lambda n, dim: [(0, n)])


@pytest.mark.parametrize("split", [False, True])
def test_same_bits_as_keyedvectors(ws, rand_model, with_w2v, monkeypatch, split):
    """Words, order and float32 scores equal KeyedVectors.most_similar's (scan in one part or two)."""
    _both_splits(monkeypatch, split)
    for name in (rand_model, with_w2v):
        kv = KeyedVectors.from_store(Store(ws.home), name)
        words = list(kv.words)
        for word in [words[0], words[7], words[len(words) // 2], words[-1], "éclair" if name == "r" else "police"]:
            for top in (1, 10, 100):
                want = kv.most_similar([word], topn=top)
                got = lean.similar(str(ws.home), name, word, top)
                assert got == want, (name, word, top)


def test_zero_query_or_zero_row_declines(ws, tmp_path):
    p = tmp_path / "z.txt"
    p.write_text("a 1 0 0\nb 0.9 0.1 0\nzero 0 0 0\nc -1 0 0\n")
    assert ws("models", "import", str(p), "z", "-F", "glove").code == 0
    for word in ("a", "zero"):   # the full path scores a zero row 0 and refuses a zero query
        with pytest.raises(lean.Unsupported):
            lean.similar(str(ws.home), "z", word, 3)


def test_declines_what_it_cannot_answer_alike(ws, rand_model, tmp_path):
    home = str(ws.home)
    for word, model, top in [("nosuchword", "r", 5),     # did-you-mean lives in the full path
                             ("king", "r", 5),           # only 'King' is there; the full path lower-cases
                             ("w1", "r", 101),           # beyond MAX_TOP
                             ("w1", "../r", 5), ("w1", ".r", 5), ("w1", "nosuch", 5)]:
        with pytest.raises(lean.Unsupported):
            lean.similar(home, model, word, top)
    assert lean.similar(home, "r", "King", 2)[0][0] != "King"
    # float16 vectors: numpy converts them; the lean path does not
    out = tmp_path / "x.bin"
    assert ws("models", "export", "r", str(out)).code == 0
    assert ws("models", "import", str(out), "h", "--dtype", "float16").code == 0
    with pytest.raises(lean.Unsupported):
        lean.similar(home, "h", "w1", 5)
    # a truncated matrix, a lookup file removed: the full path reports them
    d = Store(ws.home).model_dir("r")
    data = (d / "vectors.npy").read_bytes()
    (d / "vectors.npy").write_bytes(data[:-40])
    with pytest.raises(lean.Unsupported):
        lean.similar(home, "r", "w1", 5)
    (d / "vectors.npy").write_bytes(data)
    assert lean.similar(home, "r", "w1", 1)
    (d / "vocab.hash.npy").unlink()
    with pytest.raises(lean.Unsupported):
        lean.similar(home, "r", "w1", 5)


def test_not_a_vectors_model(ws, tmp_path):
    import shutil
    from pathlib import Path

    old = Path(__file__).parent / "data" / "old_models"
    shutil.copytree(old / "lm", ws.home / "checkpoints" / "lm")
    shutil.copytree(old / "w2v", ws.home / "checkpoints" / "w2v")   # written before the lookup files
    for model in ("lm", "w2v"):
        with pytest.raises(lean.Unsupported):
            lean.similar(str(ws.home), model, "the", 5)


def test_parse_similar_forms():
    assert parse_similar(["king"]) == ("king", None, 10, None)
    assert parse_similar(["-m", "g", "king", "-k", "3", "--format", "json", "--exact", "-q"]) == ("king", "g", 3, "json")
    assert parse_similar(["king", "--model=g", "--top=7", "--format=tsv"]) == ("king", "g", 7, "tsv")
    for args in (["king", "queen"], ["king", "--negative", "man"], ["king", "-n", "man"], ["king", "--restrict", "5"],
                 ["king", "--approx"], ["king", "--format", "table"], ["king", "--top", "x"], ["king", "--top"],
                 ["--", "king"], ["-king"], [], ["king", "--help"], ["king", "--top", "-3"],
                 ["king", "--top", "\u00b2"], ["king", "--top=\u0663"], ["king", "-k", "1" * 7], ["king", "-k", "+5"]):
        assert parse_similar(args) is None, args


def _run(home, *args, lean_on=True):
    env = dict(os.environ, WORDSHELL_HOME=str(home), WORDSHELL_LEAN="1" if lean_on else "0")
    return subprocess.run([sys.executable, "-m", "wordshell", *args], env=env, capture_output=True, text=True)


def test_cli_output_equals_the_full_paths(ws, rand_model):
    for args in (["similar", "w5"], ["similar", "éclair", "-k", "3", "--format", "json"],
                 ["similar", "w9", "--model", "r", "--top=100"], ["similar", "nosuchword"],
                 ["similar", "king", "-m", "r"], ["similar", "w1", "-m", "nosuch"], ["similar", "w1", "-m", "../x"]):
        full = args + ([] if "-m" in args or "--model" in args else ["--model", "r"])
        a, b = _run(ws.home, *full), _run(ws.home, *full, lean_on=False)
        assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr), args
    assert _run(ws.home, "similar", "w5", "-m", "r").stdout.count("\n") == 10
    # the active model ('use') is found too
    assert ws("use", "r").code == 0
    a, b = _run(ws.home, "similar", "w5"), _run(ws.home, "similar", "w5", lean_on=False)
    assert a.returncode == 0 and a.stdout == b.stdout


def test_lean_path_imports_neither_numpy_nor_click(ws, rand_model):
    code = ("import sys; from wordshell import entry; code = entry.lean_similar(['w5', '-m', 'r']); "
            "sys.stderr.write(f'{code} {\"numpy\" in sys.modules} {\"click\" in sys.modules}')")
    env = dict(os.environ, WORDSHELL_HOME=str(ws.home))
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert p.stderr == "0 False False" and p.stdout.count("\n") == 10
    env["WORDSHELL_LEAN"] = "0"
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert p.stderr == "None False False" and p.stdout == ""


def test_ties_come_out_alike(ws, tmp_path, monkeypatch):
    """Equal scores: both paths put the lower row first, at the cut too (argpartition alone would not)."""
    words = [f"t{i}" for i in range(40)]
    vecs = np.zeros((40, 4), dtype=np.float32)
    vecs[:, 0] = 1.0
    vecs[::3, 1] = 1.0          # three groups of equal vectors
    vecs[1::3, 2] = 1.0
    vecs[2::3, 3] = 1.0
    assert ws("models", "import", str(_write_vectors(tmp_path / "t.txt", words, vecs)), "t",
              "-F", "word2vec-text").code == 0
    kv = KeyedVectors.from_store(Store(ws.home), "t")
    for word in ("t0", "t1", "t5", "t39"):
        for top in (1, 2, 5, 13, 14, 39, 40):
            want = kv.most_similar([word], topn=top)
            assert lean.similar(str(ws.home), "t", word, top) == want
            tied = [w for w, s in want if s == want[0][1]]
            assert tied == sorted(tied, key=lambda w: int(w[1:]))   # the lower row first
        a, b = _run(ws.home, "similar", word, "-m", "t", "-k", "13"), _run(ws.home, "similar", word, "-m", "t",
                                                                          "-k", "13", lean_on=False)
        assert a.stdout == b.stdout and a.returncode == b.returncode == 0


def test_split_on_a_group_edge_is_the_same_bits(ws, rand_model, monkeypatch):
    """blas.parts cuts on a multiple of 64 rows: two calls give the bits one call gives."""
    parts = blas.parts
    m = lean.LeanModel(str(ws.home), rand_model)
    try:
        q = m.query(5)
        monkeypatch.setattr(blas, "parts", lambda n, dim: [(0, n)])
        one = list(m.scores(q))
        cut = (m.n // 2) - (m.n // 2) % 64
        monkeypatch.setattr(blas, "parts", lambda n, dim: [(0, cut), (cut, n)])
        assert list(m.scores(q)) == one
    finally:
        m.close()
    monkeypatch.setattr(blas, "idle_core", lambda: True)
    assert parts(400_003, 300) == [(0, 200_000), (200_000, 400_003)] and parts(1000, 300) == [(0, 1000)]


def test_nan_or_corrupt_files_decline(ws, rand_model):
    d = Store(ws.home).model_dir(rand_model)
    norms = bytearray((d / "norms.npy").read_bytes())
    saved = bytes(norms)
    norms[-4:] = np.array([np.nan], dtype=np.float32).tobytes()   # the last row's norm: nan
    (d / "norms.npy").write_bytes(bytes(norms))
    with pytest.raises(lean.Unsupported):
        lean.similar(str(ws.home), rand_model, "w1", 5)
    (d / "norms.npy").write_bytes(saved)
    first = lean.similar(str(ws.home), rand_model, "w1", 1)[0][0].encode()   # its best neighbour's line:
    text = (d / "vocab.txt").read_bytes()                                    # same size, not UTF-8
    (d / "vocab.txt").write_bytes(text.replace(b"\n" + first + b"\n", b"\n\xff" + first[1:] + b"\n"))
    with pytest.raises(lean.Unsupported):
        lean.similar(str(ws.home), rand_model, "w1", 100)
    a, b = _run(ws.home, "similar", "w1", "-m", rand_model, "-k", "100"), \
        _run(ws.home, "similar", "w1", "-m", rand_model, "-k", "100", lean_on=False)
    assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr)
    (d / "model.json").write_bytes(b"\xef\xbb\xbf" + (d / "model.json").read_bytes())   # a BOM: corrupt
    with pytest.raises(lean.Unsupported):
        lean.similar(str(ws.home), rand_model, "w1", 5)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_closed_pipe_and_full_disk_end_alike(ws, rand_model):
    env = dict(os.environ, WORDSHELL_HOME=str(ws.home))
    codes = []
    for lean_on in ("1", "0"):
        env["WORDSHELL_LEAN"] = lean_on
        p = subprocess.Popen([sys.executable, "-m", "wordshell", "similar", "w1", "-m", rand_model, "-k", "100"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.close()   # the reader is gone before the answer comes
        err = p.stderr.read()
        codes.append((p.wait(), err))
        with open("/dev/full", "w") as full:
            q = subprocess.run([sys.executable, "-m", "wordshell", "similar", "w1", "-m", rand_model], env=env,
                               stdout=full, stderr=subprocess.PIPE, text=True)
        codes.append((q.returncode, q.stderr))
    assert codes[0] == codes[2] and codes[1] == codes[3] and codes[0][0] == codes[1][0] == 1, codes
