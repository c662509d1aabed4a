"""Corpora: where text comes from, how it is read, and how it becomes tokens.

    sources.py   `resolve(store, spec)`: a registered name, a sample bundled with gensim, a catalog
                 entry (downloaded on first use), a file/dir/glob, or '-' (stdin); add, list, remove
    corpus.py    Corpus (files + format + encoding) and its token file, cached per tokenizer
    textio.py    lines from plain/.gz/.bz2/.xz files or stdin, one clear error for binary or mis-encoded
                 input, over-long lines cut at whitespace
    tokens.py    Tokenizer (words | whitespace | chars), stored with every model
    download.py  HTTP download with a checksum, written atomically; offline is one line

No torch, no gensim at import (gensim's XML parser is imported only for the Wikipedia sample).
"""
