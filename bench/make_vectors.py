"""Synthetic pretrained vectors of real shapes, in the formats people download (for bench_pretrained.py).

    python bench/make_vectors.py --rows 400000 --dim 300        # -> bench/out/vec-400k/
    python bench/make_vectors.py --rows 2000000 --dim 300       # -> bench/out/vec-2m/  (~13 GB)
    python bench/make_vectors.py --rows 2000000 --only-binary   # vectors.bin only (2.4 GB)

Writes, in bench/out/vec-<N>/ (ignored by git; delete it when done):
    glove.txt    GloVe text: 'word v1 .. vD', no header ('%.5f' values)
    vectors.vec  word2vec text / fastText .vec: a 'count dim' header, then the same lines
    vectors.bin  word2vec binary: header, then 'word ' + D little-endian float32 + '\\n'
    model.bin    (with --fasttext) a fastText .bin of cc.<lang>.300's shape: the same words and rows,
                 --buckets n-gram rows (default = rows), minn = maxn = 5 as in cc.*.300, no output
                 matrix (gensim's load_facebook_vectors and our reader stop before it)

The words are unique lower-case strings, short ones first (frequent words are short, as in a
Zipf-ranked vocabulary), with a few real words at known ranks to query. The vectors have structure
like real embeddings (clusters of related words: 4096 centres + noise; norms that vary with rank),
so nearest neighbours and approximate indexes behave as they would on real vectors, not as on pure
noise. Numbers are formatted by numpy (digit arithmetic), not printf, so 600M values take a minute.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT  # noqa: E402

QUERY_WORDS = ["the", "king", "queen", "city", "music", "river", "army", "film", "government", "war"]
LETTERS = np.frombuffer(b"etaoinshrdlcumwfgypbvkjxqz", dtype=np.uint8)


def make_words(n: int, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    out: list[bytes] = []
    seen: set[bytes] = set()
    for w in QUERY_WORDS:
        out.append(w.encode())
        seen.add(w.encode())
    # letter frequencies skewed like English; length grows with log-rank
    p = 1.0 / np.arange(1, 27) ** 0.8
    p /= p.sum()
    while len(out) < n:
        rank = len(out)
        length = int(np.clip(2 + np.log2(rank + 2) / 2 + rng.integers(0, 4), 2, 18))
        batch = rng.choice(LETTERS, size=(4096, length), p=p)
        for row in batch:
            w = row.tobytes()
            if w not in seen:
                seen.add(w)
                out.append(w)
                if len(out) == n:
                    break
    return out


def make_vectors(n: int, dim: int, seed: int, block: int):
    """Yield float32 blocks: clustered vectors, norms shrinking slowly with rank."""
    rng = np.random.default_rng(seed + 1)
    centres = rng.standard_normal((4096, dim)).astype(np.float32) * 0.35
    for s in range(0, n, block):
        m = min(block, n - s)
        c = rng.integers(0, 4096, m)
        v = centres[c] + rng.standard_normal((m, dim)).astype(np.float32) * 0.22
        scale = (1.3 - 0.5 * np.log10(np.arange(s, s + m) + 10) / np.log10(n + 10)).astype(np.float32)
        yield (v * scale[:, None]).astype(np.float32)


def format_block(v: np.ndarray) -> np.ndarray:
    """(m, D) values -> (m, D*9) bytes of ' -d.ddddd' with NULs where a '-' is absent (to be dropped)."""
    m, d = v.shape
    q = np.rint(np.abs(v) * 100000).astype(np.int64)
    q = np.minimum(q, 999999)
    out = np.zeros((m, d, 9), dtype=np.uint8)
    out[:, :, 0] = ord(" ")
    out[:, :, 1] = np.where(v < 0, ord("-"), 0)
    out[:, :, 2] = ord("0") + q // 100000
    out[:, :, 3] = ord(".")
    for k in range(5):
        out[:, :, 8 - k] = ord("0") + (q // 10 ** k) % 10
    return out.reshape(m, d * 9)


def write_fasttext(path: Path, words: list[bytes], args, block: int) -> None:
    import struct

    buckets = args.buckets or args.rows
    with open(path.with_name(path.name + ".part"), "wb") as f:
        f.write(struct.pack("<2i", 793712314, 12))
        f.write(struct.pack("<12id", args.dim, 5, 5, 5, 10, 1, 2, 1, buckets, 5, 5, 100, 1e-4))
        f.write(struct.pack("<3iqq", len(words), len(words), 0, 10 ** 10, -1))
        counts = (10 ** 8 / np.arange(1, len(words) + 1)).astype(np.int64) + 5
        f.write(b"".join(w + b"\0" + struct.pack("<qb", int(c), 0) for w, c in zip(words, counts)))
        f.write(struct.pack("<?qq", False, len(words) + buckets, args.dim))
        for v in make_vectors(args.rows, args.dim, args.seed, block):
            f.write(v.astype("<f4").tobytes())
        rng = np.random.default_rng(args.seed + 2)
        for s in range(0, buckets, block):
            m = min(block, buckets - s)
            f.write((rng.standard_normal((m, args.dim)) * 0.1).astype("<f4").tobytes())
        f.write(struct.pack("<?qq", False, 0, args.dim))
    path.with_name(path.name + ".part").rename(path)
    print(f"{path}: {path.stat().st_size / 1e9:.2f} GB", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    ap.add_argument("--fasttext", action="store_true", help="Also write model.bin (fastText .bin).")
    ap.add_argument("--only-fasttext", action="store_true", help="Write model.bin only.")
    ap.add_argument("--buckets", type=int, default=None)
    ap.add_argument("--only-binary", action="store_true", help="Write vectors.bin only (2M: 2.4 GB, not 13).")
    args = ap.parse_args()
    tag = f"{args.rows // 1_000_000}m" if args.rows % 1_000_000 == 0 else f"{args.rows // 1000}k"
    out = Path(args.out) if args.out else OUT / f"vec-{tag}"
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    words = make_words(args.rows, args.seed)
    print(f"{len(words):,} words in {time.time() - t0:.1f} s", file=sys.stderr)
    block = 20_000
    if args.fasttext or args.only_fasttext:
        write_fasttext(out / "model.bin", words, args, block)
    if args.only_fasttext:
        return
    names = ["vectors.bin"] if args.only_binary else ["glove.txt", "vectors.vec", "vectors.bin"]
    files = {n: open(out / f"{n}.part", "wb") for n in names}
    try:
        header = f"{args.rows} {args.dim}\n".encode()
        for n in ("vectors.vec", "vectors.bin"):
            if n in files:
                files[n].write(header)
        for i, v in enumerate(make_vectors(args.rows, args.dim, args.seed, block)):
            ws = words[i * block:i * block + len(v)]
            if "glove.txt" in files:
                text = format_block(v)
                keep = text != 0
                lines = b"".join(w + row[k].tobytes() + b"\n" for w, row, k in zip(ws, text, keep))
                files["glove.txt"].write(lines)
                files["vectors.vec"].write(lines)
            le = v.astype("<f4")
            files["vectors.bin"].write(b"".join(w + b" " + row.tobytes() + b"\n" for w, row in zip(ws, le)))
    finally:
        for f in files.values():
            f.close()
    for name in names:
        (out / f"{name}.part").rename(out / name)
        print(f"{out / name}: {(out / name).stat().st_size / 1e9:.2f} GB", file=sys.stderr)
    print(f"done in {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
