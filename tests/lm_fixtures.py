"""Shared bits of the language-model tests: a toy corpus with a grammar, and a tiny model on it."""

from __future__ import annotations

import random
from pathlib import Path

SUBJECTS = ["the cat", "the dog", "a bird", "my friend", "the old man", "her sister"]
VERBS = ["sees", "likes", "chases", "finds", "follows"]
OBJECTS = ["the ball", "a red fox", "the garden", "some bread", "the river", "a small boat"]


def toy_corpus(path: Path, lines: int = 300, seed: int = 0) -> Path:
    rng = random.Random(seed)
    text = "\n".join(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} ." for _ in range(lines))
    path.write_text(text + "\n", encoding="utf-8")
    return path


TINY = ["--hidden", "24", "--emb", "24", "--layers", "1", "--batch", "4", "--bptt", "10", "--min-count", "1",
        "--punct"]


def run_cli(home: Path, *args: str, input=None):
    from click.testing import CliRunner

    from wordshell.cli import cli
    from wordshell.session import Session

    r = CliRunner().invoke(cli, list(args), input=input, obj=Session(home), catch_exceptions=False)
    return r


def tiny_lm_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("tiny_lm")
    corpus = toy_corpus(home / "toy.txt")
    r = run_cli(home, "train", "lm", "tiny", "--corpus", str(corpus), *TINY, "--epochs", "4",
                "--optimizer", "adam", "--lr", "0.01")
    assert r.exit_code == 0, r.output
    return home
