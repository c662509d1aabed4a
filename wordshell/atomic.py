"""Files written atomically and read back with one clear error.

Every write goes through here: a temp file in the same directory, fsync, os.replace, fsync of
the directory. A reader sees the old file or the new one, never half of one; a kill at any
moment leaves no partial file under the real name (only a `.<name>.*.tmp` beside it).

    >>> with atomic_open(tmp / "x.bin") as f: f.write(b"...")   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from wordshell.errors import CorruptFile, NotFound


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class atomic_open:
    """Context manager: a binary file handle whose content appears at `path` only on success.

    >>> with atomic_open(tmp / "x.bin") as f: f.write(b"...")   # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike, mode: str = "wb"):
        assert mode in ("wb", "w"), mode
        self.path = Path(path)
        self.mode = mode

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        self.tmp = Path(tmp)
        if self.mode == "w":
            self.f = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        else:
            self.f = os.fdopen(fd, "wb")
        return self.f

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.f.flush()
                os.fsync(self.f.fileno())
            self.f.close()
            if exc_type is None:
                os.replace(self.tmp, self.path)
                _fsync_dir(self.path.parent)
        finally:
            if self.tmp.exists():
                self.tmp.unlink()
        return False


def output_path(path: str | os.PathLike) -> Path:
    """A file the user asked us to write (plot --out, models export): its folder must exist, as for `cp`;
    we never create a tree of folders from a typo. NotFound / BadInput otherwise.

    >>> output_path("/no/such/dir/x.png")
    Traceback (most recent call last):
    ...
    wordshell.errors.NotFound: no such directory: /no/such/dir (for x.png)
    """
    from wordshell.errors import BadInput

    p = Path(path).expanduser()
    if p.is_dir():
        raise BadInput(f"{p} is a directory; give a file name")
    if not p.parent.is_dir():
        raise NotFound(f"no such directory: {p.parent} (for {p.name})")
    return p


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    mode = "w" if isinstance(data, str) else "wb"
    with atomic_open(path, mode) as f:
        f.write(data)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write(path, json.dumps(obj, indent=2, ensure_ascii=False, default=json_default) + "\n")


def json_default(o: Any) -> Any:
    """`default=` for json.dumps everywhere: numpy/torch scalars, tuples, sets, paths; str() for the rest."""
    item = getattr(o, "item", None)
    if callable(item):
        return item()
    if isinstance(o, (tuple, set, frozenset)):
        return list(o)
    return str(o)


def atomic_save_npy(path: str | os.PathLike, array) -> None:
    import numpy as np

    with atomic_open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)


def read_json(path: Path, what: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except FileNotFoundError:
        raise NotFound(f"{what} not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CorruptFile(f"{what} is corrupt: {path}: {e}") from None
    if not isinstance(obj, dict):
        raise CorruptFile(f"{what} is corrupt: {path}: expected a JSON object")
    return obj


def read_vocab(path: str | os.PathLike) -> list[str]:
    """The lines of a vocab.txt (one entry per line, the last newline dropped). FileNotFoundError passes."""
    with open(path, encoding="utf-8") as f:
        words = f.read().split("\n")
    if words and words[-1] == "":
        words.pop()
    return words
