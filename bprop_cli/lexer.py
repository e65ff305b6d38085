"""Tokenizer: one compiled regular expression built from a table, plus a catch-all for errors."""

from __future__ import annotations

import re
from enum import Enum
from typing import Iterator, NamedTuple

from .errors import ParseError, Span


class TokenKind(str, Enum):
    NUMBER = "number"
    NAME = "name"
    OP = "operator"
    SEP = "separator"  # ';' or a new line: ends a statement
    END = "end of input"


class Token(NamedTuple):
    kind: TokenKind
    text: str
    start: int
    end: int


# Order matters: the first alternative that matches wins.
TOKEN_SPEC: list[tuple[str, str]] = [
    ("NUMBER", r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"),  # 3, 2.5, .5, 1e-3 (sign is an operator)
    ("NAME", r"[A-Za-z_][A-Za-z0-9_]*"),
    ("OP", r"\*\*|[-+*/^=(),]"),
    ("SEP", r"[;\n]"),
    ("SKIP", r"#[^\n]*"),  # a comment
    ("MISMATCH", r"[^ \t\r\f\v]"),  # anything else (trailing blanks match nothing, and end the input)
]
# Blanks before a token are consumed by the same match (half as many matches as a separate
# blank token); the token's own span is that of its named group.
_BLANKS = r"[ \t\r\f\v]*"
_TOKEN_RE = re.compile(_BLANKS + "(?:" + "|".join(f"(?P<{kind}>{rx})" for kind, rx in TOKEN_SPEC) + ")", re.DOTALL)
_KINDS = {kind.name: kind for kind in TokenKind}

_LOOKALIKES = {
    "×": "*", "·": "*", "÷": "/", "−": "-", "–": "-", "—": "-", "²": "^2", "³": "^3",
    "[": "(", "]": ")", "{": "(", "}": ")", "%": "a function or '/'", "!": "nothing: bprop has no factorial",
}


def tokenize(source: str) -> Iterator[Token]:
    """Yield the tokens of `source`, then one END token; raise ParseError on a stray character."""
    kinds = _KINDS
    for m in _TOKEN_RE.finditer(source):
        kind = m.lastgroup
        if kind == "SKIP":
            continue
        start, end = m.span(kind)
        if kind == "MISMATCH":
            raise _stray(source, source[start], start)
        yield Token(kinds[kind], source[start:end], start, end)  # type: ignore[index]
    yield Token(TokenKind.END, "", len(source), len(source))


def _stray(source: str, ch: str, pos: int) -> ParseError:
    hint = None
    if ch in _LOOKALIKES:
        hint = f"use {_LOOKALIKES[ch]} instead of {ch!r}"
    elif ch == "=" or ch == "<" or ch == ">":
        hint = "bprop has no comparisons"
    shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
    return ParseError(f"unexpected character {shown}", source, Span(pos, pos + 1), hint)
