"""Rich tables that read like the hand walkthroughs: forward pass, backward pass, gradients."""

from __future__ import annotations

from typing import Callable

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..trace import Trace
from . import num
from .safe import visible

HEAD = 40  # rows shown before a long table is summarised
TAIL = 10  # rows shown after the gap


def _window(n: int, all_rows: bool) -> tuple[range, range]:
    if all_rows or n <= HEAD + TAIL + 5:
        return range(n), range(0)
    return range(HEAD), range(n - TAIL, n)


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


def forward_table(trace: Trace, all_rows: bool = False) -> Table:
    table = _table()
    table.add_column("node", style="cyan", no_wrap=True)
    table.add_column("computes", overflow="fold")
    table.add_column("value", justify="right", style="green")
    table.add_column(f"d{trace.output}/dnode", justify="right", style="red")
    shown = trace.non_constant_nodes()

    def row(i: int) -> tuple[Text, ...]:
        n = shown[i]
        return (Text(n.id + (" *" if n.note else "")), Text("input" if n.op == "input" else n.expression),
                Text(num(n.value)), Text(num(n.grad)))

    _fill(table, len(shown), row, all_rows, gap_column=1)
    return table


def keep_with_number(text: str, budget: int) -> str:
    """`formula = number` longer than `budget`: the number goes to the next line with its '=',
    so a formula and its number are never split mid-way, and neither is a number."""
    if len(text) <= budget or " = " not in text:
        return text
    head, _, value = text.rpartition(" = ")
    return f"{head}\n  = {value}"


def fold_list(prefix: str, items: list[str], width: int) -> str:
    """`prefix a = 1, b = 2, ...` folded at the commas to fit `width`, never inside an item."""
    lines, line = [], prefix
    for k, item in enumerate(items):
        piece = item + ("," if k < len(items) - 1 else "")
        if line.strip() and len(line) + 1 + len(piece) > width and line != prefix:
            lines.append(line)
            line = "  " + piece
        else:
            line = f"{line} {piece}" if line else piece
    lines.append(line)
    return "\n".join(lines)


# Column headers short enough never to wrap in 80 columns.
BACKWARD_HEADERS = ("gate", "local derivative", "upstream * local", "running sum")


def _budgets(width: int, gates: list[str], locals_: list[str], products: list[str], sums: list[str]) -> tuple[int, int]:
    """How wide the local-derivative and product columns may be before a number moves down."""
    gate_w = min(max(map(len, gates), default=4), 24)
    sum_w = max((len(s) for s in sums), default=0)
    sum_w = max(sum_w, len(BACKWARD_HEADERS[3])) if sums else 0
    gaps = 3 * (3 if sums else 2)
    room = max(20, width - gate_w - sum_w - gaps)
    local_w = max(map(len, locals_), default=0)
    product_w = max(map(len, products), default=0)
    if local_w + product_w <= room:
        return local_w, product_w
    half = room // 2
    if local_w <= half:
        return local_w, room - local_w
    if product_w <= half:
        return room - product_w, product_w
    return half, room - half


def backward_table(trace: Trace, all_rows: bool = False, width: int = 80) -> Table:
    table = _table()
    table.add_column(BACKWARD_HEADERS[0], style="cyan", overflow="fold")
    table.add_column(BACKWARD_HEADERS[1], overflow="fold")
    table.add_column(BACKWARD_HEADERS[2], overflow="fold")
    fan_in = trace.fan_in()
    meet = any(k > 1 for k in fan_in.values())
    if meet:
        table.add_column(BACKWARD_HEADERS[3], justify="right", overflow="fold", style="red")
    steps = trace.backward
    # Which of its fan-in products each step is (1 of 3, 2 of 3, ...): one cheap pass over all steps.
    seen: dict[str, int] = {}
    nth: list[int] = []
    for name in trace.step_inputs():
        seen[name] = k = seen.get(name, 0) + 1
        nth.append(k)

    def cells(i: int) -> tuple[str, ...]:
        s = steps[i]
        local = num(s.local)
        formula = s.formula if s.formula == local else f"{s.formula} = {local}"
        total = ""
        if fan_in[s.input] > 1:  # gradients meet here: show the running sum
            total = f"{num(s.total)} ({nth[i]} of {fan_in[s.input]})"
        gate = "" if i > 0 and steps[i - 1].node == s.node else f"{s.node} = {trace.node(s.node).expression}"
        return (gate, f"d{s.node}/d{s.input} = {formula}", f"{num(s.upstream)} * {num(s.local)} = {num(s.product)}",
                total)

    head, tail = _window(len(steps), all_rows)
    shown = [cells(i) for i in (*head, *tail)]
    gates, locals_, products, sums = ([c[k] for c in shown] for k in range(4))
    local_w, product_w = _budgets(width, gates, locals_, products, sums if meet else [])

    def row(i: int) -> tuple[Text, ...]:
        gate, local, product, total = cells(i)
        return (Text(gate), Text(keep_with_number(local, local_w)), Text(keep_with_number(product, product_w)),
                *([Text(total)] * meet))

    _fill(table, len(steps), row, all_rows, gap_column=2)
    return table


def gradient_table(trace: Trace) -> Table:
    table = _table()
    table.add_column("input", style="cyan")
    table.add_column("value", justify="right")
    table.add_column(f"gradient d{trace.output}/d(input)", justify="right", style="bold red")
    for name, g in trace.gradients.items():
        table.add_row(Text(name), Text(num(trace.inputs[name])), Text(num(g)))
    return table


