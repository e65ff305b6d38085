"""Every gate's local derivatives against central finite differences, and the registry's shape."""

from __future__ import annotations

import math

import pytest

from bprop_cli.gates.registry import FUNCTIONS, GATES, Gate

H = 1e-6

# Points away from kinks and domain edges; variadic gates get three inputs.
SCALAR_GATES = [name for name, gate in GATES.items() if not gate.parameters and gate.array_domain is None]
POINTS: dict[str, list[tuple[float, ...]]] = {
    "add": [(1.5, -2.0), (0.0, 3.0)],
    "sub": [(1.5, -2.0), (-4.0, 0.25)],
    "mul": [(3.0, -4.0), (0.5, 0.2)],
    "div": [(1.0, 1.367879), (-3.0, 0.5)],
    "neg": [(2.0,), (-0.3,)],
    "pow": [(-3.0, 2.0), (2.0, 0.5), (1.7, -1.5), (-2.0, 3.0)],
    "pow_var": [(2.0, 3.0), (0.5, -1.2), (1.3, 0.0)],
    "exp": [(-1.0,), (2.0,)],
    "log": [(0.5,), (3.0,)],
    "sqrt": [(0.25,), (4.0,)],
    "sin": [(0.3,), (-2.0,)],
    "cos": [(0.3,), (-2.0,)],
    "tan": [(0.3,), (-1.0,)],
    "tanh": [(0.3,), (-2.0,)],
    "sigmoid": [(1.0,), (-3.0,), (0.0,)],
    "softplus": [(1.0,), (-3.0,)],
    "silu": [(1.0,), (-3.0,), (0.0,), (25.0,)],
    "relu": [(1.5,), (-2.0,)],
    "abs": [(1.5,), (-2.0,)],
    "max": [(1.0, 3.0, 2.0), (-1.0, -2.0, -3.0)],
    "min": [(1.0, 3.0, 2.0), (-1.0, -2.0, -3.0)],
    # The array gates on numbers (their arrays are tested in test_arrays.py).
    "matmul": [(3.0, -4.0)],
    "transpose": [(1.5,)],
    "sum": [(1.5,), (-2.0,)],
    "mean": [(0.5,)],
    "softmax": [(0.3,), (-2.0,)],
    "logsumexp": [(1.5,), (-2.0,)],
    "log_softmax": [(0.3,), (-2.0,)],
    "batchnorm": [(0.3, 2.0, -1.0)],  # (on numbers: beta; the arrays are tested in test_norms.py)
    "layernorm": [(0.3, 2.0, -1.0)],
    "mse": [(0.5, 2.0), (-1.0, 3.0)],
    "bce": [(0.7, 1.0), (0.2, 0.0), (0.4, 0.3)],
    "bce_logits": [(0.5, 1.0), (-3.0, 0.0), (2.0, 0.25), (40.0, 1.0)],
}


def test_every_gate_has_points() -> None:
    # (a reduction along an axis, sum(X, axis=0), is never computed on numbers: its axis is an error there)
    assert set(POINTS) == set(SCALAR_GATES), "add finite-difference points for every gate"


@pytest.mark.parametrize("name", sorted(SCALAR_GATES))
def test_local_grads_match_central_differences(name: str) -> None:
    gate = GATES[name]
    for xs in POINTS[name]:
        out = gate.forward(*xs)
        local = gate.local(*xs, out)
        assert len(local) == len(xs)
        for i, d in enumerate(local):
            if d is None:
                assert name == "pow" and i == 1  # only a constant exponent goes undifferentiated
                continue
            up, down = list(xs), list(xs)
            up[i] += H
            down[i] -= H
            numeric = (gate.forward(*up) - gate.forward(*down)) / (2 * H)
            assert d == pytest.approx(numeric, rel=1e-6, abs=1e-8), f"{name}{xs} input {i}"


@pytest.mark.parametrize("name", sorted(GATES))
def test_gate_is_documented(name: str) -> None:
    gate: Gate = GATES[name]
    assert gate.pattern and gate.dforms
    names = [f"a{i}" for i in range(max(gate.arity, 2))]
    for i in range(len(names) if gate.arity == 0 else gate.arity):
        gate.formula(i, names, "out")  # every formula template fills without error


def test_sigmoid_is_stable_for_large_inputs() -> None:
    s = GATES["sigmoid"]
    assert s.forward(-1000.0) == 0.0 and s.forward(1000.0) == 1.0
    assert GATES["softplus"].forward(1000.0) == 1000.0
    assert GATES["softplus"].forward(-1000.0) == pytest.approx(0.0)


@pytest.mark.parametrize(
    "name, xs, expected",
    [
        ("relu", (0.0,), (0.0,)),
        ("abs", (0.0,), (0.0,)),
        ("max", (2.0, 2.0), (0.5, 0.5)),
        ("min", (1.0, 1.0, 3.0), (0.5, 0.5, 0.0)),
    ],
)
def test_pytorch_conventions_at_kinks(name: str, xs: tuple[float, ...], expected: tuple[float, ...]) -> None:
    gate = GATES[name]
    out = gate.forward(*xs)
    assert gate.local(*xs, out) == expected
    assert gate.kink is not None and gate.kink(*xs, out)


def test_functions_named_in_spec_exist() -> None:
    for fn in "exp log sqrt sin cos tan tanh sigmoid relu abs max min".split():
        assert fn in FUNCTIONS
    assert math.isclose(GATES["log"].forward(math.e), 1.0)
