"""Lessons and walkthroughs (tutor Blocks) as plain text for pipes, or as Rich renderables for a
terminal: headings, the node each step is about highlighted, formulas aligned in columns.
story_ansi writes what Rich prints for story_rich without importing Rich, whenever it can lay
the blocks out exactly as Rich would (Rich is imported only by story_rich)."""

from __future__ import annotations

import re
import textwrap
from typing import TYPE_CHECKING, Iterable

from bprop_cli.tutor.blocks import Block

from .ansi import Screen, codes, paint, simple, wrapped
from .fold import fold_formula, fold_program_line

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

INDENT = 5  # width of the step-number gutter, "12. "


NBSP = "\u00a0"  # textwrap never breaks here: keeps "x = 2" and "df/dv = -4" on one line


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    lines = textwrap.wrap(text.replace(" = ", f"{NBSP}={NBSP}"), width, initial_indent=first,
                          subsequent_indent=rest, break_long_words=True, break_on_hyphens=False)
    return [line.replace(NBSP, " ") for line in lines] or [first.rstrip()]


def _fold(formula: str, width: int) -> list[str]:
    """An equation folded before an '=' (never between a product and its number); a row of
    words (a gate's description in the index) wrapped as prose."""
    if " = " in formula and not _sentence(formula):
        return fold_formula(formula, width).split("\n")
    return _wrap(formula, width, "", "  ")


def _sentence(text: str) -> bool:
    """Words rather than an equation: a comma outside brackets ('..., the one-neuron example'),
    or a full stop at the end."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch in "([") - (ch in ")]")
        if ch == "," and depth == 0 and text[i + 1: i + 2] == " ":
            return True
    return text.rstrip().endswith(".")


STACK = 32  # labels wider than this go on a line of their own, the formula indented below


def _rows_plain(rows: tuple[tuple[str, str], ...], width: int) -> list[str]:
    label_width = max(len(label) for label, _ in rows)
    lead = " " * (INDENT + 2)
    lines = []
    for label, formula in rows:
        if "\n" in formula:  # a matrix: its lines stand under each other
            lines += _matrix_row(label, formula, lead, min(label_width, STACK), width)
            continue
        if label_width > STACK or width - len(lead) - label_width - 2 < 24:  # too little room beside it
            lines += _wrap(label, width, lead, lead + "  ")
            lines += [lead + "    " + line for line in _fold(formula, width - len(lead) - 4)]
            continue
        first = f"{lead}{label.ljust(label_width)}  "
        folded = _fold(formula, width - len(first))
        lines += [first + folded[0], *(" " * len(first) + line for line in folded[1:])]
    return lines


def _matrix_row(label: str, formula: str, lead: str, label_width: int, width: int) -> list[str]:
    """A row whose formula ends in a matrix written on several lines ('rule = [[1  2]' then
    '        [3  4]]'): beside the label if it fits in `width`, else the formula's text first
    and the matrix on lines of its own below."""
    head = f"{lead}{label.ljust(label_width)}  "
    parts = formula.split("\n")
    if len(head) + max(map(len, parts)) <= width:
        return [head + parts[0], *(" " * len(head) + part for part in parts[1:])]
    cut = parts[0].find("[")
    cut = 0 if cut < 0 else cut
    text = parts[0][:cut].rstrip()
    lines = _wrap(text, width, head, " " * len(head)) if text else [head.rstrip()]
    pad = " " * (len(lead) + 4)
    return lines + [pad + part[cut:] for part in parts]


def _matrix_cell(formula: str, column: int, width: int) -> str:
    """A formula ending in a matrix for a cell starting at `column`: as it is if its lines fit
    in `width`, else its text on one line and the matrix's lines, unindented, below it."""
    parts = formula.split("\n")
    if column + max(map(len, parts)) <= width:
        return formula
    cut = max(parts[0].find("["), 0)
    return "\n".join([parts[0][:cut].rstrip(), *(part[cut:] for part in parts)]).lstrip("\n")


NARROWEST = 40  # prose is laid out at least this wide; a narrower screen wraps the lines itself


def story_plain(blocks: Iterable[Block], width: int = 80) -> str:
    """Plain text, every line at most `width` characters (long words aside); never narrower
    than NARROWEST (COLUMNS=0 or 5 leaves no room for the step numbers' gutter)."""
    width = max(width, NARROWEST)
    lines: list[str] = []
    for b in blocks:
        if b.kind == "title":
            title = _wrap(b.text, width, "", "")
            lines += [*title, "=" * max(map(len, title))]
        elif b.kind == "heading":
            heading = _wrap(b.text, width, "", "")
            lines += ["", *heading, "-" * max(map(len, heading))]
        elif b.kind == "code":
            for line in b.text.splitlines():
                lines += ["    " + part for part in fold_program_line(line, width - 4)]
        elif b.kind == "text":
            lines += [""] + _wrap(b.text, width, "", "")
        elif b.kind == "try":
            lines += ["", "Try:"]
            for command in b.text.splitlines():
                lines += shell_lines(command, width, "    ", "      ")
        elif b.kind == "step":
            number = f"{b.number}." if b.number else ""
            if b.text or b.number:
                lines += _wrap(b.text, width, f"{number:>{INDENT - 1}} ", " " * INDENT)
            else:  # a bare table of rows, e.g. a lesson's formulas: set off by a blank line
                lines.append("")
            if b.rows:
                lines += _rows_plain(b.rows, width)
    return "\n".join(line.rstrip() for line in lines) + "\n"


