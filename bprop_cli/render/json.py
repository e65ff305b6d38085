"""SPEC §5 JSON: one object, full double precision, streamed one record per line so that a
million-node trace is never held as one string."""

from __future__ import annotations

import io
import json
from typing import Iterable, TextIO

from ..trace import BackwardStep, NodeRecord, Trace

_CHUNK = 4096  # records encoded per write


def render_json(trace: Trace) -> str:
    out = io.StringIO()
    write_json(trace, out)
    return out.getvalue()


def write_json(trace: Trace, out: TextIO) -> None:
    """Write the same object as `json.dumps(trace.to_dict())`, laid out for reading and grep:
    top-level keys indented, each node and each backward step on a line of its own."""
    head = json.dumps(trace.head(), indent=2, allow_nan=False)
    out.write(head[: -len("\n}")] + ",\n")
    _array(out, "nodes", trace.nodes, last=False)
    _array(out, "backward", trace.backward, last=True)
    out.write("}\n")


def _array(out: TextIO, key: str, records: Iterable[NodeRecord | BackwardStep], last: bool) -> None:
    encode = json.JSONEncoder(allow_nan=False, separators=(", ", ": ")).encode  # C encoder: no indent
    out.write(f'  "{key}": [')
    chunk: list[str] = []
    sep = "\n"
    for record in records:
        chunk.append(encode(record.to_dict()))
        if len(chunk) == _CHUNK:
            out.write(sep + "    " + ",\n    ".join(chunk))
            chunk.clear()
            sep = ",\n"
    if chunk:
        out.write(sep + "    " + ",\n    ".join(chunk))
        sep = ",\n"
    out.write(("\n  ]" if sep == ",\n" else "]") + ("\n" if last else ",\n"))
