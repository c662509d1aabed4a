"""Colours of the line being typed in the shell, and the words the shell itself understands."""

from __future__ import annotations

import re
from typing import Iterable

from prompt_toolkit.document import Document
from prompt_toolkit.lexers import Lexer

REPL_WORDS = {"help": "Help on the shell or on a command: help similar",
              "quit": "Leave the shell (also: exit, Ctrl-D)", "exit": "Leave the shell"}


class ShellLexer(Lexer):
    """Colours the command word (green if known, red if not), options, quoted text and a trailing &."""

    def __init__(self, commands: Iterable[str]):
        self.commands = set(commands) | set(REPL_WORDS)

    def lex_document(self, document: Document):
        lines = document.lines

        def line(i: int):
            text = lines[i]
            out = []
            first = True
            for m in re.finditer(r"\s+|\"[^\"]*\"?|'[^']*'?|\S+", text):
                tok = m.group()
                if tok.isspace():
                    style = ""
                elif i == 0 and first:
                    style = "class:command" if tok in self.commands else "class:unknown"
                    first = False
                elif tok[0] in "\"'":
                    style = "class:string"
                elif tok.startswith("-") and len(tok) > 1:
                    style = "class:option"
                elif tok == "&":
                    style = "class:background"
                else:
                    style = ""
                out.append((style, tok))
            return out

        return line
