"""--check: the sympy gate table covers the registry, the check passes on correct gradients
(every example, generated expressions) and fails, with exit 1, on a deliberately broken gate."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings

sympy = pytest.importorskip("sympy")

from conftest import EXAMPLES, bprop, example_values  # noqa: E402
from test_gates import POINTS, SCALAR_GATES  # noqa: E402
from test_sympy_oracle import expressions, points  # noqa: E402

from bprop_cli import EvalError, backward, bind, build_graph, forward, parse  # noqa: E402
from bprop_cli.gates.registry import GATES  # noqa: E402
from bprop_cli.trust.crosscheck import FAIL, KINK, OK, crosscheck  # noqa: E402
from bprop_cli.trust.sympy_gates import expand_sigmoid, form, local_derivatives  # noqa: E402


def check(src: str, at: dict[str, float]):  # type: ignore[no-untyped-def]
    graph = build_graph(parse(src))
    values = bind(graph, at)
    return crosscheck(graph, values, backward(graph, forward(graph, values)))


@pytest.mark.parametrize("name", sorted(SCALAR_GATES))
def test_sympy_forms_compute_what_the_gates_compute(name: str) -> None:
    gate = GATES[name]
    for xs in POINTS[name]:
        args = [sympy.Rational(x) for x in xs]
        exact = expand_sigmoid(form(name, args))
        assert float(sympy.N(exact, 30)) == pytest.approx(gate.forward(*xs), rel=1e-12, abs=1e-12)
        local = gate.local(*xs, gate.forward(*xs))
        for d, s in zip(local, local_derivatives(name, args, form(name, args))):
            if d is not None:
                assert float(sympy.N(expand_sigmoid(s), 30)) == pytest.approx(d, rel=1e-12, abs=1e-12), name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_check_passes_on_every_example(path) -> None:  # type: ignore[no-untyped-def]
    r = bprop("eval", "-f", str(path), *example_values(path), "--check", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)["check"]
    assert report["passed"]
    assert all(g["status"] == OK for g in report["gradients"].values()), report


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(expressions, points)
def test_check_passes_on_generated_expressions(text: str, at: dict[str, float]) -> None:
    try:
        graph = build_graph(parse(text))
        report = check(text, {v: at[v] for v in graph.inputs})
    except EvalError:
        assume(False)
    assert report.passed, report


def test_check_at_a_kink_explains_instead_of_failing() -> None:
    report = check("relu(x) + 2*x", {"x": 0})
    (c,) = report.checks
    assert report.passed and c.status == KINK
    assert "subgradient convention" in c.reason and "relu" in c.reason
    # Within eps of the kink (but not on it), the central difference straddles both branches.
    (c,) = check("relu(x)", {"x": 1e-7}).checks
    assert c.status == KINK and "switches branch" in c.reason


def test_a_missing_estimate_is_said_not_failed() -> None:
    (c,) = check("log(x)", {"x": 1e-7}).checks  # x - eps is outside log's domain
    assert c.numeric is None and c.status == OK and "leaves the domain" in c.reason


@pytest.fixture
def broken_mul(monkeypatch: pytest.MonkeyPatch) -> None:
    good = GATES["mul"]
    monkeypatch.setitem(GATES, "mul", good._replace(local=lambda a, b, out: (b, a + 1.0)))


def test_check_fails_on_a_broken_gate_in_process(broken_mul: None) -> None:
    report = check("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    assert not report.passed
    assert report.failed == ("z",)  # only d/dz goes through the broken local derivative
    z = report.checks[-1]
    assert z.status == FAIL and z.engine == 4.0 and z.numeric == pytest.approx(3.0) and z.symbolic == 3.0


BROKEN_PLUGIN = """
import sys
from bprop_cli.gates import registry as gates
from bprop_cli.cli.entry import main
gates.GATES["exp"] = gates.GATES["exp"]._replace(local=lambda a, out: (2 * out,))
sys.argv = ["bprop", *sys.argv[1:]]
main()
"""


def test_check_exits_1_on_a_broken_gate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    plugin = tmp_path / "broken_exp.py"
    plugin.write_text(BROKEN_PLUGIN)
    args = ["eval", "exp(x)*y", "x=0.5", "y=2", "--check"]
    r = subprocess.run([sys.executable, str(plugin), *args], capture_output=True, text=True, timeout=60,
                       env={"NO_COLOR": "1", "COLUMNS": "80", "PATH": ""}, cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAIL" in r.stdout and "check FAILED for x" in r.stderr
    assert "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, str(plugin), *args, "--json"], capture_output=True, text=True, timeout=60)
    data = json.loads(r.stdout)
    assert r.returncode == 1 and data["check"]["passed"] is False
    assert data["check"]["gradients"]["x"]["status"] == FAIL and data["check"]["gradients"]["y"]["status"] == OK
    expected = math.exp(0.5) * 2
    assert data["check"]["gradients"]["x"]["symbolic"] == pytest.approx(expected, rel=1e-12)


def test_a_poor_central_difference_warns_but_passes() -> None:
    (c,) = check("sin(1000000*x)", {"x": 0.3}).checks  # h = 1e-6 spans a sixth of a period
    assert c.status == "warn" and "central difference is off" in c.reason
    assert c.symbolic_error is not None and c.symbolic_error < 1e-9


def test_huge_programs_check_with_central_differences_only() -> None:
    src = "+".join(f"x{i}" for i in range(300))
    report = check(src, {f"x{i}": 1.0 for i in range(300)})
    assert report.passed and report.note and "central differences only" in report.note
    assert all(c.symbolic is None and c.numeric == pytest.approx(1.0) for c in report.checks)
