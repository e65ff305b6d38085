"""Symbolic and exact traces as Rich tables and plain lines: formulas, or exact values with a
decimal approximation beside each one."""

from __future__ import annotations

from typing import Iterator

import mpmath
from rich.console import Group, RenderableType
from rich.text import Text
from sympy.printing.precedence import PRECEDENCE, precedence

from bprop_cli.text import full, num
from bprop_cli.trust.symbolic import Approx, SymTrace
from bprop_cli.trust.sympy_gates import show

from .fold import fold_formula
from .table import _budgets, _fill, _heading, _table, program_text

UNKNOWN = "?"  # a decimal sympy could not compute to the digits it would be shown with


def decimal_text(d: Approx, digits: int) -> str:
    """A decimal to 6 (num) or 17 (full) significant digits, all of them right: a double's text
    where one holds the number, mpmath's beyond the doubles' range (1.31209e-130289)."""
    if not d.known:
        return UNKNOWN
    double = d.double
    if double is not None:
        return num(double) if digits == 6 else full(double)
    return mpmath.nstr(d.value, digits, min_fixed=1, max_fixed=0)


def approx(x, trace: SymTrace) -> str:  # type: ignore[no-untyped-def]
    """'0.333333' beside an exact value that is not already a short decimal; '' otherwise."""
    d = trace.decimal(x)
    if d is None:
        return ""
    text = decimal_text(d, 6)
    return "" if show(x) == text else text


def unknown_note(trace: SymTrace) -> str | None:
    """Said under the tables when some decimal is shown as '?'."""
    why = sorted({d.why for d in trace.decimals.values() if d is not None and not d.known and d.why})
    return f"{UNKNOWN}: no decimal to 6 digits can be given ({'; '.join(why)})" if why else None


def factor(x) -> str:  # type: ignore[no-untyped-def]
    """An expression as a factor of a product: parenthesised when it is a sum."""
    text = show(x)
    return f"({text})" if precedence(x) < PRECEDENCE["Mul"] else text


def _exact(x, trace: SymTrace) -> str:  # type: ignore[no-untyped-def]
    near = approx(x, trace)
    return f"{show(x)} ≈ {near}" if near else show(x)


def forward_table(trace: SymTrace, all_rows: bool = False):  # type: ignore[no-untyped-def]
    table = _table()
    table.add_column("node", style="cyan", no_wrap=True)
    table.add_column("computes", overflow="fold")
    table.add_column("value", overflow="fold", style="green")
    if trace.exact:
        table.add_column("≈", justify="right", style="green")
    table.add_column(f"d{trace.output}/dnode", overflow="fold", style="red")
    rows = [
        (Text(n.id + (" *" if n.note else "")), Text("input" if n.op == "input" else n.expression),
         Text(show(n.value)), *([Text(approx(n.value, trace))] if trace.exact else []), Text(_exact(n.grad, trace)))
        for n in trace.nodes if n.op != "const"
    ]
    _fill(table, len(rows), rows.__getitem__, all_rows, gap_column=1)
    return table


def backward_table(trace: SymTrace, all_rows: bool = False, width: int = 80):  # type: ignore[no-untyped-def]
    table = _table()
    table.add_column("gate", style="cyan", overflow="fold")
    table.add_column("local derivative", overflow="fold")
    table.add_column("upstream * local", overflow="fold")
    expression = {n.id: n.expression for n in trace.nodes}
    cells: list[tuple[str, str, str]] = []
    last = None
    for s in trace.backward:
        formula, local = show(s.formula), show(s.local)
        said = formula if formula == local else f"{formula} = {local}"
        gate = "" if s.node == last else f"{s.node} = {expression[s.node]}"
        last = s.node
        cells.append((gate, f"d{s.node}/d{s.input} = {said}", f"{factor(s.upstream)} * {factor(s.local)} = {_exact(s.product, trace)}"))
    # Each cell folded to its column's share of the width, before an '=' or '≈' where it can.
    gate_w, local_w, product_w = _budgets(width, *([c[k] for c in cells] for k in range(3)), [])
    rows = [(Text(fold_formula(g, gate_w)), Text(fold_formula(lo, local_w)), Text(fold_formula(p, product_w)))
            for g, lo, p in cells]
    _fill(table, len(rows), rows.__getitem__, all_rows, gap_column=1)
    return table


def gradient_table(trace: SymTrace):  # type: ignore[no-untyped-def]
    table = _table()
    table.add_column("input", style="cyan")
    table.add_column("value", overflow="fold")
    how = "simplified" if trace.simplified else "not simplified (out of time or memory)"
    table.add_column(f"gradient d{trace.output}/d(input), {how}", overflow="fold", style="bold red")
    if trace.exact:
        table.add_column("≈", justify="right", style="bold red")
    for name, g in trace.gradients.items():
        value = "symbol" if name in trace.free else show(trace.inputs[name])
        table.add_row(Text(name), Text(value), Text(show(g)), *([Text(approx(g, trace))] if trace.exact else []))
    return table


def render_symbolic_table(trace: SymTrace, all_rows: bool = False, width: int = 80) -> RenderableType:
    out = trace.output
    bound = [f"{name} = {show(v)}" for name, v in trace.inputs.items() if name not in trace.free]
    parts: list[RenderableType] = [program_text(trace.expression, width)]
    if trace.exact:
        parts.append(Text(f"at {', '.join(bound)}, in exact arithmetic" if bound else "in exact arithmetic"))
    else:
        symbols = ", ".join(trace.free)
        parts.append(Text(f"symbolic in {symbols}" + (f"; at {', '.join(bound)}" if bound else "")))
    title = "Forward pass: exact values (≈ decimal), and each node's gradient" if trace.exact \
        else "Forward pass: each node as a formula, and its gradient"
    parts += [_heading(title), forward_table(trace, all_rows)]
    if trace.backward:
        parts += [_heading(f"Backward pass: chain rule from d{out}/d{out} = {show(trace.seed)}"),
                  backward_table(trace, all_rows, width)]
    if trace.gradients:
        parts += [_heading(f"Gradients of {out} = {_exact(trace.value, trace)}"), gradient_table(trace)]
    else:
        parts.append(Text(f"{out} = {_exact(trace.value, trace)} (no variables: nothing to differentiate)"))
    parts += [Text(f"* {n.id}: {n.note}", style="yellow") for n in trace.nodes if n.note]
    if (note := unknown_note(trace)) is not None:
        parts.append(Text(note, style="yellow"))
    return Group(*parts)


def render_symbolic_plain(trace: SymTrace) -> Iterator[str]:
    """Tab-separated lines: 'exact ID VALUE DECIMAL GRAD' per node, then value and grad lines."""
    def d(x) -> str:  # type: ignore[no-untyped-def]
        value = trace.decimal(x)
        return "-" if value is None else decimal_text(value, 17)

    for n in trace.nodes:
        yield "\t".join(("sym", n.id, n.op, ",".join(n.inputs) or "-", show(n.value), d(n.value), show(n.grad)))
    for s in trace.backward:
        yield "\t".join(("symstep", s.node, s.input, show(s.upstream), show(s.formula), show(s.local), show(s.product)))
    yield "\t".join(("symvalue", trace.output, show(trace.value), d(trace.value)))
    for name, g in trace.gradients.items():
        yield "\t".join(("symgrad", name, show(g), d(g)))
