"""fastText's .bin, read as a stream: 2M words + 2M n-gram buckets x 300 without the model in memory.

The file (fastText's model.cc / dictionary.cc; also what gensim's _fasttext_bin reads):

    [magic int32 793712314, version int32]       absent in files from before 2017 (gensim's lee_fasttext.bin)
    args: dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate (int32), t (double)
    dictionary: size, nwords, nlabels (int32), ntokens (int64), [pruneidx_size (int64)]
                size x (word bytes, NUL, count int64, type int8), [pruneidx_size x (int32, int32)]
    input matrix: [quant bool], rows int64, dim int64, rows x dim float32
                  rows = nwords word vectors, then `bucket` n-gram vectors
    output matrix (not needed: ignored)

A word's vector, as fastText and gensim give it, is the mean of its own row and its n-grams' bucket
rows. The buckets are streamed to ngrams.npy first (they come after the word rows, so the word rows
wait in a temporary file), then the word vectors are composed block by block: the n-gram buckets
of a block of words are hashed in numpy (`ngram_matrix`) and summed by one sparse product.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from wordshell.errors import BadInput

MAGIC = 793712314
ARGS = struct.Struct("<12id")
OLD_ARGS = struct.Struct("<10id")     # no magic/version: dim and ws were the first two ints


def _read(f: BinaryIO, n: int, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise BadInput(f"the file ends inside the {what} (truncated?)")
    return data


def read_header(f: BinaryIO) -> dict:
    """Args and dictionary header; leaves `f` at the first vocabulary entry."""
    magic, version = struct.unpack("<2i", _read(f, 8, "header"))
    new = magic == MAGIC
    if new:
        a = ARGS.unpack(_read(f, ARGS.size, "header"))
        dim, ws, epoch, min_count, neg, _wn, loss, model, bucket, minn, maxn, _lr = a[:12]
    else:
        a = OLD_ARGS.unpack(_read(f, OLD_ARGS.size, "header"))
        dim, ws = magic, version
        epoch, min_count, neg, _wn, loss, model, bucket, minn, maxn, _lr = a[:10]
    sane = 0 < dim <= 100_000 and 0 <= minn <= maxn <= 100 and 0 <= bucket <= 1 << 31 and model in (1, 2, 3)
    if not sane:
        raise BadInput("this is not a fastText .bin model (no fastText header)")
    size, nwords, nlabels = struct.unpack("<3i", _read(f, 12, "dictionary"))
    (ntokens,) = struct.unpack("<q", _read(f, 8, "dictionary"))
    prune = struct.unpack("<q", _read(f, 8, "dictionary"))[0] if new else 0
    if nlabels > 0 or model == 3:
        raise BadInput(f"this is a supervised fastText model (a classifier with {nlabels} labels): "
                       "it holds no word vectors to import")
    if not 0 <= nwords <= size or prune < -1:
        raise BadInput("this is not a fastText .bin model (its dictionary header is impossible)")
    return {"new": new, "dim": dim, "ws": ws, "epoch": epoch, "min_count": min_count, "neg": neg,
            "sg": model == 2, "bucket": bucket, "min_n": minn, "max_n": maxn, "size": size,
            "nwords": nwords, "ntokens": ntokens, "prune": max(prune, 0)}


def read_dictionary(f: BinaryIO, head: dict) -> tuple[list[bytes], np.ndarray]:
    """The vocabulary entries: words (bytes) and counts; `f` ends at the input matrix."""
    words, counts = [], []
    buf = b""
    pos = 0
    while len(words) < head["size"]:
        end = buf.find(b"\0", pos)
        if end < 0 or len(buf) - end - 1 < 9:
            more = f.read(1 << 20)
            if not more:
                raise BadInput("the file ends inside the vocabulary (truncated?)")
            buf = buf[pos:] + more
            pos = 0
            continue
        words.append(buf[pos:end])
        counts.append(int.from_bytes(buf[end + 1:end + 9], "little", signed=True))
        pos = end + 10                     # NUL, int64 count, int8 type
    rest = buf[pos:]
    skip = head["prune"] * 8 if head["new"] else 0
    if len(rest) < skip:
        rest += _read(f, skip - len(rest), "pruned index")
    rest = rest[skip:]
    f_rest = _Prefixed(rest, f)
    head["stream"] = f_rest
    return words[:head["nwords"]], np.asarray(counts[:head["nwords"]], dtype=np.int64)


class _Prefixed:
    """A stream that first returns `prefix` (bytes already read past the dictionary)."""

    def __init__(self, prefix: bytes, f: BinaryIO):
        self.prefix, self.f = prefix, f

    def read(self, n: int) -> bytes:
        if self.prefix:
            out, self.prefix = self.prefix[:n], self.prefix[n:]
            if len(out) < n:
                out += self.f.read(n - len(out))
            return out
        return self.f.read(n)


def matrix_header(stream, head: dict) -> int:
    """Rows of the input matrix (checks quantisation and the shape); stream at its first float."""
    if head["new"]:
        if _read(stream, 1, "input matrix")[0]:
            raise BadInput("quantized fastText models (.ftz) are not supported", "use the .bin model")
    rows, dim = struct.unpack("<2q", _read(stream, 16, "input matrix"))
    if dim != head["dim"] or rows != head["nwords"] + head["bucket"]:
        raise BadInput(f"the input matrix is {rows} x {dim}, expected {head['nwords'] + head['bucket']} x {head['dim']}")
    return rows


# -- n-grams, vectorised ------------------------------------------------------------------

def ngram_matrix(words: list[bytes], min_n: int, max_n: int, buckets: int):
    """Sparse (len(words), buckets) matrix: row w counts the buckets of word w's n-grams.

    The same n-grams and FNV-1a hash as ngrams.py (fastText's computeSubwords), for a block of
    words at once: every (character start, n) pair of every '<word>' is a candidate, hashed byte
    column by byte column in numpy. Returns (csr matrix, n-grams per word).

    >>> m, k = ngram_matrix([b"ab"], 2, 3, 1000)
    >>> from wordshell.vectors.ngrams import ngram_buckets
    >>> sorted(m.indices.tolist()) == sorted(ngram_buckets("ab", 2, 3, 1000)), k.tolist()
    (True, [5])
    """
    from scipy.sparse import csr_matrix

    wrapped = [b"<" + w + b">" for w in words]
    lens = np.fromiter((len(w) for w in wrapped), dtype=np.int64, count=len(wrapped))
    buf = np.frombuffer(b"".join(wrapped), dtype=np.uint8)
    word_end = np.cumsum(lens)
    word_start = word_end - lens
    starts = np.flatnonzero((buf & 0xC0) != 0x80)               # byte position of each character
    owner = np.searchsorted(word_end, starts, side="right")      # its word
    first_char = np.searchsorted(starts, word_start)              # index of each word's first character
    n_chars = np.diff(np.append(first_char, len(starts)))
    local = np.arange(len(starts)) - first_char[owner]            # character index inside its word
    rows, s_all, e_all = [], [], []
    for n in range(max(min_n, 1), max_n + 1):
        ok = local + n <= n_chars[owner]
        if n == 1:   # fastText skips the 1-grams '<' and '>'
            ok &= (local != 0) & (local + 1 != n_chars[owner])
        idx = np.flatnonzero(ok)
        nxt = idx + n
        end = np.where(local[idx] + n < n_chars[owner[idx]], starts[np.minimum(nxt, len(starts) - 1)],
                       word_end[owner[idx]])
        rows.append(owner[idx])
        s_all.append(starts[idx])
        e_all.append(end)
    if not rows:
        return csr_matrix((len(words), max(buckets, 1)), dtype=np.float32), np.zeros(len(words), np.int64)
    w = np.concatenate(rows)
    s = np.concatenate(s_all)
    e = np.concatenate(e_all)
    h = np.full(len(s), 2166136261, dtype=np.uint64)
    signed = buf.astype(np.uint64)
    signed[buf >= 128] |= np.uint64(0xFFFFFF00)                   # fastText sign-extends each byte
    for k in range(int((e - s).max()) if len(s) else 0):
        active = s + k < e
        b = signed[np.minimum(s + k, len(buf) - 1)]
        h = np.where(active, ((h ^ b) * np.uint64(16777619)) & np.uint64(0xFFFFFFFF), h)
    cols = (h % np.uint64(buckets)).astype(np.int64)
    data = np.ones(len(w), dtype=np.float32)
    m = csr_matrix((data, (w, cols)), shape=(len(words), buckets))
    m.sum_duplicates()
    per_word = np.bincount(w, minlength=len(words))
    return m, per_word


def compose(word_rows: np.ndarray, words: list[bytes], ngrams: np.ndarray, min_n: int, max_n: int) -> np.ndarray:
    """Word vectors as fastText/gensim give them: (own row + sum of n-gram rows) / (1 + n-grams)."""
    if ngrams.shape[0] == 0 or max_n == 0:
        return np.asarray(word_rows, dtype=np.float32)
    m, k = ngram_matrix(words, min_n, max_n, ngrams.shape[0])
    total = np.asarray(m @ ngrams, dtype=np.float32) + word_rows
    return total / (1 + k)[:, None].astype(np.float32)


def copy_rows(stream, n_rows: int, dim: int, sink, block: int = 16384) -> None:
    """Stream n_rows x dim float32 from `stream` into `sink.write(array)`, block by block."""
    done = 0
    while done < n_rows:
        n = min(block, n_rows - done)
        data = _read(stream, n * dim * 4, "input matrix")
        sink.write(np.frombuffer(data, dtype="<f4").reshape(n, dim))
        done += n


def sniff(path: Path) -> bool:
    """Does the file start like a fastText .bin (magic number)?"""
    with open(path, "rb") as f:
        head = f.read(4)
    return len(head) == 4 and struct.unpack("<i", head)[0] == MAGIC
