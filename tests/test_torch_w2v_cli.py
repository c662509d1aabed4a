"""`train word2vec|fasttext --engine torch` through the CLI: the same store layout as gensim's, every query
works on it, model.json and `models info` say which engine trained it, bad combinations fail in one line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from vector_fixtures import topic_accuracy, topic_corpus  # noqa: E402

torch = pytest.importorskip("torch")

from wordshell.store import Store  # noqa: E402
from wordshell.vectors.keyed import KeyedVectors  # noqa: E402

FAST = ["--min-count", "1", "--dim", "16", "--workers", "1", "-q"]


@pytest.fixture
def corpus(tmp_path):
    return str(topic_corpus(tmp_path / "topics.txt"))


def meta_of(ws, name):
    return json.loads((ws.home / "checkpoints" / name / "model.json").read_text())


@pytest.mark.parametrize("kind,mode", [("word2vec", "--sg"), ("word2vec", "--cbow"), ("fasttext", "--sg"),
                                       ("fasttext", "--cbow")])
def test_torch_engine_learns_the_topics_and_stores_gensims_layout(ws, corpus, kind, mode):
    r = ws("train", kind, "m", "--corpus", corpus, "--engine", "torch", mode, "--epochs", "5", *FAST)
    assert r.code == 0, r
    meta = meta_of(ws, "m")
    assert meta["engine"] == "torch" and meta["training"]["engine"] == "torch"
    assert meta["training"]["device"] == "cpu" and meta["training"]["world"] == 1
    assert meta["config"]["sg"] == (mode == "--sg") and "hs" not in meta["config"]
    losses = [h["loss"] for h in meta["history"]]
    assert len(losses) == 5 and losses[-1] < losses[0] and all(isinstance(x, float) for x in losses)
    d = ws.home / "checkpoints" / "m"
    assert not (d / "ckpt").exists()                      # the tables live in the model's files now
    kv = KeyedVectors.from_store(Store(ws.home), "m")
    assert np.load(d / "context.npy").shape == kv.vectors.shape
    assert topic_accuracy(kv) >= 0.9
    # the same vocabulary as gensim would keep, in the same order
    g = ws("train", kind, "g", "--corpus", corpus, "--engine", "gensim", "--epochs", "1", *FAST)
    assert g.code == 0, g
    assert (d / "vocab.txt").read_text() == (ws.home / "checkpoints" / "g" / "vocab.txt").read_text()
    assert np.array_equal(np.load(d / "counts.npy"), np.load(ws.home / "checkpoints" / "g" / "counts.npy"))
    info = ws("models", "info", "m")
    assert ["engine", "torch"] in info.rows
    assert ["engine", "gensim"] in ws("models", "info", "g").rows
    sim = ws("similar", "apple", "--model", "m", "--top", "3")
    assert sim.code == 0 and len(sim.rows) == 3


def test_a_big_step_is_applied_a_few_thousand_examples_at_a_time(ws, corpus):
    """--batch-words 20000 puts the whole toy corpus in one step; the batched ops still update from at most
    MAX_BATCHED examples at a time. (All ~50k skip-gram pairs at once read badly stale rows: the last
    epoch's loss per pair was 6.87 against 2.53 for the default step.)"""
    for name, batch in (("small", "0"), ("big", "20000")):
        r = ws("train", "word2vec", name, "--corpus", corpus, "--engine", "torch", "--epochs", "5",
               "--batch-words", batch, *FAST)
        assert r.code == 0, r
    small, big = meta_of(ws, "small"), meta_of(ws, "big")
    assert big["training"]["steps_per_epoch"] == 1 and big["training"]["kernels"] == "torch"
    assert big["history"][-1]["mean_loss"] < 1.15 * small["history"][-1]["mean_loss"]
    assert topic_accuracy(KeyedVectors.from_store(Store(ws.home), "big")) >= 0.9


def test_fasttext_oov_comes_from_the_ngram_buckets(ws, corpus):
    from wordshell.vectors.ngrams import oov_vector

    r = ws("train", "fasttext", "ft", "--corpus", corpus, "--engine", "torch", "--epochs", "3", "--bucket", "5000",
           *FAST)
    assert r.code == 0, r
    meta = meta_of(ws, "ft")
    assert (meta["min_n"], meta["max_n"], meta["bucket"]) == (3, 6, 5000)
    ngrams = np.load(ws.home / "checkpoints" / "ft" / "ngrams.npy")
    assert ngrams.shape == (5000, 16)
    kv = KeyedVectors.from_store(Store(ws.home), "ft")
    np.testing.assert_allclose(kv.get("grapes"), oov_vector("grapes", ngrams, 3, 6))
    o = ws("oov", "grapes", "--model", "ft", "--format", "json")
    assert o.code == 0, o
    # unseen words share n-grams with their stems: their neighbours are the stems' topic words
    from vector_fixtures import TOPICS

    for word, topic in (("cherries", 0), ("trucks", 1), ("horses", 3)):
        assert {w for w, _ in kv.most_similar([word], topn=3)} <= set(TOPICS[topic]), word


def test_auto_is_gensim_here_and_torch_when_torch_only_options_are_given(ws, corpus):
    assert ws("train", "word2vec", "a", "--corpus", corpus, "--epochs", "1", *FAST).code == 0
    assert meta_of(ws, "a")["engine"] == "gensim"                  # no CUDA on the test machine
    assert ws("train", "word2vec", "b", "--corpus", corpus, "--epochs", "1", "--device", "cpu", *FAST).code == 0
    assert meta_of(ws, "b")["engine"] == "gensim"                  # --device cpu alone does not need torch


@pytest.mark.parametrize("args,code,msg", [
    (["--engine", "torch", "--hs", "--negative", "0"], 2, "gensim-only"),
    (["--engine", "torch", "--negative", "0"], 2, "--negative must be at least 1"),
    (["--engine", "gensim", "--nproc", "2"], 2, "needs --engine torch"),
    (["--engine", "gensim", "--resume"], 2, "needs --engine torch"),
    (["--hs", "--nproc", "2"], 2, "--hs is gensim's"),
    (["--engine", "torch", "--device", "cuda"], 1, "no CUDA GPU"),
    (["--engine", "torch", "--device", "tpu"], 2, "not one of auto, cpu, cuda"),
    (["--engine", "torch", "--batch-words", "-1"], 2, "Invalid value"),
    (["--engine", "torch", "--nproc", "0"], 2, "Invalid value"),
    (["--engine", "torch", "--sync-every", "0"], 2, "Invalid value"),
    (["--engine", "torch", "--ckpt-minutes", "-1"], 2, "Invalid value"),
    (["--engine", "tensorflow"], 2, "Invalid value"),
])
def test_bad_engine_options_fail_in_one_line(ws, corpus, args, code, msg):
    r = ws("train", "word2vec", "bad", "--corpus", corpus, *args, *FAST)
    assert r.code == code and msg in r.err, r
    if code != 2 or "Invalid value" not in msg:
        assert r.err.count("\n") <= 1 and "Traceback" not in r.err
    assert not (ws.home / "checkpoints" / "bad" / "model.json").exists()
    assert not (ws.home / "checkpoints" / "bad").exists()


def test_export_and_eval_work_on_torch_vectors(ws, corpus, tmp_path):
    assert ws("train", "word2vec", "m", "--corpus", corpus, "--engine", "torch", "--epochs", "2", *FAST).code == 0
    out = tmp_path / "m.txt"
    r = ws("models", "export", "m", str(out), "--file-format", "word2vec-text")
    assert r.code == 0, r
    head = out.read_text().splitlines()[0].split()
    assert head == [str(meta_of(ws, "m")["vocab_size"]), "16"]


def test_background_job_with_the_torch_engine(ws, corpus):
    import time

    r = ws("train", "word2vec", "bg", "--corpus", corpus, "--engine", "torch", "--epochs", "2", *FAST, "--background")
    assert r.code == 0 and r.out.startswith("started job 1"), r
    t0 = time.monotonic()
    while time.monotonic() - t0 < 120:
        jobs = ws("jobs")
        if jobs.rows and jobs.rows[0][3] in ("done", "failed"):
            break
        time.sleep(0.3)
    assert jobs.rows[0][3] == "done", (jobs, ws("jobs", "log", "1").out)
    assert meta_of(ws, "bg")["engine"] == "torch"
    assert "epoch 2/2" in ws("jobs", "log", "1").out
