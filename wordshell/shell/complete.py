"""Tab completion and colouring for the shell, driven by the click tree (no second command table).

What the word under the cursor can be is read off the click command it belongs to:

    similar kin|            a positional of a vector query  -> vocabulary of the model in use
    similar king --mo|      an option name                  -> the command's options
    similar king --model |  an option's value               -> model names
    train word2vec x --corpus |                             -> corpus names and file paths
    models import |         a click.Path argument           -> file paths
    jobs cancel |           a job                           -> job ids

Vocabulary words come from vocab.txt through VocabIndex: a sorted copy searched with bisect,
so a prefix costs O(log V) however big the vocabulary (no numpy, gensim or torch import).
"""

from __future__ import annotations

import bisect
import heapq
import re
import shlex
import time
from pathlib import Path
from typing import Iterable, Iterator

import click
from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from wordshell.shell.lexer import REPL_WORDS

WORD_PARAMS = {"words", "word", "word1", "word2", "expression", "negative", "expect", "positive"}
_CURRENT = re.compile(r"[^\s\"']*$")  # the word being typed: stops at a space or a quote


class VocabIndex:
    """Prefix search over a vocabulary in frequency order.

    >>> VocabIndex(["the", "king", "kingdom", "queen", "kin"]).complete("kin")
    ['king', 'kingdom', 'kin']
    """

    def __init__(self, words: list[str]):
        self.words = words                                    # frequency order (row order)
        self.rank = sorted(range(len(words)), key=words.__getitem__)  # row of the i-th word in sort order
        self.sorted = [words[i] for i in self.rank]

    @classmethod
    def load(cls, path: Path) -> "VocabIndex":
        from wordshell.atomic import read_vocab

        return cls(read_vocab(path))

    def complete(self, prefix: str, limit: int = 40) -> list[str]:
        """Up to `limit` words starting with `prefix`, most frequent first."""
        if not prefix:
            return self.words[:limit]
        lo = bisect.bisect_left(self.sorted, prefix)
        hi = bisect.bisect_left(self.sorted, prefix + "\U0010ffff", lo)
        rows = heapq.nsmallest(limit, self.rank[lo:hi]) if hi - lo > limit else sorted(self.rank[lo:hi])
        return [self.words[r] for r in rows]


def split_words(text: str) -> list[str]:
    """shlex.split that forgives an unclosed quote (the user is still typing)."""
    for tail in ("", '"', "'"):
        try:
            return shlex.split(text + tail)
        except ValueError:
            continue
    return text.split()


def _context(cmd: click.Command) -> click.Context:
    return click.Context(cmd, resilient_parsing=True)


def sub_command(group: click.Command, name: str) -> click.Command | None:
    if not isinstance(group, click.Group):
        return None
    try:
        return group.get_command(_context(group), name)
    except Exception:  # a command module that is not in this build
        return None


def sub_names(group: click.Command) -> list[str]:
    try:
        return list(group.list_commands(_context(group)))
    except Exception:
        return []


def short_help(group: click.Command, name: str) -> str:
    helps = getattr(group, "helps", {}) or {}
    if name in helps:
        return helps[name]
    if isinstance(group, click.Group) and name in group.commands:
        return group.commands[name].get_short_help_str(60)
    return ""


