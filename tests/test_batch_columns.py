"""--batch in numpy columns gives, byte for byte, what evaluating row by row gives: the same
numbers (transcendental gates included), the same errors for the same rows, in every format."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

pytest.importorskip("numpy")

from conftest import ROOT  # noqa: E402
from test_sympy_oracle import VARS, extend, leaf  # noqa: E402

from bprop_cli.batch import vectorised as batch_columns  # noqa: E402
from bprop_cli.batch.read import Batch, BatchReader  # noqa: E402
from bprop_cli.errors import BpropError  # noqa: E402
from bprop_cli.views import Format  # noqa: E402
from bprop_cli.views.rows import RowWriter  # noqa: E402


def _more(inner):  # type: ignore[no-untyped-def]
    """Gates the sympy oracle leaves out: kinks, ties, variable exponents."""
    unary = st.tuples(st.sampled_from(["relu", "abs"]), inner).map(lambda t: f"{t[0]}({t[1]})")
    many = st.tuples(st.sampled_from(["max", "min"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})")
    power = st.tuples(inner, inner).map(lambda t: f"({t[0]})^({t[1]})")
    return extend(inner) | unary | many | power


programs = st.recursive(leaf, _more, max_leaves=10)
numbers = st.one_of(
    st.floats(-3, 3).map(lambda f: round(f, 3)),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, -1e-300, 1e300, 700.0, 710.0, -745.0, 1e-8]),
    st.floats(allow_nan=False, allow_infinity=False),
)
cells = st.one_of(numbers.map(repr), st.sampled_from(["pi/4", "-pi", "2*e", "nonsense", "", "1e999", " 2 "]))


def _both_ways(program: str, lines: list[str], fmt: Format, grad: str | None = None) -> tuple[list, list]:
    """(column engine, row by row): the output line or error message of every row."""
    def run(columns: bool) -> list:
        reader = BatchReader(io.StringIO("\n".join(lines) + "\n"), "rows.csv")
        job = Batch(program, {}, reader.columns)
        grads = job.grad_columns(grad)
        writer = RowWriter(fmt, job.inputs, job.output, grads)
        outcomes = batch_columns.Columns(job, writer, grads, reader.columns).outcomes(reader) if columns else (
            (row, None, None) for row in reader)
        shown = []
        for row, result, err in outcomes:
            if result is None and err is None:
                row, result, err = job.result(row)
            if result is None:
                shown.append((row.number, str(err), err.status, writer.error(row.number, row.line, err)))
            elif isinstance(result, str):
                shown.append((row.number, result))
            else:
                shown.append((row.number, writer.row(row.number, result)))
        return shown
    return run(True), run(False)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(programs, st.lists(st.tuples(cells, cells, cells), min_size=1, max_size=30),
       st.sampled_from(list(Format)), st.integers(1, 7))
def test_columns_are_the_row_by_row_results(program: str, rows: list, fmt: Format, chunk: int) -> None:
    names = [v for v in VARS if v in program] or [VARS[0]]
    try:
        Batch(program, {}, names)
    except BpropError:
        assume(False)
    lines = [",".join(names)] + [",".join(row[: len(names)]) for row in rows]
    saved, batch_columns.CHUNK = batch_columns.CHUNK, chunk  # several chunks, and short last ones
    try:
        columns, by_row = _both_ways(program, lines, fmt)
    finally:
        batch_columns.CHUNK = saved
    assert columns == by_row


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(numbers, numbers, numbers), min_size=1, max_size=20))
def test_transcendental_gates_bit_for_bit(rows: list) -> None:
    program = "exp(x) + log(abs(y) + 1) + sin(x*y) + cos(z) + tan(x/7) + tanh(y) + sigmoid(z) + softplus(x) + sqrt(z*z)"
    lines = ["x,y,z"] + [",".join(map(repr, row)) for row in rows]
    columns, by_row = _both_ways(program, lines, Format.csv)
    assert columns == by_row


def test_json_lines_rows_with_other_names_and_values() -> None:
    lines = ['{"x": 1, "y": 2}', '{"x": 1}', '{"x": 1, "y": 2, "w": 3}', '{"x": "pi/2", "y": -0.0}',
             '{"x": 1e308, "y": 1e308}', '{"x": true, "y": 1}', "not json", '{"x": 0.1, "y": 0.2}']
    for fmt in (Format.json, Format.csv):
        reader_lines = lines
        columns, by_row = _both_ways_json("x*y + exp(x) / y", reader_lines, fmt)
        assert columns == by_row


def _both_ways_json(program: str, lines: list[str], fmt: Format) -> tuple[list, list]:
    def run(columns: bool) -> list:
        reader = BatchReader(io.StringIO("\n".join(lines) + "\n"), "rows.jsonl")
        job = Batch(program, {}, reader.columns)
        grads = job.grad_columns(None)
        writer = RowWriter(fmt, job.inputs, job.output, grads)
        outcomes = batch_columns.Columns(job, writer, grads, reader.columns).outcomes(reader) if columns else (
            (row, None, None) for row in reader)
        out = []
        for row, result, err in outcomes:
            if result is None and err is None:
                row, result, err = job.result(row)
            out.append(str(err) if result is None else
                       result if isinstance(result, str) else
                       writer.row(row.number, result))
        return out
    return run(True), run(False)


def test_grad_of_a_node_and_of_an_input_no_gradient_reaches() -> None:
    lines = ["x,y"] + [f"{i / 7!r},{-i / 3!r}" for i in range(50)]
    for grad in ("q", "x", "y"):
        columns, by_row = _both_ways("q = x*x; q + sin(q) + relu(-1)*y", lines, Format.json, grad=grad)
        assert columns == by_row


def _cli(args: list[str], stdin: str | None = None) -> tuple[str, str, int]:
    r = subprocess.run([sys.executable, "-m", "bprop_cli", "eval", *args], input=stdin, capture_output=True,
                       text=True, cwd=ROOT, timeout=60, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    return r.stdout, r.stderr, r.returncode


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "markdown", "plain"])
def test_a_file_in_columns_and_a_pipe_row_by_row_print_the_same(tmp_path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """End to end: a batch file goes through the column engine, standard input row by row."""
    rows = ["w0,x0,w1,x1,w2"] + [f"{i / 10},{-i / 7},{i % 5 - 2},{i / 3},{'pi' if i % 97 == 0 else i / 11}"
                                 for i in range(-300, 300)] + ["1,2,3", "1,2,3,4,x"]
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(rows) + "\n")
    program = "sigmoid(w0*x0 + w1*x1 + w2) + log(w2)"
    from_file = _cli([program, "--batch", str(path), "--format", fmt])
    from_pipe = _cli([program, "--batch", "-", "--format", fmt], stdin=path.read_text())
    assert from_file == from_pipe
    assert from_file[2] == 2 and from_file[0].count("\n") > 250
    if fmt == "json":
        assert json.loads(from_file[0].splitlines()[-1])["row"] == len(rows) - 1


def test_scalar_eval_does_not_import_numpy() -> None:
    code = ("import sys\nfrom bprop_cli.cli.entry import main\nsys.argv = ['bprop', 'eval', 'exp(x)', 'x=1']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\nprint('numpy' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.stdout.strip().splitlines()[-1] == "False"


def test_a_quoted_cell_with_a_line_break_is_not_two_numbers() -> None:
    lines = ["x,y", "1,2", '"3\n4",5', "6,7"]
    columns, by_row = _both_ways("x*y", lines, Format.csv)
    assert columns == by_row and "usage error" in str(columns[1])


@given(st.lists(st.sampled_from(list("0123456789eE+-. \t") + ["nan", "inf", "_", "١", "\u2003", "x", "\r"]),
                max_size=12).map("".join))
@settings(max_examples=2000, deadline=None)
def test_a_cell_the_columns_read_is_a_plain_number_for_the_row_engine(cell: str) -> None:
    """The column engine takes a cell when it has no character a plain decimal number lacks and
    float() reads it; that must be exactly the row engine's plain number (batch._PLAIN_NUMBER),
    for every cell of ASCII digits, signs, points, exponents and blanks, and never more."""
    from bprop_cli.batch.read import _PLAIN_NUMBER

    def column_takes(text: str) -> bool:
        if batch_columns._NOT_PLAIN.search(text):
            return False
        try:
            float(text)
        except ValueError:
            return False
        return True

    plain = _PLAIN_NUMBER.fullmatch(cell) is not None
    if column_takes(cell):
        assert plain, cell
    elif all(ch in "0123456789eE+-. \t" for ch in cell):
        assert not plain, cell
