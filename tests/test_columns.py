"""The row-vectorised passes (bprop_cli/engine/columns.py) give the scalar engine's numbers: every
gate's elementwise array rule against its scalar rule, and whole programs against one run per row."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from bprop_cli.engine.columns import passes
from bprop_cli.engine.graph import compile_program
from bprop_cli.engine.run import run
from bprop_cli.gates.registry import GATES

POINTS = {
    "log": lambda r: r.uniform(0.1, 3), "sqrt": lambda r: r.uniform(0.1, 3), "pow_var": lambda r: r.uniform(0.1, 3),
}


@pytest.mark.parametrize("name", sorted(set(GATES)))
def test_every_gate_has_a_vector_rule_equal_to_its_scalar_rule(name: str) -> None:
    gate = GATES[name]
    if gate.vlocal is None:
        pytest.skip("not an elementwise gate (its array rule is tested with the arrays)")
    forward = lambda *xs: gate.vforward(np, *xs)  # noqa: E731
    local = lambda *xs: gate.vlocal(np, *xs)  # noqa: E731
    rng = random.Random(name)
    arity = gate.arity or 3
    for _ in range(20):
        xs = [POINTS.get(name, lambda r: r.uniform(-3, 3))(rng) for _ in range(arity)]
        if name == "pow":
            xs[1] = rng.choice([0.0, 1.0, 2.0, 3.0, -1.0, 0.5]) if xs[0] > 0 else rng.choice([2.0, 3.0])
        if gate.domain and gate.domain(*xs):
            continue
        if name in ("max", "min") and rng.random() < 0.3:
            xs[1] = xs[0]  # a tie
        out = gate.forward(*xs)
        vec = forward(*(np.array([x]) for x in xs))
        assert float(np.asarray(vec)[0]) == pytest.approx(out, rel=1e-12, abs=1e-300)
        want = gate.local(*xs, out)
        got = local(*(np.array([x]) for x in xs), np.array([out]))
        for w, g in zip(want, got):
            if w is None:
                assert g is None
                continue
            assert float(np.broadcast_to(g, (1,))[0]) == pytest.approx(w, rel=1e-12, abs=1e-300)


def test_a_program_over_rows_equals_one_run_per_row() -> None:
    program = "h = tanh(a*x + b); g = sigmoid(h*c) + relu(x - b) + max(h, c*x); L = (g - y)^2 + log(1 + x^2)"
    rng = random.Random(3)
    rows = [{"x": rng.uniform(-2, 2), "y": rng.uniform(-1, 1)} for _ in range(25)]
    params = {"a": 0.7, "b": -0.2, "c": 1.3}
    graph = compile_program(program)
    cols = {k: np.array([r[k] for r in rows]) for k in ("x", "y")}
    out, grads = passes(graph, {**params, **cols}, ["a", "b", "c"], len(rows))
    traces = [run(program, {**params, **r}) for r in rows]
    assert list(out) == pytest.approx([t.value for t in traces], rel=1e-12)
    for p in params:
        assert grads[p] == pytest.approx(math.fsum(t.gradients[p] for t in traces), rel=1e-10)


def test_a_domain_error_names_the_node_and_the_row() -> None:
    from bprop_cli.errors import EvalError

    graph = compile_program("log(x - 1) * w")
    with pytest.raises(EvalError) as err:
        passes(graph, {"w": 1.0, "x": np.array([3.0, 2.0, 0.5])}, ["w"], 3)
    assert "log" in err.value.message and "data row 3" in err.value.message
