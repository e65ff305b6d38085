"""One error family for everything a user can cause; each error draws its own caret line."""

from __future__ import annotations

import unicodedata
from enum import IntEnum
from typing import NamedTuple


class ExitStatus(IntEnum):
    """Exit codes of SPEC §6."""

    SUCCESS = 0
    EVAL_ERROR = 1  # domain, overflow, infinite derivative, failed check
    USAGE_ERROR = 2  # bad syntax, unknown name or function, missing/extra/bad value


class Span(NamedTuple):
    """Half-open character range [start, end) in the program text."""

    start: int
    end: int


class BpropError(ValueError):
    """Base for every error a user can cause; carries the source and the span to underline."""

    kind = "error"
    status = ExitStatus.USAGE_ERROR

    def __init__(
        self,
        message: str,
        source: str | None = None,
        span: Span | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.span = span
        self.hint = hint

    def position(self) -> dict[str, int] | None:
        """Line and column (both 1-based) of the span's start, for scripts."""
        if self.source is None or self.span is None:
            return None
        line, col, _ = _locate(self.source, self.span.start)
        return {"offset": self.span.start, "line": line, "column": col}

    def __str__(self) -> str:
        from .text import visible  # user text in a message (a name, a value) shows no control byte

        lines = [f"{self.kind}: {visible(self.message)}"]
        if self.source and self.source.strip() and self.span is not None:  # a blank text has nothing to point at
            lines.extend(caret_lines(self.source, self.span))
        if self.hint:
            lines.append(f"hint: {visible(self.hint)}")
        return "\n".join(lines)


class ParseError(BpropError):
    kind = "syntax error"


class NameResolutionError(BpropError):
    kind = "name error"


class ValueBindingError(BpropError):
    kind = "usage error"


class ShapeError(BpropError):
    """Array shapes that do not fit together (checked before any value is computed)."""

    kind = "shape error"


class EvalError(BpropError):
    kind = "evaluation error"
    status = ExitStatus.EVAL_ERROR


def clip(text: str, limit: int = 40) -> str:
    """User text quoted in a message, cut to `limit` characters (a 5,000-digit number is not
    worth echoing whole): the start, '...' and how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}...{text[-8:]} ({len(text):,} characters)"


_SHOWN = 76  # characters of a source line shown around the caret (fits 80 columns)


def _locate(source: str, offset: int) -> tuple[int, int, tuple[int, int]]:
    """(line, column, (line_start, line_end)) of `offset`, 1-based."""
    line_start = source.rfind("\n", 0, offset) + 1
    line_end = source.find("\n", offset)
    if line_end == -1:
        line_end = len(source)
    line = source.count("\n", 0, line_start) + 1
    return line, offset - line_start + 1, (line_start, line_end)


def caret_lines(source: str, span: Span) -> list[str]:
    """The offending source line (clipped to fit a terminal) with `^^^` under the span."""
    line, col, (lo, hi) = _locate(source, span.start)
    text = source[lo:hi]
    start = span.start - lo
    width = max(1, min(span.end, hi) - span.start)
    # Clip long lines to a window around the caret so the message stays one screen wide.
    if len(text) > _SHOWN:
        left = max(0, min(start - _SHOWN // 2, len(text) - _SHOWN))
        text = text[left : left + _SHOWN]
        prefix = "..." if left > 0 else ""
        start = start - left + len(prefix)
        text = prefix + text
        width = min(width, _SHOWN - start + len(prefix))
    # Invisible, combining and bidi-control characters would shift or reorder the line on
    # screen, so they are shown as '?'; wide characters take two columns before the caret.
    # (text.visible() escapes them elsewhere; here each must keep one column under the caret.)
    text = "".join(ch if ch.isprintable() and not unicodedata.combining(ch) else "?" for ch in text)
    pad = start + sum(unicodedata.east_asian_width(ch) in "WF" for ch in text[:start])
    where = [f"  at line {line}, column {col}:"] if source.count("\n") else []
    return [*where, "  " + text, "  " + " " * pad + "^" * max(1, width)]


class OutputError(BpropError):
    """A well-formed request whose result cannot be written (missing program, unwritable file)."""

    kind = "error"
    status = ExitStatus.EVAL_ERROR
