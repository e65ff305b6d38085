"""Lines, tables and pictures in the very bytes Rich prints, written without importing Rich.

Importing Rich's console and table modules was more than half of what a short `bprop eval`,
`explain` or `graph` cost (about 180 of 310 million instructions for eval), so whatever is only
styled lines and tables that fit the screen is written here: the eval report (report.py), the
graph picture (terminal.graph_lines), lessons and walkthroughs (story.story_ansi) and error
messages. Everything else (a line Rich would wrap, a table it would squeeze, a character whose
width Rich measures from its tables, an environment that asks Rich to decide what a terminal is)
is left to Rich: each writer returns None then. Tests compare these bytes with Rich's on every
example, lesson and picture and on generated ones, in colour and not, at several widths.
"""

from __future__ import annotations

import os
import re
import sys
from typing import NamedTuple, Sequence

# Rich's SGR order: attributes first (bold 1, dim 2, italic 3, underline 4), then the colour.
_ATTRIBUTES = {"bold": 1, "dim": 2, "italic": 3, "underline": 4}
_COLOURS = {"black": 30, "red": 31, "green": 32, "yellow": 33, "blue": 34, "magenta": 35, "cyan": 36, "white": 37}

# Characters one cell wide in Rich's measure (checked against rich.cells in the tests); any
# other character outside printable ASCII sends the text to Rich.
_ONE_CELL = frozenset("─∇⊙·…→←×≈≠≤≥Σσ∂√⋅ŷ²³├└│Δδᵀ")
_NARROW = re.compile(r"[ -~]*")


class Screen(NamedTuple):
    width: int
    colour: bool


def screen(stream=None) -> Screen | None:  # type: ignore[no-untyped-def]
    """The width and colour Rich's console (terminal.console()) would choose for `stream` (stdout
    by default), or None when something unusual is asked of it (FORCE_COLOR, TTY_COMPATIBLE, a
    dumb terminal, Jupyter, IPython, Windows, a stream that is not UTF-8, for which Rich draws
    its tables' rules in ASCII): then Rich decides and prints."""
    env = os.environ
    stream = stream or sys.stdout
    if not (getattr(stream, "encoding", None) or "").lower().replace("-", "").startswith("utf"):
        return None
    if os.name == "nt" or "IPython" in sys.modules or any(
            name in env for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS",
                                     "JUPYTER_LINES", "DATABRICKS_RUNTIME_VERSION")):
        return None
    if env.get("TERM", "").lower() in ("dumb", "unknown"):
        return None
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
        if width < 1:
            return None
    else:
        width = 0
        for fd in (0, 1, 2):  # Rich asks stdin first, then stdout, then stderr
            try:
                width = os.get_terminal_size(fd).columns
            except (AttributeError, ValueError, OSError):
                continue
            break
        width = width or 80
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    return Screen(width, tty and not env.get("NO_COLOR"))


def _parse(style: str | None) -> tuple[int, int | None]:
    attrs, colour = 0, None
    for word in (style or "").split():
        if word in _ATTRIBUTES:
            attrs |= 1 << _ATTRIBUTES[word]
        else:
            colour = _COLOURS[word]  # a style Rich would read differently is a bug here: KeyError
    return attrs, colour


def codes(*styles: str | None) -> str:
    """The SGR parameters Rich writes for these styles added together (`"bold", "red"` -> "1;31")."""
    attrs, colour = 0, None
    for style in styles:
        a, c = _parse(style)
        attrs |= a
        colour = c if c is not None else colour
    parts = [str(n) for n in (1, 2, 3, 4) if attrs & (1 << n)]
    if colour is not None:
        parts.append(str(colour))
    return ";".join(parts)


def paint(text: str, sgr: str) -> str:
    """`text` as Rich writes a segment of it in a style with these SGR codes ('' for none)."""
    return f"\x1b[{sgr}m{text}\x1b[0m" if sgr and text else text


def simple(text: str) -> bool:
    """Every character one cell wide as Rich measures it, and no tab or control character."""
    return _NARROW.fullmatch(text) is not None or all(" " <= ch <= "~" or ch in _ONE_CELL for ch in text)


def text_lines(text: str, style: str | None, screen: Screen, wrap: bool = True) -> list[str] | None:
    """A Text printed by Rich: each line in its style; None if a line would wrap (unless the
    console does not wrap: soft_wrap) or holds a character Rich measures itself."""
    return spans_lines([[(line, style)] for line in text.split("\n")], screen, wrap)


class Cell(NamedTuple):
    text: str
    style: str | None = None


class Col(NamedTuple):
    header: str
    justify: str = "left"
    style: str | None = None
    min_width: int = 0


