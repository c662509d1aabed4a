"""The workspace on disk: corpora/, checkpoints/, .wordshell/ (history, settings).

    <home>/corpora/<name>/corpus.json       a named corpus (sources, format, stats)
    <home>/checkpoints/<model>/model.json   kind, config, metrics; written last, so a
                                            model without it is not ready (or in training)
    <home>/.wordshell/                      REPL history, settings, caches

Every write goes through atomic.py (temp file in the same directory, fsync, os.replace).
Names are validated before they touch a path.

model.json has ONE writer, `Store.write_model`, and one field name per fact:

    name, kind, family          family from kinds.py (stamped by write_model)
    config                      what rebuilds the model (torch) or how it was trained (gensim)
    tokenizer, vocab_size       how text becomes tokens; [dim, min_n, max_n, bucket] for vectors
    corpus                      what it was trained on: name, origin, fingerprint, tokens, ...
                                (classifiers: `data`, their labelled files)
    train                       the training loop's settings (torch models)
    training                    how training went: seconds, unit + per_second (words, tokens or
                                examples per second), steps, epochs, stopped, ...
    metrics                     quality figures only (valid_ppl, valid_acc, ...)
    params                      parameter count (torch models)
    history                     one row per evaluation / epoch
    grad_norms                  torch LMs: global gradient norm before clipping, max per window of
                                `stride` steps ([[step, norm], ...]), and how often clipping fired
    command, seed               how to train it again
    created, versions           stamped by write_model

Models written before this schema still load: `model_meta` upgrades the old names on read.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import Iterator

from wordshell.atomic import atomic_write_json, read_json
from wordshell.errors import CorruptFile, NotFound, UsageError

NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
META = "model.json"
RUN_STATE = "ckpt/state.json"   # the readable copy of a training run's state (fit/checkpoint.py)


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


def versions() -> dict:
    """wordshell, python and numpy versions, and torch/gensim when this process has imported them."""
    import platform
    import sys

    from wordshell import __version__

    out = {"wordshell": __version__, "python": platform.python_version()}
    for lib in ("numpy", "torch", "gensim"):
        mod = sys.modules.get(lib)
        if mod is not None:
            out[lib] = getattr(mod, "__version__", "?")
    return out


# old field -> (new section, new field); for models saved before the one-writer schema
_OLD_TRAINING = {"train_seconds": "seconds", "seconds": "seconds", "steps": "steps", "epochs": "epochs",
                 "stopped": "stopped"}
_OLD_SPEED = {"words_per_sec": "words", "tokens_per_sec": "tokens", "examples_per_sec": "examples"}


def upgrade_meta(meta: dict) -> dict:
    """model.json as written today, from any version: old field names move to their one place.

    >>> upgrade_meta({"metrics": {"train_seconds": 3.5, "tokens_per_sec": 90.0, "params": 7, "valid_ppl": 9}})
    {'metrics': {'valid_ppl': 9}, 'params': 7, 'training': {'seconds': 3.5, 'unit': 'tokens', 'per_second': 90.0}}
    """
    metrics = meta.get("metrics")
    training = meta.get("training")
    if not isinstance(metrics, dict) and not isinstance(training, dict):
        return meta
    meta = dict(meta)
    metrics = dict(metrics) if isinstance(metrics, dict) else None
    training = dict(training) if isinstance(training, dict) else {}
    for source in (metrics, training):
        if source is None:
            continue
        for old, new in _OLD_TRAINING.items():
            if old in source and (source is metrics or old != new):
                value = source.pop(old)
                training.setdefault(new, value)
        for old, unit in _OLD_SPEED.items():
            if old in source:
                value = source.pop(old)
                training.setdefault("unit", unit)
                training.setdefault("per_second", value)
    if metrics is not None:
        if "params" in metrics:
            meta.setdefault("params", metrics.pop("params"))
        meta["metrics"] = metrics
    if training:
        meta["training"] = training
    return meta


def unfinished_text(run: dict) -> str:
    """'training stopped at step 65 (cancelled); --resume continues it' for Store.unfinished's dict."""
    why = {"cancelled": "cancelled", "time": "time budget", "max_steps": "max steps"}.get(run.get("stopped") or "")
    how = f" ({why})" if why else ""
    return f"training stopped at step {run.get('step', '?')}{how}; --resume continues it"


