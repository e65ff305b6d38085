"""Rich tables that read like the hand walkthroughs: forward pass, backward pass, gradients."""

from __future__ import annotations

from typing import Callable, TextIO

from rich import box
from rich.color import ColorSystem
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from bprop_cli.engine.geometry import Geometry, geometry
from bprop_cli.engine.trace import Trace
from bprop_cli.text import grid, num, shape_text, visible

from .fold import fold_items, fold_program_line
from .report import (  # noqa: F401
    BACKWARD_HEADERS,
    HEAD,
    NARROW,
    PROSE,
    Column,
    Line,
    Rows,
    _budgets,
    _window,
    at_line,
    backward_rows,
    fold_list,
    forward_rows,
    gradient_rows,
    keep_with_number,
    min_widths,
    program_lines,
    shown_rows,
    streams,
    summarised,
    table_parts,
)


def _table() -> Table:
    return Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)


def _heading(title: str) -> Text:
    return Text("\n" + title, style="bold")


def _gap(table: Table, hidden: int, where: int) -> None:
    # The message goes in a wide column that wraps: in the first it would widen the ids' column.
    cells = [Text("...", style="dim")] + [Text("")] * (len(table.columns) - 1)
    cells[where] = Text(f"{hidden:,} more rows (--all-rows shows them)", style="dim")
    table.add_row(*cells)


def _fill(table: Table, count: int, row: Callable[[int], tuple[Text | str, ...]], all_rows: bool,
          gap_column: int) -> None:
    """Add rows 0..count-1, or the first HEAD and last TAIL of them; only shown rows are built,
    so a summarised table costs time in proportion to what it shows."""
    head, tail = _window(count, all_rows)
    for i in head:
        table.add_row(*row(i))
    if tail:
        _gap(table, count - len(head) - len(tail), gap_column)
        for i in tail:
            table.add_row(*row(i))



def _rich(rows: Rows, all_rows: bool, width: int = 80) -> Table:
    if rows.free:
        return _free_table(rows)
    table = _table()
    head, tail, built = shown_rows(rows, all_rows)
    least = min_widths(rows, built, width)
    for k, c in enumerate(rows.columns):
        table.add_column(c.header, justify=c.justify, style=c.style, min_width=least[k],  # type: ignore[arg-type]
                         **({"overflow": "fold"} if c.wrap else {"no_wrap": True}))
    _fill(table, rows.count, lambda i: tuple(map(Text, built[i])), all_rows, rows.gap_column)
    return table


def _free_table(rows: Rows) -> Table:
    table = _table()
    for c in rows.columns:
        table.add_column(c.header, justify=c.justify, style=c.style)  # type: ignore[arg-type]
    for i in range(rows.count):
        table.add_row(*map(Text, rows.row(i)))
    return table


def forward_table(trace: Trace, all_rows: bool = False) -> Table:
    return _rich(forward_rows(trace), all_rows)


def backward_table(trace: Trace, all_rows: bool = False, width: int = 80) -> Table:
    return _rich(backward_rows(trace, width), all_rows, width)


def gradient_table(trace: Trace) -> Table:
    return _free_table(gradient_rows(trace))


def program_text(expression: str, width: int = 80) -> Text:
    """The program as the first lines of a report (see report.program_lines), in bold."""
    return Text(program_lines(expression, width), style="bold")


ARRAY_PROGRAM_LINES = 12  # a longer array program shows its first lines and its last

def array_program_text(expression: str, width: int = 80) -> Text:
    """An array program as the report's first lines, without its '# at:' line (the values are
    in the forward table, the shapes on the line below); a long one shortened to its ends."""
    lines = [line.rstrip() for line in visible(expression.strip()).splitlines()
             if line.strip() and not line.lstrip().startswith("# at:")]
    if len(lines) > ARRAY_PROGRAM_LINES:
        lines = [*lines[:ARRAY_PROGRAM_LINES - 3], f"... ({len(lines) - ARRAY_PROGRAM_LINES + 1:,} more lines)", *lines[-2:]]
    lines = [line if len(line) <= 300 else f"{line[:270]} ... ({len(line):,} characters)" for line in lines]
    lines = [part for line in lines
             for part in fold_program_line(line, min(width, PROSE) if line.lstrip().startswith("#") else width)]
    return Text("\n".join(lines), style="bold")


