"""Every registry entry is complete, and its array rules agree with its scalar rules.

A gate is one entry in gates/registry.py (docs/adding-a-gate.md). These tests are what make an
entry that forgets a part fail: `problems` names what is missing or inconsistent, and the array
rules are checked against the scalar ones (elementwise gates) or central differences (the
others). The sympy forms are checked in test_crosscheck.py, the scalar local derivatives in
test_gates.py (central differences) and test_gate_edges.py (the edges of double precision).
"""

from __future__ import annotations

import string

import pytest
from test_gates import POINTS

from bprop_cli.gates.registry import AXIS_CALLS, BINARY_GATES, FUNCTIONS, GATES, Gate
from bprop_cli.lang.parser import parse

np = pytest.importorskip("numpy")

SPECIAL = {"neg", "pow_var"}  # reached from syntax (-x; x^y with a variable y), not by a name or an operator


def problems(gate: Gate) -> list[str]:
    """What is missing or inconsistent in one entry ([] for a complete one)."""
    found = []
    arity = gate.arity or 3  # a variadic gate (max, min) is tried with three inputs
    names = [f"x{i}" for i in range(arity)]
    for field in ("forward", "local", "vforward"):
        if not callable(getattr(gate, field)):
            found.append(f"{field} is missing")
    for field in ("pattern", "lesson"):
        if not getattr(gate, field).strip():
            found.append(f"{field} is empty")
    if not gate.example:
        found.append("example is missing")
    if gate.sympy is None:
        found.append("sympy form is missing")
    if gate.arity and not gate.show:
        found.append("show is empty")
    if len(gate.dforms) not in ({gate.arity} if gate.arity else {1}):
        found.append(f"dforms has {len(gate.dforms)} formulas for {gate.arity or 'variadic'} inputs")
    if gate.elementwise:
        if gate.vlocal is None:
            found.append("an elementwise gate needs vlocal")
        if gate.shape is not None:
            found.append("an elementwise gate's shape is the broadcast: no shape rule")
    else:
        if gate.shape is None:
            found.append("a gate with a vjp needs a shape rule")
        if not gate.rules:
            found.append("a gate with a vjp needs its rules in matrix notation")
        if gate.exact_vforward or gate.exact_vlocal:
            found.append("only elementwise gates may be marked exact (the batch engine runs them by columns)")
    if len(gate.rules) > max(arity, 1):
        found.append("more rules than inputs")
    try:
        for i in range(arity):
            gate.formula(i, names, "y")
            gate.rule(i, names, "y")
        gate.expression(names)
    except (IndexError, KeyError) as err:
        found.append(f"a formula names an input or placeholder it does not have: {err}")
    if gate.expand:
        try:
            parse(gate.expand.format(*names))
        except Exception as err:  # noqa: BLE001 - any refusal is the finding
            found.append(f"expand does not parse: {err}")
    reachable = (gate.name in FUNCTIONS or gate.name in BINARY_GATES.values() or gate.name in SPECIAL
                 or gate.name in AXIS_CALLS.values())  # sum(X, axis=0)
    if not reachable:
        found.append("no way to write it: register it with F (by name) or give it an operator")
    if gate.parameters and (gate.elementwise or gate.parameters >= max(gate.arity, 1)):
        found.append("a gate's parameters (axis=) are its last inputs, after the arrays, and it needs a vjp")
    return found


@pytest.mark.parametrize("name", list(GATES))
def test_every_entry_is_complete(name: str) -> None:
    gate = GATES[name]
    assert gate.name == name
    assert problems(gate) == []


def test_an_incomplete_entry_is_caught() -> None:
    """The checker itself can fail: an entry that forgets its parts is named for each of them."""
    broken = Gate("half", 1, lambda a: a / 2, lambda a, out: (0.5,), "half({0})", ("1/2", "0"), "")
    found = problems(broken)
    for words in ("pattern is empty", "lesson is empty", "example is missing", "sympy form is missing",
                  "vforward is missing", "elementwise gate needs vlocal", "dforms has 2", "no way to write it"):
        assert any(words in text for text in found), (words, found)
    typo = GATES["mul"]._replace(dforms=("{2}", "{0}"))
    assert any("placeholder" in text for text in problems(typo))


def _column(name: str, i: int) -> "np.ndarray":
    return np.array([xs[i] for xs in POINTS[name]], dtype=float)


