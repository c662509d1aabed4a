"""The examples in every module's docstrings run and say what they claim."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import wordshell

MODULES = [m.name for m in pkgutil.walk_packages(wordshell.__path__, "wordshell.")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see the output above)"
