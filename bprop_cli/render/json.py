"""SPEC §5 JSON: one object, full double precision, streamed one record per line so that a
million-node trace is never held as one string.

The per-record lines are formatted directly (about twice as fast as building a dict per record
and encoding it); a test checks that they parse back to exactly `Trace.to_dict()`.
"""

from __future__ import annotations

import io
import json
from json.encoder import encode_basestring_ascii as _string  # what json.dumps uses for str
from typing import Callable, Iterable, TextIO, TypeVar

from ..trace import BackwardStep, NodeRecord, Trace

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


def _array(out: TextIO, key: str, records: Iterable[R], line: Callable[[R], str], last: bool) -> None:
    out.write(f'  "{key}": [')
    chunk: list[str] = []
    sep = "\n    "
    for record in records:
        chunk.append(line(record))
        if len(chunk) == _CHUNK:
            out.write(sep + ",\n    ".join(chunk))
            chunk.clear()
            sep = ",\n    "
    if chunk:
        out.write(sep + ",\n    ".join(chunk))
        sep = ",\n    "
    out.write(("\n  ]" if sep != "\n    " else "]") + ("\n" if last else ",\n"))
