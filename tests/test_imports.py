"""Start-up cost: the query path and --help import neither torch nor gensim."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = r"""
import sys, json
from wordshell.cli import main
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code
heavy = sorted(m for m in ("torch", "gensim", "scipy", "sklearn", "matplotlib") if m in sys.modules)
sys.stderr.write("\nHEAVY=" + json.dumps(heavy) + " CODE=" + str(code) + "\n")
"""


def run_probe(*args):
    p = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=os.environ.copy())
    tail = p.stderr.strip().splitlines()[-1]
    heavy = json.loads(tail.split("HEAVY=")[1].split(" CODE=")[0])
    code = int(tail.split("CODE=")[1])
    return heavy, code, p


@pytest.mark.parametrize("args", [
    ["--help"],
    ["similar", "government", "--model", "w2v", "--top", "3"],
    ["analogy", "king - man + woman", "--model", "w2v", "--cosmul", "--expect", "queen"],
    ["similarity", "king", "queen", "--model", "w2v"],
    ["odd-one-out", "monday", "tuesday", "friday", "government", "--model", "w2v"],
    ["vector", "king", "--model", "w2v"],
    ["models", "list"],
    ["similar", "goverment", "--model", "w2v"],  # the error path (did-you-mean) too
    ["generate", "hi", "--model", "w2v"],  # a model of another kind: refused before torch loads
])
def test_query_path_imports_neither_torch_nor_gensim(with_w2v, args):
    heavy, code, p = run_probe(*args)
    assert heavy == [], f"{args} imported {heavy}"
    assert code in (0, 1, 2), p.stderr


def test_oov_path_is_light(workspace, gensim_data):
    from wordshell.vectors.formats import import_vectors
    from wordshell.store import Store

    import_vectors(Store(workspace), str(gensim_data / "lee_fasttext.bin"), "ft")
    heavy, code, p = run_probe("oov", "governmentalism", "--model", "ft")
    assert code == 0, p.stderr
    assert heavy == []