def array_forward_table(trace: Trace, all_rows: bool = False) -> RenderableType:
    """An array program's nodes: shape, value and gradient, matrices one row a line. Value and
    gradient stand side by side when they fit the width they are printed in; otherwise each
    node's gradient goes on a row of its own under its value (Rich would drop whole columns)."""
    return _ArrayForward(trace, all_rows)


class _ArrayForward:
    def __init__(self, trace: Trace, all_rows: bool) -> None:
        self.trace = trace
        self.nodes = list(trace.non_constant_nodes())
        self.cells = [(Text(n.id + (" *" if n.note else "")), Text("input" if n.op == "input" else n.expression),
                       shape_text(n.shape), grid(n.value, all_rows), grid(n.grad, all_rows)) for n in self.nodes]

    def __rich_console__(self, console, options):  # type: ignore[no-untyped-def]
        def widest(texts: list[str], header: str) -> int:
            return max([len(header), *(len(line) for t in texts for line in t.split("\n"))])

        out = self.trace.output
        longest = max((len(n.expression) for n in self.nodes if n.op != "input"), default=5)
        computes = min(max(longest, 5), 16)  # sigmoid(z1) unbroken, long expressions folded
        node = widest([c[0].plain for c in self.cells], "node")
        shape = widest([c[2] for c in self.cells], "shape")
        value = widest([c[3] for c in self.cells], "value")
        grad = widest([c[4] for c in self.cells], f"d{out}/dnode")
        side_by_side = node + computes + shape + value + grad + 2 * 4 <= options.max_width
        table = _table()
        table.add_column("node", style="cyan", no_wrap=True)
        table.add_column("computes", overflow="fold", min_width=computes)
        table.add_column("shape", no_wrap=True, justify="right")
        if side_by_side:
            table.add_column("value", style="green", no_wrap=True)
            table.add_column(f"d{out}/dnode", style="red", no_wrap=True)
            for name, expression, size, v, g in self.cells:
                table.add_row(name, expression, Text(size), Text(v), Text(g))
        else:
            table.add_column(f"value, and d{out}/dnode below it", overflow="fold")
            for name, expression, size, v, g in self.cells:
                table.add_row(name, expression, Text(size), Text(v, style="green"))
                table.add_row(Text(""), Text(""), Text(f"d{out}/d{name.plain.rstrip(' *')}", style="dim"),
                              Text(g, style="red"))
        yield table


def array_backward_table(trace: Trace, all_rows: bool = False) -> RenderableType:
    """An array program's chain rule: each gate's rule in matrix form and the array it sends
    back, beside the rule when both fit the width they are printed in, else under it."""
    return _ArrayBackward(trace, all_rows)


