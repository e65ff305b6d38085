"""Big traces: streamed JSON is exactly the trace's object; long tables show a bounded summary."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from bprop_cli import run
from bprop_cli.render.json import render_json, write_json
from bprop_cli.render.table import render_table


@pytest.mark.parametrize(
    "program, at",
    [
        pytest.param("(x+y)*z", {"x": -2, "y": 5, "z": -4}, id="cs231n"),
        pytest.param("relu(x) + max(x, y) + abs(y)", {"x": 0, "y": 0}, id="notes"),
        pytest.param("2*pi", {}, id="no-inputs"),
        pytest.param("a = x*1e-300; a*a", {"x": 3}, id="tiny-numbers"),
        pytest.param("\n".join(["y = x"] + ["y = y * 0.5 + x"] * 5000), {"x": 0.5}, id="many-chunks"),
        pytest.param("x^2 + 2^x + x^y + sqrt(x)/y", {"x": 1.5, "y": 3}, id="powers"),
        pytest.param("q = x*x; q + q*2 - exp(-q) + sigmoid(q) * tanh(x)", {"x": 0.3}, id="fan-out"),
        pytest.param('s = (x # a "quoted" comment\n + y) * (' + " + ".join(["x*y"] * 30) + ")\ns / 3",
                     {"x": 0.1, "y": -7}, id="long-texts-and-comments"),
        pytest.param("min(x, 1/3, y) * 0.1 + softplus(y)", {"x": 0.2, "y": 0.2}, id="shared-values"),
        pytest.param("q = x * y; q^(-0) + relu(-x) * y + q * -0", {"x": 1, "y": "-0"}, id="signed-zeros"),
    ],
)
def test_streamed_json_is_the_trace_object(program: str, at: dict) -> None:
    trace = run(program, at)
    text = render_json(trace)
    assert json.loads(text) == trace.to_dict()
    # The writer formats straight from the trace's columns; from record objects it must write
    # the very same bytes (number for number).
    records = trace._replace(nodes=tuple(trace.nodes), backward=tuple(trace.backward))
    assert render_json(records) == text


def test_json_has_one_record_per_line() -> None:
    trace = run("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4})
    out = io.StringIO()
    write_json(trace, out)
    lines = out.getvalue().splitlines()
    assert sum('"op": ' in line for line in lines) == len(trace.nodes)
    assert sum('"upstream": ' in line for line in lines) == len(trace.backward)


def test_a_long_table_is_summarised() -> None:
    trace = run("+".join(["x*x"] * 5000), {"x": 3})
    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(render_table(trace))
    text = console.file.getvalue()
    assert len(text.splitlines()) < 200
    assert "more rows (--all-rows shows them)" in text
    assert text.count("\n") < 200 and "gradient" in text
