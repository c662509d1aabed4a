"""Import and export of word vectors in the field's formats, through gensim's readers/writers.

    word2vec      binary word2vec (.bin)                     gensim KeyedVectors.load_word2vec_format
    word2vec-text text word2vec / fastText .vec (header)     same, binary=False
    glove         GloVe text (no header line)                same, no_header=True
    fasttext      fastText .bin, with n-gram buckets (OOV)   gensim load_facebook_vectors

None of these readers unpickle anything. gensim is imported only here (import/export
are not on the query path).
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

import numpy as np

from wordshell.errors import BadInput, NotFound, UsageError
from wordshell.store import Store
from wordshell.vectors.keyed import KeyedVectors, save_vectors

FORMATS = ("word2vec", "word2vec-text", "glove", "fasttext", "fasttext-vec")
FASTTEXT_MAGIC = 793712314


def detect_format(path: Path) -> str:
    """Guess a vectors file's format from its first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        raise NotFound(f"no such file: {path}") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a directory") from None
    if len(head) >= 4 and struct.unpack("<i", head[:4])[0] == FASTTEXT_MAGIC:
        return "fasttext"
    if path.suffix in (".gz", ".bz2"):
        return "word2vec-text" if ".txt" in path.name or ".vec" in path.name else "word2vec"
    first = head.split(b"\n", 1)[0].split()
    if len(first) == 2 and all(t.isdigit() for t in first):
        # header 'count dim': text if the rest decodes as text, else binary word2vec
        rest = head[len(head.split(b"\n", 1)[0]) + 1:]
        try:
            rest.decode("utf-8")
            text = not any(b < 9 for b in rest[:1024])
        except UnicodeDecodeError:
            text = False
        return "word2vec-text" if text else "word2vec"
    if path.suffix == ".bin":  # fastText .bin from before the magic number (gensim's lee_fasttext.bin)
        return "fasttext"
    if len(first) >= 2:
        try:
            [float(t) for t in first[1:]]
            return "glove"
        except ValueError:
            pass
    raise BadInput(f"cannot tell the format of {path}", "pass --file-format word2vec|word2vec-text|glove|fasttext")


def import_vectors(store: Store, src: str, name: str, fmt: str | None = None, limit: int | None = None,
                   lowercase: bool | None = None, command: str = "", force: bool = False) -> dict:
    """Read a vectors file and save it as model `name` (through a ModelBuild); return model.json."""
    with store.build(name, force=force, command=command) as build:
        return _import(build, src, fmt, limit, lowercase, command)


def _import(build, src: str, fmt: str | None, limit: int | None, lowercase: bool | None, command: str) -> dict:
    path = Path(src).expanduser()
    if not path.exists():
        raise NotFound(f"no such file: {src}")
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", f"one of: {', '.join(FORMATS)}")
    t0 = time.monotonic()
    from gensim.models import KeyedVectors as GKV

    ngrams = None
    extra: dict = {}
    try:
        if fmt == "fasttext":
            from gensim.models.fasttext import load_facebook_vectors

            wv = load_facebook_vectors(str(path))
            ngrams = wv.vectors_ngrams
            extra = {"min_n": int(wv.min_n), "max_n": int(wv.max_n), "bucket": int(wv.bucket)}
        else:
            wv = GKV.load_word2vec_format(str(path), binary=(fmt == "word2vec"), no_header=(fmt == "glove"),
                                          limit=limit, unicode_errors="replace")
    except NotImplementedError as e:
        raise BadInput(f"cannot import {path.name}: {e}",
                       "only unsupervised fastText .bin models carry word vectors") from None
    except Exception as e:  # any failure inside gensim's reader means the file is not what it claims
        raise BadInput(f"cannot read {path.name} as {fmt}: {type(e).__name__}: {e}") from None
    words = list(wv.index_to_key)
    vectors = np.asarray(wv.vectors, dtype=np.float32)
    if limit and fmt == "fasttext":
        words, vectors = words[:limit], vectors[:limit]
    if not words:
        raise BadInput(f"{path.name} holds no vectors")
    counts = None
    try:
        c = [wv.get_vecattr(w, "count") for w in words]
        if len(set(c)) > 1:
            counts = np.asarray(c, dtype=np.int64)
    except (KeyError, AttributeError):
        pass
    tokenizer = None
    if lowercase is not None:
        tokenizer = {"lowercase": lowercase, "punct": True, "split": "whitespace"}
    meta = {
        "kind": "fasttext" if fmt == "fasttext" else "vectors",
        "config": {"format": fmt, "source": str(path.resolve()), "limit": limit},
        "tokenizer": tokenizer,
        "imported": {"from": str(path.resolve()), "format": fmt, "seconds": round(time.monotonic() - t0, 3)},
        "command": command,
        **extra,
    }
    return save_vectors(build, words, vectors, meta, counts=counts, ngrams=ngrams)


def export_vectors(kv: KeyedVectors, dest: str, fmt: str) -> Path:
    """Write a model's vectors to `dest` in `fmt` (atomically)."""
    from wordshell.atomic import atomic_open

    path = Path(dest).expanduser()
    if fmt not in ("word2vec", "word2vec-text", "glove", "fasttext-vec"):
        raise UsageError(f"cannot export as {fmt!r}",
                         "export formats: word2vec, word2vec-text, glove, fasttext-vec")
    vectors = np.asarray(kv.vectors, dtype=np.float32)
    with atomic_open(path, "wb") as f:
        if fmt != "glove":
            f.write(f"{len(kv)} {kv.dim}\n".encode())
        if fmt == "word2vec":  # word, space, raw little-endian float32s, newline (as gensim/word2vec.c)
            for w, v in zip(kv.words, vectors):
                f.write(w.encode("utf-8") + b" " + v.astype("<f4").tobytes() + b"\n")
        else:
            for w, v in zip(kv.words, vectors):
                f.write((w + " " + " ".join(f"{x:.9g}" for x in v.tolist()) + "\n").encode("utf-8"))
    return path
