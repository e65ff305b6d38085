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


PROGRAM_LINES = 12  # a longer array program shows its first lines and its last


def array_program_text(expression: str) -> Text:
    """An array program as the report's first lines, without its '# at:' line (the values are
    in the forward table, the shapes on the line below); a long one shortened to its ends."""
    lines = [line.rstrip() for line in visible(expression.strip()).splitlines()
             if line.strip() and not line.lstrip().startswith("# at:")]
    if len(lines) > PROGRAM_LINES:
        lines = [*lines[:PROGRAM_LINES - 3], f"... ({len(lines) - PROGRAM_LINES + 1:,} more lines)", *lines[-2:]]
    lines = [line if len(line) <= 300 else f"{line[:270]} ... ({len(line):,} characters)" for line in lines]
    return Text("\n".join(lines), style="bold")


def array_forward_table(trace: Trace, all_rows: bool = False) -> RenderableType:
    """An array program's nodes: shape, value and gradient, matrices one row a line. Value and
    gradient stand side by side when they fit the width they are printed in; otherwise each
    node's gradient goes on a row of its own under its value (Rich would drop whole columns)."""
    return _ArrayForward(trace, all_rows)


class _ArrayForward:
    def __init__(self, trace: Trace, all_rows: bool) -> None:
        from .grid import grid, shape_text

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
        from .grid import grid

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
                text.append(" *", style="yellow")
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
    return [Text(f"* {s.input}: {s.note}", style="yellow") for s in trace.backward if s.rule is not None and s.note]


def render_array_table(trace: Trace, all_rows: bool = False) -> RenderableType:
    from .grid import grid, shape_text

    out = trace.output
    parts: list[RenderableType] = [array_program_text(trace.expression)]
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
    parts += [Text(f"* {n.id}: {n.note}", style="yellow") for n in trace.noted_nodes()]
    return Group(*parts)


def render_table(trace: Trace, all_rows: bool = False) -> RenderableType:
    if trace.arrays:
        return render_array_table(trace, all_rows)
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
    else:
        parts.append(Text(f"{out} = {num(trace.value)} (no variables: nothing to differentiate)"))
    notes = [f"* {n.id}: {n.note}" for n in trace.noted_nodes()]
    parts += [Text(note, style="yellow") for note in notes]
    return Group(*parts)
