"""Analogy expressions as people write them: 'king - man + woman' or 'man:king::woman:?'."""

from __future__ import annotations

import re

from wordshell.errors import UsageError

_COLON_FORM = re.compile(r"^\s*(\S+)\s*:\s*(\S+)\s*::\s*(\S+)\s*:\s*\?*\s*$")


def parse_expression(text: str) -> tuple[list[str], list[str]]:
    """'king - man + woman' or 'man:king::woman:?' -> (positive, negative).

    >>> parse_expression("king - man + woman")
    (['king', 'woman'], ['man'])
    >>> parse_expression("man:king::woman:?")
    (['king', 'woman'], ['man'])
    >>> parse_expression("paris -france +italy")
    (['paris', 'italy'], ['france'])
    """
    m = _COLON_FORM.match(text)
    if m:
        a, b, c = m.groups()
        return [b, c], [a]
    if "::" in text or text.count(":") >= 2:
        raise UsageError(f"malformed analogy {text!r}", "write 'a:b::c:?' or 'king - man + woman'")
    positive: list[str] = []
    negative: list[str] = []
    sign: str | None = "+"
    for tok in text.replace("+", " + ").split():
        if tok in ("+", "-"):
            if sign is not None and (positive or negative):
                raise UsageError(f"malformed analogy {text!r}: two operators in a row")
            sign = tok
            continue
        if tok.startswith("-") and len(tok) > 1:
            if sign is not None and (positive or negative):
                raise UsageError(f"malformed analogy {text!r}: two operators in a row")
            sign, tok = "-", tok[1:]
        if sign is None:
            raise UsageError(f"malformed analogy {text!r}: expected + or - before {tok!r}",
                             "e.g. 'king - man + woman'")
        (positive if sign == "+" else negative).append(tok)
        sign = None
    if sign is not None and (positive or negative):
        raise UsageError(f"malformed analogy {text!r}: it ends with an operator")
    if not positive:
        raise UsageError(f"malformed analogy {text!r}: no positive word", "e.g. 'king - man + woman'")
    return positive, negative
