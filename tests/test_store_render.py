"""The store's atomic writes and name checks; the renderer's three formats."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from wordshell.errors import UsageError
from wordshell.render import Renderer
from wordshell.result import Result
from wordshell.atomic import atomic_open, atomic_save_npy, atomic_write
from wordshell.store import validate_name


def test_atomic_write_keeps_old_content_on_failure(tmp_path):
    p = tmp_path / "f.txt"
    atomic_write(p, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_open(p, "w") as f:
            f.write("half of the new")
            raise RuntimeError("killed")
    assert p.read_text() == "old\n"
    assert not list(tmp_path.glob(".f.txt*"))  # no temp file left behind


def test_atomic_npy_roundtrip_without_pickle(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    atomic_save_npy(tmp_path / "a.npy", a)
    assert np.array_equal(np.load(tmp_path / "a.npy", allow_pickle=False), a)


@pytest.mark.parametrize("bad", ["", "..", "../x", "a/b", ".hidden", "a b", "x" * 101, "ü"])
def test_invalid_names(bad):
    with pytest.raises(UsageError):
        validate_name(bad)


@pytest.mark.parametrize("good", ["w2v", "W2V-lee_1.5", "a.b-c"])
def test_valid_names(good):
    assert validate_name(good) == good


def test_truncated_model_is_reported_as_corrupt(ws, with_w2v):
    d = ws.home / "checkpoints" / "w2v"
    (d / "vocab.txt").write_text("only\ntwo\n")
    r = ws("similar", "king", "-m", "w2v")
    assert r.code == 1 and "inconsistent" in r.err
    (d / "vectors.npy").write_bytes(b"garbage")
    r = ws("similar", "king", "-m", "w2v")
    assert r.code == 1 and "corrupt" in r.err
    (d / "model.json").write_text("{not json")
    r = ws("similar", "king", "-m", "w2v")
    assert r.code == 1 and "corrupt" in r.err


def test_model_without_model_json_is_not_ready(ws, with_w2v):
    (ws.home / "checkpoints" / "w2v" / "model.json").unlink()
    r = ws("similar", "king", "-m", "w2v")
    assert r.code == 1 and "no model named 'w2v'" in r.err


def render(result, fmt):
    out, err = io.StringIO(), io.StringIO()
    Renderer(out, err, fmt, color=False).emit(result)
    return out.getvalue(), err.getvalue()


def test_tsv_keeps_one_record_per_line_and_notes_on_stderr():
    r = Result(["a", "b"], [("x\ty", 1.5), ("line\nbreak", None)], notes=["a note"])
    out, err = render(r, "tsv")
    assert out == "x y\t1.5\nline break\t\n"
    assert err == "a note\n"


def test_json_lines_typed():
    r = Result(["word", "score", "n"], [("king", np.float32(0.5), np.int64(3))])
    out, _ = render(r, "json")
    assert json.loads(out) == {"word": "king", "score": 0.5, "n": 3}


def test_table_has_title_headers_and_rows():
    r = Result(["rank", "word"], [(1, "queen"), (2, "prince")], title="Nearest to king")
    out, _ = render(r, "table")
    assert "Nearest to king" in out and "rank" in out and "queen" in out and "prince" in out


def test_streamed_rows_are_written_as_they_come():
    out, err = io.StringIO(), io.StringIO()
    seen = []

    def rows():
        for i in range(3):
            seen.append(out.getvalue().count("\n"))  # lines already written when row i is produced
            yield (i, f"r{i}")

    Renderer(out, err, "tsv").emit(Result(["i", "r"], rows()))
    assert seen == [0, 1, 2]


def test_progress_bar_stops_where_it_was_on_ctrl_c():
    import io

    from wordshell.progress import RichProgress

    p = RichProgress(io.StringIO())
    p.start("train", 100, "steps")
    p.update(40)
    try:
        try:
            raise KeyboardInterrupt
        finally:
            task = p._bar.tasks[0]
            p.finish()
    except KeyboardInterrupt:
        pass
    assert task.completed == 40
    p.start("train", 100, "steps")
    p.update(97)
    task = p._bar.tasks[0]
    p.finish()  # a normal end fills the bar (the last steps may not have been reported)
    assert task.completed == 100
