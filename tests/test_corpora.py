"""Corpora: sources (files, dirs, globs, compressed, stdin, bundled, downloads) and bad input."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import http.server
import json
import threading
from functools import partial

import pytest

from wordshell.corpus import sources as corpora
from wordshell.corpus.corpus import MAX_SENTENCE
from wordshell.errors import BadInput
from wordshell.store import Store
from wordshell.corpus.tokens import Tokenizer

TEXT = "The cat sat on the mat.\nThe dog sat on the log!\n\nA cat, a dog.\n"


def tokens_of(store, spec, **kw):
    c = corpora.resolve(store, spec, **kw)
    path, stats = c.token_file(store, Tokenizer())
    return path.read_text().split("\n")[:-1], stats


def test_plain_gz_bz2_dir_glob_give_same_tokens(workspace, tmp_path):
    store = Store(workspace)
    tmp_path = tmp_path / "data"
    tmp_path.mkdir()
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(TEXT.encode()))
    (tmp_path / "c.txt.bz2").write_bytes(bz2.compress(TEXT.encode()))
    want, stats = tokens_of(store, str(tmp_path / "a.txt"))
    assert want == ["the cat sat on the mat", "the dog sat on the log", "a cat a dog"]
    assert stats["tokens"] == 16 and stats["sentences"] == 3 and stats["types"] == 8
    assert tokens_of(store, str(tmp_path / "b.txt.gz"))[0] == want
    assert tokens_of(store, str(tmp_path / "c.txt.bz2"))[0] == want
    assert tokens_of(store, str(tmp_path))[0] == want * 3
    assert tokens_of(store, str(tmp_path / "*.txt*"))[0] == want * 3


def test_crlf_and_tokenizer_options(workspace, tmp_path):
    store = Store(workspace)
    (tmp_path / "crlf.txt").write_bytes(b"Hello, World!\r\nIt's state-of-the-art.\r\n")
    c = corpora.resolve(store, str(tmp_path / "crlf.txt"))
    assert list(c.lines()) == ["Hello, World!", "It's state-of-the-art."]
    path, _ = c.token_file(store, Tokenizer(lowercase=False, punct=True))
    assert path.read_text().split("\n")[:2] == ["Hello , World !", "It's state-of-the-art ."]


def test_long_line_is_streamed_in_pieces(workspace, tmp_path):
    from wordshell.corpus.textio import read_lines

    words = [f"w{i}" for i in range(30000)]
    (tmp_path / "one.txt").write_text(" ".join(words))  # text8-style: one huge line
    pieces = list(read_lines(tmp_path / "one.txt"))
    assert " ".join(pieces).split() == words
    from wordshell.corpus.textio import iter_lines
    import io

    small = list(iter_lines(io.BytesIO(" ".join(words).encode()), "x", max_chars=1000))
    assert len(small) > 100 and " ".join(small).split() == words
    store = Store(workspace)
    path, stats = corpora.resolve(store, str(tmp_path / "one.txt")).token_file(store, Tokenizer())
    lines = path.read_text().splitlines()
    assert stats["tokens"] == 30000 and all(len(l.split()) <= MAX_SENTENCE for l in lines)


def test_binary_and_non_utf8_and_empty_input(ws, workspace, tmp_path):
    store = Store(workspace)
    (tmp_path / "bin.dat").write_bytes(b"\x7fELF\x00\x00\x01binary")
    with pytest.raises(BadInput, match="binary"):
        list(corpora.resolve(store, str(tmp_path / "bin.dat")).lines())
    (tmp_path / "latin.txt").write_bytes("café olé\n".encode("latin-1"))
    with pytest.raises(BadInput, match="not valid utf-8 text at line 1"):
        list(corpora.resolve(store, str(tmp_path / "latin.txt")).lines())
    assert list(corpora.resolve(store, str(tmp_path / "latin.txt"), encoding="latin-1").lines()) == ["café olé"]
    (tmp_path / "empty.txt").write_text("\n\n")
    r = ws("train", "word2vec", "m", "--corpus", str(tmp_path / "empty.txt"))
    assert r.code == 1 and "empty" in r.err
    r = ws("train", "word2vec", "m", "--corpus", str(tmp_path / "bin.dat"))
    assert r.code == 1 and "binary" in r.err and "Traceback" not in r.err
    r = ws("train", "word2vec", "m", "--corpus", str(tmp_path / "latin.txt"))
    assert r.code == 1 and "--encoding" in r.err
    assert not (workspace / "checkpoints" / "m" / "model.json").exists()


def test_unknown_corpus_did_you_mean(ws):
    r = ws("train", "word2vec", "m", "--corpus", "le")
    assert r.code == 1 and "no corpus or file named 'le'" in r.err and "lee" in r.err


def test_corpus_add_info_list_rm(ws, tmp_path):
    (tmp_path / "t.txt").write_text(TEXT * 10)
    assert ws("corpus", "add", "pets", str(tmp_path / "t.txt")).code == 0
    assert ws("corpus", "add", "pets", str(tmp_path / "t.txt")).code == 2  # exists
    info = ws("corpus", "info", "pets", "--format", "json").json[0]
    assert info["tokens"] == 160 and info["types"] == 8 and info["sentences"] == 30
    assert info["top"][0] == ["the", 40]
    listed = ws("corpus", "list").rows
    assert ["pets", "workspace"] == listed[0][:2] and listed[0][4] == "160"
    assert ws("corpus", "rm", "pets").code == 0
    assert ws("corpus", "info", "pets").code == 1


def test_corpus_from_stdin(ws):
    r = ws("corpus", "add", "piped", "-", input=TEXT.encode())
    assert r.code == 0, r
    info = ws("corpus", "info", "piped", "--format", "json").json[0]
    assert info["tokens"] == 16
    r = ws("corpus", "add", "nothing", "-", input=b"")
    assert r.code == 1 and "empty" in r.err


def test_bundled_lee_and_labels_stripped(workspace):
    store = Store(workspace)
    _, stats = corpora.resolve(store, "lee").token_file(store, Tokenizer())
    assert 55_000 < stats["tokens"] < 65_000
    pol = corpora.resolve(store, "polarity")
    assert not any("__label__" in line for line in pol.lines())


def test_wiki_sample_is_parsed_to_plain_text(workspace):
    store = Store(workspace)
    c = corpora.resolve(store, "wiki-sample")
    assert c.files[0].is_relative_to(workspace)  # parsed once, kept in the workspace
    _, stats = c.token_file(store, Tokenizer())
    assert stats["tokens"] > 300_000
    text = c.files[0].read_text()
    assert "[[" not in text and "{{" not in text
    # a second resolve reuses the parsed text
    assert corpora.resolve(store, "wiki-sample").files == c.files


# -- downloads against a local HTTP server ------------------------------------------------

@pytest.fixture
def http_dir(tmp_path):
    root = tmp_path / "srv"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _catalog(tmp_path, monkeypatch, entries):
    p = tmp_path / "catalog.json"
    p.write_text(json.dumps(entries))
    monkeypatch.setenv("WORDSHELL_CATALOG", str(p))


def test_download_with_checksum(ws, http_dir, tmp_path, monkeypatch):
    root, base = http_dir
    data = (TEXT * 50).encode()
    (root / "small.txt").write_bytes(data)
    md5 = hashlib.md5(data).hexdigest()
    _catalog(tmp_path, monkeypatch, {"small": {"url": f"{base}/small.txt", "checksum": f"md5:{md5}",
                                               "file": "small.txt", "description": "test"}})
    r = ws("corpus", "download", "small")
    assert r.code == 0, r
    assert (ws.home / "corpora" / "small" / "small.txt").read_bytes() == data
    # used by name afterwards, without the server
    info = ws("corpus", "info", "small", "--format", "json").json[0]
    assert info["tokens"] == 800


def test_download_checksum_mismatch_keeps_nothing(ws, http_dir, tmp_path, monkeypatch):
    root, base = http_dir
    (root / "bad.txt").write_bytes(b"tampered\n")
    _catalog(tmp_path, monkeypatch, {"bad": {"url": f"{base}/bad.txt", "checksum": "md5:" + "0" * 32,
                                             "file": "bad.txt"}})
    r = ws("corpus", "download", "bad")
    assert r.code == 1 and "checksum mismatch" in r.err
    assert not (ws.home / "corpora" / "bad" / "bad.txt").exists()


def test_download_offline_is_one_clear_line(ws, tmp_path, monkeypatch):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    _catalog(tmp_path, monkeypatch, {"gone": {"url": f"http://127.0.0.1:{port}/x.txt", "file": "x.txt"}})
    r = ws("train", "word2vec", "m", "--corpus", "gone")
    assert r.code == 1 and "cannot download" in r.err and "offline" in r.err
    assert r.err.count("\n") == 1


def test_download_http_404(ws, http_dir, tmp_path, monkeypatch):
    _, base = http_dir
    _catalog(tmp_path, monkeypatch, {"missing": {"url": f"{base}/nothing.txt", "file": "n.txt"}})
    r = ws("corpus", "download", "missing")
    assert r.code == 1 and "HTTP 404" in r.err


def test_encoding_error_names_the_right_line(workspace, tmp_path):
    from wordshell.corpus.textio import read_lines

    (tmp_path / "mixed.txt").write_bytes(b"fine\nalso fine\ncaf\xe9\nlast\n")
    with pytest.raises(BadInput, match="at line 3"):
        list(read_lines(tmp_path / "mixed.txt"))
