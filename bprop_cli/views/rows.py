"""Batch output: one line per input row, as CSV, TSV, JSON Lines or a Markdown table."""

from __future__ import annotations

import json

from bprop_cli.engine.trace import Trace
from bprop_cli.errors import BpropError
from bprop_cli.text import num

from . import Format
from .delimited import SEPARATORS, line
from .markdown import cell


class RowWriter:
    """Formats a batch's header and rows; `grads` chooses which gradients are shown."""

    def __init__(self, fmt: Format, inputs: list[str], output: str, grads: list[str]) -> None:
        self.kind = {Format.json: "jsonl", Format.tsv: "tsv", Format.plain: "tsv",
                     Format.markdown: "markdown"}.get(fmt, "csv")
        self.inputs, self.output, self.grads = inputs, output, grads
        self.sep = SEPARATORS.get(self.kind, ",")
        self._template: str | None = None

    def header(self) -> list[str]:
        if self.kind == "jsonl":
            return []
        columns = ["row", *self.inputs, self.output, *(f"d{self.output}/d{g}" for g in self.grads)]
        if self.kind == "markdown":
            return ["| " + " | ".join(cell(c) for c in columns) + " |", "|" + "---:|" * len(columns)]
        return [line(columns, SEPARATORS[self.kind])]

    def row(self, number: int, trace: Trace) -> str:
        grads = [trace.node(g).grad if g not in trace.gradients else trace.gradients[g] for g in self.grads]
        return self.line(number, [trace.inputs[x] for x in self.inputs], trace.value, grads)

    def line(self, number: int, inputs: list[float], value: float, grads: list[float]) -> str:
        """One output row from its numbers: the inputs' values (in the order of `inputs`), the
        output's value, and the gradients (in the order of `grads`)."""
        return self.lines([number], [[x] for x in inputs], [value], [[g] for g in grads])[0]

    def lines(self, numbers: list[int], inputs: list[list[float]], values: list[float],
              grads: list[list[float]]) -> list[str]:
        """Many output rows from columns of numbers (one list per input, per gradient): each
        line made by one str.format over the zipped columns, with no Python code per row."""
        if self._template is None:
            self._template = self._make_template()
        columns: list[list] = [numbers, *inputs, values, *grads]  # type: ignore[list-item]
        if self.kind == "markdown":
            columns = [numbers, *([num(x) for x in c] for c in columns[1:])]
        return list(map(self._template.format, *columns))

    def _make_template(self) -> str:
        """The format of a line: {} for the row number, {!r} for a float at full precision
        (what both json.dumps and the csv module write for one), {} for a number made by num()."""
        k, g = len(self.inputs), len(self.grads)
        if self.kind == "jsonl":
            def pairs(names: list[str]) -> str:
                return ", ".join(f"{_braces(json.dumps(name))}: {{!r}}" for name in names)
            return ('{{"row": {}, "inputs": {{' + pairs(self.inputs) + '}}, "output": ' + _braces(json.dumps(self.output))
                    + ', "value": {!r}, "gradients": {{' + pairs(self.grads) + "}}}}")
        if self.kind == "markdown":
            return "| " + " | ".join(["{}"] * (k + g + 2)) + " |"
        return self.sep.join(["{}", *["{!r}"] * (k + 1 + g)])  # numbers never need the csv module's quoting

    def error(self, number: int, line_no: int, err: BpropError) -> str | None:
        """JSON Lines keep a line for a bad row (so scripts can see it); the tables leave it out."""
        if self.kind != "jsonl":
            return None
        return json.dumps({"row": number, "line": line_no, "error": {"kind": err.kind, "message": err.message,
                                                                      "hint": err.hint}})


def _braces(text: str) -> str:
    """Text as a literal part of a str.format template."""
    return text.replace("{", "{{").replace("}", "}}")
