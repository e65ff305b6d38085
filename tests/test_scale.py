"""Big traces: streamed JSON is exactly the trace's object; long tables show a bounded summary."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings
from rich.console import Console
from test_sympy_oracle import expressions, points

from bprop_cli import BpropError, compile_program
from bprop_cli.engine.run import run
from bprop_cli.views.delimited import write_delimited
from bprop_cli.views.json import render_json, write_json
from bprop_cli.views.markdown import write_markdown
from bprop_cli.views.plain import write_plain
from bprop_cli.views.table import render_table

WRITERS = {
    "json": write_json,
    "plain": write_plain,
    "csv": lambda trace, out: write_delimited(trace, ",", out),
    "tsv": lambda trace, out: write_delimited(trace, "\t", out),
    "markdown": write_markdown,
}


def written(writer, trace) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    writer(trace, out)
    return out.getvalue()


CORPUS = pytest.mark.parametrize(
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
        pytest.param('f = max(x, y) # a|b `c`, "d"\ng = f + abs(y - x) * relu(x)', {"x": 1, "y": 1}, id="kinks-notes"),
    ],
)


@CORPUS
def test_streamed_json_is_the_trace_object(program: str, at: dict) -> None:
    trace = run(program, at)
    text = render_json(trace)
    assert json.loads(text) == trace.to_dict()
    # The writer formats straight from the trace's columns; from record objects it must write
    # the very same bytes (number for number).
    records = trace._replace(nodes=tuple(trace.nodes), backward=tuple(trace.backward))
    assert render_json(records) == text


@CORPUS
@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_format_from_the_columns_is_the_record_by_record_text(fmt: str, program: str, at: dict) -> None:
    """Plain, CSV/TSV and Markdown are written straight from the trace's columns, as JSON is:
    byte for byte what the writer over record objects writes."""
    trace = run(program, at)
    records = trace._replace(nodes=tuple(trace.nodes), backward=tuple(trace.backward))
    assert written(WRITERS[fmt], trace) == written(WRITERS[fmt], records)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(expressions, points)
def test_generated_programs_read_the_same_from_columns_and_records(text: str, at: dict[str, float]) -> None:
    try:
        trace = run(text, {v: at[v] for v in compile_program(text).inputs})
    except BpropError:
        assume(False)
    records = trace._replace(nodes=tuple(trace.nodes), backward=tuple(trace.backward))
    for fmt, writer in WRITERS.items():
        assert written(writer, trace) == written(writer, records), fmt


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


class _Writes(io.StringIO):
    """A file that counts its writes."""

    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def _printed(trace, all_rows: bool, width: int) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    from bprop_cli.views.table import print_table

    out = _Writes()
    print_table(trace, all_rows, Console(file=out, width=width, color_system=None, highlight=False, emoji=False))
    return out.getvalue(), out.writes


def test_all_rows_streams_long_tables_with_the_rich_tables_content() -> None:
    """--all-rows: a long table is written a chunk of rows at a time, and says what Rich's
    table says, word for word (at a width where neither folds a cell)."""
    trace = run("y = x\n" + "y = y * 1.0001\n" * 2500 + "q = y*x + max(y, x)\n", {"x": 2})
    console = Console(file=io.StringIO(), width=200, color_system=None, highlight=False, emoji=False)
    console.print(render_table(trace, all_rows=True))
    rich_text = console.file.getvalue()
    streamed, writes = _printed(trace, True, 200)
    def words(text: str) -> list[str]:  # (the rules under the headers may differ in length)
        return [w for w in text.split() if not w.startswith("─")]

    assert words(streamed) == words(rich_text)
    assert writes > 5  # rows go out in chunks, not as one string at the end
    assert "more rows" not in streamed


def test_streamed_tables_fit_80_columns_and_fold_long_cells() -> None:
    trace = run("y = x\n" + "y = y * 1.0001\n" * 100 + "q = y*x + max(y, x) + exp(-(y*x)) / (1 + sin(y)^2)\n",
                {"x": 2})
    text, _ = _printed(trace, True, 80)
    assert max(map(len, text.splitlines())) <= 80
    # Long cells are folded at spaces, never cut: the very words of an unfolded (wide) table.
    wide, _ = _printed(trace, True, 400)
    assert Counter(w for w in text.split() if "─" not in w) == Counter(w for w in wide.split() if "─" not in w)
    assert len(text.splitlines()) > len(wide.splitlines())
    # Every node of the forward table has its row, in order.
    rows = [line.split()[0] for line in text.split("Forward pass")[1].split("Backward pass")[0].splitlines()[3:]
            if line and not line.startswith(" ")]
    assert rows == [n.id for n in trace.non_constant_nodes()]


def test_short_tables_are_rich_tables_with_or_without_all_rows() -> None:
    trace = run("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    console = Console(file=io.StringIO(), width=80, color_system=None, highlight=False, emoji=False)
    console.print(render_table(trace, all_rows=True))
    assert _printed(trace, True, 80)[0] == console.file.getvalue()
