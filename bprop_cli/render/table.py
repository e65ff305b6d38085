"""Rich tables that read like the hand walkthroughs: forward pass, backward pass, gradients."""

from __future__ import annotations

from typing import Callable

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..geometry import Geometry, geometry
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


def backward_table(trace: Trace, all_rows: bool = False) -> Table:
    table = _table()
    table.add_column("gate", style="cyan", overflow="fold")
    table.add_column("local derivative", overflow="fold")
    table.add_column("upstream * local = product", overflow="fold")
    fan_in = trace.fan_in()
    meet = any(k > 1 for k in fan_in.values())
    if meet:
        table.add_column("sum where gradients meet", justify="right", overflow="fold", style="red")
    steps = trace.backward
    # Which of its fan-in products each step is (1 of 3, 2 of 3, ...): one cheap pass over all steps.
    seen: dict[str, int] = {}
    nth: list[int] = []
    for name in trace.step_inputs():
        seen[name] = k = seen.get(name, 0) + 1
        nth.append(k)

    def row(i: int) -> tuple[Text, ...]:
        s = steps[i]
        local = num(s.local)
        formula = s.formula if s.formula == local else f"{s.formula} = {local}"
        total = ""
        if fan_in[s.input] > 1:  # gradients meet here: show the running sum
            total = f"{num(s.total)} ({nth[i]} of {fan_in[s.input]})"
        gate = "" if i > 0 and steps[i - 1].node == s.node else f"{s.node} = {trace.node(s.node).expression}"
        return (Text(gate), Text(f"d{s.node}/d{s.input} = {formula}"),
                Text(f"{num(s.upstream)} * {num(s.local)} = {num(s.product)}"), *([Text(total)] * meet))

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


def program_text(expression: str) -> Text:
    """The program as the first line(s) of a report, shortened when very long."""
    program = visible(expression.strip())
    if len(program) > 300:
        program = program[:300] + f" ... ({len(program):,} characters)"
    return Text(program, style="bold")


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


def render_array_table(trace: Trace, all_rows: bool = False, geo: Geometry | None = None) -> RenderableType:
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
        parts += [Text(line) for line in (geo or geometry(trace.gradients)).describe(out, num)]
    parts += [Text(f"* {n.id}: {n.note}", style="yellow") for n in trace.noted_nodes()]
    return Group(*parts)


def render_table(trace: Trace, all_rows: bool = False, geo: Geometry | None = None) -> RenderableType:
    if trace.arrays:
        return render_array_table(trace, all_rows, geo)
    at = ", ".join(f"{name} = {num(v)}" for name, v in trace.inputs.items())
    out = trace.output
    parts: list[RenderableType] = [program_text(trace.expression)]
    if at:
        parts.append(Text(f"at {at}"))
    parts += [_heading("Forward pass: values, and each node's gradient"), forward_table(trace, all_rows)]
    if trace.backward:
        parts += [_heading(f"Backward pass: chain rule from d{out}/d{out} = {num(trace.seed)}"),
                  backward_table(trace, all_rows)]
    if trace.gradients:
        parts += [_heading(f"Gradients of {out} = {num(trace.value)}"), gradient_table(trace)]
        parts += [Text(line) for line in (geo or geometry(trace.gradients)).describe(out, num)]
    else:
        parts.append(Text(f"{out} = {num(trace.value)} (no variables: nothing to differentiate)"))
    notes = [f"* {n.id}: {n.note}" for n in trace.noted_nodes()]
    parts += [Text(note, style="yellow") for note in notes]
    return Group(*parts)
