"""Hermetic tests: every test gets its own workspace (WORDSHELL_HOME = tmp_path)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    home = tmp_path / "ws"
    home.mkdir()
    monkeypatch.setenv("WORDSHELL_HOME", str(home))
    monkeypatch.delenv("WORDSHELL_DEBUG", raising=False)
    monkeypatch.delenv("WORDSHELL_CATALOG", raising=False)
    # subprocesses (worker, pexpect) import this checkout's package, whichever worktree it is
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return home


class Run:
    """What one command printed: exit code, stdout, stderr (+ parsed TSV/JSON helpers)."""

    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    @property
    def rows(self) -> list[list[str]]:
        return [line.split("\t") for line in self.out.splitlines() if line]

    @property
    def json(self) -> list[dict]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]

    def __repr__(self):
        return f"Run(code={self.code}, out={self.out[:300]!r}, err={self.err[:300]!r})"


@pytest.fixture
def ws(workspace):
    """Run a command line in-process through click's CliRunner (argv + stdin paths)."""
    from click.testing import CliRunner

    from wordshell.cli import cli
    from wordshell.session import Session

    def run(*args: str, input: str | bytes | None = None) -> Run:
        runner = CliRunner()
        result = runner.invoke(cli, list(args), input=input, obj=Session(workspace), catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    run.home = workspace
    return run


@pytest.fixture(scope="session")
def gensim_data():
    from wordshell.corpus.sources import gensim_data_dir

    return gensim_data_dir()


@pytest.fixture(scope="session")
def lee_w2v(tmp_path_factory):
    """A small Word2Vec model trained once per test session on the Lee corpus (~1 s)."""
    home = tmp_path_factory.mktemp("lee_w2v")
    from wordshell.corpus import sources as corpora
    from wordshell.vectors.train import EmbeddingConfig, train_embeddings
    from wordshell.progress import NullProgress
    from wordshell.store import Store
    from wordshell.corpus.tokens import Tokenizer

    store = Store(home)
    c = corpora.resolve(store, "lee")
    train_embeddings(store, "w2v", c, Tokenizer(), EmbeddingConfig(epochs=5, min_count=2, workers=1, seed=7),
                     NullProgress())
    return home


@pytest.fixture
def with_w2v(workspace, lee_w2v):
    """Copy the session's Word2Vec model into this test's workspace as 'w2v'."""
    import shutil

    shutil.copytree(lee_w2v / "checkpoints" / "w2v", workspace / "checkpoints" / "w2v")
    return "w2v"
