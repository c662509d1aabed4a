"""HTTP downloads with a checksum, written atomically into the workspace.

Offline (no route, DNS failure, refused) is a clear one-line error, never a traceback.
Tested against a local http.server (tests/test_download.py).
"""

from __future__ import annotations

import hashlib
import os
import socket
import urllib.error
import urllib.request
from pathlib import Path

from wordshell.errors import BadInput, Offline
from wordshell.atomic import atomic_open


def download(url: str, dest: Path, checksum: str | None = None, progress=None,
             timeout: float = 30.0) -> Path:
    """Fetch `url` to `dest` (atomically); verify `checksum` ('md5:...' / 'sha256:...' / bare md5).

    >>> download("http://127.0.0.1:8000/x.txt", Path("/tmp/x.txt"), "md5:...")  # doctest: +SKIP
    """
    algo, _, want = (checksum or "").partition(":") if checksum and ":" in checksum else ("md5", "", checksum)
    h = hashlib.new(algo) if want else None
    req = urllib.request.Request(url, headers={"User-Agent": "wordshell"})
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        raise BadInput(f"download failed: {url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise Offline(f"cannot download {url}: {reason}",
                      "are you offline? put the file somewhere and use 'corpus add NAME PATH'") from None
    total = resp.headers.get("Content-Length")
    total = int(total) if total and total.isdigit() else None
    if progress is not None:
        progress.start(f"download {dest.name}", total, "B")
    done = 0
    try:
        with resp, atomic_open(dest, "wb") as out:
            while True:
                try:
                    block = resp.read(1 << 16)
                except (socket.timeout, ConnectionError, OSError) as e:
                    raise Offline(f"download of {url} broke off: {e}") from None
                if not block:
                    break
                out.write(block)
                if h is not None:
                    h.update(block)
                done += len(block)
                if progress is not None:
                    progress.update(done)
            if total is not None and done != total:
                raise Offline(f"download of {url} broke off after {done} of {total} bytes")
            if h is not None and h.hexdigest() != want.lower():
                raise BadInput(f"checksum mismatch for {url}: got {algo} {h.hexdigest()}, expected {want}",
                               "the file was not kept")
    finally:
        if progress is not None:
            progress.finish()
    return dest


def file_digest(path: str | os.PathLike, algo: str = "sha256") -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