def _read_job(path: Path) -> dict:
    """The status a background job left (jobs/status.py); {} when unreadable."""
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
        for _ in range(200):
            try:
                return upgrade_meta(read_json(d / META, f"model '{name}' metadata"))
            except NotFound:
                # Where the folders cannot be exchanged in one rename (not Linux), a --force run makes its
                # model live by renames a few microseconds apart: while its folders are there, look again
                if not ((d / META).is_file() or self._swapping(name) or (d / META).is_file()):
                    break
                time.sleep(0.002)
        if not (d / META).is_file():
            if (d / "job.json").is_file():
                from wordshell.jobs.status import current

                job = current(_read_job(d / "job.json"))
                if job.get("state") in ("failed", "cancelled"):
                    raise NotFound(f"model '{name}' has no final model: its training job {job.get('id')} "
                                   f"{job['state']}", f"see 'jobs log {job.get('id')}'")
                raise NotFound(f"model '{name}' is still training (no final model yet)",
                               f"see 'jobs', or wait for it: 'jobs wait {job.get('id', name)}'")
            run = self.unfinished(name)
            if run is not None:
                raise NotFound(f"model '{name}' is unfinished: {unfinished_text(run)}",
                               "its last checkpoint answers 'generate' and 'perplexity' meanwhile")
            raise NotFound(f"no model named '{name}'", self._model_hint(name))
        return upgrade_meta(read_json(d / META, f"model '{name}' metadata"))

    def _swapping(self, name: str) -> bool:
        """A --force build of `name` is under way (its staging folder, or the old model mid-swap)."""
        from wordshell.build import OLD, STAGING

        return (self.checkpoints_dir / STAGING.format(name)).is_dir() or \
            any(self.checkpoints_dir.glob(OLD.format(name, "*")))

    def build(self, name: str, *, force: bool = False, resume: bool = False, resumable: bool = False,
              command: str = "", lock: bool = True):
        """A ModelBuild (build.py): the lock, the folder to write into, and the atomic commit.

        >>> with store.build("w2v", force=True, command=session.command_line) as b:   # doctest: +SKIP
        ...     save_vectors(b, words, vectors, meta)
        """
        from wordshell.build import ModelBuild

        validate_name(name)
        return ModelBuild(self, name, force=force, resume=resume, resumable=resumable, command=command, lock=lock)

    def lock_holder(self, name: str) -> dict | None:
        """Who is building model `name` now ({pid, job, command}), or None."""
        from wordshell.build import holder

        return holder(self, validate_name(name))

    def write_model(self, name: str, meta: dict, directory: Path | None = None) -> dict:
        """THE writer of model.json: stamps name, family, versions and creation time, then writes it
        atomically into `directory` (a ModelBuild's folder; default the model's own). Call it last: a
        model folder without model.json is not a model (yet). Returns what was written.

        >>> store.write_model("w2v", {"kind": "word2vec", "config": {...}, ...})   # doctest: +SKIP
        """
        from wordshell.kinds import get

        family = get(meta["kind"]).family
        full = {**meta, "name": name, "family": family,
                "versions": {**versions(), **(meta.get("versions") or {})},
                "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
        atomic_write_json((directory or self.model_dir(name)) / META, full)
        return full

    def model_names(self) -> list[str]:
        """Models, finished or not: every model folder (a run creates its folder when it begins)."""
        d = self.checkpoints_dir
        if not d.is_dir():
            return []
        return sorted(p.name for p in d.iterdir()
                      if p.is_dir() and NAME_RE.match(p.name) and not p.name.startswith("."))

    def unfinished(self, name: str) -> dict | None:
        """The run of `name` that stopped before its end and can go on with --resume: the state of its
        ckpt/last ({step, epoch, stopped, best_metrics, meta, ...} + "staging": whether it is a --force run
        beside a finished model), or None."""
        from wordshell.build import STAGING

        live = self.model_dir(name)
        for d, staging in ((live.with_name(STAGING.format(name)), True), (live, False)):
            if (d / RUN_STATE).is_file() and not (d / META).is_file():
                try:
                    state = read_json(d / RUN_STATE, "training state")
                except (NotFound, CorruptFile):
                    continue
                return {**(state.get("run") or {}), "meta": state.get("meta") or {}, "staging": staging}
        return None

    def iter_models(self) -> Iterator[tuple[str, dict | None]]:
        """(name, meta) for every model; meta is None for one still training."""
        for name in self.model_names():
            path = self.model_dir(name) / META
            if path.is_file():
                try:
                    yield name, upgrade_meta(read_json(path, "model metadata"))
                except CorruptFile:
                    yield name, {"kind": "?", "corrupt": True}
            else:
                yield name, None

    def remove_model(self, name: str) -> None:
        """Delete a model (and an unfinished --force run of it); refused while a run holds its lock."""
        from wordshell.build import STAGING, ModelLock

        d = self.model_dir(name)
        staging = d.with_name(STAGING.format(name))
        if not d.is_dir() and not staging.is_dir():
            raise NotFound(f"no model named '{name}'", self._model_hint(name))
        lock = ModelLock(self, name)
        lock.acquire()
        try:
            for folder in (d, staging):
                if folder.is_dir():
                    trash = folder.with_name(f".trash-{name}-{os.getpid()}")
                    os.replace(folder, trash)  # atomic: the model disappears at once
                    shutil.rmtree(trash, ignore_errors=True)
        finally:
            lock.release()

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
