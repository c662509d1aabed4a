"""HTTP download of a big file that survives being killed: resume with Range, checksum, atomic placement.

    <home>/.wordshell/downloads/<file>.part      the bytes so far (kept when the transfer breaks)
    <home>/.wordshell/downloads/<file>.part.json {url, size, etag, last_modified}: what they belong to
    <home>/.wordshell/downloads/<file>           the complete, verified file (os.replace of the .part)

A second run with the same URL asks for `Range: bytes=<have>-` and appends (a server answering 200
instead of 206, or a file that changed on the server (ETag / Last-Modified / size), starts over).
The checksum covers the whole file: the kept part is hashed first, then the stream as it arrives.
The hash runs in a second thread (hashlib releases the GIL), so it does not slow the transfer; the
socket is read into a ring of four reused 4 MB buffers (no allocation per block).
Offline, a refused connection or a broken transfer is one line (`Offline`); a wrong checksum deletes
the file (`BadInput`).
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path

from wordshell.errors import BadInput, Offline

CHUNK = 4 << 20
RING = 4


def fetch(url: str, dest: Path, *, size: int | None = None, checksum: str | None = None, progress=None,
          timeout: float = 30.0) -> Path:
    """Download `url` to `dest` (resuming a kept `dest.part`); verify size and checksum; return dest.

    >>> fetch("http://127.0.0.1:8000/v.gz", Path("/tmp/v.gz"), checksum="md5:...")   # doctest: +SKIP
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    info_path = dest.with_name(dest.name + ".part.json")
    algo, want = _parse_checksum(checksum)
    have = part.stat().st_size if part.exists() else 0
    info = _read_info(info_path) if have else {}
    if have and info.get("url") != url:
        have = 0
    headers = {"User-Agent": "wordshell"}
    if have:
        headers["Range"] = f"bytes={have}-"
        if info.get("etag"):
            headers["If-Range"] = info["etag"]
        elif info.get("last_modified"):
            headers["If-Range"] = info["last_modified"]
    try:
        resp = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have and size and have >= size:   # the part is already complete
            resp = None
        else:
            raise BadInput(f"download failed: {url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise Offline(f"cannot download {url}: {reason}",
                      "are you offline? download the file elsewhere and use 'models import PATH NAME'") from None
    total = size
    if resp is not None:
        if have and resp.status != 206:      # the server sent the whole file: start over
            have = 0
        length = resp.headers.get("Content-Length")
        if length and length.isdigit():
            total = have + int(length)
        if size and total and total != size:
            resp.close()
            raise BadInput(f"{url} is {total:,} bytes, the catalog says {size:,}", "the file on the server changed?")
        _write_info(info_path, {"url": url, "size": total, "etag": resp.headers.get("ETag"),
                                "last_modified": resp.headers.get("Last-Modified")})
    h = hashlib.new(algo) if want else None
    if progress is not None:
        progress.start(f"download {dest.name}", total, "B")
    hasher = _Hasher(h)
    try:
        if have:
            with open(part, "rb") as f:
                while True:
                    buf = hasher.free_buffer()
                    n = f.readinto(buf)
                    if not n:
                        hasher.give_back(buf)
                        break
                    hasher.put(buf, n)
        done = have
        if resp is not None:
            with resp, open(part, "r+b" if have else "wb") as out:
                out.seek(have)
                out.truncate()
                while True:
                    buf = hasher.free_buffer()
                    try:
                        n = resp.readinto(buf)
                    except (socket.timeout, ConnectionError, OSError) as e:
                        raise Offline(f"download of {url} broke off after {done:,} bytes: {e}",
                                      "run the same command again to resume") from None
                    if not n:
                        hasher.give_back(buf)
                        break
                    out.write(memoryview(buf)[:n])
                    hasher.put(buf, n)
                    done += n
                    if progress is not None:
                        progress.update(done)
                out.flush()
                os.fsync(out.fileno())
        if total is not None and done != total:
            raise Offline(f"download of {url} broke off after {done:,} of {total:,} bytes",
                          "run the same command again to resume")
        digest = hasher.result()
    finally:
        hasher.close()
        if progress is not None:
            progress.finish()
    if h is not None and digest != want:
        part.unlink(missing_ok=True)
        info_path.unlink(missing_ok=True)
        raise BadInput(f"checksum mismatch for {url}: got {algo} {digest}, expected {want}",
                       "the file was deleted; run the command again to download it anew")
    os.replace(part, dest)
    info_path.unlink(missing_ok=True)
    return dest


class _Hasher:
    """Feeds blocks to a hash in a second thread (hashlib releases the GIL on big blocks); owns the
    ring of buffers the reader fills, so a buffer is reused only once the hash has read it."""

    def __init__(self, h):
        self.h = h
        self.free: queue.Queue = queue.Queue()
        for _ in range(RING):
            self.free.put(bytearray(CHUNK))
        self.q: queue.Queue = queue.Queue()
        self.t = threading.Thread(target=self._run, daemon=True) if h is not None else None
        if self.t is not None:
            self.t.start()

    def _run(self) -> None:
        while True:
            item = self.q.get()
            if item is None:
                return
            buf, n = item
            self.h.update(memoryview(buf)[:n])
            self.free.put(buf)

    def free_buffer(self) -> bytearray:
        return self.free.get()

    def give_back(self, buf: bytearray) -> None:
        self.free.put(buf)

    def put(self, buf: bytearray, n: int) -> None:
        if self.t is not None:
            self.q.put((buf, n))
        else:
            self.free.put(buf)

    def result(self) -> str | None:
        if self.t is None:
            return None
        self.q.put(None)
        self.t.join()
        self.t = None
        return self.h.hexdigest()

    def close(self) -> None:
        if self.t is not None:
            self.q.put(None)
            self.t.join()
            self.t = None


def _parse_checksum(checksum: str | None) -> tuple[str, str | None]:
    if not checksum:
        return "md5", None
    algo, _, want = checksum.partition(":") if ":" in checksum else ("md5", "", checksum)
    return algo, want.lower()


def _read_info(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_info(path: Path, info: dict) -> None:
    from wordshell.atomic import atomic_write_json

    atomic_write_json(path, info)