NODE_STYLE = "bold magenta"


def _node_pattern(node: str) -> str:
    """The node id wherever it stands as a whole word (not inside another name, nor 'x@2')."""
    return rf"(?<![\w@]){re.escape(node)}(?![\w@])"


def _highlighted(text: str, node: str) -> Text:
    """The step's text with its node id picked out wherever it stands as a whole word."""
    from rich.text import Text

    out = Text(text)
    if node:
        out.highlight_regex(_node_pattern(node), NODE_STYLE)
    return out


class _Folded:
    """A step's text or formula, folded when Rich knows the column's width: prose wrapped with
    'x = 2' kept whole, a formula broken before an '=' (never between a product and its number),
    as story_plain does in a pipe."""

    def __init__(self, text: str, node: str, prose: bool = False) -> None:
        self.text, self.node, self.prose = text, node, prose

    def _lines(self, width: int) -> list[str]:
        return _wrap(self.text, width, "", "") if self.prose else _fold(self.text, width)

    def __rich_console__(self, console, options):  # type: ignore[no-untyped-def]
        yield _highlighted("\n".join(self._lines(options.max_width)), self.node)

    def __rich_measure__(self, console, options):  # type: ignore[no-untyped-def]
        from rich.measure import Measurement

        words = max((len(w) for w in self.text.split()), default=1)
        return Measurement(min(words, options.max_width), min(len(self.text), options.max_width))


def story_rich(blocks: Iterable[Block], width: int | None = None) -> RenderableType:
    """Rich renderables; given the console's `width`, each step's text column is set to the
    width it would take anyway, which spares Rich measuring the nested tables in it (most of
    the time `bprop explain` took on a terminal)."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = []
    body_width = None if width is None else max(1, width - INDENT)
    for b in blocks:
        if b.kind == "title":
            parts.append(Text(b.text, style="bold underline"))
        elif b.kind == "heading":
            parts.append(Text("\n" + b.text, style="bold cyan"))
        elif b.kind == "code":
            parts.append(Padding(Text(b.text, style="green"), (0, 0, 0, 4)))
        elif b.kind == "text":
            parts.append(Text("\n" + b.text))
        elif b.kind == "try":
            parts += [Text("\nTry:", style="bold"), Padding(Text(b.text, style="bold green"), (0, 0, 0, 4))]
        elif b.kind == "step":
            grid = Table.grid(padding=(0, 1))
            grid.add_column(width=INDENT - 1, justify="right", style="bold")
            grid.add_column(ratio=1, width=body_width)
            body: list[RenderableType] = [_Folded(b.text, b.node, prose=True)] if b.text else [Text("")]
            if b.rows:
                rows = Table.grid(padding=(0, 2))
                rows.add_column(style="dim", no_wrap=True)
                rows.add_column(overflow="fold")
                label_width = max(len(label) for label, _ in b.rows)
                for label, formula in b.rows:
                    if "\n" in formula:  # a matrix: beside its rule if it fits 80 columns, else below it
                        formula = _matrix_cell(formula, INDENT + 2 + label_width + 2, 80)
                        rows.add_row(Text(label), _highlighted(formula, b.node))
                        continue
                    rows.add_row(Text(label), _Folded(formula, b.node))
                body.append(Padding(rows, (0, 0, 0, 2)))
            grid.add_row(Text(f"{b.number}." if b.number else ""), Group(*body))
            parts.append(grid)
    return Group(*parts)


def story_ansi(blocks: Iterable[Block], screen: Screen) -> str | None:
    """What Console.print(story_rich(blocks, width)) writes on a screen `screen.width` wide, written
    without Rich, padding spaces and colour codes included; None when some block needs Rich's own
    layout (a character Rich measures from its tables, a step's text or formula that its column
    would fold again, a row table Rich would squeeze unevenly). The same layout, step by step:
    Texts wrapped as Rich wraps them, code and 'Try:' lines padded to the width four columns in,
    each step a grid of a right-justified bold number column and the step's column, its text
    folded by _wrap and its rows (dim labels, formulas folded by _fold) two columns in."""
    width = screen.width
    if width < 20:
        return None
    sgr = codes if screen.colour else (lambda style: "")
    lines: list[str] = []
    for b in blocks:
        if b.kind == "title":
            got = _styled(b.text, "bold underline", width, sgr)
        elif b.kind == "heading":
            got = _styled("\n" + b.text, "bold cyan", width, sgr)
        elif b.kind == "code":
            got = _indented(b.text, "green", width, sgr)
        elif b.kind == "text":
            got = _styled("\n" + b.text, None, width, sgr)
        elif b.kind == "try":
            head, commands = _styled("\nTry:", "bold", width, sgr), _indented(b.text, "bold green", width, sgr)
            got = None if head is None or commands is None else head + commands
        elif b.kind == "step":
            got = _step_lines(b, width, sgr)
        else:
            continue  # story_rich shows nothing for a kind it does not know either
        if got is None:
            return None
        lines += got
    return "\n".join(lines) + "\n"


def _styled(text: str, style: str | None, width: int, sgr) -> list[str] | None:  # type: ignore[no-untyped-def]
    """A Text of this style printed on its own, as Rich wraps it."""
    lines = wrapped(text, width)
    return None if lines is None else [paint(line, sgr(style)) for line in lines]


def _indented(text: str, style: str, width: int, sgr) -> list[str] | None:  # type: ignore[no-untyped-def]
    """Padding(Text(text, style), (0, 0, 0, 4)): four spaces, the text wrapped in what is left,
    each line padded (unstyled) to the full width."""
    lines = wrapped(text, width - 4)
    return None if lines is None else ["    " + paint(line, sgr(style)) + " " * (width - 4 - len(line)) for line in lines]


def _marked(line: str, node: str, sgr) -> str:  # type: ignore[no-untyped-def]
    """A line of a step's text or formula with its node id in NODE_STYLE (_highlighted)."""
    if not node:
        return line
    pieces, at = [], 0
    for found in re.finditer(_node_pattern(node), line):
        if found.end() > found.start():
            pieces += [line[at:found.start()], paint(found.group(), sgr(NODE_STYLE))]
            at = found.end()
    return "".join(pieces) + line[at:]


