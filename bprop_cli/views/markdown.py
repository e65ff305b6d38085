"""Markdown (GitHub-flavoured) tables that paste into notes: forward, backward, gradients."""

from __future__ import annotations

import io
import re
from typing import Iterator, TextIO

from bprop_cli.engine.geometry import Geometry, geometry
from bprop_cli.engine.trace import Tape, Trace
from bprop_cli.gates.registry import GATES
from bprop_cli.text import num, shape_text, visible

from .tape import Expressions, chunks, quick_formula, tape_of


def cell(text: str) -> str:
    """Table-cell text: '|' and '\\' escaped, line breaks flattened, so no cell can break the table."""
    return re.sub(r"\s*\n\s*", " ", text).replace("\\", "\\\\").replace("|", "\\|")


def code(text: str) -> str:
    return f"`{cell(text)}`" if "`" not in text else cell(text)


def table(header: list[str], align: str, rows: list[list[str]]) -> list[str]:
    """`align` has one letter per column: l or r."""
    return [*_head(header, align), *("| " + " | ".join(r) + " |" for r in rows)]


def _head(header: list[str], align: str) -> list[str]:
    rule = ["---:" if a == "r" else "---" for a in align]
    return ["| " + " | ".join(r) + " |" for r in (header, rule)]


def fence(text: str) -> list[str]:
    """A code block whose fence is longer than any run of backticks in the text."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    mark = "`" * max(3, longest + 1)
    return [mark + "text", text, mark]


def program_text(trace: Trace) -> str:
    """The program as a code block shows it: without an example's '# at: x=-2 ...' line, whose
    values need not be the ones used (they are listed below it, or in the forward table)."""
    lines = trace.expression.strip().splitlines()
    return "\n".join(line for line in lines if not line.startswith("# at:")).strip()


def _local(node: str, input: str, formula: str, local: float) -> str:
    shown = code(f"d{node}/d{input} = {formula}")
    return shown if formula == num(local) else f"{shown} = {num(local)}"


FORWARD = (["node", "computes", "value"], "llrr")  # and d{output}/dnode
FORWARD_HEADING = "**Forward pass**: values, and each node's gradient"  # the last column: as the table view says
BACKWARD = (["gate", "local derivative", "upstream × local = product", "gradient so far"], "lllr")


def render_markdown(trace: Trace, geo: Geometry | None = None) -> str:
    """The whole document (without a final line end)."""
    out = io.StringIO()
    write_markdown(trace, out, geo)
    return out.getvalue()[:-1]


def write_markdown(trace: Trace, out: TextIO, geo: Geometry | None = None) -> None:
    """The document, every line ended. A trace made by the engine has its rows made from its
    columns a chunk at a time (the very bytes its records give), written as they are made."""
    if trace.arrays:
        out.write(_array_markdown(trace) + "\n")
        return
    tape = tape_of(trace)
    name = trace.output
    lines = fence(visible(program_text(trace)))
    if trace.inputs:
        lines += ["", "at " + ", ".join(f"{code(x)} = {num(v)}" for x, v in trace.inputs.items())]
    lines += ["", FORWARD_HEADING, ""]
    header, align = FORWARD
    lines += _head([*header, cell(f"d{name}/dnode")], align)
    _lines(out, lines)
    if tape is None:
        _lines(out, ["| " + " | ".join(r) + " |" for r in _forward_rows(trace)])
    else:
        nv, ng = list(map(num, tape.values)), list(map(num, tape.grads))
        _forward_columns(tape, nv, ng, out)
    if trace.backward:
        _lines(out, ["", f"**Backward pass** (chain rule from d{name}/d{name} = {num(trace.seed)})", "",
                     *_head(*BACKWARD)])
        if tape is None:
            _lines(out, ["| " + " | ".join(r) + " |" for r in _backward_rows(trace)])
        else:
            _backward_columns(tape, nv, ng, out)
    lines = ["", f"**Gradients of {cell(name)} = {num(trace.value)}**", ""]
    lines += table(
        ["input", "value", cell(f"d{name}/d(input)")], "lrr",
        [[code(x), num(trace.inputs[x]), num(g)] for x, g in trace.gradients.items()],
    )
    described = (geo or geometry(trace.gradients)).describe(name, num)
    if described:
        lines += ["", *(f"- {cell(line)}" for line in described)]
    notes = [f"\\* {code(n.id)}: {cell(n.note)}" for n in trace.noted_nodes()]  # type: ignore[arg-type]
    if notes:
        lines += ["", *notes]
    _lines(out, lines)


def _lines(out: TextIO, lines: list[str]) -> None:
    if lines:
        out.write("\n".join(lines) + "\n")


def _forward_rows(trace: Trace) -> Iterator[list[str]]:
    for n in trace.nodes:
        if n.op != "const":
            yield [code(n.id) + (" \\*" if n.note else ""), "input" if n.op == "input" else code(n.expression),
                   num(n.value), num(n.grad)]


def _backward_rows(trace: Trace) -> Iterator[list[str]]:
    expression = {n.id: n.expression for n in trace.nodes}
    for s in trace.backward:
        yield [code(f"{s.node} = {expression[s.node]}"), *_chain(s, trace.output), num(s.total)]


def _array_markdown(trace: Trace) -> str:
    """A program over vectors and matrices: each node with its shape, arrays on one line
    ([[0.15, 0.2], [0.25, 0.3]]; a big one as its shape and a few entries), and each backward
    step with its rule in matrix form."""
    out = trace.output
    lines = fence(visible(program_text(trace)))
    lines += ["", FORWARD_HEADING, ""]
    lines += table(
        ["node", "computes", "shape", "value", cell(f"d{out}/dnode")], "llrll",
        [[code(n.id) + (" \\*" if n.note else ""), "input" if n.op == "input" else code(n.expression),
          shape_text(n.shape) or "scalar", cell(num(n.value)), cell(num(n.grad))] for n in trace.nodes if n.op != "const"],
    )
    if trace.backward:
        expression = {n.id: n.expression for n in trace.nodes}
        lines += ["", f"**Backward pass** (chain rule from d{out}/d{out} = {cell(num(trace.seed))})", ""]
        rows = []
        for s in trace.backward:
            if s.rule is not None:
                rule = code(f"d{out}/d{s.input} = " + s.rule.replace("upstream", f"d{out}/d{s.node}"))
            else:
                # a scalar gate: the chain rule written out, upstream × local (the local alone would
                # read as if d{node}/d{input} were the product)
                rule = (code(f"d{out}/d{s.input} = d{out}/d{s.node} * d{s.node}/d{s.input}")
                        + f" = {cell(num(s.upstream))} × {num(s.local)}")
            note = f" ({cell(s.note)})" if s.note else ""
            rows.append([code(f"{s.node} = {expression[s.node]}"), rule + note, cell(num(s.product))])
        lines += table(["gate", "gradient sent back", "product"], "lll", rows)
    lines += ["", f"**Gradients of {cell(out)} = {cell(num(trace.value))}**", ""]
    lines += table(
        ["input", "value", cell(f"d{out}/d(input)")], "lll",
        [[code(name), cell(num(trace.inputs[name])), cell(num(g))] for name, g in trace.gradients.items()],
    )
    notes = [f"\\* {code(n.id)}: {cell(n.note)}" for n in trace.nodes if n.note]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def _chain(s, out: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The local-derivative and product cells of a backward step; an array gate's step (sum, @, ...)
    has a rule in matrix form instead of one local derivative."""
    if getattr(s, "rule", None) is not None:
        return [code(f"d{out}/d{s.input} = {s.rule.replace('upstream', f'd{out}/d{s.node}')}"), cell(num(s.product))]
    return [_local(s.node, s.input, s.formula, s.local), f"{num(s.upstream)} × {num(s.local)} = {num(s.product)}"]


