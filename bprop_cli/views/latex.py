"""LaTeX of a symbolic or exact trace for a report: one `aligned` block per pass, written by
sympy.latex from the sympy objects of the trace (never from text)."""

from __future__ import annotations

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from bprop_cli.engine.graph import CONST, INPUT
from bprop_cli.text import num, one_line
from bprop_cli.trust.symbolic import SymTrace, symbol
from bprop_cli.trust.sympy_gates import form, show

_PRINTER = LatexPrinter()


def _tex(x) -> str:  # type: ignore[no-untyped-def]
    return sympy.latex(x)


def _approx(x) -> str:  # type: ignore[no-untyped-def]
    """' \\approx 0.196612' after an exact number that is not an integer (1/(4 cosh^2 1), 3/7, ...):
    the decimal a learner compares with the trace's; '' for an integer or a formula in symbols."""
    if not isinstance(x, sympy.Basic) or not x.is_number or x.is_Integer:
        return ""
    try:
        value = complex(sympy.N(x, 17))
    except (TypeError, ValueError):
        return ""
    if value.imag or value.real != value.real:
        return ""
    return rf" \approx {num(value.real)}"


def _factor(x) -> str:  # type: ignore[no-untyped-def]
    return _PRINTER.parenthesize(x, PRECEDENCE["Mul"], strict=True)


def _d(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {_tex(symbol(top))}}}{{\partial {_tex(symbol(bottom))}}}"


def _block(comment: str, rows: list[str]) -> list[str]:
    return [f"% {comment}", r"\begin{aligned}", *(row + r" \\" for row in rows), r"\end{aligned}"]


def render_latex(trace: SymTrace) -> str:
    by_id = {n.id: n for n in trace.nodes}
    ids = {n.id: (n.value if n.op == CONST else symbol(n.id)) for n in trace.nodes}
    forward = []
    for n in trace.nodes:
        if n.op in (INPUT, CONST):
            continue
        over_ids = form(n.op, [ids[i] for i in n.inputs])
        row = f"{_tex(symbol(n.id))} &= {_tex(over_ids)}"
        if over_ids != n.value:
            row += f" = {_tex(n.value)}{_approx(n.value)}"
        forward.append(row)
    if not forward:  # a constant program: its value is all there is
        forward.append(f"{_tex(symbol(trace.output))} &= {_tex(trace.value)}")
    backward = []
    for s in trace.backward:
        local = _tex(s.formula) + ("" if s.formula == s.local else f" = {_tex(s.local)}") + _approx(s.local)
        chain = f"{_d(trace.output, s.node)} \\, {_d(s.node, s.input)}"
        backward.append(f"{_d(s.node, s.input)} &= {local} & {chain} &= {_factor(s.upstream)} \\cdot "
                        f"{_factor(s.local)} = {_tex(s.product)}{_approx(s.product)}")
    grads = [f"{_d(trace.output, name)} &= {_tex(g)}{_approx(g)}" for name, g in trace.gradients.items()]
    at = ", ".join(f"{name} = {show(trace.inputs[name])}" for name in by_id if name in trace.inputs
                   and name not in trace.free)
    lines = [f"% bprop: {one_line(' '.join(trace.expression.split()))}" + (f" at {at}" if at else "")]
    lines += _block("forward pass", forward) if forward else []
    lines += _block("backward pass: local derivative, then upstream times local", backward) if backward else []
    how = "simplified" if trace.simplified else "not simplified (sympy ran out of time or memory)"
    lines += _block(f"gradients, {how}", grads) if grads else []
    return "\n".join(lines)
