"""Import/export in word2vec binary/text, GloVe and fastText formats, checked with gensim's readers."""

from __future__ import annotations

import numpy as np
import pytest

from wordshell.store import Store
from wordshell.vectors.keyed import KeyedVectors


@pytest.mark.parametrize("fmt,fname,kwargs", [
    ("word2vec", "out.bin", dict(binary=True)),
    ("word2vec-text", "out.txt", dict(binary=False)),
    ("fasttext-vec", "out.vec", dict(binary=False)),
    ("glove", "out.glove.txt", dict(binary=False, no_header=True)),
])
def test_export_is_read_back_by_gensim(ws, with_w2v, tmp_path, fmt, fname, kwargs):
    from gensim.models import KeyedVectors as GKV

    out = tmp_path / fname
    r = ws("models", "export", "w2v", str(out), "--file-format", fmt)
    assert r.code == 0, r
    kv = KeyedVectors.from_store(Store(ws.home), "w2v")
    g = GKV.load_word2vec_format(str(out), **kwargs)
    assert list(g.index_to_key) == kv.words
    assert np.allclose(g.vectors, kv.vectors, atol=1e-6)


@pytest.mark.parametrize("fmt,fname", [("word2vec", "x.bin"), ("word2vec-text", "x.txt"), ("glove", "x.glove")])
def test_import_roundtrip_autodetect(ws, with_w2v, tmp_path, fmt, fname):
    out = tmp_path / fname
    assert ws("models", "export", "w2v", str(out), "--file-format", fmt).code == 0
    r = ws("models", "import", str(out), "back")  # format detected from the file
    assert r.code == 0, r
    a = KeyedVectors.from_store(Store(ws.home), "w2v")
    b = KeyedVectors.from_store(Store(ws.home), "back")
    assert a.words == b.words and np.allclose(a.vectors, b.vectors, atol=1e-6)
    # neighbours survive the trip
    assert ws("similar", "police", "-m", "back").rows == ws("similar", "police", "-m", "w2v").rows


def test_import_glove_sample_from_gensim(ws, gensim_data):
    r = ws("models", "import", str(gensim_data / "test_glove.txt"), "glove", "--file-format", "glove")
    assert r.code == 0, r
    from gensim.models import KeyedVectors as GKV

    g = GKV.load_word2vec_format(str(gensim_data / "test_glove.txt"), no_header=True)
    kv = KeyedVectors.from_store(Store(ws.home), "glove")
    assert kv.words == list(g.index_to_key)
    w = kv.words[3]
    assert [x for x, _ in kv.most_similar([w], topn=5)] == [x for x, _ in g.most_similar(w, topn=5)]


def test_import_limit(ws, with_w2v, tmp_path):
    out = tmp_path / "x.bin"
    ws("models", "export", "w2v", str(out))
    assert ws("models", "import", str(out), "small", "--limit", "100").code == 0
    assert len(KeyedVectors.from_store(Store(ws.home), "small")) == 100


def test_import_errors(ws, tmp_path, gensim_data, with_w2v):
    r = ws("models", "import", str(tmp_path / "nope.bin"), "x")
    assert r.code != 0 and "nope.bin" in r.err
    junk = tmp_path / "junk.txt"
    junk.write_text("hello world\nthis is not a vector file\n")
    r = ws("models", "import", str(junk), "x")
    assert r.code == 1 and "cannot tell the format" in r.err
    trunc = tmp_path / "trunc.bin"
    data = (gensim_data / "lee_fasttext.bin").read_bytes()
    trunc.write_bytes(data[: len(data) // 3])
    r = ws("models", "import", str(trunc), "x")
    assert r.code == 1 and "cannot read" in r.err and "Traceback" not in r.err
    r = ws("models", "import", str(gensim_data / "pang_lee_polarity_fasttext.bin"), "x")
    assert r.code == 1 and "upervised" in r.err
    r = ws("models", "import", str(gensim_data / "test_glove.txt"), "w2v")
    assert r.code == 2 and "exists" in r.err  # never overwrites without --force


def test_models_rm(ws, with_w2v):
    assert ws("models", "rm", "w2v").code == 0
    assert ws("models", "list").out.startswith("no models")
    r = ws("models", "rm", "w2v")
    assert r.code == 1 and "no model named" in r.err