class ShellCompleter(Completer):
    """Completes a shell line from the click tree, the store and the active model's vocabulary."""

    def __init__(self, session, root: click.Group):
        self.session = session
        self.root = root
        self.paths = PathCompleter(expanduser=True)
        self._vocab: dict[str, tuple[float, VocabIndex]] = {}
        self._default: tuple[float, str | None] = (0.0, None)

    # -- the sources ------------------------------------------------------------
    def vocabulary(self, model: str | None) -> VocabIndex | None:
        """The model's VocabIndex, loaded once and again when its vocab.txt changes."""
        if not model:
            return None
        try:
            path = self.session.store.model_dir(model) / "vocab.txt"
            stamp = path.stat().st_mtime_ns
        except Exception:
            return None
        hit = self._vocab.get(model)
        if hit is None or hit[0] != stamp:
            hit = (stamp, VocabIndex.load(path))
            self._vocab[model] = hit
        return hit[1]

    def default_model(self) -> str | None:
        """The model a query without --model uses (cached 2 s: this runs on every keystroke)."""
        t, name = self._default
        if time.monotonic() - t > 2.0:
            try:
                name = self.session.model_name(None, ("vectors",))
            except Exception:
                name = self.session.active_model
            self._default = (time.monotonic(), name)
        return name

    def model_names(self) -> list[str]:
        try:
            return self.session.store.model_names()
        except Exception:
            return []

    def corpus_names(self) -> list[str]:
        try:
            from wordshell.corpus.sources import list_names

            return list_names(self.session.store)
        except Exception:
            return []

    def job_refs(self) -> list[tuple[str, str]]:
        try:
            return [(str(j.id), f"{j.model} {j.state}") for j in self.session.jobs.list(check=False)]
        except Exception:
            return []

    # -- the walk ---------------------------------------------------------------
    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        word = _CURRENT.search(text).group()
        tokens = split_words(text[: len(text) - len(word)])
        if tokens and tokens[0] == "help":  # 'help train word2vec': complete as the command itself
            tokens = tokens[1:]
            if word.startswith("-"):
                return
        yield from self._complete(tokens, word, document)

    def _complete(self, tokens: list[str], word: str, document: Document) -> Iterator[Completion]:
        cmd: click.Command = self.root
        path: list[str] = []
        i = 0
        while isinstance(cmd, click.Group) and i < len(tokens):
            sub = sub_command(cmd, tokens[i])
            if sub is None:
                return  # an unknown command: nothing sensible to offer
            cmd, path = sub, path + [tokens[i]]
            i += 1
        if isinstance(cmd, click.Group):
            if not word.startswith("-"):
                names = sub_names(cmd) + (list(REPL_WORDS) if cmd is self.root else [])
                for name in sorted(n for n in names if n.startswith(word)):
                    meta = REPL_WORDS.get(name) if cmd is self.root and name in REPL_WORDS else short_help(cmd, name)
                    yield Completion(name, -len(word), display_meta=meta)
                return
            yield from self._options(cmd, [], word)
            return
        args = tokens[i:]
        # which parameter does the current word fill? An option's value, an option name, or a positional.
        options = {o: p for p in cmd.params if isinstance(p, click.Option) for o in (*p.opts, *p.secondary_opts)}
        positional = [p for p in cmd.params if isinstance(p, click.Argument)]
        n_pos = 0
        j = 0
        while j < len(args):
            a = args[j]
            p = options.get(a)
            if p is not None:
                if not p.is_flag and not p.count:
                    if j == len(args) - 1:  # the current word is this option's value
                        yield from self._values(path, p, word, args, document)
                        return
                    j += 1
            elif a == "--":
                pass
            elif not a.startswith("-") or a == "-":
                n_pos += 1
            j += 1
        if word.startswith("-"):
            yield from self._options(cmd, args, word)
            return
        if not positional:
            return
        p = positional[min(n_pos, len(positional) - 1)]
        if n_pos >= len(positional) and p.nargs != -1:
            return
        yield from self._values(path, p, word, args, document)

    def _options(self, cmd: click.Command, used: list[str], word: str) -> Iterator[Completion]:
        seen = set(used)
        for p in cmd.params:
            if not isinstance(p, click.Option) or p.hidden:
                continue
            if not p.multiple and seen & {*p.opts, *p.secondary_opts}:
                continue
            for opt in (*p.opts, *p.secondary_opts):
                if opt.startswith("--") and opt.startswith(word):
                    yield Completion(opt, -len(word), display_meta=(p.help or "")[:60])
        if "--help".startswith(word) and "--help" not in seen:
            yield Completion("--help", -len(word), display_meta="Show this command's help")

    def _values(self, path: list[str], p: click.Parameter, word: str, args: list[str],
                document: Document) -> Iterator[Completion]:
        kind = self.kind_of(path, p)
        if kind == "model":
            yield from _plain(self.model_names(), word)
        elif kind == "corpus":
            yield from _plain(self.corpus_names(), word)
            if word:
                yield from self._paths(word)
        elif kind == "corpus-name":
            yield from _plain(self.corpus_names(), word)
        elif kind == "choice":
            yield from _plain([str(c) for c in p.type.choices], word)
        elif kind == "path":
            yield from self._paths(word)
        elif kind == "job":
            for ref, meta in self.job_refs():
                if ref.startswith(word):
                    yield Completion(ref, -len(word), display_meta=meta)
        elif kind == "word":
            vocab = self.vocabulary(_given_model(args) or self.default_model())
            if vocab is None:
                return
            found = vocab.complete(word)
            if not found and word != word.lower():
                found = vocab.complete(word.lower())
            yield from (Completion(w, -len(word)) for w in found)

    @staticmethod
    def kind_of(path: list[str], p: click.Parameter) -> str | None:
        """What a parameter holds, from its name and type (works for commands written later, too)."""
        top = path[0] if path else ""
        name = p.name or ""
        if name == "model" or (top in ("use", "models") and name in ("name", "names")
                               and path[-1] != "import"):
            return "model"
        if name == "corpus" or (top in ("train", "eval") and name in ("data", "valid_file")):
            return "corpus"  # labelled/tagged data: a corpus or catalog name (ud-ewt, conll2000) or a path
        if name == "vectors" and top == "train":
            return "model"
        if top == "corpus" and name in ("name", "names") and path[-1] != "add":
            return "corpus-name"
        if isinstance(p.type, click.Choice):
            return "choice"
        if isinstance(p.type, (click.Path, click.File)) or name in ("path", "file", "files"):
            return "path"
        if top == "jobs":
            return "job"
        if name in WORD_PARAMS:
            return "word"
        return None

    def _paths(self, word: str) -> Iterator[Completion]:
        yield from self.paths.get_completions(Document(word, len(word)), CompleteEvent(completion_requested=True))


def _plain(names: Iterable[str], word: str) -> Iterator[Completion]:
    for n in names:
        if n.startswith(word):
            yield Completion(n, -len(word))


def _given_model(args: list[str]) -> str | None:
    for j, a in enumerate(args):
        if a in ("--model", "-m") and j + 1 < len(args):
            return args[j + 1]
        if a.startswith("--model="):
            return a.split("=", 1)[1]
    return None
