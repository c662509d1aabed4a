"""One exception family for everything a user can get wrong.

Only cli.py (and the shell, through it) turns these into text and an exit code; everything below
raises them with a message meant for a person.
"""

from __future__ import annotations


class WordshellError(Exception):
    """A user-facing error: one line of message, an optional hint, an exit code."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(WordshellError):
    """Malformed arguments or expressions."""

    exit_code = 2


class NotFound(WordshellError):
    """A model, corpus, file or job that does not exist."""


class BadInput(WordshellError):
    """Input data that cannot be used: empty, binary, wrong encoding, wrong format."""


class CorruptFile(WordshellError):
    """A stored file that is truncated, inconsistent or not in the expected format."""


class Offline(WordshellError):
    """A download that cannot reach its server."""


class Cancelled(WordshellError):
    """The user interrupted a long operation."""

    exit_code = 130


class UnknownWord(WordshellError):
    """A word that the model has no vector for, with did-you-mean suggestions."""

    def __init__(self, word: str, model: str, suggestions: list[str] | None = None):
        self.word = word
        self.suggestions = list(suggestions or [])
        hint = f"did you mean: {', '.join(self.suggestions)}?" if self.suggestions else None
        super().__init__(f"'{word}' is not in the vocabulary of model '{model}'", hint)
