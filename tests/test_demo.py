"""The guided tour: every step is a valid command line, and a section runs end to end."""

from __future__ import annotations

import shlex

import click
import pytest

from wordshell.commands.demo import TOUR


def _validate(args: list[str]) -> None:
    """Parse a command line through the real click tree without running it."""
    from wordshell.cli import cli

    cmd, ctx = cli, cli.make_context("wordshell", list(args), resilient_parsing=False)
    rest = ctx.protected_args + ctx.args if hasattr(ctx, "protected_args") else ctx.args
    while isinstance(cmd, click.Group) and rest:
        name, cmd, rest = cmd.resolve_command(ctx, rest)
        ctx = cmd.make_context(name, list(rest), parent=ctx)
        rest = (ctx.protected_args + ctx.args) if isinstance(cmd, click.Group) else []


@pytest.mark.parametrize("line", [line for _, steps in TOUR for line, _ in steps])
def test_every_tour_step_parses(line):
    _validate(shlex.split(line))


def test_demo_list(ws):
    r = ws("demo", "--list")
    assert r.code == 0
    assert r.out.count("wordshell ") == sum(len(steps) for _, steps in TOUR)


def test_classifier_section_runs(ws):
    r = ws("demo", "--only", "classifier")
    assert r.code == 0, r
    assert "$ wordshell classify --model demo-clf" in r.out
    assert "pos\t" in r.out and "neg\t" in r.out
    assert "tour done" in r.out
    # the tour is re-runnable (models are replaced, not refused)
    assert ws("demo", "--only", "classifier").code == 0


def test_tagger_section_runs_on_the_bundled_sample(ws):
    r = ws("demo", "--only", "tagger")
    assert r.code == 0, r
    assert "$ wordshell tag 'The judge nominated" in r.out and "The/" in r.out and "judge/" in r.out
