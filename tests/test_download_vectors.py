"""`models download` against a local HTTP server that speaks Range: resume, checksum, offline."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import os
import threading
from functools import partial

import numpy as np
import pytest

from wordshell.store import Store
from wordshell.vectors.keyed import KeyedVectors


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files with Range support; `cut` stops a response after that many bytes (a broken transfer)."""

    requests: list = []
    cut: int | None = None
    ranges = True

    def log_message(self, *a):
        pass

    def do_GET(self):
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        rng = self.headers.get("Range") if self.ranges else None
        type(self).requests.append(rng)
        start = 0
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"v1"')
        self.end_headers()
        if type(self).cut is not None:
            body = body[:type(self).cut]
        self.wfile.write(body)


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "srv"
    root.mkdir()

    class H(RangeHandler):
        requests = []

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(H, directory=str(root)))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{srv.server_address[1]}", H
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def fixture_gz(ws, with_w2v, server, tmp_path, monkeypatch):
    """w2v exported as word2vec text, gzipped, served, and in a catalog with its md5."""
    root, base, handler = server
    txt = tmp_path / "v.txt"
    assert ws("models", "export", "w2v", str(txt), "-F", "word2vec-text").code == 0
    data = gzip.compress(txt.read_bytes())
    (root / "small-vectors.gz").write_bytes(data)
    md5 = hashlib.md5(data).hexdigest()
    cat = tmp_path / "cat.json"
    cat.write_text(json.dumps({
        "small-vectors": {"url": f"{base}/small-vectors.gz", "format": "word2vec-text", "size": len(data),
                          "checksum": f"md5:{md5}", "license": "test", "lang": "en", "dim": 100},
        "bad-sum": {"url": f"{base}/small-vectors.gz", "format": "word2vec-text", "checksum": "md5:" + "0" * 32},
    }))
    monkeypatch.setenv("WORDSHELL_VECTORS_CATALOG", str(cat))
    return data, handler


def _same_as_w2v(ws, name):
    a = KeyedVectors.from_store(Store(ws.home), "w2v")
    b = KeyedVectors.from_store(Store(ws.home), name)
    assert list(a.words) == list(b.words)
    np.testing.assert_allclose(np.asarray(a.vectors), np.asarray(b.vectors), atol=1e-6)


def test_download_imports_and_removes_the_file(ws, fixture_gz):
    r = ws("models", "download", "small-vectors", "--limit", "500")
    assert r.code == 0, r
    assert "imported 500 vectors" in r.out and "license: test" in r.err
    meta = Store(ws.home).model_meta("small-vectors")
    assert meta["imported"]["source"]["name"] == "small-vectors"
    assert not any((ws.home / ".wordshell" / "downloads").iterdir())   # no second copy kept


def test_broken_transfer_resumes_to_the_right_checksum(ws, fixture_gz):
    data, handler = fixture_gz
    handler.cut = len(data) // 2                # the server dies half-way
    r = ws("models", "download", "small-vectors", "--as", "sv")
    assert r.code != 0 and "broke off" in r.err and "again to resume" in r.err and "Traceback" not in r.err
    part = ws.home / ".wordshell" / "downloads" / "small-vectors.gz.part"
    assert part.stat().st_size == len(data) // 2
    handler.cut = None
    r = ws("models", "download", "small-vectors", "--as", "sv")
    assert r.code == 0, r
    assert handler.requests[-1] == f"bytes={len(data) // 2}-"   # asked only for the rest
    _same_as_w2v(ws, "sv")


def test_server_without_range_starts_over(ws, fixture_gz):
    data, handler = fixture_gz
    handler.cut = len(data) // 3
    assert ws("models", "download", "small-vectors").code != 0
    handler.cut, handler.ranges = None, False
    r = ws("models", "download", "small-vectors")
    assert r.code == 0, r
    _same_as_w2v(ws, "small-vectors")


def test_checksum_mismatch_keeps_nothing(ws, fixture_gz):
    r = ws("models", "download", "bad-sum")
    assert r.code == 1 and "checksum mismatch" in r.err
    assert not Store(ws.home).has_model("bad-sum")
    assert not any((ws.home / ".wordshell" / "downloads").iterdir())


def test_offline_is_one_line(ws, tmp_path, monkeypatch):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    cat = tmp_path / "c.json"
    cat.write_text(json.dumps({"gone": {"url": f"http://127.0.0.1:{port}/x.gz", "format": "glove"}}))
    monkeypatch.setenv("WORDSHELL_VECTORS_CATALOG", str(cat))
    r = ws("models", "download", "gone")
    assert r.code != 0 and r.err.count("\n") == 1 and "cannot download" in r.err


def test_catalog_lists_gensim_and_fasttext(ws):
    r = ws("models", "download", "--list", "--lang", "ru")
    names = [row[0] for row in r.rows]
    assert names == ["word2vec-ruscorpora-300", "cc.ru.300", "cc.ru.300.vec"]
    r = ws("models", "download", "--list", "--format", "json")
    by = {o["name"]: o for o in r.json}
    from wordshell.vectors.catalog import FASTTEXT_LANGS

    # fastText's page says 157 languages; the code list of its download helper has 158 (we use that)
    assert len([n for n in by if n.startswith("cc.") and n.endswith(".300")]) == len(FASTTEXT_LANGS) >= 157
    assert by["glove-wiki-gigaword-100"]["checksum"] == "md5" and by["glove-wiki-gigaword-100"]["words"] == "400,000"
    r = ws("models", "download", "glove-wiki-gigaword-10")
    assert r.code == 1 and "did you mean glove-wiki-gigaword-50" in r.err
