"""SPEC §5 JSON: one object, full double precision, streamed one record per line so that a
million-node trace is never held as one string.

The per-record lines are formatted directly from the trace's columns (no record objects, no
dict per record); tests check that they parse back to exactly `Trace.to_dict()` and that they
are the very bytes the record-by-record writer (for traces made of records) produces.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from itertools import islice
from json.encoder import encode_basestring_ascii as _string  # what json.dumps uses for str
from typing import TextIO

from bprop_cli.engine.geometry import Geometry
from bprop_cli.engine.graph import TEXT_LIMIT
from bprop_cli.engine.trace import BackwardStep, BackwardSteps, NodeRecord, NodeRecords, Tape, Trace
from bprop_cli.gates.registry import GATES

from .tape import quick_formula

_CHUNK = 4096  # records formatted per write
_number = float.__repr__  # what json.dumps writes for a float; the engine never lets NaN or inf through


def render_json(trace: Trace, geo: Geometry | None = None) -> str:
    out = io.StringIO()
    write_json(trace, out, geo)
    return out.getvalue()


def write_json(trace: Trace, out: TextIO, geo: Geometry | None = None) -> None:
    """Write the object `trace.to_dict()`, laid out for reading and grep: top-level keys
    indented, each node and each backward step on a line of its own; the gradient's norm and
    direction (over the parameters, when named) after the gradients."""
    if trace.arrays:  # arrays as nested lists; a few nodes, each with its shape
        encoded = _Encoded()
        head = _indented({**trace.head(encoded), **(geo.to_dict(encoded) if geo else {})})
        out.write(head[: -len("\n}")] + ",\n")
        nodes = ({**n.to_dict(encoded), "shape": list(n.shape)} for n in trace.nodes)
        _array(out, "nodes", _chunks(map(_compact, nodes)), last=False)
        _array(out, "backward", _chunks(_compact(s.to_dict(encoded)) for s in trace.backward), last=True)
        out.write("}\n")
        return
    head = json.dumps({**trace.head(), **(geo.to_dict() if geo else {})}, indent=2, allow_nan=False)
    out.write(head[: -len("\n}")] + ",\n")
    if isinstance(trace.nodes, NodeRecords) and isinstance(trace.backward, BackwardSteps):
        tape = trace.nodes.tape  # straight from the columns, with no record objects
        vs, gs = list(map(_number, tape.values)), list(map(_number, tape.grads))
        _array(out, "nodes", _node_chunks(tape, vs, gs), last=False)
        _array(out, "backward", _step_chunks(tape, vs, gs), last=True)
    else:
        _array(out, "nodes", _chunks(map(_node, trace.nodes)), last=False)
        _array(out, "backward", _chunks(map(_step, trace.backward)), last=True)
    out.write("}\n")


class _Raw(str):
    """JSON text already written: an array, encoded once however often the trace holds it."""


class _Encoded:
    """Arrays as JSON text, each encoded once (an input's value is also its node's value; a
    gradient is also its node's grad and its last step's total), by json's C encoder."""

    def __init__(self) -> None:
        self.seen: dict[int, tuple[object, _Raw]] = {}

    def __call__(self, x: object) -> object:
        if isinstance(x, float) or not hasattr(x, "tolist"):
            return x
        kept = self.seen.get(id(x))
        if kept is None:
            kept = self.seen[id(x)] = (x, _Raw(json.dumps(x.tolist(), allow_nan=False)))  # type: ignore[attr-defined]
        return kept[1]


