"""Tokenizer: one compiled regular expression built from a table, plus a catch-all for errors."""

from __future__ import annotations

import re
import unicodedata
from enum import Enum
from typing import Iterator, NamedTuple

from bprop_cli.errors import ParseError, Span


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
    # ASCII digits only: \d would also take full-width and other scripts' digits.
    ("NUMBER", r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"),  # 3, 2.5, .5, 1e-3 (sign is an operator)
    ("NAME", r"[A-Za-z_][A-Za-z0-9_]*"),
    ("OP", r"\*\*|[-+*/^=(),@]|\.(?=[A-Za-z_])"),  # '.' before a name: W.T, (a + b).relu()
    ("SEP", r"[;\n]"),
    ("SKIP", r"#[^\n]*"),  # a comment
    ("MISMATCH", r"[^ \t\r\f\v]"),  # anything else (trailing blanks match nothing, and end the input)
]
_LOOKALIKES = {
    "×": "*", "·": "*", "÷": "/", "−": "-", "–": "-", "—": "-", "²": "^2", "³": "^3",
    "[": "(", "]": ")", "{": "(", "}": ")",
}
_NOT_IN_BPROP = {
    "σ": "write sigmoid(...) for σ",
    ".": "a '.' goes before T or a function (W.T, x.relu()); a decimal is written 1.5",
    "%": "bprop has no remainder or percent operator (for a percentage, divide by 100)",
    "!": "bprop has no factorial and no 'not'",
}


_MICROGRAD_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*Value\([ \t]*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)")
_STRAY = re.compile(r"[^0-9A-Za-z_ \t\r\f\v\n;+\-*/^=(),.#@]")  # cannot start any token


def _first_stray(source: str) -> int | None:
    """Offset of the first character outside a comment that no token can use, found by one
    regex scan, so a bad character at the end of a huge program is refused at once."""
    pos = 0
    while (m := _STRAY.search(source, pos)) is not None:
        line_start = source.rfind("\n", 0, m.start()) + 1
        if "#" not in source[line_start : m.start()]:
            return m.start()
        pos = source.find("\n", m.start())  # in a comment: skip the rest of the line
        if pos == -1:
            return None
    return None


# The scanner behind the parser: the same token table, matched by `findall` (the loop over
# the text runs in C), each match giving (the blanks before the token, the token). The
# token's kind is read off its first character; comments are tokens that are dropped.
# The alternatives start with different characters, so their order only matters for speed:
# the commonest first (a regular expression tries them one by one).
_SCAN_ORDER = ("NAME", "OP", "NUMBER", "SEP", "SKIP", "MISMATCH")
_SCAN_RE = re.compile(r"([ \t\r\f\v]*+)(" + "|".join(dict(TOKEN_SPEC)[kind] for kind in _SCAN_ORDER) + ")")
_FIRST: dict[str, TokenKind] = {
    **dict.fromkeys("0123456789", TokenKind.NUMBER),  # and ".5", which scan() sorts out
    **dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_", TokenKind.NAME),
    **dict.fromkeys("+-*/^=(),@", TokenKind.OP),
    **dict.fromkeys(";\n", TokenKind.SEP),
}
_CHUNK = 1 << 18  # characters scanned per findall call, so a huge program is never all tokens at once

RawToken = tuple  # (kind, text, start, end): a Token without the NamedTuple's cost


def scan(source: str) -> Iterator[RawToken]:
    """Yield (kind, text, start, end) for every token of `source`, then one END token;
    raise ParseError on a stray character."""
    if (bad := _first_stray(source)) is not None:
        raise _stray(source, source[bad], bad)
    first = _FIRST
    base, size = 0, len(source)
    while base < size:
        cut = source.find("\n", base + _CHUNK) + 1 or size  # a line break always ends a token
        pos = base
        for blanks, text in _SCAN_RE.findall(source[base:cut]):
            start = pos + len(blanks)
            pos = start + len(text)
            kind = first.get(text[0])
            if kind is None:
                if text[0] == "#":
                    continue  # a comment
                if text[0] != ".":
                    raise _stray(source, text[0], start)
                if len(text) > 1:  # ".5" is a number
                    kind = TokenKind.NUMBER
                elif pos < size and (source[pos].isalpha() or source[pos] == "_") and source[pos].isascii():
                    kind = TokenKind.OP  # '.' before a name: W.T or x.relu()
                else:
                    raise _stray(source, text[0], start)
            yield kind, text, start, pos
        base = cut
    yield TokenKind.END, "", size, size


def tokenize(source: str) -> Iterator[Token]:
    """Yield the tokens of `source`, then one END token; raise ParseError on a stray character."""
    for raw in scan(source):
        yield Token(*raw)


def _stray(source: str, ch: str, pos: int) -> ParseError:
    hint = None
    ascii_form = unicodedata.normalize("NFKC", ch)
    if ch == "[" and re.match(r"\[[ \t]*[-+.0-9\[]", source[pos : pos + 20]):
        named = re.search(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*$", source[max(0, pos - 80) : pos])
        name = named[1] if named else "v"
        hint = (f"a program cannot write a vector or matrix: give it as a value, "
                f"{name}=[[1,2],[3,4]] or {name}=[1,2] on the command line")
    elif ch in _LOOKALIKES:
        hint = f"use {_LOOKALIKES[ch]} instead of {ch!r}"
    elif ch in _NOT_IN_BPROP:
        hint = _NOT_IN_BPROP[ch]
    elif ch in "<>!&|":
        hint = "bprop has no comparisons or logic operators"
    elif ascii_form != ch and ascii_form.isascii() and ascii_form.isprintable():
        hint = f"use the plain {ascii_form!r} instead (this is a look-alike, e.g. a full-width character)"
    elif unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp") or unicodedata.combining(ch):
        hint = "an invisible or combining character: delete it and retype the text around it"
    elif ch in "'\"" and (value := _MICROGRAD_VALUE.search(source[source.rfind("\n", 0, pos) + 1 : pos])):
        hint = (f"a number needs no Value(...) or label: write {value[1]} = {value[2]}, an input with that "
                f"value (or give {value[1]}={value[2]} on the command line)")
    elif ch in "'\"":
        hint = "bprop has no strings; names and numbers are written without quotes"
    return ParseError(f"unexpected character {show_char(ch)}", source, Span(pos, pos + 1), hint)


def show_char(ch: str) -> str:
    """A character as an error message shows it: quoted if it prints alone, else by code point."""
    if ch.isprintable() and not unicodedata.combining(ch) and not ch.isspace():
        return repr(ch)
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name.lower()})" if name else "")