def _plain_code(text: str) -> str:
    """code(text), quickly for the usual text that needs no escaping."""
    if "`" in text or "\\" in text or "|" in text or "\n" in text:
        return code(text)
    return f"`{text}`"


def _forward_columns(tape: Tape, nv: list[str], ng: list[str], out: TextIO) -> None:
    g = tape.graph
    ids, ops, notes = g.ids, g.ops, tape.notes
    expression = Expressions(tape)
    for lo, hi in chunks(len(ids)):
        rows: list[str] = []
        add = rows.append
        for i, id_, op, v, gr in zip(range(lo, hi), ids[lo:hi], ops[lo:hi], nv[lo:hi], ng[lo:hi]):
            if op == "const":
                continue
            computes = "input" if op == "input" else _plain_code(expression(i))
            star = " \\*" if i in notes else ""
            add(f"| `{id_}`{star} | {computes} | {v} | {gr} |\n")  # ids need no escaping
        out.write("".join(rows))


def _backward_columns(tape: Tape, nv: list[str], ng: list[str], out: TextIO) -> None:
    # Numbers are formatted once per node and reused where the same number comes again (num()
    # of equal floats is the same text); formulas are made as JSON's writer makes them.
    g = tape.graph
    ids, args, ops, labels, values, grads = g.ids, g.args, g.ops, tape.labels, tape.values, tape.grads
    step_node, step_arg, step_local, step_total = tape.step_node, tape.step_arg, tape.step_local, tape.step_total
    expression = Expressions(tape)
    formulas = {op: gate.formula for op, gate in GATES.items()}
    form_of = {op: tuple(map(quick_formula, gate.dforms)) for op, gate in GATES.items()}
    last, gate = -1, ""
    for lo, hi in chunks(len(step_node)):
        rows: list[str] = []
        add = rows.append
        for i, k, local, total in zip(step_node[lo:hi], step_arg[lo:hi], step_local[lo:hi], step_total[lo:hi]):
            inputs = args[i]
            parent = inputs[k]
            if i != last:  # a gate's steps come one after another
                last, gate = i, _plain_code(f"{ids[i]} = {expression(i)}")
            other = inputs[1 - k] if len(inputs) == 2 else i
            shown_local = nv[other] if local == values[other] else num(local)
            shown_total = ng[parent] if total == grads[parent] else num(total)
            product = grads[i] * local
            shown_product = shown_total if product == total else num(product)
            op = ops[i]
            forms = form_of[op]
            formula = forms[k] if k < len(forms) else None
            if type(formula) is int:
                formula = labels[inputs[formula]]
            elif formula is None:
                formula = formulas[op](k, [labels[p] for p in inputs], ids[i])
            derivative = _plain_code(f"d{ids[i]}/d{ids[parent]} = {formula}")
            if formula != shown_local:
                derivative = f"{derivative} = {shown_local}"
            add(f"| {gate} | {derivative} | {ng[i]} × {shown_local} = {shown_product} | {shown_total} |\n")
        out.write("".join(rows))
