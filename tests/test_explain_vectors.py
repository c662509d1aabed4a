"""The embedding half of `explain` against numpy and gensim: P(o|c) by the full softmax, the negative-sampling
objective, hierarchical softmax (sums to 1), subsampling and windows, one-hot cosines, n-grams; the stored
context vectors; every command in a pipe, as JSON and with bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from wordshell.explain.pairs import keep_probability, make_pairs
from wordshell.explain.prob import draw_negatives, hs_log_probs, ns_objective, softmax
from wordshell.vectors.context import Context, HuffmanTree


def arrays(home, name):
    d = home / "checkpoints" / name
    words = (d / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    return d, words, np.load(d / "vectors.npy"), np.load(d / "counts.npy")


# -- the full softmax and negative sampling (word2vec with negative sampling) --------------------------

def test_softmax_probability_equals_numpy_and_sums_to_one(ws, with_w2v):
    d, words, v, _ = arrays(ws.home, "w2v")
    u = np.load(d / "context.npy")
    assert u.shape == v.shape and u.dtype == np.float32 and np.abs(u).sum() > 0
    r = ws("explain", "prob", "minister", "--center", "prime", "--model", "w2v", "--format", "json")
    assert r.code == 0, r
    obj = json.loads(r.out)
    c, o = words.index("prime"), words.index("minister")
    s = u.astype(np.float64) @ v[c].astype(np.float64)             # the oracle: plain numpy
    p = np.exp(s) / np.exp(s).sum()
    assert obj["softmax"]["p"] == pytest.approx(p[o], rel=1e-9)
    assert obj["softmax"]["score"] == pytest.approx(s[o], rel=1e-9)
    assert obj["softmax"]["rank"] == int((p > p[o]).sum()) + 1
    assert softmax(s).sum() == pytest.approx(1.0, abs=1e-12)
    top = obj["top"]
    assert [t["word"] for t in top] == [words[i] for i in np.argsort(-p, kind="stable")[:10]]
    assert [t["p"] for t in top] == pytest.approx(np.sort(p)[::-1][:10], rel=1e-9)


def test_negative_sampling_objective_equals_hand_computation(ws, with_w2v):
    d, words, v, counts = arrays(ws.home, "w2v")
    u = np.load(d / "context.npy").astype(np.float64)
    c, o = words.index("prime"), words.index("minister")
    negs = [words.index(w) for w in ("the", "police", "fire")]
    vc = v[c].astype(np.float64)

    def log_sig(x):
        return math.log(1.0 / (1.0 + math.exp(-x)))

    hand = log_sig(float(u[o] @ vc)) + sum(log_sig(-float(u[k] @ vc)) for k in negs)
    assert ns_objective(u, vc, o, negs) == pytest.approx(hand, rel=1e-12)
    # the command's objective is that sum over the negatives it drew (and shows)
    obj = json.loads(ws("explain", "prob", "minister", "--center", "prime", "--model", "w2v", "-n", "7", "--seed", "3",
                        "--format", "json").out)
    terms = obj["negative_sampling"]["terms"]
    assert [t["term"] for t in terms] == ["positive"] + ["negative"] * 7
    drawn = [words.index(t["word"]) for t in terms[1:]]
    assert obj["negative_sampling"]["objective"] == pytest.approx(ns_objective(u, vc, o, drawn), rel=1e-9)
    assert drawn == draw_negatives(counts, 7, o, seed=3)         # seeded: the same draw again
    again = json.loads(ws("explain", "prob", "minister", "--center", "prime", "--model", "w2v", "-n", "7", "--seed",
                          "3", "--format", "json").out)
    assert again["negative_sampling"] == obj["negative_sampling"]


def test_negatives_follow_the_unigram_075_table():
    counts = np.array([1000, 10, 100, 1])
    draws = draw_negatives(counts, 4000, exclude=3, seed=0)
    assert 3 not in draws
    freq = np.bincount(draws, minlength=4)[:3] / len(draws)
    p = counts[:3] ** 0.75 / (counts[:3] ** 0.75).sum()
    np.testing.assert_allclose(freq, p, atol=0.02)


# -- hierarchical softmax ---------------------------------------------------------------------------

def test_huffman_tree_by_hand():
    # 3 words: root node 0 splits word 0 (bit 0) from node 1, which splits words 1 (bit 0) and 2 (bit 1)
    nodes = np.array([[1.0, 0.0], [0.0, 2.0]], dtype=np.float32)
    tree = HuffmanTree.from_paths(nodes, [[0], [1, 0], [1, 1]], [[0], [0, 1], [0, 1]])
    v = np.array([0.5, -0.25])
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    s0, s1 = 0.5, -0.5
    want = [sig(s0), sig(-s0) * sig(s1), sig(-s0) * sig(-s1)]
    np.testing.assert_allclose(np.exp(hs_log_probs(tree, v)), want, rtol=1e-12)
    assert sum(want) == pytest.approx(1.0)


def test_hs_model_probabilities_sum_to_one(ws, gensim_data):
    r = ws("train", "word2vec", "hs", "--corpus", "lee", "--hs", "--negative", "0", "--epochs", "2", "--min-count", "3",
           "--workers", "1", "-q")
    assert r.code == 0, r
    d = ws.home / "checkpoints" / "hs"
    assert not (d / "context.npy").exists() and (d / "hs_nodes.npy").exists()
    meta = json.loads((d / "model.json").read_text())
    assert meta["context_vectors"] == {"hs": "hs_*.npy"}
    words = (d / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    v = np.load(d / "vectors.npy")
    ctx = Context.load(d, len(words), v.shape[1])
    for c in ("prime", "the", "fire"):
        p = np.exp(hs_log_probs(ctx.tree, v[words.index(c)]))
        assert p.sum() == pytest.approx(1.0, abs=1e-9) and (p > 0).all()
    obj = json.loads(ws("explain", "prob", "minister", "--center", "prime", "--model", "hs", "--format", "json").out)
    hs = obj["hierarchical_softmax"]
    p = np.exp(hs_log_probs(ctx.tree, v[words.index("prime")]))
    assert hs["p"] == pytest.approx(p[words.index("minister")], rel=1e-9)
    assert hs["p"] == pytest.approx(np.prod([row["p"] for row in hs["path"]]), rel=1e-9)
    assert hs["total"] == pytest.approx(1.0, abs=1e-9)
    assert "softmax" not in obj and obj["top"][0]["p"] == pytest.approx(p.max(), rel=1e-9)


def test_huffman_tree_from_gensim_keeps_codes_and_points():
    from gensim.models import Word2Vec
    from gensim.test.utils import common_texts

    m = Word2Vec(common_texts, vector_size=8, min_count=1, hs=1, negative=0, seed=1, workers=1, epochs=2)
    tree = HuffmanTree.from_gensim(m)
    tree.check(len(m.wv))
    for i, w in enumerate(m.wv.index_to_key):
        bits, points = tree.path(i)
        assert bits.tolist() == m.wv.get_vecattr(w, "code").tolist()
        assert points.tolist() == m.wv.get_vecattr(w, "point").tolist()


# -- what is stored, and models info ---------------------------------------------------------------------

def test_no_context_vectors_and_imported_vectors_say_so(ws, tmp_path):
    r = ws("train", "word2vec", "slim", "--corpus", "lee", "--epochs", "1", "--min-count", "3", "--workers", "1",
           "--no-context-vectors", "-q")
    assert r.code == 0, r
    assert not list((ws.home / "checkpoints" / "slim").glob("context.npy"))
    info = ws("models", "info", "slim", "--format", "tsv").out
    assert "context vectors\tnone" in info
    bad = ws("explain", "prob", "minister", "--center", "prime", "--model", "slim")
    assert bad.code == 1 and bad.err.count("\n") == 1 and "no context (output) vectors" in bad.err
    vec = tmp_path / "tiny.txt"
    vec.write_text("3 2\ncat 0.1 0.2\ndog 0.2 0.1\ncar -0.3 0.5\n")
    assert ws("models", "import", str(vec), "tiny", "-F", "word2vec-text").code == 0
    bad = ws("explain", "prob", "dog", "--center", "cat", "--model", "tiny")
    assert bad.code == 1 and "imported" in bad.err and bad.err.count("\n") == 1


def test_models_info_states_the_context_vectors(ws, with_w2v):
    rows = dict(line.split("\t", 1) for line in ws("models", "info", "w2v").out.splitlines())
    assert rows["context vectors"].startswith("context.npy")


# -- pairs: word2vec's subsampling and windows ------------------------------------------------------

def test_keep_probability_equals_gensim(gensim_data):
    from gensim.models import Word2Vec

    from wordshell.corpus.tokens import Tokenizer

    tok = Tokenizer()
    sents = [tok(line) for line in (gensim_data / "lee_background.cor").read_text(encoding="utf-8").splitlines()]
    m = Word2Vec(vector_size=10, min_count=2, sample=1e-3, workers=1)
    m.build_vocab(sents)
    counts = {w: m.wv.get_vecattr(w, "count") for w in m.wv.index_to_key}
    total = sum(counts.values())
    for w in m.wv.index_to_key[:300]:
        want = m.wv.get_vecattr(w, "sample_int") / 2 ** 32
        assert keep_probability(counts[w], 1e-3, total) == pytest.approx(want, abs=1e-8), w


def test_windows_and_subsampling():
    words = "a b c d e".split()
    fixed = make_pairs(words, window=2, dynamic=False)
    assert len(fixed.skipgram) == 2 + 3 + 4 + 3 + 2
    assert len(fixed.cbow) == 5 and fixed.cbow[2].context == ["a", "b", "d", "e"]
    dyn = make_pairs(words * 20, window=4, seed=5)
    assert {t.window for t in dyn.tokens} == {1, 2, 3, 4}                       # drawn per centre word
    for p in dyn.skipgram:
        assert p.distance <= 4
    # a dropped word is removed BEFORE the windows: its neighbours become adjacent
    counts = {"the": 10 ** 9, "cat": 5, "sat": 5}
    ex = make_pairs(["cat", "the", "sat"], window=1, counts=counts, sample=1e-3, dynamic=False, seed=0)
    assert [t.kept for t in ex.tokens] == [True, False, True]
    assert [(p.centre, p.context, p.distance) for p in ex.skipgram] == [("cat", "sat", 1), ("sat", "cat", 1)]
    oov = make_pairs(["cat", "zebra", "sat"], window=1, counts=counts, sample=0.0, dynamic=False)
    assert oov.tokens[1].kept is False and "zebra" in oov.notes[0]


# -- the commands in pipes and JSON, bad input ----------------------------------------------------------

def test_onehot(ws, with_w2v):
    r = ws("explain", "onehot", "king", "queen", "man", "--model", "w2v", "--format", "json")
    obj = json.loads(r.out)
    _, words, v, _ = arrays(ws.home, "w2v")
    assert [w["index"] for w in obj["words"]] == [words.index(w) for w in ("king", "queen", "man")]
    assert obj["words"][0]["onehot"] == f"[0 ×{words.index('king')}, 1, 0 ×{len(words) - words.index('king') - 1}]"
    assert [p["onehot_cosine"] for p in obj["pairs"]] == [0.0, 0.0, 0.0]
    a, b = v[words.index("king")].astype(np.float64), v[words.index("queen")].astype(np.float64)
    assert obj["pairs"][0]["dense_cosine"] == pytest.approx(a @ b / np.linalg.norm(a) / np.linalg.norm(b), rel=1e-6)
    tsv = ws("explain", "onehot", "king", "queen", "--model", "w2v")
    assert tsv.code == 0 and tsv.out.splitlines()[-1].startswith("king\tqueen\t0\t")
    bad = ws("explain", "onehot", "king", "qeen", "--model", "w2v")
    assert bad.code == 1 and "qeen" in bad.err and "did you mean" in bad.err and "Traceback" not in bad.err


def test_pairs_command(ws, with_w2v):
    r = ws("explain", "pairs", "I saw a cute grey cat playing in the garden", "--window", "2", "--format", "json")
    obj = json.loads(r.out)
    assert [t["word"] for t in obj["tokens"]][:3] == ["i", "saw", "a"] and all(t["kept"] for t in obj["tokens"])
    assert len(obj["cbow"]) == 10 and all(1 <= t["window"] <= 2 for t in obj["tokens"])
    m = json.loads(ws("explain", "pairs", "the prime minister said the fire was under control", "--model", "w2v",
                      "--format", "json").out)
    the = [t for t in m["tokens"] if t["word"] == "the"][0]
    assert 0 < the["keep_probability"] < 1 and m["sample"] == 1e-3
    tsv = ws("explain", "pairs", "a b c", "--no-dynamic", "--window", "1", "--show", "skipgram")
    assert tsv.rows == [["a", "->", "b", "1"], ["b", "->", "a", "1"], ["b", "->", "c", "1"], ["c", "->", "b", "1"]]
    assert ws("explain", "pairs", "x", "--window", "0").code == 2


def test_ngrams_command(ws, gensim_data):
    r = ws("explain", "ngrams", "where")
    assert [row[0] for row in r.rows] == ["<wh", "whe", "her", "ere", "re>", "<where>"]
    from wordshell.store import Store
    from wordshell.vectors.formats import import_vectors

    import_vectors(Store(ws.home), str(gensim_data / "lee_fasttext.bin"), "ft")
    mine = ws("explain", "ngrams", "governmentalism", "--model", "ft", "--format", "json").json
    oov = [json.loads(line) for line in ws("oov", "governmentalism", "--model", "ft", "--format", "json").out.splitlines()]
    grams = [(g["ngram"], g["bucket"], g["seen"]) for g in oov if g["table"] == "ngrams"]
    assert grams
    assert [(g["ngram"], g["bucket"], g["seen"]) for g in mine if g["what"] == "n-gram"] == grams
    bad = ws("explain", "ngrams", "where", "--min-n", "4", "--max-n", "3")
    assert bad.code == 2
    assert ws("explain", "ngrams", " ").code == 2


def test_embedding_explain_imports_neither_torch_nor_gensim(with_w2v):
    from test_imports import run_probe

    for args in (["explain", "onehot", "king", "queen", "--model", "w2v"],
                 ["explain", "pairs", "the cat sat", "--model", "w2v"],
                 ["explain", "prob", "minister", "--center", "prime", "--model", "w2v"],
                 ["explain", "ngrams", "where"]):
        heavy, code, p = run_probe(*args)
        assert code == 0, p.stderr
        assert heavy == [], f"{args} imported {heavy}"
