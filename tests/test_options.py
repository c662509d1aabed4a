"""Every option a user types is checked when the command line is read: numbers have ranges, and a bad
value is a usage error (exit 2) before torch or gensim is imported."""

from __future__ import annotations

import click
import pytest

from wordshell.cli import cli


def walk(cmd: click.Command, path: tuple[str, ...] = ()):
    yield path, cmd
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            yield from walk(cmd.get_command(ctx, name), path + (name,))


def test_every_numeric_option_has_a_range():
    plain = []
    for path, cmd in walk(cli):
        for p in cmd.params:
            numeric = isinstance(p.type, (click.types.IntParamType, click.types.FloatParamType))
            if numeric and not isinstance(p.type, click.types._NumberRangeBase):
                plain.append(f"{' '.join(path)} {p.opts[0]}")
    assert plain == [], f"numeric options without a range: {plain}"


@pytest.mark.parametrize("args", [
    ["train", "word2vec", "x", "--corpus", "lee", "--alpha", "-1"],
    ["train", "word2vec", "x", "--corpus", "lee", "--sample", "1.5"],
    ["train", "fasttext", "x", "--corpus", "lee", "--min-n", "0"],
    ["train", "classifier", "x", "--data", "polarity", "--lr", "0"],
    ["train", "lm", "x", "--corpus", "lee", "--time", "soon"],
    ["generate", "hi", "--temperature", "-1"],
])
def test_bad_numbers_are_usage_errors_before_heavy_imports(args):
    from test_imports import run_probe

    heavy, code, p = run_probe(*args)
    assert code == 2, p.stderr
    assert heavy == [], f"{args} imported {heavy} before refusing"
    assert p.stderr.count("error: ") == 1 and "Traceback" not in p.stderr
