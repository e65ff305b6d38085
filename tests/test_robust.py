"""Hostile and random input: bprop computes or fails with one clear message, never a traceback,
never NaN or infinity; pipes, stdin, colour and exit codes as a shell script sees them."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading

import pytest
from conftest import ROOT, bprop
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bprop_cli import backward, bind, build_graph, forward, parse
from bprop_cli.errors import BpropError
from bprop_cli.views.delimited import render_delimited
from bprop_cli.views.json import render_json
from bprop_cli.views.markdown import render_markdown
from bprop_cli.views.plain import render_plain

LANGUAGE = list("xyz2.5e+-*/^()=,;# \n") + ["**", "exp(", "log(", "sqrt(", "max(", "relu(", "1e308", "9^9"]
PROGRAMS = st.lists(st.sampled_from(LANGUAGE) | st.characters(codec="utf-8"), max_size=30).map("".join)


def evaluate(text: str):  # type: ignore[no-untyped-def]
    graph = build_graph(parse(text))
    return backward(graph, forward(graph, bind(graph, {name: 0.7 for name in graph.inputs})))


@given(PROGRAMS)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_computes_or_raises_a_bprop_error(text: str) -> None:
    try:
        trace = evaluate(text)
    except BpropError as err:
        assert str(err).strip() and int(err.status) in (1, 2)
        return
    numbers = [trace.value, *(n.value for n in trace.nodes), *(n.grad for n in trace.nodes),
               *(v for s in trace.backward for v in (s.upstream, s.local, s.product, s.total))]
    assert all(math.isfinite(x) for x in numbers), text
    json.loads(render_json(trace))  # allow_nan=False: a NaN would raise here
    for shown in ("\n".join(render_plain(trace)), render_markdown(trace), render_delimited(trace, ",")):
        assert shown.strip()


@given(st.lists(st.sampled_from(LANGUAGE) | st.characters(codec="utf-8", exclude_characters="\x00"),
                max_size=20).map("".join))
@settings(max_examples=12, deadline=None)
def test_any_text_in_a_subprocess_exits_cleanly(text: str) -> None:
    r = bprop("eval", "-", "--format", "plain", stdin=text)
    assert r.returncode in (0, 1, 2), r.stderr
    assert "Traceback" not in r.stderr
    if r.returncode:
        assert r.stderr.strip() and r.stdout == ""


@pytest.mark.parametrize(
    "program, code, fragment",
    [
        pytest.param("(" * 10_000 + "x" + ")" * 10_000, 0, "", id="10000-parens"),
        pytest.param("(" * 10_000 + "x", 2, "expected ')' to close '('", id="10000-unclosed"),
        pytest.param("9^9^9", 1, "overflow", id="power-tower"),
        pytest.param("exp(exp(exp(10)))", 1, "overflow", id="nested-exp"),
        pytest.param("x\x00", 2, "NUL byte", id="nul"),
        pytest.param("x # " + "é" * 1_000_000, 0, "", id="1MB-comment"),
        pytest.param("x+" * 500_000 + "x$", 2, "unexpected character '$'", id="1MB-stray-at-end"),
        pytest.param("x\u200b+1", 2, "U+200B", id="zero-width-space"),
        pytest.param("x \u202e+ 1", 2, "right-to-left override", id="bidi-override"),
        pytest.param("１ + x", 2, "use the plain '1'", id="full-width-digit"),
        pytest.param("[bold red]x[/]", 2, "unexpected character '['", id="rich-markup"),
        pytest.param("__import__('os').system('touch /tmp/bprop_pwned')", 2, "unexpected character", id="python"),
        pytest.param("x; $(touch /tmp/bprop_pwned)", 2, "unexpected character '$'", id="shell"),
    ],
)
def test_hostile_program(program: str, code: int, fragment: str) -> None:
    r = bprop("eval", "-", "x=1", "--format", "plain", stdin=program)
    assert r.returncode == code, r.stderr[:500]
    assert fragment in r.stderr and "Traceback" not in r.stderr
    assert not os.path.exists("/tmp/bprop_pwned")


def test_gradient_sum_overflow_is_an_error_not_inf() -> None:
    r = bprop("eval", "1e308*x + 1e308*x", "x=1e-300", "--format", "plain")
    assert r.returncode == 1 and "overflow in the sum of the gradients of x" in r.stderr
    assert "inf" not in r.stdout


@pytest.mark.parametrize("seed", ["nan", "inf", "-inf"])
def test_non_finite_seed_is_refused(seed: str) -> None:
    r = bprop("eval", "x", "x=1", "--seed-grad", seed)
    assert r.returncode == 2 and "finite" in r.stderr and r.stdout == ""


FORMATS = ["table", "plain", "json", "markdown", "csv", "tsv"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_head_closing_the_pipe_is_quiet(fmt: str) -> None:
    program = "+".join(f"x{i}*x" for i in range(400))
    values = " ".join(f"x{i}=1" for i in range(400))
    cmd = f"{sys.executable} -m bprop_cli eval '{program}' x=2 {values} --format {fmt} --all-rows | head -n 2"
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.stderr == "" and r.returncode == 0
    assert len(r.stdout.splitlines()) == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_colour_escapes_in_a_pipe(fmt: str) -> None:
    for args in (("(x+y)*z", "x=-2", "y=5", "z=-4"), ("log(x)", "x=0"), ("x+",)):
        r = bprop("eval", *args, "--format", fmt, env={"NO_COLOR": "", "TERM": "xterm-256color"})
        assert "\x1b" not in r.stdout + r.stderr


@pytest.mark.parametrize(
    "env, coloured",
    [({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
     ({"FORCE_COLOR": "1", "TERM": "dumb"}, False)],
    ids=["force", "no-color-wins", "dumb-terminal"],
)
def test_colour_environment(env: dict[str, str], coloured: bool) -> None:
    env = {"NO_COLOR": "", "TERM": "xterm-256color", **env}
    code = "import sys\nfrom bprop_cli.cli.entry import main\nsys.argv = ['bprop', 'eval', 'x*y', 'x=2', 'y=3']\nmain()\n"
    full_env = {**os.environ, "COLUMNS": "80", **env}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=60)
    assert r.returncode == 0
    assert ("\x1b[" in r.stdout) is coloured


def test_width_in_a_pipe_is_80_columns() -> None:
    r = bprop("eval", "sigmoid(w0*x0+w1*x1+w2)", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3", env={"COLUMNS": ""})
    assert r.returncode == 0 and max(len(line) for line in r.stdout.splitlines()) <= 80


def test_batch_is_streamed_row_by_row() -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "bprop_cli", "eval", "(x+y)*z", "--batch", "-"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        assert proc.stdin and proc.stdout
        proc.stdin.write("x,y,z\n-2,5,-4\n")
        proc.stdin.flush()
        # The first result arrives while the input is still open: rows are not collected first.
        assert proc.stdout.readline() == "row,x,y,z,f,df/dx,df/dy,df/dz\n"
        assert proc.stdout.readline() == "1,-2.0,5.0,-4.0,-12.0,-4.0,-4.0,3.0\n"
        proc.stdin.write("1,2,3\n")
        proc.stdin.close()
        assert proc.stdout.read() == "2,1.0,2.0,3.0,9.0,3.0,3.0,3.0\n"
        assert proc.wait() == 0
    finally:
        watchdog.cancel()
        proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream and not stream.closed:
                stream.close()


def test_batch_bad_rows_are_reported_and_skipped() -> None:
    r = bprop("eval", "log(x)*y", "--batch", "-", stdin="x,y\n1,2\n0,2\nabc,1\n4,5,6\n2,1\n")
    assert r.returncode == 2  # a bad value is a usage error, and it outranks the evaluation error
    assert [line.split(",")[0] for line in r.stdout.splitlines()] == ["row", "1", "5"]
    assert r.stderr.splitlines()[0].startswith("row 2 (line 3): evaluation error: node v1 = log(x)")
    assert "row 3 (line 4): usage error: the value of x, 'abc'" in r.stderr
    assert "row 4 (line 5): usage error: 3 fields where the header has 2 (x, y)" in r.stderr
    assert "Traceback" not in r.stderr


def test_batch_with_only_evaluation_errors_exits_1() -> None:
    r = bprop("eval", "1/x", "--batch", "-", stdin="x\n1\n0\n")
    assert r.returncode == 1 and r.stdout.splitlines()[1].startswith("1,")


def test_batch_json_lines_in_and_out() -> None:
    rows = '{"x": -2, "y": 5, "z": -4}\n\n{"x": 1, "y": "pi", "z": 1}\n{"x": NaN, "y": 1, "z": 1}\n'
    r = bprop("eval", "(x+y)*z", "--batch", "-", "--json", stdin=rows)
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert out[0] == {"row": 1, "inputs": {"x": -2.0, "y": 5.0, "z": -4.0}, "output": "f", "value": -12.0,
                      "gradients": {"x": -4.0, "y": -4.0, "z": 3.0}}
    assert out[1]["value"] == pytest.approx(1 + math.pi)
    assert out[2]["row"] == 3 and out[2]["line"] == 4 and out[2]["error"]["kind"] == "usage error"
    assert r.returncode == 2


def test_batch_header_naming_no_variable_stops_at_once() -> None:
    r = bprop("eval", "x*y", "--batch", "-", stdin="x,yy\n1,2\n")
    assert r.returncode == 2 and r.stdout == ""
    assert "yy is not a variable of the program" in r.stderr and "did you mean y?" in r.stderr


def test_batch_common_values_and_tsv(tmp_path) -> None:  # type: ignore[no-untyped-def]
    batch = tmp_path / "points.tsv"
    batch.write_text("x\n1\n2\n")
    r = bprop("eval", "x*w", "w=-pi/4", "--batch", str(batch), "--format", "tsv")
    lines = r.stdout.splitlines()
    assert lines[0] == "row\tx\tw\tf\tdf/dx\tdf/dw"
    assert float(lines[2].split("\t")[-2]) == pytest.approx(-math.pi / 4)


def test_stdin_program_and_stdin_batch_conflict() -> None:
    r = bprop("eval", "-", "--batch", "-", stdin="x\n")
    assert r.returncode == 2 and "cannot both come from standard input" in r.stderr


@pytest.mark.parametrize("text", ["c\r;x", "x\x00\n1\n", 'x\n"1\n', "x\n1\r2\n"], ids=["lone-cr", "nul", "open-quote", "cr-in-row"])
def test_malformed_batch_text_is_a_usage_error(text: str) -> None:
    """Found by fuzzing: the csv module's own errors must become bprop errors."""
    import io

    from bprop_cli.batch.read import Batch, BatchReader

    try:
        reader = BatchReader(io.StringIO(text), "-")
        results = list(Batch("x*y", {"y": 1.0}, reader.columns).results(reader))
    except BpropError as err:
        assert int(err.status) == 2 and str(err)
    else:
        assert all(trace is not None or err is not None for _, trace, err in results)


def test_batch_rows_match_the_full_trace() -> None:
    """A batch skips the explanation (steps, formulas) but must give the same numbers as `run`."""
    from conftest import EXAMPLES, example_values

    from bprop_cli.batch.read import Batch
    from bprop_cli.engine.run import run
    from bprop_cli.engine.values import parse_assignments

    assert EXAMPLES
    for path in EXAMPLES:
        if "[" in " ".join(example_values(path)):
            continue  # a batch row holds numbers only; array programs are checked in test_arrays.py
        source, values = path.read_text(), parse_assignments(example_values(path))
        full, lean = run(source, values), Batch(source, {}, []).evaluate(values)
        assert (lean.value, lean.gradients) == (full.value, full.gradients), path.name
        assert [n.grad for n in lean.nodes] == [n.grad for n in full.nodes]


def test_json_array_batch_says_json_lines() -> None:
    r = bprop("eval", "x", "--batch", "-", stdin='[{"x": 1}, {"x": 2}]\n')
    assert r.returncode == 2 and "JSON Lines, one object per line" in r.stderr and r.stdout == ""
