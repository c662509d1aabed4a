"""Training Word2Vec/FastText through the CLI: options reach gensim, model.json records them, errors are clear."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wordshell.store import Store
from wordshell.vectors.keyed import KeyedVectors


def test_train_records_everything(ws):
    r = ws("train", "word2vec", "m", "--corpus", "lee", "--cbow", "--hs", "--negative", "0", "--dim", "16",
           "--window", "3", "--min-count", "3", "--epochs", "2", "--workers", "1", "--seed", "5", "--sample", "0")
    assert r.code == 0, r
    meta = json.loads((ws.home / "checkpoints" / "m" / "model.json").read_text())
    cfg = meta["config"]
    assert (cfg["sg"], cfg["hs"], cfg["negative"], cfg["dim"], cfg["window"], cfg["min_count"], cfg["epochs"],
            cfg["seed"], cfg["sample"]) == (False, True, 0, 16, 3, 3, 2, 5, 0)
    assert meta["corpus"]["name"] == "lee" and len(meta["corpus"]["fingerprint"]) == 64
    assert meta["tokenizer"] == {"lowercase": True, "punct": False, "split": "words"}
    assert meta["training"]["per_second"] > 0 and meta["training"]["unit"] == "words" and meta["training"]["raw_words"] == 2 * meta["corpus"]["tokens"]
    assert [h["epoch"] for h in meta["history"]] == [1, 2]
    assert "gensim" in meta["versions"] and meta["command"].startswith("wordshell train word2vec m")
    kv = KeyedVectors.from_store(Store(ws.home), "m")
    assert kv.vectors.shape == (meta["vocab_size"], 16)
    assert kv.counts is not None and all(np.diff(np.asarray(kv.counts)) <= 0)  # frequency order
    assert min(kv.counts) >= 3
    # the plain progress log (stderr is not a TTY here) shows each epoch's loss
    assert "epoch 1/2  loss" in r.err and "epoch 2/2  loss" in r.err


def test_same_seed_single_worker_is_reproducible(ws):
    for name in ("a", "b"):
        assert ws("train", "word2vec", name, "--corpus", "lee", "--epochs", "1", "--workers", "1",
                  "--dim", "10", "-q").code == 0
    a = KeyedVectors.from_store(Store(ws.home), "a")
    b = KeyedVectors.from_store(Store(ws.home), "b")
    assert np.array_equal(np.asarray(a.vectors), np.asarray(b.vectors))


def test_epoch_loss_is_a_per_epoch_difference(ws):
    """The loss we report per epoch is that epoch's own sum (it falls), not gensim's running total."""
    assert ws("train", "word2vec", "m", "--corpus", "lee", "--epochs", "4", "--workers", "1", "-q").code == 0
    hist = json.loads((ws.home / "checkpoints" / "m" / "model.json").read_text())["history"]
    losses = [h["loss"] for h in hist]
    assert all(x > 0 for x in losses)
    assert losses[-1] < losses[0]           # learning
    assert losses[1] < 1.5 * losses[0]      # a running total would roughly double by epoch 2


@pytest.mark.parametrize("args,msg", [
    (["--negative", "0"], "needs --hs"),
    (["--min-count", "100000"], "lower --min-count"),
    (["--epochs", "0"], "Invalid value"),
])
def test_bad_training_options(ws, args, msg):
    r = ws("train", "word2vec", "m", "--corpus", "lee", *args)
    assert r.code != 0 and msg in r.err
    assert not (ws.home / "checkpoints" / "m" / "model.json").exists()


def test_existing_model_needs_force(ws, with_w2v):
    before = (ws.home / "checkpoints" / "w2v" / "vectors.npy").read_bytes()
    r = ws("train", "word2vec", "w2v", "--corpus", "lee", "--epochs", "1")
    assert r.code == 2 and "--force" in r.err
    assert (ws.home / "checkpoints" / "w2v" / "vectors.npy").read_bytes() == before


def test_fasttext_records_ngram_settings(ws):
    r = ws("train", "fasttext", "ft", "--corpus", "lee", "--epochs", "1", "--min-n", "2", "--max-n", "4",
           "--bucket", "3000", "--dim", "12", "-q")
    assert r.code == 0, r
    meta = json.loads((ws.home / "checkpoints" / "ft" / "model.json").read_text())
    assert (meta["min_n"], meta["max_n"], meta["bucket"]) == (2, 4, 3000)
    assert np.load(ws.home / "checkpoints" / "ft" / "ngrams.npy").shape == (3000, 12)
    assert meta["training"]["loss_note"]  # honest about gensim's FastText not reporting loss


def test_eval_analogies_matches_gensim(ws, with_w2v, gensim_data):
    from gensim.models import KeyedVectors as GKV

    kv = KeyedVectors.from_store(Store(ws.home), "w2v")
    g = GKV(kv.dim)
    g.add_vectors(kv.words, np.asarray(kv.vectors))
    acc, sections = g.evaluate_word_analogies(str(gensim_data / "questions-words.txt"), restrict_vocab=3000)
    r = ws("eval", "analogies", "-m", "w2v", "--restrict", "3000", "--format", "json")
    assert r.code == 0, r
    ours = {o["section"]: o for o in r.json}
    for s in sections[:-1]:
        n = len(s["correct"]) + len(s["incorrect"])
        assert ours[s["section"]]["total"] == n
        assert ours[s["section"]]["correct"] == len(s["correct"]), s["section"]
    assert ours["TOTAL"]["accuracy"] == pytest.approx(acc, abs=1e-9)


def test_eval_similarity_matches_gensim(ws, with_w2v, gensim_data):
    from gensim.models import KeyedVectors as GKV

    kv = KeyedVectors.from_store(Store(ws.home), "w2v")
    g = GKV(kv.dim)
    g.add_vectors(kv.words, np.asarray(kv.vectors))
    r = ws("eval", "similarity", "-m", "w2v", "--format", "json")
    assert r.code == 0, r
    for row in r.json:
        pearson, spearman, oov = g.evaluate_word_pairs(str(gensim_data / row["dataset"]))
        assert row["spearman"] == pytest.approx(spearman.statistic, abs=1e-6)
        assert row["pearson"] == pytest.approx(pearson.statistic, abs=1e-6)
        assert 100 * row["oov_rate"] == pytest.approx(oov, abs=1e-6)


def test_spearman_matches_scipy():
    from scipy.stats import spearmanr

    from wordshell.vectors.evaluate import spearman

    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, 50).astype(float)  # ties
    b = a + rng.normal(0, 2, 50)
    assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic, abs=1e-12)
