"""Import and export of word vectors in the field's formats.

    word2vec      binary word2vec (.bin)                     importer.py + readers.binary_blocks
    word2vec-text text word2vec / fastText .vec (header)     importer.py + readers.text_blocks
    glove         GloVe text (no header line)                same, no header
    fasttext      fastText .bin, with n-gram buckets (OOV)   importer.py + fasttext_bin.py

All readers stream (bounded memory, numpy parsing) and accept .gz/.bz2/.xz/.zip files. None of them
unpickles anything, and none imports gensim (the tests check the results against gensim's readers).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from wordshell.errors import BadInput, NotFound, UsageError
from wordshell.store import Store
from wordshell.vectors.keyed import KeyedVectors

FORMATS = ("word2vec", "word2vec-text", "glove", "fasttext", "fasttext-vec")
FASTTEXT_MAGIC = 793712314


def detect_format(path: Path) -> str:
    """Guess a vectors file's format from its first bytes (decompressed for .gz/.bz2/.xz/.zip)."""
    from wordshell.vectors.readers import open_stream

    try:
        with open_stream(path) as f:
            head = f.read(4096)
    except FileNotFoundError:
        raise NotFound(f"no such file: {path}") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a directory") from None
    except (OSError, EOFError, ValueError) as e:   # a broken .gz/.zip
        raise BadInput(f"cannot read {path.name}: {e}") from None
    if not head:
        raise BadInput(f"{path.name} is empty")
    if len(head) >= 4 and struct.unpack("<i", head[:4])[0] == FASTTEXT_MAGIC:
        return "fasttext"
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
    if path.suffix == ".bin" and _old_fasttext(head):
        return "fasttext"  # fastText .bin from before the magic number (gensim's lee_fasttext.bin)
    if len(first) >= 2:
        try:
            [float(t) for t in first[1:]]
            return "glove"
        except ValueError:
            pass
    raise BadInput(f"cannot tell the format of {path.name}", "pass --file-format word2vec|word2vec-text|glove|fasttext")


def import_vectors(store: Store, src: str, name: str, fmt: str | None = None, limit: int | None = None,
                   lowercase: bool | None = None, command: str = "", force: bool = False, *,
                   dtype: str = "float32", skip_bad: bool = False, progress=None, source: dict | None = None,
                   workers: int | None = None) -> dict:
    """Read a vectors file and save it as model `name` (through a ModelBuild); return model.json
    (with `notes`: what was dropped, for the command to say)."""
    path = Path(src).expanduser()
    if not path.exists():
        raise NotFound(f"no such file: {src}")
    if path.is_dir():
        raise BadInput(f"{src} is a directory")
    fmt = fmt or detect_format(path)
    if fmt == "fasttext-vec":
        fmt = "word2vec-text"
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", f"one of: {', '.join(FORMATS)}")
    if fmt == "fasttext" and not path.name.endswith((".gz", ".bz2", ".xz", ".zip")):
        _check_fasttext(path)
    from wordshell.vectors.importer import import_stream

    with store.build(name, force=force, command=command) as build:
        fields, report = import_stream(build, path, fmt, limit=limit, dtype=dtype, skip_bad=skip_bad,
                                       progress=progress, workers=workers)
        tokenizer = None
        if lowercase is not None:
            tokenizer = {"lowercase": lowercase, "punct": True, "split": "whitespace"}
        imported = {"from": str(path.resolve()), **fields.pop("imported")}
        if source:
            imported["source"] = source
        meta = {
            "kind": "fasttext" if fmt == "fasttext" else "vectors",
            "config": {"format": fmt, "source": str(path.resolve()), "limit": limit, "dtype": dtype},
            "tokenizer": tokenizer,
            "imported": imported,
            "command": command,
            **fields,
        }
        d = build.dir
        dim = int(np.load(d / "vectors.npy", mmap_mode="r").shape[1])
        out = build.commit({**meta, "vocab_size": report.rows, "dim": dim})
    return {**out, "notes": report.notes}


def _old_fasttext(head: bytes) -> bool:
    import io

    from wordshell.vectors.fasttext_bin import read_header

    try:
        read_header(io.BytesIO(head))
        return True
    except BadInput:
        return False


def _check_fasttext(path: Path) -> None:
    """A file named as fastText .bin that is something else gets a line about the file."""
    with open(path, "rb") as f:
        head = f.read(64)
    if len(head) < 8:
        raise BadInput(f"{path.name} is not a fastText .bin model (too short)")
    try:
        head.decode("utf-8")
        is_text = b"\0" not in head
    except UnicodeDecodeError:
        is_text = False
    if is_text:
        raise BadInput(f"{path.name} is a text file, not a fastText .bin model",
                       "for a .vec / word2vec text file use --file-format word2vec-text (or glove)")


def export_vectors(kv: KeyedVectors, dest: str, fmt: str) -> Path:
    """Write a model's vectors to `dest` in `fmt` (atomically)."""
    from wordshell.atomic import atomic_open, output_path

    path = output_path(dest)   # its folder must exist, as for cp
    if fmt not in ("word2vec", "word2vec-text", "glove", "fasttext-vec"):
        raise UsageError(f"cannot export as {fmt!r}",
                         "export formats: word2vec, word2vec-text, glove, fasttext-vec")
    with atomic_open(path, "wb") as f:
        if fmt != "glove":
            f.write(f"{len(kv)} {kv.dim}\n".encode())
        for start in range(0, len(kv), 4096):   # block by block: bounded memory on any size
            words = kv.words[start:start + 4096]
            block = np.asarray(kv.vectors[start:start + 4096], dtype="<f4")
            if fmt == "word2vec":  # word, space, raw little-endian float32s, newline (as gensim/word2vec.c)
                f.write(b"".join(w.encode("utf-8") + b" " + v.tobytes() + b"\n" for w, v in zip(words, block)))
            else:
                f.write("".join(w + " " + " ".join(f"{x:.9g}" for x in v) + "\n"
                                for w, v in zip(words, block.tolist())).encode("utf-8"))
    return path