class _ArrayBackward:
    def __init__(self, trace: Trace, all_rows: bool) -> None:
        out = trace.output
        steps = trace.backward
        self.rows: list[tuple[str, Text, str]] = []  # gate, what is sent back, the product
        for i, s in enumerate(steps):
            gate = "" if i > 0 and steps[i - 1].node == s.node else f"{s.node} = {trace.node(s.node).expression}"
            if s.rule is None:  # a step between numbers: upstream times the local derivative
                local = s.formula if s.formula == num(s.local) else f"({s.formula})"
                self.rows.append((gate, Text(f"d{out}/d{s.input} = d{out}/d{s.node} * {local}"), num(s.product)))
                continue
            text = Text(f"d{out}/d{s.input} = {s.rule.replace('upstream', f'd{out}/d{s.node}')}")
            if s.note:  # told under the table: in a narrow column it would take a line a word
                text.append(" (*)", style="yellow")  # a footnote mark: a bare '*' would read as a product cut off
            self.rows.append((gate, text, grid(s.product, all_rows)))

    def __rich_console__(self, console, options):  # type: ignore[no-untyped-def]
        gate = max([4, *(len(g) for g, _, _ in self.rows)])
        rule = max([18, *(len(t.plain) for _, t, _ in self.rows)])
        product = max([7, *(len(line) for _, _, p in self.rows for line in p.split("\n"))])
        table = _table()
        table.add_column("gate", style="cyan", overflow="fold", max_width=24)
        if min(gate, 24) + rule + product + 4 <= options.max_width:
            table.add_column("gradient sent back", overflow="fold")
            table.add_column("product", no_wrap=True)
            for g, text, p in self.rows:
                table.add_row(Text(g), text, Text(p))
        else:
            table.add_column("gradient sent back, and the product under it", overflow="fold")
            for g, text, p in self.rows:
                lines = p.split("\n")
                shown = "\n".join(["= " + lines[0], *("  " + line for line in lines[1:])])
                table.add_row(Text(g), Text.assemble(text, "\n", (shown, "bold")))
        yield table


def array_step_notes(trace: Trace) -> list[Text]:
    """The notes of the backward steps marked * (how a broadcast operand's gradient was summed)."""
    return [Text(f"(*) {s.input}: {s.note}", style="yellow") for s in trace.backward if s.rule is not None and s.note]


def render_array_table(trace: Trace, all_rows: bool = False, geo: Geometry | None = None,
                       width: int = 80) -> RenderableType:
    out = trace.output
    parts: list[RenderableType] = [array_program_text(trace.expression, width)]
    sizes = ", ".join(f"{name} {shape_text(n.shape)}" for name in trace.inputs
                      if (n := trace.node(name)).shape)
    if sizes:
        parts.append(Text(f"arrays: {sizes} (rows x columns)"))
    parts += [_heading("Forward pass: values, and each node's gradient"), array_forward_table(trace, all_rows)]
    if trace.backward:
        parts += [_heading(f"Backward pass: chain rule from d{out}/d{out} = {grid(trace.seed)}"),
                  array_backward_table(trace, all_rows), *array_step_notes(trace)]
    if trace.gradients:
        table = _table()
        table.add_column("input", style="cyan")
        table.add_column(f"gradient d{out}/d(input)", style="bold red", no_wrap=True)
        for name, g in trace.gradients.items():
            table.add_row(Text(name), Text(grid(g, all_rows)))
        parts += [_heading(f"Gradients of {out} = {grid(trace.value)}"), table]
        parts += [Text(fold_items(line, min(width, PROSE))) for line in (geo or geometry(trace.gradients)).describe(out, num)]
    parts += [Text(f"* {n.id}: {n.note}", style="yellow") for n in trace.noted_nodes()]
    return Group(*parts)




def _rich_part(part: Line | Rows, all_rows: bool, width: int) -> RenderableType:
    if isinstance(part, Rows):
        return _rich(part, all_rows, width)
    return Text(part.text, style=part.style or "")


def render_table(trace: Trace, all_rows: bool = False, width: int = 80, geo: Geometry | None = None) -> RenderableType:
    if trace.arrays:
        return render_array_table(trace, all_rows, geo, width)
    return Group(*(_rich_part(part, all_rows, width) for part in table_parts(trace, all_rows, width, geo)))


def print_table(trace: Trace, all_rows: bool, console: Console, geo: Geometry | None = None) -> None:
    """Print the report; with --all-rows, long tables are streamed a chunk of rows at a time
    (laid out by StreamedTable: Rich would lay out every row before printing the first)."""
    if trace.arrays:
        console.print(render_array_table(trace, all_rows, geo, console.width))
        return
    for part in table_parts(trace, all_rows, console.width, geo):
        if isinstance(part, Rows):
            if all_rows and summarised(part.count):
                console.file.flush()
                StreamedTable(part, console).write(console.file)
                continue
        console.print(_rich_part(part, all_rows, console.width))


