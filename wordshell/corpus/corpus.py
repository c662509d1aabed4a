"""A corpus: named text files read as lines, tokenised once into a cached token file.

Training never holds a corpus in memory: `token_file()` writes the tokenised text once
(one sentence per line, tokens joined by spaces, at most 10,000 tokens a line as gensim
wants) under .wordshell/cache/tokens/, keyed by the corpus fingerprint and the
tokenizer; epochs then stream that file (TokenFile).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from wordshell.errors import BadInput
from wordshell.atomic import atomic_open, atomic_write_json, read_json
from wordshell.store import Store
from wordshell.corpus.textio import read_lines
from wordshell.corpus.tokens import Tokenizer

MAX_SENTENCE = 10_000  # gensim ignores words past this in one sentence


@dataclass
class Corpus:
    name: str
    files: list[Path]
    format: str = "text"          # text | fasttext (labels stripped) | wiki-xml (parsed on registration)
    encoding: str = "utf-8"
    origin: str = ""
    description: str = ""
    meta: dict = field(default_factory=dict)

    # -- raw text ---------------------------------------------------------------
    def lines(self) -> Iterator[str]:
        for path in self.files:
            for line in read_lines(path, self.encoding):
                if self.format == "fasttext":
                    line = " ".join(t for t in line.split() if not t.startswith("__label__"))
                yield line

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files if p.exists())

    def fingerprint(self, store: Store) -> str:
        """sha256 over the files' bytes (cached by path, size and mtime)."""
        import hashlib

        cache_path = store.cache_dir("fingerprints") / "files.json"
        try:
            cache = json.loads(cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cache = {}
        h = hashlib.sha256()
        changed = False
        for p in self.files:
            st = p.stat()
            key = f"{p}|{st.st_size}|{st.st_mtime_ns}"
            digest = cache.get(key)
            if digest is None:
                from wordshell.corpus.download import file_digest

                digest = file_digest(p)
                cache[key] = digest
                changed = True
            h.update(digest.encode())
        h.update(f"{self.format}|{self.encoding}".encode())
        if changed:
            atomic_write_json(cache_path, cache)
        return h.hexdigest()

    # -- tokenised, cached --------------------------------------------------------
    def token_file(self, store: Store, tokenizer: Tokenizer, progress=None) -> tuple[Path, dict]:
        """Path of the tokenised text (built on first use) and its stats."""
        fp = self.fingerprint(store)
        base = store.cache_dir("tokens") / f"{fp[:20]}-{tokenizer.key}"
        path, stats_path = base.with_suffix(".txt"), base.with_suffix(".json")
        if path.exists() and stats_path.exists():
            try:
                return path, read_json(stats_path, "corpus stats")
            except Exception:
                pass
        total = self.size_bytes if self.format != "wiki-xml" else None
        if progress is not None:
            progress.start(f"tokenise {self.name}", total, "B")
        counts: Counter = Counter()
        n_sent = n_tok = n_bytes = 0
        t0 = time.monotonic()
        with atomic_open(path, "w") as out:
            for line in self.lines():
                n_bytes += len(line) + 1
                toks = tokenizer(line)
                if progress is not None and n_sent % 2000 == 0:
                    progress.update(n_bytes)
                if not toks:
                    continue
                counts.update(toks)
                n_tok += len(toks)
                for i in range(0, len(toks), MAX_SENTENCE):
                    out.write(" ".join(toks[i:i + MAX_SENTENCE]))
                    out.write("\n")
                    n_sent += 1
        if progress is not None:
            progress.finish()
        if n_tok == 0:
            path.unlink(missing_ok=True)
            raise BadInput(f"corpus '{self.name}' is empty (no tokens)")
        stats = {
            "tokens": n_tok, "sentences": n_sent, "types": len(counts), "fingerprint": fp,
            "tokenizer": tokenizer.spec(), "seconds": round(time.monotonic() - t0, 3),
            "top": counts.most_common(50),
            "hapax": sum(1 for c in counts.values() if c == 1),
        }
        atomic_write_json(stats_path, stats)
        return path, stats

    def sentences(self, store: Store, tokenizer: Tokenizer, progress=None) -> "TokenFile":
        path, stats = self.token_file(store, tokenizer, progress)
        return TokenFile(path, stats)

    def describe(self) -> dict:
        return {"name": self.name, "origin": self.origin, "format": self.format,
                "files": [str(p) for p in self.files], "encoding": self.encoding,
                "description": self.description}


class TokenFile:
    """A restartable iterable of token lists over a cached token file (what gensim wants)."""

    def __init__(self, path: Path, stats: dict):
        self.path = path
        self.stats = stats
        self.words_read = 0  # for progress: words handed out so far in this pass

    def __iter__(self) -> Iterator[list[str]]:
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                words = line.split()
                self.words_read += len(words)
                yield words


def cached_stats(store: Store, corpus: Corpus, tokenizer: Tokenizer) -> dict | None:
    """Stats if the corpus was already tokenised this way (no work done)."""
    try:
        fp = corpus.fingerprint(store)
    except OSError:
        return None
    p = store.cache_dir("tokens") / f"{fp[:20]}-{tokenizer.key}.json"
    try:
        return read_json(p, "stats") if p.exists() else None
    except Exception:
        return None
