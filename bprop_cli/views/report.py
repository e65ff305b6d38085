"""The scalar report (forward pass, backward pass, gradients) as data: styled lines and tables
of rows. Rich lays them out in views/table.py; views/ansi.py writes the same bytes without
Rich when they fit the screen. Nothing here imports Rich."""

from __future__ import annotations

from typing import Callable, Iterator, NamedTuple

from bprop_cli.engine.geometry import Geometry, geometry
from bprop_cli.engine.trace import Trace
from bprop_cli.text import num, visible

from .fold import fold_formula, fold_items, fold_program_line, narrowest

PROSE = 88  # a sentence is not wider than this, however wide the terminal
HEAD = 40  # rows shown before a long table is summarised
TAIL = 10  # rows shown after the gap


def _window(n: int, all_rows: bool) -> tuple[range, range]:
    if all_rows or n <= HEAD + TAIL + 5:
        return range(n), range(0)
    return range(HEAD), range(n - TAIL, n)


def summarised(count: int) -> bool:
    """Whether a table of `count` rows is shown as a summary unless --all-rows is given."""
    return bool(_window(count, False)[1])


class Column(NamedTuple):
    header: str
    justify: str = "left"
    style: str | None = None
    wrap: bool = True  # fold long cells onto more lines (else the column is as wide as its cells)
    whole: bool = False  # never fold a cell (a number): the column is at least as wide as its widest


class Rows(NamedTuple):
    """A table as data: its columns, and its rows as text, each made when asked for."""

    columns: tuple[Column, ...]
    count: int
    row: Callable[[int], tuple[str, ...]]
    gap_column: int  # where the "... more rows" message goes in a summary
    free: bool = False  # columns as Rich lays them out by default (no widths set from the rows)


def shown_rows(rows: Rows, all_rows: bool) -> tuple[range, range, dict[int, tuple[str, ...]]]:
    """The rows a table shows (all, or its first HEAD and last TAIL), each made once."""
    head, tail = _window(rows.count, all_rows)
    return head, tail, {i: rows.row(i) for i in (*head, *tail)}


def min_widths(rows: Rows, built: dict[int, tuple[str, ...]], width: int) -> list[int]:
    """Each column's least width: a header breaks between words only, a number (a 'whole'
    column) and a column that does not wrap never break, while all of them fit in `width`."""
    least = [max(map(len, c.header.split())) for c in rows.columns]
    whole = [max([least[k], *(len(line) for r in built.values() for line in r[k].split("\n"))]) if c.whole
             or not c.wrap else least[k] for k, c in enumerate(rows.columns)]
    if sum(whole) + 3 * (len(whole) - 1) <= width:
        return whole
    if sum(least) + 3 * (len(least) - 1) > width:
        return [1] * len(least)
    return least


def forward_rows(trace: Trace) -> Rows:
    shown = trace.non_constant_nodes()

    def row(i: int) -> tuple[str, ...]:
        n = shown[i]
        return (n.id + (" *" if n.note else ""), "input" if n.op == "input" else n.expression,
                num(n.value), num(n.grad))

    columns = (Column("node", style="cyan", wrap=False), Column("computes"),  # numbers are never folded
               Column("value", justify="right", style="green", whole=True),
               Column(f"d{trace.output}/dnode", justify="right", style="red", whole=True))
    return Rows(columns, len(shown), row, gap_column=1)



def keep_with_number(text: str, budget: int) -> str:
    """`formula = number` longer than `budget`: folded before an '=' (then before an operator),
    so a formula and its number are never split mid-way, and neither is a number."""
    return fold_formula(text, budget)


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


NARROW = 60  # below this width the backward table's steps are stacked, not in columns
# Column headers short enough never to wrap in 80 columns.
BACKWARD_HEADERS = ("gate", "local derivative", "upstream * local", "running sum")


