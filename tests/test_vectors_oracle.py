"""Queries on stored vectors against numpy and gensim as oracles."""

from __future__ import annotations

import numpy as np
import pytest

from wordshell.store import Store
from wordshell.vectors.keyed import KeyedVectors


@pytest.fixture
def kv(with_w2v, workspace):
    return KeyedVectors.from_store(Store(workspace), "w2v")


@pytest.fixture
def gkv(kv):
    from gensim.models import KeyedVectors as GKV

    g = GKV(kv.dim)
    g.add_vectors(kv.words, np.asarray(kv.vectors))
    return g


def test_neighbours_match_numpy_cosine(kv):
    V = np.asarray(kv.vectors, dtype=np.float64)
    U = V / np.linalg.norm(V, axis=1, keepdims=True)
    i = kv.index["government"]
    sims = U @ U[i]
    sims[i] = -np.inf
    expect = [kv.words[j] for j in np.argsort(-sims)[:10]]
    got = kv.most_similar(["government"], topn=10)
    assert [w for w, _ in got] == expect
    assert np.allclose([s for _, s in got], np.sort(sims)[::-1][:10], atol=1e-6)


@pytest.mark.parametrize("pos,neg", [(["government"], []), (["police", "fire"], []),
                                     (["australia", "people"], ["government"])])
def test_neighbours_match_gensim(kv, gkv, pos, neg):
    got = kv.most_similar(pos, neg, topn=15)
    want = gkv.most_similar(positive=pos, negative=neg, topn=15)
    assert [w for w, _ in got] == [w for w, _ in want]
    assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-6)


def test_restrict_matches_gensim(kv, gkv):
    got = kv.most_similar(["government"], topn=5, restrict=500)
    want = gkv.most_similar("government", topn=5, restrict_vocab=500)
    assert [w for w, _ in got] == [w for w, _ in want]


def test_cosmul_matches_gensim(kv, gkv):
    scores, exclude = kv.cosmul_scores(["police", "fire"], ["government"])
    got = kv.top(scores, 10, exclude)
    want = gkv.most_similar_cosmul(positive=["police", "fire"], negative=["government"], topn=10)
    assert [w for w, _ in got] == [w for w, _ in want]
    assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)


def test_similarity_and_odd_one_out_match_gensim(kv, gkv):
    assert kv.similarity("police", "fire") == pytest.approx(float(gkv.similarity("police", "fire")), abs=1e-6)
    words = ["monday", "tuesday", "wednesday", "government"]
    assert kv.odd_one_out(words)[0][0] == gkv.doesnt_match(words)


def test_rank_of_expected_word(kv):
    q, ex = kv.mean_query(["police"], [])
    s = kv.scores(q)
    top = kv.top(s, 3, ex)
    for r, (w, _) in enumerate(top, 1):
        assert kv.rank_of(s, w, ex) == r


def test_analogy_command_and_expect(ws, with_w2v, kv, gkv):
    r = ws("analogy", "police - fire + government", "--model", "w2v", "--top", "3", "--format", "json")
    assert r.code == 0, r
    want = gkv.most_similar(positive=["police", "government"], negative=["fire"], topn=3)
    assert [o["word"] for o in r.json] == [w for w, _ in want]
    r2 = ws("analogy", "fire:police::government:?", "--model", "w2v", "--top", "3", "--cosmul",
            "--expect", want[1][0])
    assert r2.code == 0
    assert [row[1] for row in r2.rows] == [w for w, _ in want]
    assert f"expected '{want[1][0]}': rank 2 by 3CosAdd" in r2.err


@pytest.mark.parametrize("expr", ["king - - man", "king man", "+", "a:b::c", "king -"])
def test_malformed_analogy(ws, with_w2v, expr):
    r = ws("analogy", expr, "--model", "w2v")
    assert r.code == 2 and "malformed analogy" in r.err


def test_vector_tsv_and_json(ws, with_w2v, kv):
    r = ws("vector", "police", "--model", "w2v")
    word, values = r.out.rstrip("\n").split("\t")
    assert word == "police"
    assert np.allclose([float(x) for x in values.split()], kv.get("police"), atol=1e-5)
    j = ws("vector", "police", "--model", "w2v", "--format", "json").json[0]
    assert np.allclose(j["vector"], kv.get("police"), atol=1e-6)


def test_uppercase_query_maps_to_lowercase_model(kv):
    assert kv.most_similar(["Government"], topn=3) == kv.most_similar(["government"], topn=3)


def test_did_you_mean_on_large_vocab_is_fast():
    import time

    from wordshell.suggest import close_words

    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = {"".join(rng.choice(letters, rng.integers(3, 12))): i for i in range(150_000)}
    words["government"] = 3
    t = time.perf_counter()
    assert close_words("goverment", words)[0] == "government"
    assert time.perf_counter() - t < 0.5
