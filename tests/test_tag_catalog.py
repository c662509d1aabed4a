"""The tagged-data catalog entries (CoNLL-2000 from a zip, UD English-EWT) against a local HTTP server."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from tests.test_corpora import _catalog, http_dir  # noqa: F401  (the fixture)
from tests.test_tag_data import CONLLU
from wordshell.corpus.sources import CATALOG
from wordshell.errors import BadInput
from wordshell.store import Store
from wordshell.tag.data import read_tagged

CHUNKS = "Confidence NN B-NP\nin IN B-PP\nthe DT B-NP\npound NN I-NP\n\nHe PRP B-NP\nsaid VBD B-VP\n"


def zipped(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def entry(base, name, data, member=None, checksum=True, fmt="conll"):
    e = {"url": f"{base}/{name}", "file": name, "format": fmt}
    if checksum:
        e["checksum"] = "md5:" + hashlib.md5(data).hexdigest()
    if member:
        e["member"] = member
    return e


def test_catalog_has_the_tagged_sets_pinned():
    assert CATALOG["conll2000"]["member"] == "conll2000/train.txt"
    assert CATALOG["conll2000"]["checksum"] == "md5:9529b285edd5fe47271da69df1052301"
    assert "/r2.14/" in CATALOG["ud-ewt"]["url"] and CATALOG["ud-ewt-test"]["format"] == "conllu"


def test_conll2000_zip_member_is_downloaded_checked_and_read(ws, workspace, http_dir, tmp_path, monkeypatch):  # noqa: F811 (a fixture)
    root, base = http_dir
    data = zipped({"conll2000/README": "x", "conll2000/train.txt": CHUNKS})
    (root / "conll2000.zip").write_bytes(data)
    _catalog(tmp_path, monkeypatch, {"chunks": entry(base, "conll2000.zip", data, "conll2000/train.txt")})
    d = read_tagged(Store(workspace), ["chunks"])  # a catalog name: downloaded on first use
    assert d.words == [["Confidence", "in", "the", "pound"], ["He", "said"]]
    assert d.tags == [["B-NP", "B-PP", "B-NP", "I-NP"], ["B-NP", "B-VP"]]
    assert read_tagged(Store(workspace), ["chunks"], column=2).tags[1] == ["PRP", "VBD"]
    assert (workspace / "corpora" / "chunks" / "train.txt").read_text() == CHUNKS
    # the command line takes the name too
    r = ws("train", "tagger", "chunk", "--data", "chunks", "--epochs", "1", "--valid-split", "0", "--threads", "1")
    assert r.code == 0, r


def test_tampered_archive_and_missing_member(workspace, http_dir, tmp_path, monkeypatch):  # noqa: F811 (a fixture)
    root, base = http_dir
    data = zipped({"conll2000/train.txt": CHUNKS})
    (root / "c.zip").write_bytes(data)
    bad = entry(base, "c.zip", data, "conll2000/train.txt")
    bad["checksum"] = "md5:" + "0" * 32
    _catalog(tmp_path, monkeypatch, {"bad": bad, "nomember": entry(base, "c.zip", data, "conll2000/test.txt")})
    with pytest.raises(BadInput, match="checksum mismatch"):
        read_tagged(Store(workspace), ["bad"])
    assert not (workspace / "corpora" / "bad" / "c.zip").exists()
    with pytest.raises(BadInput, match="cannot extract conll2000/test.txt"):
        read_tagged(Store(workspace), ["nomember"])


def test_ewt_style_conllu_without_checksum_must_read_as_conllu(workspace, http_dir, tmp_path, monkeypatch):  # noqa: F811 (a fixture)
    root, base = http_dir
    (root / "ok.conllu").write_text(CONLLU)
    (root / "html.conllu").write_text("<html>\n<body>rate limited</body>\n")
    _catalog(tmp_path, monkeypatch, {
        "ewt": entry(base, "ok.conllu", b"", checksum=False, fmt="conllu"),
        "broken": entry(base, "html.conllu", b"", checksum=False, fmt="conllu")})
    d = read_tagged(Store(workspace), ["ewt"])
    assert d.words[0] == ["I", "do", "n't", "know", "."] and d.format == "conllu"
    with pytest.raises(BadInput, match="not CoNLL-U"):
        read_tagged(Store(workspace), ["broken"])
    assert not (workspace / "corpora" / "broken" / "html.conllu").exists()
