"""Optional approximate nearest neighbours for the biggest models (`models index NAME`), with faiss.

faiss is an optional extra (`pip install 'wordshell[ann]'`); nothing else needs it. The index is an
inverted file over the unit vectors with 8-bit scalar-quantised codes (faiss IndexIVFScalarQuantizer,
inner product = cosine):

    build   k-means centroids (nlist ~ 2 sqrt(V)) on a sample, then every row to its list, block by
            block from the memory-mapped matrix (memory: the codes, V x D bytes)
    query   the nprobe lists nearest to the query are scanned (~V nprobe / nlist codes), the best
            `rerank` candidates are re-scored exactly on the float32 vectors, so the scores shown
            are exact cosines and only the candidate set is approximate

At build time nprobe is tuned on 200 of the model's own words: the smallest of 1..256 whose
recall@10 against the exact scan reaches `target` (0.97); that recall is stored and shown.
Files: <model>/ann.faiss (faiss's own binary format, not a pickle) and <model>/ann.json.
HNSW (what faiss is best known for) answers faster but builds at ~1k vectors/s on 2 cores here:
33 minutes for 2M words; the IVF index builds in minutes.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from wordshell.errors import UsageError

INDEX, INFO = "ann.faiss", "ann.json"
PROBES = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def faiss_module():
    try:
        import faiss
    except ImportError:
        raise UsageError("approximate search needs the optional faiss-cpu package",
                         "pip install 'wordshell[ann]'") from None
    return faiss


def _stamp(d: Path) -> dict:
    st = (d / "vectors.npy").stat()
    return {"vectors_size": st.st_size, "vectors_mtime_ns": st.st_mtime_ns}


def _unit(block: np.ndarray) -> np.ndarray:
    v = np.asarray(block, dtype=np.float32)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1
    return np.ascontiguousarray(v / n)


def build(kv, d: Path, *, nlist: int | None = None, target: float = 0.97, progress=None, seed: int = 0) -> dict:
    """Build the index of `kv` into folder `d` (atomically); returns ann.json's content."""
    faiss = faiss_module()
    t0 = time.monotonic()
    n, dim = len(kv), kv.dim
    # 2 sqrt(V) lists: k-means and the assignment stay minutes on 2 cores at 2M words (4 sqrt(V), the
    # usual advice, doubles both for a smaller scan per query that the re-ranking does not need)
    nlist = nlist or int(np.clip(2 * np.sqrt(n), 16, 65536))
    nlist = min(nlist, max(1, n // 39))        # faiss wants >= 39 training points per list
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, size=min(n, nlist * 39), replace=False))   # 39 a list: faiss's minimum
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                          faiss.METRIC_INNER_PRODUCT)
    if progress is not None:
        progress.start(f"index {kv.name}: k-means ({nlist} lists)", None, "")
    index.train(_unit(kv.vectors[sample]))
    if progress is not None:
        progress.start(f"index {kv.name}", n, "words")
    step = 65536
    for s in range(0, n, step):
        index.add(_unit(kv.vectors[s:s + step]))
        if progress is not None:
            progress.update(min(s + step, n))
    if progress is not None:
        progress.finish()
    # tune nprobe on the model's own words against the exact scan
    probe_rows = rng.choice(n, size=min(200, n), replace=False)
    Q = _unit(kv.vectors[probe_rows])

    def ten(rows, me):   # the 10 best other words
        return set([r for r in rows.tolist() if r != me and r >= 0][:10])

    exact = [ten(_exact_top(kv, q, 11), me) for q, me in zip(Q, probe_rows)]
    chosen, recall = PROBES[-1], 0.0
    rerank = 100
    for p in PROBES:
        index.nprobe = min(p, nlist)
        _, I = index.search(Q, rerank)
        got = []
        for q, cand in zip(Q, I):   # what a query returns: the candidates re-scored exactly
            cand = np.unique(cand[cand >= 0])
            s = (_unit(kv.vectors[cand]) @ q)
            got.append(cand[np.argsort(-s, kind="stable")])
        recall = float(np.mean([len(ten(row, me) & ex) / max(len(ex), 1)
                                for row, me, ex in zip(got, probe_rows, exact)]))
        chosen = p
        if recall >= target or p >= nlist:
            break
    info = {"kind": "faiss IVF-SQ8", "nlist": nlist, "nprobe": min(chosen, nlist), "recall_at_10": round(recall, 4),
            "rerank": rerank, "words": n, "seconds": round(time.monotonic() - t0, 1),
            "faiss": getattr(faiss, "__version__", "?"), **_stamp(d)}
    from wordshell.atomic import atomic_write_json

    tmp = d / f".{INDEX}.{os.getpid()}.tmp"
    try:
        faiss.write_index(index, str(tmp))
        os.replace(tmp, d / INDEX)
    finally:
        tmp.unlink(missing_ok=True)
    atomic_write_json(d / INFO, info)
    return info


def _exact_top(kv, q: np.ndarray, k: int) -> np.ndarray:
    s = kv.scores(q)
    part = np.argpartition(-s, k)[:k] if k < len(s) else np.arange(len(s))
    return part[np.argsort(-s[part])]


class AnnIndex:
    """A loaded index: `candidates(q, k)` -> row ids, best first (approximately)."""

    def __init__(self, index, info: dict, faiss=None):
        self.index, self.info, self.faiss = index, info, faiss
        self.index.nprobe = int(info["nprobe"])

    @classmethod
    def load(cls, d: Path) -> "AnnIndex | None":
        """The index in model folder `d`, or None: absent, stale (the vectors changed) or no faiss."""
        if not (d / INDEX).exists():
            return None
        try:
            info = json.loads((d / INFO).read_text())
            if {k: info.get(k) for k in ("vectors_size", "vectors_mtime_ns")} != _stamp(d):
                return None
            import faiss
        except (OSError, ValueError, ImportError):
            return None
        return cls(faiss.read_index(str(d / INDEX)), info, faiss)

    def candidates(self, q: np.ndarray, k: int) -> np.ndarray:
        # one query: one OpenMP thread (more only spin-wait: 23 vs 8 ms a shell query on a busy machine)
        prev = self.faiss.omp_get_max_threads() if self.faiss is not None else None
        if prev is not None:
            self.faiss.omp_set_num_threads(1)
        try:
            _, I = self.index.search(np.asarray(q, dtype=np.float32)[None, :], k)
        finally:
            if prev is not None:
                self.faiss.omp_set_num_threads(prev)
        return I[0][I[0] >= 0]

    def describe(self) -> str:
        i = self.info
        return (f"approximate: {i['kind']} index, {i['nprobe']} of {i['nlist']} lists scanned, recall@10 "
                f"{i['recall_at_10']:.3f} measured at build; scores exact; --exact scans every word")


def approx_similar(kv, ann: AnnIndex, positive, negative=(), topn: int = 10) -> list[tuple[str, float]]:
    """most_similar through the index: candidates from it, exact cosines on the stored vectors."""
    query, exclude = kv.mean_query(positive, negative)
    q = np.asarray(query, dtype=np.float32)
    rows = np.unique(ann.candidates(q, max(int(ann.info.get("rerank", 100)), topn + len(exclude))))
    if not len(rows):
        return []
    V = np.asarray(kv.vectors[rows], dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (V @ q) / np.asarray(kv.norms[rows])
    s[np.isnan(s)] = 0.0
    order = [int(rows[i]) for i in np.argsort(-s, kind="stable")]
    score = dict(zip(rows.tolist(), s.tolist()))
    best = [r for r in order if r not in exclude][:topn]      # words are read for these rows only
    return [(kv.words[r], score[r]) for r in best]
