"""`models index` (optional faiss) and `similar` through it; the exact path without it."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from wordshell.session import Session
from wordshell.store import Store
from wordshell.vectors.keyed import KeyedVectors

HAVE_FAISS = importlib.util.find_spec("faiss") is not None


def test_without_faiss_index_is_one_line_and_exact_still_works(ws, with_w2v, monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)    # as if the extra were not installed
    r = ws("models", "index", "w2v")
    assert r.code == 2 and "pip install 'wordshell[ann]'" in r.err and "Traceback" not in r.err
    r = ws("similar", "police", "-m", "w2v", "--approx")
    assert r.code == 2 and "has no index" in r.err
    r = ws("similar", "police", "-m", "w2v", "--exact", "--format", "json")
    assert r.code == 0 and len(r.json) == 10


def _shell_similar(home, *args):
    """`similar` as the shell runs it (an interactive Session, the same command tree)."""
    import io

    from wordshell.cli import execute

    out, err = io.StringIO(), io.StringIO()
    code = execute(["similar", *args], Session(home, fmt="json", interactive=True, out=out, err=err))
    return code, out.getvalue(), err.getvalue()


def test_index_answers_close_to_exact(ws, with_w2v):
    r = ws("models", "index", "w2v", "--target", "0.95")
    if not HAVE_FAISS:   # the extra is absent here: the command must say how to get it
        assert r.code == 2 and "pip install 'wordshell[ann]'" in r.err
        return
    assert r.code == 0, r
    kv = KeyedVectors.from_store(Store(ws.home), "w2v")
    from wordshell.vectors.ann import AnnIndex, approx_similar

    ann = AnnIndex.load(Store(ws.home).model_dir("w2v"))
    assert ann is not None and ann.info["recall_at_10"] >= 0.95 and ann.info["nprobe"] <= ann.info["nlist"]
    hits = []
    for w in ["police", "government", "fire", "australia", "people", "minister"]:
        exact = kv.most_similar([w], topn=10)
        approx = approx_similar(kv, ann, [w], topn=10)
        hits.append(len({x for x, _ in exact} & {x for x, _ in approx}) / 10)
        e = dict(exact)
        for word, score in approx:       # scores are exact cosines, only the candidates are approximate
            if word in e:
                assert score == pytest.approx(e[word], abs=1e-6)
    assert np.mean(hits) >= 0.9
    r = ws("similar", "police", "-m", "w2v", "--approx")
    assert r.code == 0 and "approximate" in r.err
    r = ws("similar", "police", "-m", "w2v")          # one-shot: exact, no note
    assert r.code == 0 and "approximate" not in r.err
    code, out, err = _shell_similar(ws.home, "police", "-m", "w2v")   # the shell: from the index
    assert code == 0 and "approximate" in err and len(out.splitlines()) == 10
    code, out, err = _shell_similar(ws.home, "police", "-m", "w2v", "--exact")
    assert code == 0 and "approximate" not in err


def test_stale_index_is_ignored(ws, with_w2v, tmp_path):
    if not HAVE_FAISS:
        r = ws("models", "index", "w2v")
        assert r.code == 2
        return
    assert ws("models", "index", "w2v").code == 0
    out = tmp_path / "x.bin"
    ws("models", "export", "w2v", str(out))
    assert ws("models", "import", str(out), "w2v", "--force", "--limit", "300").code == 0
    from wordshell.vectors.ann import AnnIndex

    assert AnnIndex.load(Store(ws.home).model_dir("w2v")) is None   # the new folder has none
    r = ws("similar", "police", "-m", "w2v", "--approx")
    assert r.code == 2 and "has no index" in r.err