def _budgets(width: int, gates: list[str], locals_: list[str], products: list[str],
             sums: list[str]) -> tuple[int, int, int]:
    """How wide the gate, local-derivative and product columns may be before a cell folds
    (every cell is folded to its budget here, so Rich never has to wrap one mid-formula)."""
    gate_w = min(max(map(len, gates), default=4), 24)
    sum_w = max([len(BACKWARD_HEADERS[3]), *(len(line) for s in sums for line in s.split("\n"))]) if sums else 0
    gaps = 3 * (3 if sums else 2)
    local_w = max([len(BACKWARD_HEADERS[1]), *map(len, locals_)])  # a header is not folded either
    product_w = max([len(BACKWARD_HEADERS[2]), *map(len, products)])
    if local_w + product_w > width - gate_w - sum_w - gaps:  # a gate folded at its '=' leaves more room
        halves = [g.partition(" = ") for g in gates]
        gate_w = min(gate_w, max([10, *(max(len(a), len(b) + 4) for a, _, b in halves)]))
    room = max(20, width - gate_w - sum_w - gaps)
    if local_w + product_w <= room:
        return gate_w, local_w, product_w
    half = room // 2
    if local_w <= half:
        return gate_w, local_w, room - local_w
    if product_w <= half:
        return gate_w, room - product_w, product_w
    # Both fold: each column at least as wide as its cells folded at their '=', the rest shared
    # in proportion to what each would still take.
    local_min = max([len(BACKWARD_HEADERS[1]), *map(narrowest, locals_)])
    product_min = max([len(BACKWARD_HEADERS[2]), *map(narrowest, products)])
    if local_min + product_min > room:
        return gate_w, half, room - half
    spare, want = room - local_min - product_min, (local_w - local_min) + (product_w - product_min)
    local = local_min + (spare * (local_w - local_min) // want if want else spare // 2)
    return gate_w, local, room - local


def backward_rows(trace: Trace, width: int = 80, all_rows: bool = False) -> Rows:
    """The backward table's rows; a number kept with its formula when the table is laid out
    whole (every row of a long table is streamed, and folded cell by cell, as they come)."""
    fan_in = trace.fan_in()
    meet = any(k > 1 for k in fan_in.values())
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
        if " if " in s.formula:  # a rule by cases (relu, max): which case holds, not '... else 0 = 1'
            formula = f"{s.formula}; here {local}"
        total = ""
        if fan_in[s.input] > 1:  # gradients meet here: show the running sum
            total = f"{num(s.total)} ({nth[i]} of {fan_in[s.input]})"
        gate = "" if i > 0 and steps[i - 1].node == s.node else f"{s.node} = {trace.node(s.node).expression}"
        return (gate, f"d{s.node}/d{s.input} = {formula}", f"{num(s.upstream)} * {num(s.local)} = {num(s.product)}",
                total)

    # The column budgets come from the rows a summary shows (a sample, when every row is streamed).
    head, tail = _window(len(steps), False)
    shown = [cells(i) for i in (*head, *tail)]
    gates, locals_, products, sums = ([c[k] for c in shown] for k in range(4))
    gate_w, local_w, product_w = _budgets(width, gates, locals_, products, sums if meet else [])
    # A running sum takes two lines, its count under it, when the formulas would fold otherwise.
    split_sums = meet and local_w + product_w < max(map(len, locals_)) + max(map(len, products))
    if split_sums:
        sums = [t.replace(" (", "\n(") for t in sums]
        gate_w, local_w, product_w = _budgets(width, gates, locals_, products, sums)

    streamed = all_rows and summarised(len(steps))
    if width < NARROW:  # too narrow for the columns side by side: each step's lines under its gate
        def stacked(i: int) -> tuple[str, ...]:
            gate, local, product, total = cells(i)
            lines = [gate] if gate else []
            for text in (local, product + (f", running sum {total.replace(chr(10), ' ')}" if total else "")):
                lines += ["  " + line for line in fold_formula(text, width - 2).split("\n")]
            return ("\n".join(lines),)

        return Rows((Column(", ".join(BACKWARD_HEADERS[:3])),), len(steps), stacked, gap_column=0)

    def row(i: int) -> tuple[str, ...]:
        gate, local, product, total = cells(i)
        if split_sums:
            total = total.replace(" (", "\n(")
        if not streamed:
            gate = fold_formula(gate, gate_w)
            local, product = keep_with_number(local, local_w), keep_with_number(product, product_w)
        return (gate, local, product, *([total] * meet))

    columns = (Column(BACKWARD_HEADERS[0], style="cyan"), Column(BACKWARD_HEADERS[1]), Column(BACKWARD_HEADERS[2]),
               *([Column(BACKWARD_HEADERS[3], justify="right", style="red")] * meet))
    return Rows(columns, len(steps), row, gap_column=2)



PROGRAM_LINES = 12  # a longer program shows its first lines and its last
LINE_CHARS = 400  # a longer line shows its start and end


def program_lines(expression: str, width: int = 80) -> str:
    """The program as the first lines of a report: whole lines, never cut mid-line, without its
    `# at:` line (the values actually used are printed below it). A very long program shows
    its first and last lines, a very long line its start and end, saying how much is left out."""
    lines = visible(expression.strip()).split("\n")
    if lines and lines[0].lstrip("\ufeff").startswith("# at:"):
        lines = lines[1:]
    if len(lines) > PROGRAM_LINES:
        lines = [*lines[:PROGRAM_LINES - 6], f"... ({len(lines) - PROGRAM_LINES + 1:,} more lines)",
                 *lines[-5:]]
    lines = [part for line in lines  # a comment is prose: it stops near PROSE columns, code at the width
             for part in fold_program_line(_shorten(line), min(width, PROSE) if line.lstrip().startswith("#") else width)]
    return "\n".join(lines).strip("\n")


def _shorten(line: str) -> str:
    if len(line) <= LINE_CHARS:
        return line
    cut = LINE_CHARS // 2
    return f"{line[:cut]} ... ({len(line) - 2 * cut:,} characters) ... {line[-cut:]}"


def at_line(inputs: dict[str, float], width: int = 80) -> str:
    """`at x = -2, y = 5, z = -4`, folded between assignments to fit `width`."""
    return fold_list("at", [f"{name} = {num(v)}" for name, v in inputs.items()], width)



class Line(NamedTuple):
    """A line (or lines) of the report in one style."""

    text: str
    style: str | None = None


def heading(title: str) -> Line:
    return Line("\n" + title, "bold")


def gradient_rows(trace: Trace) -> Rows:
    names = list(trace.gradients)

    def row(i: int) -> tuple[str, ...]:
        return names[i], num(trace.inputs[names[i]]), num(trace.gradients[names[i]])

    columns = (Column("input", style="cyan"), Column("value", justify="right"),
               Column(f"gradient d{trace.output}/d(input)", justify="right", style="bold red"))
    return Rows(columns, len(names), row, gap_column=0, free=True)


def streams(trace: Trace, all_rows: bool) -> bool:
    """Whether print_table streams a table of this trace (every row of a long table asked for)."""
    return all_rows and not trace.arrays and (summarised(len(trace.non_constant_nodes()))
                                              or summarised(len(trace.backward)))


def table_parts(trace: Trace, all_rows: bool = False, width: int = 80,
                geo: Geometry | None = None) -> Iterator[Line | Rows]:
    """The report's parts in order: styled lines, and its tables as Rows."""
    out = trace.output
    yield Line(program_lines(trace.expression, width), "bold")
    if trace.inputs:
        yield Line(at_line(trace.inputs, min(width, PROSE)))
    yield heading("Forward pass: values, and each node's gradient")
    yield forward_rows(trace)
    if trace.backward:
        yield heading(f"Backward pass: chain rule from d{out}/d{out} = {num(trace.seed)}")
        yield backward_rows(trace, width, all_rows)
    if trace.gradients:
        yield heading(f"Gradients of {out} = {num(trace.value)}")
        yield gradient_rows(trace)
        yield from (Line(fold_items(line, min(width, PROSE)))
                    for line in (geo or geometry(trace.gradients)).describe(out, num))
    else:
        yield Line(f"{out} = {num(trace.value)} (no variables: nothing to differentiate)")
    for n in trace.noted_nodes():
        yield Line(f"* {n.id}: {n.note}", "yellow")