def table_lines(columns: Sequence[Col], rows: Sequence[Sequence[Cell]], screen: Screen,
                header_style: str = "bold") -> list[str] | None:
    """A Rich table with box SIMPLE_HEAD, no edge and no padding at its edges (the look of every
    bprop table): the header in bold, a rule, columns two spaces apart, each cell padded in its
    column's style. None unless every cell fits its column unfolded in the screen's width."""
    n = len(columns)
    grid = [[c.text.split("\n") for c in row] for row in rows]
    widths = [max([col.min_width, len(col.header), *(len(line) for row in grid for line in row[k])]) or 1
              for k, col in enumerate(columns)]
    if sum(widths) + 3 * (n - 1) > screen.width:
        return None
    if not all(simple(col.header) for col in columns) or not all(
            simple(line) for row in grid for cell in row for line in cell):
        return None
    colour = screen.colour
    pads = [(0 if k == 0 else 1, 0 if k == n - 1 else 1) for k in range(n)]

    def row_lines(cells: Sequence[Cell], base: list[str | None], split: list[list[str]]) -> list[str]:
        height = max(map(len, split))
        out = []
        for j in range(height):
            pieces = []
            for k, col in enumerate(columns):
                left, right = pads[k]
                w = widths[k]
                base_sgr = codes(base[k]) if colour else ""
                if j >= len(split[k]):  # below a shorter cell: one blank segment, pads included
                    pieces.append(paint(" " * (left + w + right), base_sgr))
                    continue
                text = split[k][j]
                text = text.rstrip().rjust(w) if col.justify == "right" else text.ljust(w)
                sgr = codes(base[k], cells[k].style) if colour else ""
                pieces.append(paint(" " * left, base_sgr) + paint(text, sgr) + paint(" " * right, base_sgr))
            out.append(" ".join(pieces))  # the box's column divider between the cells' pads
        return out

    header = [Cell(c.header) for c in columns]
    head_split = [[c.header] for c in columns]
    lines = row_lines(header, [header_style] * n, head_split)
    lines.append("─" * (sum(widths) + 3 * (n - 1)))
    styles = [c.style for c in columns]
    for cells, split in zip(rows, grid):
        lines += row_lines(cells, styles, split)
    return lines


_TRAILING = re.compile(r"[ ]+((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)


def strip_trailing(text: str) -> str:
    """No spaces at the end of a line, colour escapes kept (as terminal.show_renderable prints)."""
    return _TRAILING.sub(r"\1", text)


def rows_lines(rows, all_rows: bool, screen: Screen) -> list[str] | None:  # type: ignore[no-untyped-def]
    """A report.Rows table as views/table.py has Rich lay it out, when it fits unfolded."""
    from .report import min_widths, shown_rows

    head, tail, built = shown_rows(rows, all_rows)
    least = [0] * len(rows.columns) if rows.free else min_widths(rows, built, screen.width)
    columns = [Col(c.header, c.justify, c.style, least[k]) for k, c in enumerate(rows.columns)]
    body = [[Cell(text) for text in built[i]] for i in head]
    if tail:
        gap = [Cell("...", "dim")] + [Cell("")] * (len(columns) - 1)
        gap[rows.gap_column] = Cell(f"{rows.count - len(head) - len(tail):,} more rows (--all-rows shows them)", "dim")
        body.append(gap)
        body += [[Cell(text) for text in built[i]] for i in tail]
    return table_lines(columns, body, screen)


def report_text(parts, all_rows: bool, screen: Screen) -> str | None:  # type: ignore[no-untyped-def]
    """The whole report (report.table_parts) as Rich prints it, or None if Rich must lay out a part."""
    from .report import Line

    lines: list[str] = []
    for part in parts:
        got = text_lines(part.text, part.style, screen) if isinstance(part, Line) else rows_lines(part, all_rows, screen)
        if got is None:
            return None
        lines += got
    return strip_trailing("\n".join(lines) + "\n")


# -- lines of several styled spans (the graph picture: views/tree.graph_lines) ---------------

def spans_lines(lines: Sequence[Sequence[tuple[str, str | None]]], screen: Screen,
                wrap: bool = True) -> list[str] | None:
    """Lines of (text, style) spans as Rich prints them, one Text a line: each non-empty span a
    segment of its own, painted in its style. None if a line would wrap (unless the console does
    not wrap: `wrap` False) or holds a character that is not simple() (no span may hold a line
    feed)."""
    out = []
    for line in lines:
        if (wrap and sum(len(text) for text, _ in line) > screen.width) or not all(simple(text) for text, _ in line):
            return None
        if screen.colour:
            out.append("".join(paint(text, codes(style)) for text, style in line))
        else:
            out.append("".join(text for text, _ in line))
    return out


# -- Rich's word wrap (lessons and walkthroughs: views/story.story_ansi) -------------------------

_WORD = re.compile(r"\s*\S+\s*")  # rich._wrap's word: the word and the spaces after it
_TRAILING_SPACE = re.compile(r"\s+$")


def wrapped(text: str, width: int) -> list[str] | None:
    """The lines of a Text as Rich wraps it at `width` with its default justify (none) and
    overflow (fold): each line broken before a word that does not fit, the spaces after the last
    word kept where they fit, a word longer than the line folded; None if a character is not
    simple() (Rich measures those itself). A port of rich._wrap.divide_line and Text.wrap for
    text whose every character is one cell."""
    if width < 1:
        return None
    out: list[str] = []
    for line in text.split("\n"):
        if not simple(line):
            return None
        breaks: list[int] = []
        offset = 0
        for match in _WORD.finditer(line):
            start, word = match.start(), match.group()
            length = len(word.rstrip())
            if width - offset >= length:
                offset += len(word)
            elif length > width:  # folded across lines
                chunks = [word[i: i + width] for i in range(0, len(word), width)]
                for k, chunk in enumerate(chunks):
                    if start:
                        breaks.append(start)
                    if k == len(chunks) - 1:
                        offset = len(chunk)
                    else:
                        start += len(chunk)
            elif offset and start:
                breaks.append(start)
                offset = len(word)
        for a, b in zip([0, *breaks], [*breaks, len(line)]):
            piece = line[a:b]
            if len(piece) > width:  # Text.rstrip_end, then truncate
                found = _TRAILING_SPACE.search(piece)
                if found is not None:
                    piece = piece[: len(piece) - min(len(found.group()), len(piece) - width)]
                piece = piece[:width]
            out.append(piece)
    return out
