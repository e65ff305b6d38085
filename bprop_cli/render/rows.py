"""Batch output: one line per input row, as CSV, TSV, JSON Lines or a Markdown table."""

from __future__ import annotations

import json

from ..errors import BpropError
from ..trace import Trace
from . import Format, num
from .delimited import SEPARATORS, line
from .markdown import cell


class RowWriter:
    """Formats a batch's header and rows; `grads` chooses which gradients are shown."""

    def __init__(self, fmt: Format, inputs: list[str], output: str, grads: list[str]) -> None:
        self.kind = {Format.json: "jsonl", Format.tsv: "tsv", Format.plain: "tsv",
                     Format.markdown: "markdown"}.get(fmt, "csv")
        self.inputs, self.output, self.grads = inputs, output, grads

    def header(self) -> list[str]:
        if self.kind == "jsonl":
            return []
        columns = ["row", *self.inputs, self.output, *(f"d{self.output}/d{g}" for g in self.grads)]
        if self.kind == "markdown":
            return ["| " + " | ".join(cell(c) for c in columns) + " |", "|" + "---:|" * len(columns)]
        return [line(columns, SEPARATORS[self.kind])]

    def row(self, number: int, trace: Trace) -> str:
        grads = {g: trace.node(g).grad if g not in trace.gradients else trace.gradients[g] for g in self.grads}
        if self.kind == "jsonl":
            return json.dumps({"row": number, "inputs": trace.inputs, "output": trace.output, "value": trace.value,
                               "gradients": grads}, allow_nan=False)
        cells: list[object] = [str(number), *(trace.inputs[x] for x in self.inputs), trace.value, *grads.values()]
        if self.kind == "markdown":
            return "| " + " | ".join(num(c) if isinstance(c, float) else c for c in cells) + " |"  # type: ignore[misc]
        return line(cells, SEPARATORS[self.kind])

    def error(self, number: int, line_no: int, err: BpropError) -> str | None:
        """JSON Lines keep a line for a bad row (so scripts can see it); the tables leave it out."""
        if self.kind != "jsonl":
            return None
        return json.dumps({"row": number, "line": line_no, "error": {"kind": err.kind, "message": err.message,
                                                                      "hint": err.hint}})