PROGRAM_LINES = 40  # a longer program shows its first and last lines
LINE_CHARS = 400  # a longer line shows its start and end


def program_text(expression: str) -> Text:
    """The program as the first lines of a report: whole lines, never cut mid-line, without its
    `# at:` line (the values actually used are printed below it). A very long program shows
    its first and last lines, a very long line its start and end, saying how much is left out."""
    lines = visible(expression.strip()).split("\n")
    if lines and lines[0].lstrip("\ufeff").startswith("# at:"):
        lines = lines[1:]
    if len(lines) > PROGRAM_LINES:
        lines = [*lines[:PROGRAM_LINES - 6], f"... ({len(lines) - PROGRAM_LINES + 1:,} more lines)",
                 *lines[-5:]]
    lines = [_shorten(line) for line in lines]
    return Text("\n".join(lines).strip("\n"), style="bold")


def _shorten(line: str) -> str:
    if len(line) <= LINE_CHARS:
        return line
    cut = LINE_CHARS // 2
    return f"{line[:cut]} ... ({len(line) - 2 * cut:,} characters) ... {line[-cut:]}"


def at_line(inputs: dict[str, float], width: int = 80) -> str:
    """`at x = -2, y = 5, z = -4`, folded between assignments to fit `width`."""
    return fold_list("at", [f"{name} = {num(v)}" for name, v in inputs.items()], width)


def array_forward_table(trace: Trace, all_rows: bool = False) -> Table:
    """An array program's nodes: shape, value and gradient, matrices one row a line."""
    from .grid import grid, shape_text

    table = _table()
    table.add_column("node", style="cyan", no_wrap=True)
    table.add_column("computes", overflow="fold")
    table.add_column("shape", no_wrap=True)
    table.add_column("value", style="green", no_wrap=True)
    table.add_column(f"d{trace.output}/dnode", style="red", no_wrap=True)
    for n in trace.non_constant_nodes():
        table.add_row(Text(n.id + (" *" if n.note else "")), Text("input" if n.op == "input" else n.expression),
                      Text(shape_text(n.shape)), Text(grid(n.value, all_rows)), Text(grid(n.grad, all_rows)))
    return table


def array_backward_table(trace: Trace, all_rows: bool = False) -> Table:
    """An array program's chain rule: each gate's rule in matrix form and the array it sends back."""
    from .grid import grid

    table = _table()
    table.add_column("gate", style="cyan", overflow="fold")
    table.add_column("gradient sent back", overflow="fold")
    table.add_column("product", no_wrap=True)
    steps = trace.backward
    out = trace.output
    for i, s in enumerate(steps):
        gate = "" if i > 0 and steps[i - 1].node == s.node else f"{s.node} = {trace.node(s.node).expression}"
        if s.rule is None:
            local = num(s.local)
            formula = s.formula if s.formula == local else f"{s.formula} = {local}"
            table.add_row(Text(gate), Text(f"d{s.node}/d{s.input} = {formula}"),
                          Text(f"{num(s.upstream)} * {local} = {num(s.product)}"))
            continue
        rule = s.rule.replace("upstream", f"d{out}/d{s.node}")
        text = Text(f"d{out}/d{s.input} = {rule}")
        if s.note:
            text.append(f" ({s.note})", style="yellow")
        table.add_row(Text(gate), text, Text(grid(s.product, all_rows)))
    return table


def render_array_table(trace: Trace, all_rows: bool = False) -> RenderableType:
    from .grid import grid, shape_text

    out = trace.output
    parts: list[RenderableType] = [program_text(trace.expression)]
    sizes = ", ".join(f"{name} {shape_text(n.shape)}" for name in trace.inputs
                      if (n := trace.node(name)).shape)
    if sizes:
        parts.append(Text(f"arrays: {sizes} (rows x columns)"))
    parts += [_heading("Forward pass: values, and each node's gradient"), array_forward_table(trace, all_rows)]
    if trace.backward:
        parts += [_heading(f"Backward pass: chain rule from d{out}/d{out} = {grid(trace.seed)}"),
                  array_backward_table(trace, all_rows)]
    if trace.gradients:
        table = _table()
        table.add_column("input", style="cyan")
        table.add_column(f"gradient d{out}/d(input)", style="bold red", no_wrap=True)
        for name, g in trace.gradients.items():
            table.add_row(Text(name), Text(grid(g, all_rows)))
        parts += [_heading(f"Gradients of {out} = {grid(trace.value)}"), table]
    parts += [Text(f"* {n.id}: {n.note}", style="yellow") for n in trace.noted_nodes()]
    return Group(*parts)


def render_table(trace: Trace, all_rows: bool = False, width: int = 80) -> RenderableType:
    if trace.arrays:
        return render_array_table(trace, all_rows)
    out = trace.output
    parts: list[RenderableType] = [program_text(trace.expression)]
    if trace.inputs:
        parts.append(Text(at_line(trace.inputs, width)))
    parts += [_heading("Forward pass: values, and each node's gradient"), forward_table(trace, all_rows)]
    if trace.backward:
        parts += [_heading(f"Backward pass: chain rule from d{out}/d{out} = {num(trace.seed)}"),
                  backward_table(trace, all_rows, width)]
    if trace.gradients:
        parts += [_heading(f"Gradients of {out} = {num(trace.value)}"), gradient_table(trace)]
    else:
        parts.append(Text(f"{out} = {num(trace.value)} (no variables: nothing to differentiate)"))
    notes = [f"* {n.id}: {n.note}" for n in trace.noted_nodes()]
    parts += [Text(note, style="yellow") for note in notes]
    return Group(*parts)