def _compact(obj: object) -> str:
    """json.dumps(obj) where a _Raw string goes in as the JSON it already is."""
    if isinstance(obj, _Raw):
        return obj
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{_string(k)}: {_compact(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, list):
        return "[" + ", ".join(map(_compact, obj)) + "]"
    return json.dumps(obj, allow_nan=False)


def _indented(obj: object, level: int = 0) -> str:
    """json.dumps(obj, indent=2) for objects, but each array on one line: a 784x128 matrix is one
    line, not 100,000."""
    if not isinstance(obj, dict) or not obj:
        return _compact(obj)
    pad = "  " * (level + 1)
    items = ",\n".join(f"{pad}{_string(k)}: {_indented(v, level + 1)}" for k, v in obj.items())
    return "{\n" + items + "\n" + "  " * level + "}"


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
# A float's shortest repr costs up to ~0.4 us, so each value and gradient is formatted once
# and reused wherever the same number appears again (a step's upstream is its node's
# gradient, its total usually the input's final gradient, its local derivative often another
# node's value). Lines are made a chunk at a time by a loop over the columns zipped together:
# cheaper than a call and eight list lookups a line.
def _node_chunks(tape: Tape, vs: list[str], gs: list[str]) -> Iterator[list[str]]:
    """The lines of the nodes, chunk by chunk, each formatted as _node(tape.record(i)) would be."""
    g = tape.graph
    ids, ops, args, labels, explain = g.ids, g.ops, g.args, tape.labels, tape.explain
    source, starts, ends = g.source, g.starts, g.ends
    shows = {op: gate.expression for op, gate in GATES.items()}
    # "{0} * {1}" -> " * ": the operator between a binary gate's two inputs.
    infix = {op: gate.show[3:-3] for op, gate in GATES.items()
             if gate.arity == 2 and gate.show.startswith("{0}") and gate.show.endswith("{1}")}
    if not explain:
        infix = {}  # every line takes the general path, which leaves "expression" empty
    notes = [""] * len(ids)
    for i, note in tape.notes.items():
        notes[i] = _note(note)
    for lo in range(0, len(ids), _CHUNK):
        hi = lo + _CHUNK
        lines: list[str] = []
        add = lines.append
        for i, id_, op, inputs, v, gr, start, end, note in zip(
                range(lo, hi), ids[lo:hi], ops[lo:hi], args[lo:hi], vs[lo:hi], gs[lo:hi],
                starts[lo:hi], ends[lo:hi], notes[lo:hi]):
            text = _string(source[start:end] if 0 <= start and end - start <= TEXT_LIMIT else g.text(i))
            if op in infix:  # most nodes: one f-string, no lists
                a, b = inputs
                add(f'{{"id": "{id_}", "op": "{op}", "inputs": ["{ids[a]}", "{ids[b]}"], "value": {v}, '
                    f'"grad": {gr}, "text": {text}, "expression": "{labels[a]}{infix[op]}{labels[b]}"{note}}}')
                continue
            quoted = '"' + '", "'.join([ids[p] for p in inputs]) + '"' if inputs else ""
            expression = "" if not explain else shows[op]([labels[p] for p in inputs]) if inputs else labels[i]
            add(f'{{"id": "{id_}", "op": "{op}", "inputs": [{quoted}], "value": {v}, "grad": {gr}, '
                f'"text": {text}, "expression": "{expression}"{note}}}')
        yield lines


def _step_chunks(tape: Tape, vs: list[str], gs: list[str]) -> Iterator[list[str]]:
    """The lines of the backward steps, chunk by chunk, each formatted as _step(tape.step(j)) would be."""
    g = tape.graph
    ids, ops, args, values, grads, labels = g.ids, g.ops, g.args, tape.values, tape.grads, tape.labels
    formulas = {op: gate.formula for op, gate in GATES.items()}
    form_of = {op: tuple(map(quick_formula, gate.dforms)) for op, gate in GATES.items()}
    step_node, step_arg, step_local, step_total = tape.step_node, tape.step_arg, tape.step_local, tape.step_total
    for lo in range(0, len(step_node), _CHUNK):
        hi = lo + _CHUNK
        lines: list[str] = []
        add = lines.append
        for i, k, local, total in zip(step_node[lo:hi], step_arg[lo:hi], step_local[lo:hi], step_total[lo:hi]):
            inputs = args[i]
            parent = inputs[k]
            product = grads[i] * local
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
            add(f'{{"node": "{ids[i]}", "input": "{ids[parent]}", "upstream": {gs[i]}, '
                f'"local": {shown_local}, "product": {shown_product}, "total": {shown_total}, '
                f'"formula": "{formula}"}}')
        yield lines


def _note(note: str) -> str:
    return ', "note": ' + _string(note)


def _chunks(lines: Iterable[str]) -> Iterator[list[str]]:
    items = iter(lines)
    return iter(lambda: list(islice(items, _CHUNK)), [])


def _array(out: TextIO, key: str, chunks: Iterable[list[str]], last: bool) -> None:
    out.write(f'  "{key}": [')
    sep = "\n    "
    for lines in chunks:  # never empty: a chunk holds at least one line
        out.write(sep + ",\n    ".join(lines))
        sep = ",\n    "
    out.write(("\n  ]" if sep != "\n    " else "]") + ("\n" if last else ",\n"))
