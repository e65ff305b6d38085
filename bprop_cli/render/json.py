"""SPEC §5 JSON: one object, full double precision, streamed one record per line so that a
million-node trace is never held as one string.

The per-record lines are formatted directly from the trace's columns (no record objects, no
dict per record); tests check that they parse back to exactly `Trace.to_dict()` and that they
are the very bytes the record-by-record writer (for traces made of records) produces.
"""

from __future__ import annotations

import io
import json
from itertools import islice
from json.encoder import encode_basestring_ascii as _string  # what json.dumps uses for str
from typing import Callable, Iterable, TextIO, TypeVar

from ..gates import GATES
from ..graph import TEXT_LIMIT
from ..trace import BackwardStep, BackwardSteps, NodeRecord, NodeRecords, Tape, Trace

_CHUNK = 4096  # records formatted per write
_number = float.__repr__  # what json.dumps writes for a float; the engine never lets NaN or inf through
R = TypeVar("R")


def render_json(trace: Trace) -> str:
    out = io.StringIO()
    write_json(trace, out)
    return out.getvalue()


def write_json(trace: Trace, out: TextIO) -> None:
    """Write the object `trace.to_dict()`, laid out for reading and grep: top-level keys
    indented, each node and each backward step on a line of its own."""
    head = json.dumps(trace.head(), indent=2, allow_nan=False)
    out.write(head[: -len("\n}")] + ",\n")
    if isinstance(trace.nodes, NodeRecords) and isinstance(trace.backward, BackwardSteps):
        tape = trace.nodes.tape  # straight from the columns, with no record objects
        vs, gs = list(map(_number, tape.values)), list(map(_number, tape.grads))
        _array(out, "nodes", range(len(trace.nodes)), _node_lines(tape, vs, gs), last=False)
        _array(out, "backward", range(len(trace.backward)), _step_lines(tape, vs, gs), last=True)
    else:
        _array(out, "nodes", trace.nodes, _node, last=False)
        _array(out, "backward", trace.backward, _step, last=True)
    out.write("}\n")


def _node(n: NodeRecord) -> str:
    note = f', "note": {_string(n.note)}' if n.note else ""
    return (f'{{"id": {_string(n.id)}, "op": {_string(n.op)}, "inputs": [{", ".join(map(_string, n.inputs))}], '
            f'"value": {_number(n.value)}, "grad": {_number(n.grad)}, "text": {_string(n.text)}, '
            f'"expression": {_string(n.expression)}{note}}}')


def _step(s: BackwardStep) -> str:
    return (f'{{"node": {_string(s.node)}, "input": {_string(s.input)}, "upstream": {_number(s.upstream)}, '
            f'"local": {_number(s.local)}, "product": {_number(s.product)}, "total": {_number(s.total)}, '
            f'"formula": {_string(s.formula)}}}')