def _fits(lines: list[str], width: int) -> bool:
    return all(len(line) <= width and simple(line) for line in lines)


def _step_lines(b: Block, width: int, sgr) -> list[str] | None:  # type: ignore[no-untyped-def]
    """A step's grid: the number column (INDENT - 1 wide, right-justified, then a space, all bold)
    beside the step's column (the rest of the width): its text, or a blank line, then its rows."""
    number = f"{b.number}." if b.number else ""
    body_width = width - INDENT
    if len(number) > INDENT - 1:
        return None
    body: list[str] = []
    if b.text:
        text = _wrap(b.text, body_width, "", "")
        if not _fits(text, body_width):
            return None
        body += [_marked(line, b.node, sgr) + " " * (body_width - len(line)) for line in text]
    else:
        body.append(" " * body_width)
    if b.rows:
        rows = _rows_lines(b, body_width - 2, sgr)
        if rows is None:
            return None
        body += ["  " + line for line in rows]
    bold = sgr("bold")
    gutter = [paint(number.rjust(INDENT - 1), bold) + paint(" ", bold)]
    gutter += [paint(" " * INDENT, bold)] * (len(body) - 1)
    return [a + b for a, b in zip(gutter, body)]


def _rows_lines(b: Block, width: int, sgr) -> list[str] | None:  # type: ignore[no-untyped-def]
    """The rows' grid in `width` columns: the dim labels as wide as the widest and two dim spaces,
    then the formulas, as wide as the longest (each folded in what is left when that does not
    fit: the only column Rich may narrow), every line padded to `width`."""
    label_width = max(len(label) for label, _ in b.rows)
    cells, longest = [], 0
    for label, formula in b.rows:
        if "\n" in label or not simple(label):
            return None
        if "\n" in formula:  # a Text: as long as its longest line
            formula = _matrix_cell(formula, INDENT + 2 + label_width + 2, 80)
            cells.append((label, formula, False))
            longest = max(longest, *map(len, formula.splitlines()))
        else:  # a _Folded: as long as its text
            cells.append((label, formula, True))
            longest = max(longest, len(formula))
    labels = label_width + 2
    if label_width == 0 or labels >= width:
        return None
    formulas = min(longest, width - labels) or 1  # Rich narrows the formulas' column to what is left
    dim = sgr("dim")
    out: list[str] = []
    for label, formula, folded in cells:
        lines = _fold(formula, formulas) if folded else formula.split("\n")
        if not _fits(lines, formulas):
            return None
        out.append(paint(label.ljust(label_width), dim) + paint("  ", dim))
        out += [paint(" " * labels, dim)] * (len(lines) - 1)
        for k, line in enumerate(lines, start=len(out) - len(lines)):
            out[k] += _marked(line, b.node, sgr) + " " * (width - labels - len(line))
    return out


def shell_lines(command: str, width: int, first: str, rest: str) -> list[str]:
    """A shell command folded between its arguments with a trailing ' \\', so that the lines
    still paste into a shell as one command; an argument is never broken."""
    import shlex

    if len(first) + len(command) <= width:
        return [first + command]
    try:
        words = [shlex.quote(w) for w in shlex.split(command)]
    except ValueError:
        return [first + command]
    lines, line = [], first
    for word in words:
        if line.strip() and len(line) + 1 + len(word) + 2 > width:
            lines.append(line + " \\")
            line = rest + word
        else:
            line = line + word if not line.strip() else f"{line} {word}"
    lines.append(line)
    return lines
