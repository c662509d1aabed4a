"""The workspace on disk: corpora/, checkpoints/, .wordshell/ (history, settings).

    <home>/corpora/<name>/corpus.json       a named corpus (sources, format, stats)
    <home>/checkpoints/<model>/model.json   kind, config, metrics; written last, so a
                                            model without it is not ready (or in training)
    <home>/.wordshell/                      REPL history, settings, caches

Every write goes through `atomic_write*`: temp file in the same directory, fsync,
os.replace. Names are validated before they touch a path.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from wordshell.errors import CorruptFile, NotFound, UsageError

NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
META = "model.json"


def validate_name(name: str, what: str = "model") -> str:
    """Model/corpus names: letters, digits, '.', '_', '-'; no '..', no leading dot.

    >>> validate_name("w2v-lee")
    'w2v-lee'
    """
    if not isinstance(name, str) or not name:
        raise UsageError(f"a {what} name is required")
    if len(name) > 100 or not NAME_RE.match(name) or ".." in name or name.startswith("."):
        raise UsageError(
            f"invalid {what} name {name!r}",
            "use letters, digits, '.', '_' and '-' (no '..', not starting with '.')",
        )
    return name


# -- atomic writes ------------------------------------------------------------

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


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    mode = "w" if isinstance(data, str) else "wb"
    with atomic_open(path, mode) as f:
        f.write(data)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write(path, json.dumps(obj, indent=2, ensure_ascii=False, default=_json_default) + "\n")


def _json_default(o: Any) -> Any:
    item = getattr(o, "item", None)
    if callable(item):
        return item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


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


def _read_job(path: Path) -> dict:
    """The status a background job left (jobs.py); {} when unreadable."""
    try:
        return read_json(path, "job status")
    except (NotFound, CorruptFile):
        return {}


# -- the workspace --------------------------------------------------------------

class Store:
    """Paths and metadata of one workspace. Cheap to create; touches the disk lazily."""

    def __init__(self, home: str | os.PathLike):
        self.home = Path(home).resolve()

    @property
    def corpora_dir(self) -> Path:
        return self.home / "corpora"

    @property
    def checkpoints_dir(self) -> Path:
        return self.home / "checkpoints"

    @property
    def state_dir(self) -> Path:
        d = self.home / ".wordshell"
        return d

    def cache_dir(self, kind: str) -> Path:
        d = self.state_dir / "cache" / kind
        d.mkdir(parents=True, exist_ok=True)
        return d

    # models
    def model_dir(self, name: str) -> Path:
        return self.checkpoints_dir / validate_name(name, "model")

    def has_model(self, name: str) -> bool:
        return (self.model_dir(name) / META).is_file()

    def model_meta(self, name: str) -> dict:
        d = self.model_dir(name)
        if not (d / META).is_file():
            if (d / "job.json").is_file():
                job = _read_job(d / "job.json")
                if job.get("state") in ("failed", "cancelled"):
                    raise NotFound(f"model '{name}' has no final model: its training job {job.get('id')} "
                                   f"{job['state']}", f"see 'jobs log {job.get('id')}'")
                raise NotFound(f"model '{name}' is still training (no final model yet)",
                               f"see 'jobs', or wait for it: 'jobs wait {job.get('id', name)}'")
            raise NotFound(f"no model named '{name}'", self._model_hint(name))
        return read_json(d / META, f"model '{name}' metadata")

    def write_model_meta(self, name: str, meta: dict) -> None:
        atomic_write_json(self.model_dir(name) / META, meta)

    def model_names(self) -> list[str]:
        d = self.checkpoints_dir
        if not d.is_dir():
            return []
        return sorted(p.name for p in d.iterdir()
                      if p.is_dir() and NAME_RE.match(p.name) and not p.name.startswith(".")
                      and ((p / META).is_file() or (p / "job.json").is_file()))

    def iter_models(self) -> Iterator[tuple[str, dict | None]]:
        """(name, meta) for every model; meta is None for one still training."""
        for name in self.model_names():
            path = self.model_dir(name) / META
            if path.is_file():
                try:
                    yield name, read_json(path, "model metadata")
                except CorruptFile:
                    yield name, {"kind": "?", "corrupt": True}
            else:
                yield name, None

    def remove_model(self, name: str) -> None:
        d = self.model_dir(name)
        if not d.is_dir():
            raise NotFound(f"no model named '{name}'", self._model_hint(name))
        trash = d.with_name(f".trash-{name}-{os.getpid()}")
        os.replace(d, trash)  # atomic: the model disappears at once
        shutil.rmtree(trash, ignore_errors=True)

    def _model_hint(self, name: str) -> str | None:
        from wordshell.suggest import did_you_mean

        names = self.model_names()
        close = did_you_mean(name, names, n=3)
        if close:
            return f"did you mean: {', '.join(close)}?"
        if names:
            return "models here: " + ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
        return f"no models in {self.checkpoints_dir}; train one with 'train word2vec' or run 'demo'"

    # corpora
    def corpus_dir(self, name: str) -> Path:
        return self.corpora_dir / validate_name(name, "corpus")
