"""The torch engine across processes: 2 CPU processes (gloo, loopback) train as well as 1, and the
table sync adds every rank's changes exactly."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from vector_fixtures import TOPICS, topic_accuracy, topic_corpus  # noqa: E402

torch = pytest.importorskip("torch")

from wordshell.store import Store  # noqa: E402
from wordshell.vectors.keyed import KeyedVectors  # noqa: E402


def _sync_in_two_processes(mode: str):
    """Rank r adds (r+1) to rows {r, 2} of w_in and 10*(r+1) to row 3 of w_out, then syncs."""
    import torch.distributed as dist

    from wordshell.fit import distributed
    from wordshell.vectors.torch_engine import init_tables
    from wordshell.vectors.torch_sync import TableSync

    d = distributed.setup("cpu")
    t = init_tables(6, 4, seed=1, device="cpu")
    before = {k: v.clone() for k, v in t.tensors().items()}
    sync = TableSync(t, d.world, mode)
    t.touched = sync.touch
    rows = torch.tensor([d.rank, 2])
    t.w_in.index_add_(0, rows, torch.full((2, 4), float(d.rank + 1)))
    t.touch("w_in", rows)
    t.w_out[3] += 10.0 * (d.rank + 1)
    t.touch("w_out", torch.tensor([3]))
    sync.sync()
    got = [torch.cat([t.w_in - before["w_in"], t.w_out - before["w_out"]])]
    everyone = [torch.empty_like(got[0]) for _ in range(d.world)]
    dist.all_gather(everyone, got[0])
    return [e.numpy() for e in everyone], sync.rows_sent


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_table_sync_adds_every_ranks_changes(mode):
    from wordshell.fit import distributed

    per_rank, rows_sent = distributed.launch(2, _sync_in_two_processes, mode)
    assert np.array_equal(per_rank[0], per_rank[1])          # the ranks agree
    change = per_rank[0]
    scale = 0.5 if mode == "mean" else 1.0
    want = np.zeros((12, 4))
    want[0], want[1], want[2] = 1 * scale, 2 * scale, 3 * scale   # rank 0 + rank 1 on the shared row 2
    want[6 + 3] = 30 * scale
    np.testing.assert_allclose(change, want, atol=1e-6)
    assert rows_sent == 4                                       # only the touched rows travel (3 + 1)


def separation(kv) -> float:
    """Mean cosine within a topic minus across topics: a continuous quality figure."""
    words = [w for t in TOPICS for w in t]
    topic = np.repeat(np.arange(len(TOPICS)), [len(t) for t in TOPICS])
    m = np.stack([np.asarray(kv.get(w), dtype=np.float64) for w in words])
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    s = m @ m.T
    same = topic[:, None] == topic[None, :]
    np.fill_diagonal(same, False)
    cross = topic[:, None] != topic[None, :]
    return float(s[same].mean() - s[cross].mean())


def test_two_processes_train_as_well_as_one(ws, tmp_path):
    corpus = topic_corpus(tmp_path / "topics.txt", sentences=2500)
    args = ["--corpus", str(corpus), "--engine", "torch", "--epochs", "4", "--min-count", "1", "--dim", "24",
            "--batch-words", "512", "-q"]            # --sync-every: its default, 4
    for name, extra in (("one", ["--seed", "1"]), ("one-b", ["--seed", "2"]), ("two", ["--nproc", "2"])):
        r = ws("train", "word2vec", name, *args, *extra)
        assert r.code == 0, r
    store = Store(ws.home)
    kv = {n: KeyedVectors.from_store(store, n) for n in ("one", "one-b", "two")}
    meta = {n: json.loads((ws.home / "checkpoints" / n / "model.json").read_text()) for n in kv}
    assert meta["two"]["training"]["world"] == 2 and meta["one"]["training"]["world"] == 1
    sync = meta["two"]["training"]["sync"]
    assert sync["every"] == 4 and sync["mode"] == "sum" and sync["rows"] > 0
    assert all(topic_accuracy(v) >= 0.9 for v in kv.values())
    noise = abs(separation(kv["one"]) - separation(kv["one-b"]))   # what another seed changes
    assert abs(separation(kv["two"]) - separation(kv["one"])) <= 3 * noise + 0.02, \
        {n: separation(v) for n, v in kv.items()}
    # the loss per example of the last epoch, over both ranks' examples, is the 1-process figure
    last = {n: m["history"][-1]["mean_loss"] for n, m in meta.items()}
    assert last["two"] == pytest.approx(last["one"], rel=0.05), last
    assert meta["two"]["history"][-1]["examples"] == pytest.approx(meta["one"]["history"][-1]["examples"], rel=0.05)