# Ids ([A-Za-z0-9_@]), gate names and labels (ids, or constants written as plain numbers) never
# need escaping, so neither do expressions and formulas built from them; source texts may.
# A float's shortest repr costs up to ~0.7 us, so each value and gradient is formatted once
# and reused wherever the same number appears again (a step's upstream is its node's
# gradient, its total usually the input's final gradient, its local derivative often another
# node's value).
def _node_lines(tape: Tape, vs: list[str], gs: list[str]) -> Callable[[int], str]:
    """The line of node i, formatted as _node(tape.record(i)) would be."""
    g = tape.graph
    ids, ops, args, notes, labels = g.ids, g.ops, g.args, tape.notes, tape.labels
    source, starts, ends = g.source, g.starts, g.ends
    shows = {op: gate.expression for op, gate in GATES.items()}
    # "{0} * {1}" -> " * ": the operator between a binary gate's two inputs.
    infix = {op: gate.show[3:-3] for op, gate in GATES.items()
             if gate.arity == 2 and gate.show.startswith("{0}") and gate.show.endswith("{1}")}
    explain = tape.explain

    def line(i: int) -> str:
        op, inputs = ops[i], args[i]
        start, end = starts[i], ends[i]
        text = source[start:end] if 0 <= start and end - start <= TEXT_LIMIT else g.text(i)
        note = notes.get(i)
        if len(inputs) == 2 and op in infix and explain:  # most nodes: one f-string, no lists
            a, b = inputs
            return (f'{{"id": "{ids[i]}", "op": "{op}", "inputs": ["{ids[a]}", "{ids[b]}"], '
                    f'"value": {vs[i]}, "grad": {gs[i]}, "text": {_string(text)}, '
                    f'"expression": "{labels[a]}{infix[op]}{labels[b]}"{_note(note) if note else ""}}}')
        quoted = '"' + '", "'.join([ids[p] for p in inputs]) + '"' if inputs else ""
        expression = "" if not explain else shows[op]([labels[p] for p in inputs]) if inputs else labels[i]
        return (f'{{"id": "{ids[i]}", "op": "{op}", "inputs": [{quoted}], '
                f'"value": {vs[i]}, "grad": {gs[i]}, "text": {_string(text)}, '
                f'"expression": "{expression}"{_note(note) if note else ""}}}')
    return line


def _step_lines(tape: Tape, vs: list[str], gs: list[str]) -> Callable[[int], str]:
    """The line of backward step j, formatted as _step(tape.step(j)) would be."""
    g = tape.graph
    ids, ops, args, values, grads, labels = g.ids, g.ops, g.args, tape.values, tape.grads, tape.labels
    nodes, which, locals_, totals = tape.step_node, tape.step_arg, tape.step_local, tape.step_total
    formulas = {op: gate.formula for op, gate in GATES.items()}
    form_of = {op: tuple(map(_quick_formula, gate.dforms)) for op, gate in GATES.items()}

    def line(j: int) -> str:
        i, k = nodes[j], which[j]
        inputs = args[i]
        parent = inputs[k]
        upstream, local, total = grads[i], locals_[j], totals[j]
        product = upstream * local
        # (A zero is formatted afresh: 0.0 == -0.0, but they print differently.)
        shown_total = gs[parent] if total == grads[parent] and total else _number(total)
        shown_product = shown_total if product == total and product else _number(product)
        other = inputs[1 - k] if len(inputs) == 2 else i  # mul's local is the other input's value
        if local == values[other] and local:
            shown_local = vs[other]
        else:  # add, sub and neg pass +-1: common enough to skip formatting them
            shown_local = "1.0" if local == 1.0 else "-1.0" if local == -1.0 else _number(local)
        op = ops[i]
        forms = form_of[op]
        formula = forms[k] if k < len(forms) else None
        if type(formula) is int:
            formula = labels[inputs[formula]]
        elif formula is None:
            formula = formulas[op](k, [labels[p] for p in inputs], ids[i])
        return (f'{{"node": "{ids[i]}", "input": "{ids[parent]}", "upstream": {gs[i]}, '
                f'"local": {shown_local}, "product": {shown_product}, "total": {shown_total}, '
                f'"formula": "{formula}"}}')
    return line


def _note(note: str) -> str:
    return ', "note": ' + _string(note)


def _quick_formula(form: str) -> str | int | None:
    """Most local-derivative formulas are a constant ("1", "-1": returned as is) or one input's
    label ("{1}" for mul: its index); those need no str.format. None: format it."""
    if "{" not in form:
        return form
    if len(form) == 3 and form[0] == "{" and form[1].isdigit() and form[2] == "}":
        return int(form[1])
    return None


def _array(out: TextIO, key: str, records: Iterable[R], line: Callable[[R], str], last: bool) -> None:
    out.write(f'  "{key}": [')
    items = iter(records)
    sep = "\n    "
    while chunk := ",\n    ".join(map(line, islice(items, _CHUNK))):
        out.write(sep + chunk)
        sep = ",\n    "
    out.write(("\n  ]" if sep != "\n    " else "]") + ("\n" if last else ",\n"))
