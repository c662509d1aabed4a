"""FastText OOV vectors computed in numpy equal gensim's, to 1e-5."""

from __future__ import annotations

import numpy as np
import pytest

from wordshell.vectors.formats import import_vectors
from wordshell.vectors.ngrams import char_ngrams, ft_hash
from wordshell.store import Store
from wordshell.vectors.keyed import KeyedVectors

OOV_WORDS = ["governmentalism", "steamtrain", "naïveté", "日本語", "x", "ab", "Crime", "unseenword123"]


@pytest.mark.parametrize("fname", ["lee_fasttext.bin", "crime-and-punishment.bin", "non_ascii_fasttext.bin"])
def test_oov_vectors_equal_gensim(workspace, gensim_data, fname):
    from gensim.models.fasttext import load_facebook_vectors

    store = Store(workspace)
    import_vectors(store, str(gensim_data / fname), "ft")
    kv = KeyedVectors.from_store(store, "ft")
    g = load_facebook_vectors(str(gensim_data / fname))
    assert kv.words == list(g.index_to_key)
    assert (kv.meta["min_n"], kv.meta["max_n"], kv.meta["bucket"]) == (g.min_n, g.max_n, g.bucket)
    for w in OOV_WORDS + kv.words[:5]:
        assert np.allclose(kv.get(w), g.get_vector(w), atol=1e-5), w


def test_hashes_and_ngrams_equal_gensim():
    from gensim.models.fasttext_inner import compute_ngrams_bytes, ft_hash_bytes

    for w in OOV_WORDS + ["a", "", "ü", "🙂x"]:
        for lo, hi in [(3, 6), (1, 4), (2, 2)]:
            assert char_ngrams(w, lo, hi) == compute_ngrams_bytes(w, lo, hi)
        for gram in char_ngrams(w, 1, 6):
            assert ft_hash(gram) == ft_hash_bytes(gram)


def test_trained_fasttext_oov_equals_gensim_model(ws):
    """Train with wordshell, then check the stored buckets reproduce gensim's in-memory model."""
    from wordshell.corpus import sources as corpora
    from wordshell.corpus.tokens import Tokenizer

    store = Store(ws.home)
    r = ws("train", "fasttext", "ft", "--corpus", "lee", "--epochs", "1", "--bucket", "5000", "--dim", "20",
           "--workers", "1", "--min-count", "3")
    assert r.code == 0, r
    kv = KeyedVectors.from_store(store, "ft")
    assert kv.ngrams.shape == (5000, 20)
    # gensim, same data and settings, single worker and same seed: identical training
    from gensim.models import FastText

    c = corpora.resolve(store, "lee")
    tokens = c.sentences(store, Tokenizer())
    g = FastText(list(tokens), vector_size=20, min_count=3, epochs=1, bucket=5000, workers=1, seed=1, sg=1)
    assert kv.words == list(g.wv.index_to_key)
    for w in ["governmentalism", "firefighterz", "australians"]:
        assert np.allclose(kv.get(w), g.wv.get_vector(w), atol=1e-5), w


def test_oov_command_marks_ngrams(ws, gensim_data):
    assert ws("models", "import", str(gensim_data / "lee_fasttext.bin"), "ft").code == 0
    r = ws("oov", "governmentalism", "--model", "ft", "--format", "json")
    assert r.code == 0, r
    assert "not in the vocabulary" in r.err
    grams = [o for o in r.json if o["table"] == "ngrams"]
    near = [o for o in r.json if o["table"] == "neighbours"]
    assert len(grams) + len(near) == len(r.json)          # one object per row, each with its table
    kv = KeyedVectors.from_store(Store(ws.home), "ft")
    text = "\n".join(f"<{w}>" for w in kv.words)
    for g in grams:
        assert g["seen"] == (g["ngram"] in text)
        assert g["bucket"] == ft_hash(g["ngram"].encode()) % kv.meta["bucket"]
    assert len(near) == 10 and [o["rank"] for o in near] == list(range(1, 11))
    # the nearest words are the neighbours of the composed vector, by numpy cosine
    v = kv.get("governmentalism").astype(np.float64)
    V = np.asarray(kv.vectors, dtype=np.float64)
    sims = V @ v / (np.linalg.norm(V, axis=1) * np.linalg.norm(v))
    assert near[0]["word"] == kv.words[int(np.argmax(sims))]


def test_oov_in_a_pipe_prints_one_table(ws, gensim_data):
    assert ws("models", "import", str(gensim_data / "lee_fasttext.bin"), "ft").code == 0
    r = ws("oov", "governmentalism", "--model", "ft")              # CliRunner's stdout is a pipe
    assert r.code == 0 and {len(row) for row in r.rows} == {4}     # n-gram rows only
    assert "nearest: " in r.err
    r = ws("oov", "governmentalism", "--model", "ft", "--part", "neighbours")
    assert r.code == 0 and {len(row) for row in r.rows} == {3} and len(r.rows) == 10
    r = ws("oov", "governmentalism", "--model", "ft", "--part", "ngrams", "--format", "json")
    assert {o["table"] for o in r.json} == {"ngrams"}


def test_oov_on_word2vec_model_is_a_clear_error(ws, with_w2v):
    r = ws("oov", "governmentalism", "--model", "w2v")
    assert r.code == 2 and "no character n-grams" in r.err
