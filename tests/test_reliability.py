"""Regression tests for the reliability fixes: gradients at the edges of double precision,
output that cannot be written or encoded, batch rows that must not vanish, consistent input
handling (issue: exact gates, no terminal injection, no traceback when output fails)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import mpmath
import pytest
from conftest import ROOT, bprop

from bprop_cli import BpropError
from bprop_cli.engine.run import run


def _true(fn, *xs: float) -> float:  # type: ignore[no-untyped-def]
    with mpmath.workdps(50):
        return float(fn(*map(mpmath.mpf, xs)))


@pytest.mark.parametrize("x, y", [(1e-150, 1e-160), (1e-200, 1e-200), (0.0, 1e-200), (1e-320, 1e-10), (3.0, -1e-150)])
def test_div_gradient_for_small_denominators(x: float, y: float) -> None:
    trace = run("x/y", {"x": x, "y": y})
    assert trace.gradients["x"] == pytest.approx(_true(lambda a, b: 1 / b, x, y), rel=1e-14)
    assert trace.gradients["y"] == pytest.approx(_true(lambda a, b: -a / b**2, x, y), rel=1e-14, abs=0)


@pytest.mark.parametrize("c", ["1e16", "1e17", "9007199254740994"])
def test_huge_even_power_keeps_the_sign(c: str) -> None:
    assert run(f"x^{c}", {"x": -1.0}).gradients["x"] == -float(c)


def test_variable_power_with_a_subnormal_base() -> None:
    trace = run("x^y", {"x": 1e-320, "y": 1e-300})
    x = trace.inputs["x"]  # the subnormal double nearest 1e-320
    assert trace.value == 1.0
    assert trace.gradients["x"] == pytest.approx(_true(lambda a, b: b * a ** (b - 1), x, 1e-300), rel=1e-12)
    assert trace.gradients["y"] == pytest.approx(_true(lambda a, b: a**b * mpmath.log(a), x, 1e-300), rel=1e-12)


@pytest.mark.parametrize("fn, ref", [
    ("sigmoid", lambda a: mpmath.exp(-a) / (1 + mpmath.exp(-a)) ** 2),
    ("tanh", lambda a: mpmath.sech(a) ** 2),
])
@pytest.mark.parametrize("x", [30.0, -30.0, 15.0, 300.0])
def test_saturated_derivatives_keep_relative_precision(fn: str, ref, x: float) -> None:  # type: ignore[no-untyped-def]
    assert run(f"{fn}(x)", {"x": x}).gradients["x"] == pytest.approx(_true(ref, x), rel=1e-13)


# --- output that cannot be written or encoded -------------------------------------------------

def _run_to(args: list[str], *, stdout, env: dict[str, str] | None = None,  # type: ignore[no-untyped-def]
            close_stdout: bool = False) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80", **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-m", "bprop_cli", *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, env=full_env, timeout=60, cwd=ROOT,
                          preexec_fn=(lambda: os.close(1)) if close_stdout else None)


COMMANDS = [
    ["eval", "x*2", "x=1"], ["eval", "x*2", "x=1", "--json"], ["eval", "x*2", "x=1", "--format", "plain"],
    ["eval", "x*2", "x=1", "--format", "markdown"], ["eval", "x*2", "x=1", "--format", "csv"],
    ["eval", "x*2", "x=1", "--graph"], ["eval", "x*2", "x=1", "--check"], ["eval", "x/3", "x=1", "--exact"],
    ["eval", "x*2", "x=1", "--grad", "x"], ["eval", "x*2"], ["graph", "x*2", "x=1"],
    ["graph", "x*2", "x=1", "--format", "dot"], ["explain", "x*2", "x=1"], ["explain", "mul"], ["examples"],
    ["--help"], ["eval", "--help"],
]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_full_disk_is_one_line_and_exit_1(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = _run_to(args, stdout=full)
    assert result.returncode == 1
    assert result.stderr == "error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize("args", [["eval", "--json", "x*2", "x=1"], ["eval", "x*2", "x=1"], ["explain", "mul"]],
                         ids=" ".join)
def test_closed_stdout_is_one_line_and_exit_1(args: list[str]) -> None:
    result = _run_to(args, stdout=None, close_stdout=True)
    assert result.returncode == 1
    assert result.stderr == "error: cannot write the output: standard output is closed\n"


@pytest.mark.parametrize("args", [
    ["eval", "x/3", "x=1", "--exact"], ["eval", "x*2 # café ≈ ü", "x=1"], ["explain", "x*2 # café", "x=1"],
    ["eval", "x*2 # café", "x=1", "--format", "markdown"], ["eval", "x*2 # café", "x=1", "--graph"],
    ["eval", "x*2 # €", "x=1", "--check"], ["eval", "x*", "# é"],
], ids=" ".join)
def test_non_utf8_stdout_degrades_without_a_traceback(args: list[str]) -> None:
    result = _run_to(args, stdout=subprocess.PIPE, env={"PYTHONIOENCODING": "ascii"})
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr
    assert result.returncode in (0, 2)
    assert result.stdout.isascii() and result.stderr.isascii()
    if result.returncode == 0:
        assert "\\u" in result.stdout or "\\x" in result.stdout  # the character shown as an escape


# --- no terminal injection --------------------------------------------------------------------

OSC52 = "\x1b]52;c;cHduZWQ=\x07"  # would write "pwned" to the clipboard
HOSTILE = f"x # {OSC52} \x1b[2J \u202e \x9b \x7f"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("args", [
    ["eval", HOSTILE, "x=1"], ["eval", HOSTILE, "x=1", "--format", "markdown"], ["eval", HOSTILE, "x=1", "--check"],
    ["eval", HOSTILE, "x=1", "--symbolic"], ["eval", HOSTILE], ["eval", HOSTILE, "x=1", "--latex"],
    ["eval", HOSTILE, "x=1", "--exact"], ["eval", HOSTILE, "x=1", "--graph"], ["explain", HOSTILE, "x=1"],
    ["eval", "x", "x=1", "--grad", "\x1b[2J"], ["eval", "x", "x=\x1b[2J"], ["eval", "x+\x1b[2J", "x=1"],
    ["eval", "x", "\x1b[2J=1"], ["graph", HOSTILE, "x=1"], ["graph", HOSTILE, "x=1", "--format", "dot"],
], ids=lambda a: " ".join(a).encode("unicode_escape").decode())
def test_control_characters_from_user_text_are_shown_escaped(args: list[str]) -> None:
    result = _run_to(args, stdout=subprocess.PIPE)
    assert "Traceback" not in result.stderr
    assert not RAW.search(result.stdout), result.stdout
    assert not RAW.search(result.stderr), result.stderr
    if HOSTILE in args and result.returncode == 0 and "--graph" not in args and args[0] != "graph":
        assert "\\x1b" in result.stdout  # shown, not silently dropped


def test_visible_escapes_exactly_the_unsafe_characters() -> None:
    from bprop_cli.text import one_line, visible

    assert visible("a\x1bb\u202ec\n\td é ≈ 😀") == "a\\x1bb\\u202ec\n\td é ≈ 😀"
    assert visible("\x9b\x7f\x00\r\udcff") == "\\x9b\\x7f\\x00\\x0d\\udcff"
    assert one_line("a\nb\tc") == "a\\nb\\tc"
    for code in range(0x110000):
        ch = chr(code)
        shown = visible(ch)
        if shown != ch:
            assert shown.isprintable() and shown.isascii()
        elif ch not in "\n\t":
            assert not RAW.search(ch)


# --- every batch row is written or reported ---------------------------------------------------

@pytest.mark.parametrize("rows", [",", " , ", "\t,"])
def test_a_row_of_empty_cells_is_reported_not_dropped(rows: str) -> None:
    result = bprop("eval", "x/y", "--batch", "-", stdin=f"x,y\n1,2\n{rows}\n3,4\n\n")
    assert result.returncode == 2
    assert result.stdout.splitlines() == ["row,x,y,f,df/dx,df/dy", "1,1.0,2.0,0.5,0.5,-0.25",
                                          "3,3.0,4.0,0.75,0.25,-0.1875"]
    assert result.stderr.startswith("row 2 (line 3): usage error: the value of x is empty")


# --- consistent input handling ----------------------------------------------------------------

def test_a_byte_order_mark_is_accepted_everywhere(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "p.bp").write_bytes(b"\xef\xbb\xbfx*2\n")
    (tmp_path / "v.json").write_bytes(b'\xef\xbb\xbf{"x": 3}')
    assert bprop("eval", "-f", str(tmp_path / "p.bp"), "x=1", "--grad", "x").stdout == "2.0\n"
    assert bprop("eval", "-", "x=1", "--grad", "x", stdin="\ufeffx*2").stdout == "2.0\n"
    assert bprop("eval", "x*2", "--values", str(tmp_path / "v.json"), "--grad", "x").stdout == "2.0\n"
    assert bprop("eval", "x*2", "--batch", "-", stdin="\ufeffx\n1\n").returncode == 0


@pytest.mark.parametrize("content, message", [
    ('{"x": 1e400}', "{path!r}: the value of x is too large for double precision"),
    ('{"x": 1, "x": 2}', "{path!r} names x twice"),
])
def test_values_file_errors_name_the_value_and_the_file(tmp_path, content: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "v.json"
    path.write_text(content)
    result = bprop("eval", "x*2", "--values", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("usage error: " + message.format(path=str(path)))


@pytest.mark.parametrize("where", ["program", "value"])
def test_a_number_that_underflows_is_refused_like_one_that_overflows(where: str) -> None:
    args = ["x*1e-400", "x=1"] if where == "program" else ["x", "x=1e-400"]
    result = bprop("eval", *args)
    assert result.returncode == 2
    assert "1e-400 is too small for double precision: it would become 0" in result.stderr
    assert bprop("eval", "x*0.0e-400 + 0e5", "x=1", "--grad", "x").stdout == "0.0\n"  # a zero is no underflow
    assert bprop("eval", "x", "x=1e-320", "--grad", "x").returncode == 0  # a subnormal is a number


def test_a_huge_literal_is_not_echoed_whole() -> None:
    digits = "1" + "0" * 5000
    for args in (["x*" + digits, "x=1"], ["x", "x=" + digits]):
        result = bprop("eval", *args)
        assert result.returncode == 2
        first = result.stderr.splitlines()[0]
        assert len(first) < 200 and "5,001 characters" in first


def test_a_program_that_is_not_utf8_is_refused_like_a_file() -> None:
    code = ("import sys; from bprop_cli.cli.entry import main; "
            "sys.argv = ['bprop', 'eval', 'x # caf' + b'\\xe9'.decode('utf-8', 'surrogateescape'), 'x=1', '--json']; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert "the program is not UTF-8 text" in result.stderr
    assert "\\udc" not in result.stdout


# --- the Python API ---------------------------------------------------------------------------

@pytest.mark.parametrize("values, seed, message", [
    ({"x": 10**400}, 1.0, "the value of x is too large for double precision"),
    ({"x": float("inf")}, 1.0, "the value of x is inf"),
    ({"x": 1}, float("nan"), "the seed gradient is nan"),
    ({"x": 1}, 10**400, "the seed gradient is too large"),
], ids=["huge int", "inf", "nan seed", "huge seed"])
def test_api_refuses_bad_numbers_with_a_bprop_error(values, seed, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BpropError, match=message):
        run("x*2", values, seed=seed)


def test_array_rules_have_the_same_exact_derivatives() -> None:
    """The NumPy engine's elementwise rules mirror the scalar fixes."""
    trace = run("sum(sigmoid(x)) + sum(tanh(x)) + sum(y^1e16) + sum(1/z)", {
        "x": "[30, -30, 0.25, 300]", "y": "[-1, 1, 0]", "z": "[1e-150, -1e-152, 2]"})
    for got, x in zip(trace.gradients["x"], [30.0, -30.0, 0.25, 300.0]):
        want = _true(lambda a: mpmath.exp(-a) / (1 + mpmath.exp(-a)) ** 2 + mpmath.sech(a) ** 2, x)
        assert got == pytest.approx(want, rel=1e-13)
    assert list(trace.gradients["y"]) == [-1e16, 1e16, 0.0]
    for got, z in zip(trace.gradients["z"], [1e-150, -1e-152, 2.0]):
        assert got == pytest.approx(_true(lambda b: -1 / b**2, z), rel=1e-14)
