"""Markdown (GitHub-flavoured) tables that paste into notes: forward, backward, gradients."""

from __future__ import annotations

import re

from ..geometry import Geometry, geometry
from ..trace import Trace
from . import num
from .safe import visible


def cell(text: str) -> str:
    """Table-cell text: '|' and '\\' escaped, line breaks flattened, so no cell can break the table."""
    return re.sub(r"\s*\n\s*", " ", text).replace("\\", "\\\\").replace("|", "\\|")


def code(text: str) -> str:
    return f"`{cell(text)}`" if "`" not in text else cell(text)


def table(header: list[str], align: str, rows: list[list[str]]) -> list[str]:
    """`align` has one letter per column: l or r."""
    rule = ["---:" if a == "r" else "---" for a in align]
    return ["| " + " | ".join(r) + " |" for r in (header, rule, *rows)]


def fence(text: str) -> list[str]:
    """A code block whose fence is longer than any run of backticks in the text."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    mark = "`" * max(3, longest + 1)
    return [mark + "text", text, mark]


def _local(node: str, input: str, formula: str, local: float) -> str:
    shown = code(f"d{node}/d{input} = {formula}")
    return shown if formula == num(local) else f"{shown} = {num(local)}"


def _chain(s, out: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The local-derivative and product cells of a backward step; an array gate's step (sum, @, ...)
    has a rule in matrix form instead of one local derivative."""
    if getattr(s, "rule", None) is not None:
        return [code(f"d{out}/d{s.input} = {s.rule.replace('upstream', f'd{out}/d{s.node}')}"), cell(num(s.product))]
    return [_local(s.node, s.input, s.formula, s.local), f"{num(s.upstream)} × {num(s.local)} = {num(s.product)}"]


def render_markdown(trace: Trace, geo: Geometry | None = None) -> str:
    out = trace.output
    lines = fence(visible(trace.expression.strip()))
    if trace.inputs:
        lines += ["", "at " + ", ".join(f"{code(name)} = {num(v)}" for name, v in trace.inputs.items())]
    lines += ["", "**Forward pass**", ""]
    lines += table(
        ["node", "computes", "value", cell(f"d{out}/dnode")], "llrr",
        [[code(n.id) + (" \\*" if n.note else ""), "input" if n.op == "input" else code(n.expression),
          num(n.value), num(n.grad)] for n in trace.nodes if n.op != "const"],
    )
    if trace.backward:
        expression = {n.id: n.expression for n in trace.nodes}
        lines += ["", f"**Backward pass** (chain rule from d{out}/d{out} = {num(trace.seed)})", ""]
        lines += table(
            ["gate", "local derivative", "upstream × local = product", "gradient so far"], "lllr",
            [[code(f"{s.node} = {expression[s.node]}"), *_chain(s, out), num(s.total)] for s in trace.backward],
        )
    lines += ["", f"**Gradients of {cell(out)} = {num(trace.value)}**", ""]
    lines += table(
        ["input", "value", cell(f"d{out}/d(input)")], "lrr",
        [[code(name), num(trace.inputs[name]), num(g)] for name, g in trace.gradients.items()],
    )
    described = (geo or geometry(trace.gradients)).describe(out, num)
    if described:
        lines += ["", *(f"- {cell(line)}" for line in described)]
    notes = [f"\\* {code(n.id)}: {cell(n.note)}" for n in trace.nodes if n.note]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)
