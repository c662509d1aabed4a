"""The streaming importer: its rules (duplicates, nan/inf, bad lines, errors about the user's file),
its results against gensim's readers, compressed input, float16, and the stored lookup."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from wordshell.store import Store
from wordshell.vectors.keyed import KeyedVectors


def _kv(ws, name):
    return KeyedVectors.from_store(Store(ws.home), name)


def test_duplicate_word_keeps_first_and_says_so(ws, tmp_path):
    p = tmp_path / "d.txt"
    p.write_text("the 0.1 0.2 0.3\nthe 0.3 0.2 0.1\nand 0.3 0.4 0.5\n")
    r = ws("models", "import", str(p), "d", "-F", "glove")
    assert r.code == 0, r
    assert "dropped 1 repeated word" in r.err and "'the'" in r.err
    kv = _kv(ws, "d")
    assert list(kv.words) == ["the", "and"]
    np.testing.assert_allclose(kv.get("the"), [0.1, 0.2, 0.3], rtol=1e-6)   # the first, as gensim keeps


def test_nonfinite_refused_with_line_or_skipped(ws, tmp_path):
    p = tmp_path / "n.txt"
    p.write_text("the 0.1 0.2 0.3\nbad 0.3 nan 0.1\nworse inf 0 0\nand 0.3 0.4 0.5\n")
    r = ws("models", "import", str(p), "n", "-F", "glove")
    assert r.code == 1 and "line 2" in r.err and "nan or inf" in r.err and "Traceback" not in r.err
    assert not Store(ws.home).has_model("n")
    r = ws("models", "import", str(p), "n", "-F", "glove", "--skip-bad")
    assert r.code == 0 and "skipped 2 vectors with nan/inf" in r.err
    assert list(_kv(ws, "n").words) == ["the", "and"]


def test_malformed_line_named(ws, tmp_path):
    p = tmp_path / "m.txt"
    p.write_text("3 3\nthe 0.1 0.2 0.3\nshort 0.1 0.2\nand 0.3 x 0.5\n")
    r = ws("models", "import", str(p), "m", "-F", "word2vec-text")
    assert r.code == 1 and "line 3" in r.err and "found 2 numbers" in r.err
    r = ws("models", "import", str(p), "m", "-F", "word2vec-text", "--skip-bad")
    assert r.code == 0 and "skipped 2 malformed lines" in r.err
    assert list(_kv(ws, "m").words) == ["the"]


@pytest.mark.parametrize("content,fmt,needle", [
    (b"", "glove", "e.txt: the file is empty"),
    (b"hello 0.1 0.2\n", "fasttext", "is a text file, not a fastText .bin model"),
    (b"2 3\nthe 0.1 0.2 0.3\n", "glove", "word2vec text, not GloVe"),
    (b"\x00\x01\x02\x03garbage-bytes-not-a-model" * 4, "fasttext", "not a fastText .bin model"),
    (b"-5 3\nthe 0.1 0.2 0.3\n", "word2vec-text", "should be 'count dimension'"),
])
def test_import_errors_speak_of_the_file(ws, tmp_path, content, fmt, needle):
    p = tmp_path / "e.txt"
    p.write_bytes(content)
    r = ws("models", "import", str(p), "e", "-F", fmt)
    assert r.code == 1, r
    assert needle in r.err and "Traceback" not in r.err and "NoneType" not in r.err


def test_words_with_bad_utf8_are_replaced_and_counted(ws, tmp_path):
    p = tmp_path / "u.txt"
    p.write_bytes(b"ok 0.1 0.2\n\xff\xfeword 0.3 0.4\n")
    r = ws("models", "import", str(p), "u", "-F", "glove")
    assert r.code == 0 and "not valid UTF-8" in r.err
    assert list(_kv(ws, "u").words) == ["ok", "\ufffd\ufffdword"]


@pytest.mark.parametrize("fmt,kwargs,suffix", [("word2vec", dict(binary=True), ".bin"),
                                               ("word2vec-text", dict(binary=False), ".txt"),
                                               ("glove", dict(binary=False, no_header=True), ".glove")])
@pytest.mark.parametrize("gz", [False, True])
def test_streamed_import_equals_gensim_reader(ws, with_w2v, tmp_path, fmt, kwargs, suffix, gz):
    from gensim.models import KeyedVectors as GKV

    out = tmp_path / f"x{suffix}"
    assert ws("models", "export", "w2v", str(out), "-F", fmt).code == 0
    if gz:
        gzp = out.with_name(out.name + ".gz")
        gzp.write_bytes(gzip.compress(out.read_bytes()))
        out = gzp
    r = ws("models", "import", str(out), "back", "-F", fmt)
    assert r.code == 0, r
    g = GKV.load_word2vec_format(str(out), **kwargs)
    kv = _kv(ws, "back")
    assert list(kv.words) == list(g.index_to_key)
    np.testing.assert_array_equal(np.asarray(kv.vectors), g.vectors)
    np.testing.assert_allclose(np.asarray(kv.norms), np.linalg.norm(g.vectors, axis=1), rtol=1e-6)


def test_text_blocks_in_worker_processes_equal_in_process(ws, with_w2v, tmp_path):
    from wordshell.vectors import readers

    out = tmp_path / "x.txt"
    ws("models", "export", "w2v", str(out), "-F", "word2vec-text")
    old = readers.BLOCK
    readers.BLOCK = 4096          # many small blocks, so the pool really splits the file
    try:
        from wordshell.vectors.formats import import_vectors

        store = Store(ws.home)
        import_vectors(store, str(out), "one", "word2vec-text", workers=0)
        import_vectors(store, str(out), "two", "word2vec-text", workers=2)
    finally:
        readers.BLOCK = old
    a, b = _kv(ws, "one"), _kv(ws, "two")
    assert list(a.words) == list(b.words) and len(a) > 1000
    np.testing.assert_array_equal(np.asarray(a.vectors), np.asarray(b.vectors))


def test_float16_storage(ws, with_w2v, tmp_path):
    out = tmp_path / "x.bin"
    ws("models", "export", "w2v", str(out))
    r = ws("models", "import", str(out), "h", "--dtype", "float16")
    assert r.code == 0 and "float16" in r.out
    h, f = _kv(ws, "h"), _kv(ws, "w2v")
    assert h.vectors.dtype == np.float16
    assert (Store(ws.home).model_dir("h") / "vectors.npy").stat().st_size < \
        0.6 * (Store(ws.home).model_dir("w2v") / "vectors.npy").stat().st_size
    # queries compute in float32 on the rounded values: the same as numpy on the float16 matrix
    V = np.asarray(h.vectors, dtype=np.float32)
    q = V[h.idx("police")] / np.linalg.norm(V[h.idx("police")])
    want = (V @ q) / np.linalg.norm(V, axis=1)
    np.testing.assert_allclose(h.scores(q), want, rtol=1e-5, atol=1e-6)
    top_h = [w for w, _ in h.most_similar(["police"], topn=5)]
    top_f = [w for w, _ in f.most_similar(["police"], topn=5)]
    assert len(set(top_h) & set(top_f)) >= 4


def test_lookup_files_answer_like_a_dict(ws, with_w2v):
    kv = _kv(ws, "w2v")
    from wordshell.vectors.vocab import MappedVocab

    assert isinstance(kv.vocab, MappedVocab)
    words = list(kv.words)
    for i in (0, 1, 17, len(words) - 1):
        assert kv.idx(words[i]) == i and kv.words[i] == words[i]
    assert "no-such-word-xyz" not in kv.index and kv.key("Police") == "police"
    assert kv.index.rows_of(["police", "nope", words[3]]) == {"police": kv.idx("police"), words[3]: 3}
    assert kv.words[2:5] == words[2:5]


def test_zero_vector_scores_zero_everywhere(ws, tmp_path):
    p = tmp_path / "z.txt"
    p.write_text("a 1 0 0\nb 0.9 0.1 0\nzero 0 0 0\nc -1 0 0\n")
    assert ws("models", "import", str(p), "z", "-F", "glove").code == 0
    r = ws("similar", "a", "-m", "z", "--format", "json")
    got = {o["word"]: o["similarity"] for o in r.json}
    assert got["zero"] == 0.0 and got["c"] == pytest.approx(-1.0)
    assert float(ws("similarity", "a", "zero", "-m", "z").rows[0][2]) == 0.0
    r = ws("similar", "zero", "-m", "z")
    assert r.code == 1 and "'zero' has a zero vector" in r.err


def test_export_refuses_missing_directory(ws, with_w2v, tmp_path):
    r = ws("models", "export", "w2v", str(tmp_path / "no" / "such" / "x.vec"))
    assert r.code == 1 and "no such directory" in r.err
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("fname", ["lee_fasttext.bin", "lee_fasttext_new.bin", "non_ascii_fasttext.bin"])
def test_fasttext_bin_streamed_equals_gensim(ws, gensim_data, fname):
    from gensim.models.fasttext import load_facebook_vectors

    path = gensim_data / fname
    if not path.exists():
        pytest.fail(f"gensim's test data lacks {fname}")
    r = ws("models", "import", str(path), "ft")
    assert r.code == 0, r
    g = load_facebook_vectors(str(path))
    kv = _kv(ws, "ft")
    assert list(kv.words) == list(g.index_to_key)
    np.testing.assert_allclose(np.asarray(kv.vectors), g.vectors, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(kv.ngrams), g.vectors_ngrams)
    assert kv.meta["min_n"] == g.min_n and kv.meta["max_n"] == g.max_n and kv.meta["bucket"] == g.bucket
    assert [int(c) for c in kv.counts[:5]] == [g.get_vecattr(w, "count") for w in g.index_to_key[:5]]


def test_sink_writes_behind_and_reads_back(tmp_path, monkeypatch):
    from wordshell.vectors.importer import VectorSink

    monkeypatch.setattr(VectorSink, "FLUSH", 1)          # a flush thread after every block
    rng = np.random.default_rng(0)
    blocks = [rng.standard_normal((n, 7)).astype(np.float32) for n in (3, 1000, 1, 250)]
    sink = VectorSink(tmp_path / "v.npy", 7)
    for b in blocks:
        sink.write(b)
    norms = sink.close()
    back = np.load(tmp_path / "v.npy", allow_pickle=False)
    np.testing.assert_array_equal(back, np.concatenate(blocks))
    np.testing.assert_allclose(norms, np.linalg.norm(back, axis=1), rtol=1e-6)
    assert not list(tmp_path.glob(".*.tmp"))


def test_lookup_survives_hash_collisions(tmp_path, monkeypatch):
    """Equal hashes are told apart by the words: with a hash that collides on purpose (the length),
    every word still finds its own row and unknown words none."""
    from wordshell.vectors import vocab

    monkeypatch.setattr(vocab, "word_hash", lambda data: len(data))
    monkeypatch.setattr(vocab, "hashes_of", lambda words: np.fromiter((len(w) for w in words), dtype=np.uint64))
    words = ["a", "b", "cc", "dd", "ee", "fff", "king", "kong", "ring", "éé"]
    (tmp_path / "vocab.txt").write_text("".join(w + "\n" for w in words), encoding="utf-8")
    vocab.write_lookup(tmp_path, [w.encode() for w in words])
    v = vocab.MappedVocab(tmp_path)
    assert [v.row(w) for w in words] == list(range(len(words)))
    assert v.row("zz") is None and v.row("kang") is None
    assert v.rows_of(["kong", "zzzz", "éé"]) == {"kong": 7, "éé": 9}