_SAMPLE = 200  # rows from the start, the end and between that set a streamed table's column widths
_CHUNK = 1000  # rows laid out per write
_GAP = "  "  # between columns, as Rich puts padding (0, 1) without the edges
_MIN_WIDTH = 12  # a folding column is not squeezed narrower than this


class StreamedTable:
    """A long table written as its rows are made, in the look of the Rich tables (a bold header,
    a rule, columns two spaces apart, long cells folded at spaces within their column, column
    colours on a colour terminal). Column widths come from the header and a sample of the rows
    (the first, the last, and some between), narrowed to fit the console; a longer cell than
    those folds onto more lines, except in a column that never folds (the ids), which it widens."""

    def __init__(self, rows: Rows, console: Console) -> None:
        self.rows = rows
        n = rows.count  # the first and last rows, and rows spread evenly between
        picked = sorted({*range(min(n, _SAMPLE)), *range(max(0, n - _SAMPLE), n), *range(0, n, max(1, n // _SAMPLE))})
        sample = [rows.row(i) for i in picked]
        widths = [max([len(c.header), *(len(r[k]) for r in sample)]) for k, c in enumerate(rows.columns)]
        room = max(console.width, 20) - len(_GAP) * (len(widths) - 1)
        while sum(widths) > room:  # narrow the widest folding column, a character at a time
            k = max((k for k, c in enumerate(rows.columns) if c.wrap and widths[k] > _MIN_WIDTH),
                    key=widths.__getitem__, default=None)
            if k is None:
                break
            widths[k] -= 1
        self.widths = widths
        colour = console.color_system and not console.no_color
        self.styles = [_codes(c.style, console) if colour else ("", "") for c in rows.columns]
        self.bold = _codes("bold", console) if colour else ("", "")

    def write(self, out: TextIO) -> None:
        columns, widths = self.rows.columns, self.widths
        header = self._lines([c.header for c in columns], [self.bold] * len(columns))
        out.write(header + "─" * (sum(widths) + len(_GAP) * (len(widths) - 1)) + "\n")
        row, styles = self.rows.row, self.styles
        for lo in range(0, self.rows.count, _CHUNK):
            out.write("".join([self._lines(row(i), styles) for i in range(lo, min(lo + _CHUNK, self.rows.count))]))
            out.flush()

    def _lines(self, cells: tuple[str, ...] | list[str], styles: list[tuple[str, str]]) -> str:
        folded = [_fold(text, width) if column.wrap else [text]
                  for text, width, column in zip(cells, self.widths, self.rows.columns)]
        height = max(map(len, folded))
        lines = []
        for j in range(height):
            parts = []
            for column, width, (on, off), pieces in zip(self.rows.columns, self.widths, styles, folded):
                text = pieces[j] if j < len(pieces) else ""
                pad = " " * (width - len(text))
                if text and on:
                    text = on + text + off
                parts.append(pad + text if column.justify == "right" else text + pad)
            lines.append(_GAP.join(parts).rstrip() + "\n")
        return "".join(lines)


def _fold(text: str, width: int) -> list[str]:
    """Text in lines of at most `width` characters, broken at spaces where it can be."""
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        while len(word) > width:  # longer than the column: cut it
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def _codes(style: str | None, console: Console) -> tuple[str, str]:
    """The escape codes that turn a Rich style on and off on this console."""
    if not style:
        return "", ""
    system = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT, "truecolor": ColorSystem.TRUECOLOR,
              "windows": ColorSystem.WINDOWS}.get(console.color_system or "", ColorSystem.STANDARD)
    on, _, off = console.get_style(style).render("\0", color_system=system).partition("\0")
    return on, off
