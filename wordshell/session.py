"""The Session: everything a command needs besides its arguments.

One-shot runs build a Session from the workspace and drop it at exit; the REPL keeps
one alive, so loaded models stay cached between lines. It is passed in (click's
ctx.obj), never a module global.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, Any, Callable

from wordshell.errors import NotFound, UsageError
from wordshell.atomic import atomic_write_json, read_json
from wordshell.store import Store, validate_name


class Session:
    def __init__(self, home: str | os.PathLike | None = None, *, fmt: str | None = None,
                 interactive: bool = False, out: IO[str] | None = None, err: IO[str] | None = None,
                 quiet: bool = False):
        self.store = Store(home or os.environ.get("WORDSHELL_HOME") or os.getcwd())
        self.fmt = fmt                  # table | tsv | json | None (= by TTY)
        self.interactive = interactive  # True inside the REPL
        self.script = False             # True while a batch script runs (stdin is the script, not input)
        self.out = out
        self.err = err
        self.quiet = quiet
        self.progress_factory: Callable[[], Any] | None = None  # set by the job worker
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}
        self._active: str | None = None
        self._active_loaded = False
        self._jobs = None
        self.argv: list[str] = []       # the current command's words (for --background, model.json)

    @property
    def command_line(self) -> str:
        import shlex

        return "wordshell " + shlex.join(self.argv) if self.argv else ""

    # -- streams --------------------------------------------------------------
    @property
    def stdout(self) -> IO[str]:
        return self.out if self.out is not None else sys.stdout

    @property
    def stderr(self) -> IO[str]:
        return self.err if self.err is not None else sys.stderr

    def set_home(self, home: str | os.PathLike) -> None:
        self.store = Store(home)
        self._cache.clear()
        self._active_loaded = False
        self._active = None
        self._jobs = None

    @property
    def home(self) -> Path:
        return self.store.home

    # -- progress -------------------------------------------------------------
    def progress(self):
        """A progress reporter suited to where output goes (bar, plain lines, job status)."""
        if self.progress_factory is not None:
            return self.progress_factory()
        from wordshell import progress

        return progress.for_stream(self.stderr, quiet=self.quiet)

    def note(self, text: str) -> None:
        """A side remark (warnings, 'using ckpt/last') to stderr, never mixed into data."""
        if not self.quiet:
            self.stderr.write(text + "\n")
            self.stderr.flush()

    # -- settings / active model ---------------------------------------------
    @property
    def _settings_path(self) -> Path:
        return self.store.state_dir / "settings.json"

    def settings(self) -> dict:
        try:
            return read_json(self._settings_path, "settings")
        except NotFound:
            return {}
        except Exception:
            return {}

    def save_setting(self, key: str, value: Any) -> None:
        s = self.settings()
        if value is None:
            s.pop(key, None)
        else:
            s[key] = value
        atomic_write_json(self._settings_path, s)

    @property
    def active_model(self) -> str | None:
        if not self._active_loaded:
            self._active = self.settings().get("active_model")
            self._active_loaded = True
        return self._active

    def use(self, name: str | None) -> None:
        if name is not None:
            validate_name(name)
            self.store.model_meta(name)  # must exist
        self._active = name
        self._active_loaded = True
        self.save_setting("active_model", name)

    def model_name(self, given: str | None, families: tuple[str, ...] = ()) -> str:
        """The model a command should use: --model, else the active one, else the only one.

        `families` ('vectors', 'lm', 'classifier') narrows the choice when guessing.
        """
        if given:
            return validate_name(given)
        active = self.active_model
        if active and self.store.has_model(active):
            if not families or self.family(active) in families:
                return active
        candidates = []
        for name, meta in self.store.iter_models():
            if meta and (not families or meta.get("family") in families):
                candidates.append(name)
        if len(candidates) == 1:
            return candidates[0]
        what = "/".join(families) or "any"
        if not candidates:
            raise NotFound(f"no {what} model in this workspace ({self.store.checkpoints_dir})",
                           "train one ('train word2vec ...'), import one ('models import'), or run 'demo'")
        raise UsageError("which model? give --model NAME or 'use NAME'",
                         "models: " + ", ".join(candidates[:10]))

    def family(self, name: str) -> str | None:
        return self.store.model_meta(name).get("family")

    # -- cached model loading -------------------------------------------------
    def cached(self, kind: str, name: str, loader: Callable[[], Any]) -> Any:
        """Load once per (kind, name); reload when model.json changes (retrained, replaced)."""
        meta_path = self.store.model_dir(name) / "model.json"
        try:
            stamp = meta_path.stat().st_mtime_ns
        except FileNotFoundError:
            self._cache.pop((kind, name), None)
            stamp = -1.0
        hit = self._cache.get((kind, name))
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = loader()
        self._cache[(kind, name)] = (stamp, value)
        return value

    def forget(self, name: str) -> None:
        for key in [k for k in self._cache if k[1] == name]:
            del self._cache[key]

    def vectors(self, name: str | None):
        """The KeyedVectors of a stored embedding model (numpy only, memory-mapped)."""
        from wordshell.vectors.keyed import KeyedVectors

        name = self.model_name(name, ("vectors",))
        return self.cached("vectors", name, lambda: KeyedVectors.from_store(self.store, name))

    def ann(self, name: str):
        """The approximate index of a vectors model (vectors/ann.py), or None; loaded once."""
        from wordshell.vectors.ann import AnnIndex

        return self.cached("ann", name, lambda: AnnIndex.load(self.store.model_dir(name)))

    def classifier(self, name: str | None):
        """The predictor of a stored classifier (numpy for bag, torch for the RNNs), loaded once."""
        from wordshell.classify.predict import load_predictor

        name = self.model_name(name, ("classifier",))
        return self.cached("classifier", name, lambda: load_predictor(self.store, name))

    def tagger(self, name: str | None):
        """The Tagger of a stored sequence tagger (numpy on the CPU, torch on CUDA), loaded once."""
        from wordshell.tag.predict import load_tagger

        name = self.model_name(name, ("tagger",))
        return self.cached("tagger", name, lambda: load_tagger(self.store, name))

    # -- jobs -------------------------------------------------------------------
    @property
    def jobs(self):
        if self._jobs is None:
            from wordshell.jobs.manager import JobManager

            self._jobs = JobManager(self.store)
        return self._jobs