@pytest.mark.parametrize("name", [name for name, gate in GATES.items() if gate.elementwise])
def test_elementwise_array_rules_agree_with_the_scalar_rules(name: str) -> None:
    """vforward and vlocal over a column of points give what forward and local give per point."""
    gate = GATES[name]
    arity = len(POINTS[name][0])
    columns = [_column(name, i) for i in range(arity)]
    if name == "pow":
        columns[1] = columns[1][0]  # a constant exponent: one number, as the engine passes it
        points = [(x, columns[1]) for x in columns[0]]
    else:
        points = list(zip(*columns))
    out = np.asarray(gate.vforward(np, *columns), dtype=float)
    expected = [gate.forward(*xs) for xs in points]
    assert out.tolist() == pytest.approx(expected, rel=1e-13, abs=1e-15)
    local = gate.vlocal(np, *columns, out)
    for i in range(arity):
        want = [gate.local(*xs, gate.forward(*xs))[i] for xs in points]
        if local[i] is None:
            assert all(w is None for w in want), (name, i)
            continue
        got = np.broadcast_to(np.asarray(local[i], dtype=float), out.shape).tolist()
        assert got == pytest.approx(want, rel=1e-12, abs=1e-15), (name, i)


SHAPES = {"matmul": [(2, 3), (3, 4)], "transpose": [(2, 3)], "sum": [(2, 3)], "mean": [(2, 3)],
          "softmax": [(2, 3)], "mse": [(2, 3), (2, 3)], "logsumexp": [(2, 3)], "log_softmax": [(3, 4)],
          "batchnorm": [(4, 3), (3,), (3,)], "layernorm": [(2, 4), (4,), ()]}
# A gate with parameters (sum(X, axis=0)): its array input's shape, and the parameter values.
AXES = [((2, 3), 0.0), ((2, 3), 1.0), ((2, 3), -1.0), ((2, 3), -2.0), ((4,), 0.0), ((4,), -1.0)]
CASES = [(name, SHAPES.get(name), ()) for name, gate in GATES.items() if not gate.elementwise and not gate.parameters]
CASES += [(name, [shape], (axis,)) for name, gate in GATES.items() if gate.parameters for shape, axis in AXES]
# Gates over labels: scores, and labels as whole numbers or as one-hot rows (no gradient).
LABELS = {"whole numbers": np.array([0.0, 3.0, 1.0]), "one-hot rows": np.eye(4)[[2, 0, 3]],
          "of a vector": np.array(2.0), "weights": np.full((3, 4), 0.25)}
CASES = [c for c in CASES if c[0] not in ("pick", "cross_entropy")] + [
    (name, [(4,) if kind == "of a vector" else (3, 4), LABELS[kind]], ())
    for name in ("pick", "cross_entropy") for kind in LABELS]


@pytest.mark.parametrize("name, shapes, parameters", CASES,
                         ids=[f"{c[0]}{list(c[2]) or ''}{'-' + str(np.shape(c[1][1])) if c[1] and len(c[1]) > 1 and not isinstance(c[1][1], tuple) else ''}" for c in CASES])
def test_vector_jacobian_products_against_central_differences(name: str, shapes, parameters) -> None:  # type: ignore[no-untyped-def]
    gate = GATES[name]
    assert shapes is not None, f"give {name} input shapes to test its vjp with"
    rng = np.random.default_rng(sum(map(ord, name)))
    inputs = [rng.normal(size=shape) if isinstance(shape, tuple) else shape for shape in shapes]
    out = np.asarray(gate.vforward(np, *inputs, *parameters))
    assert out.shape == tuple(gate.shape(*(x.shape for x in inputs), *parameters))
    upstream = rng.normal(size=out.shape)
    grads = gate.vjp(np, upstream if out.shape else float(upstream), *inputs, *parameters, out)
    assert all(g is None for g in grads[len(inputs):])  # the axis gets no gradient
    h = 1e-6
    for k, x in enumerate(inputs):
        if grads[k] is None:  # labels get no gradient (one-hot rows, or rows of weights, do)
            assert not isinstance(shapes[k], tuple) and np.shape(x) != np.shape(inputs[0]), (name, k)
            continue
        numeric = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            plus, minus = [a.copy() for a in inputs], [a.copy() for a in inputs]
            plus[k][index] += h
            minus[k][index] -= h
            f = lambda args: float(np.sum(upstream * np.asarray(gate.vforward(np, *args, *parameters))))  # noqa: E731
            numeric[index] = (f(plus) - f(minus)) / (2 * h)
        assert np.asarray(grads[k]).shape == x.shape
        assert np.allclose(grads[k], numeric, rtol=1e-6, atol=1e-8), (name, k)


def test_no_formula_uses_an_unknown_placeholder() -> None:
    """Templates use only {0}, {1}, ..., {out} and {i}: a typo such as {ouy} would raise at run time."""
    allowed = {"out", "i", *map(str, range(3))}
    for gate in GATES.values():
        for template in (gate.show, *gate.dforms, *gate.rules, gate.expand):
            fields = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
            assert fields <= allowed, (gate.name, template)


def test_the_worked_example_in_the_docs_is_the_registry_entry() -> None:
    """docs/adding-a-gate.md shows silu's entry: it must be the code the registry runs."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    doc = (root / "docs" / "adding-a-gate.md").read_text()
    block = doc.split("```python\n", 1)[1].split("```", 1)[0]
    assert "F(Gate(\n    \"silu\"" in block
    assert block in (root / "bprop_cli" / "gates" / "registry.py").read_text()
