"""Vectors and matrices: values, shapes, the array engine against independent numbers
(published figures, the scalar engine on the same network typed entry by entry, central
differences, hand-written NumPy), and the errors a learner meets."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, bprop
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bprop_cli import BpropError
from bprop_cli.engine.run import run

MAZUR = {"W1": "[[0.15,0.2],[0.25,0.3]]", "b1": "[0.35,0.35]", "W2": "[[0.4,0.45],[0.5,0.55]]",
         "b2": "[0.6,0.6]", "x": "[0.05,0.1]", "t": "[0.01,0.99]"}
MAZUR_PROGRAM = "z1 = W1 @ x + b1; y1 = sigmoid(z1); z2 = W2 @ y1 + b2; y2 = sigmoid(z2); E = sum((t - y2)^2)/2"


def numeric_gradient(program: str, values: dict[str, object], name: str, h: float = 1e-6) -> np.ndarray:
    """Central differences on every entry of one input, through the public API's forward value."""
    base = np.array(run(program, values).inputs[name], dtype=float)
    grad = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        sides = []
        for sign in (1, -1):
            moved = base.copy()
            moved[index] += sign * h
            sides.append(run(program, {**values, name: moved if moved.ndim else float(moved)}).value)
        grad[index] = (sides[0] - sides[1]) / (2 * h)
    return grad


# -- published and independent numbers ---------------------------------------------------------


def test_mazur_from_a_values_file_matches_the_published_numbers() -> None:
    r = bprop("eval", "-f", "examples/mazur.bp", "--values", "examples/mazur.json", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["value"] == pytest.approx(0.298371109, abs=5e-10)
    np.testing.assert_allclose(data["gradients"]["W2"], [[0.082167041, 0.082667628], [-0.022602540, -0.022740242]],
                               atol=5e-10, rtol=0)
    assert data["gradients"]["W1"][0][0] == pytest.approx(0.000438568, abs=5e-10)


def test_mazur_matrix_form_equals_the_scalar_form() -> None:
    """Mazur's network typed gate by gate in numbers (today's scalar engine) gives the same gradients."""
    scalar = """
        h1 = sigmoid(w1*i1 + w2*i2 + b1); h2 = sigmoid(w3*i1 + w4*i2 + b1)
        o1 = sigmoid(w5*h1 + w6*h2 + b2); o2 = sigmoid(w7*h1 + w8*h2 + b2)
        E = (t1 - o1)^2/2 + (t2 - o2)^2/2"""
    at = dict(w1=.15, w2=.2, w3=.25, w4=.3, w5=.4, w6=.45, w7=.5, w8=.55, b1=.35, b2=.6, i1=.05, i2=.1, t1=.01, t2=.99)
    s = run(scalar, at)
    a = run(MAZUR_PROGRAM, MAZUR)
    assert a.value == pytest.approx(s.value, rel=1e-14)
    g = s.gradients
    np.testing.assert_allclose(a.gradients["W1"], [[g["w1"], g["w2"]], [g["w3"], g["w4"]]], rtol=1e-12)
    np.testing.assert_allclose(a.gradients["W2"], [[g["w5"], g["w6"]], [g["w7"], g["w8"]]], rtol=1e-12)
    assert a.gradients["b1"].sum() == pytest.approx(g["b1"], rel=1e-12)  # one shared bias in the post
    np.testing.assert_allclose(a.gradients["x"], [g["i1"], g["i2"]], rtol=1e-12)


def test_cs231n_two_layer_net_against_the_scalar_engine_and_central_differences() -> None:
    rng = np.random.default_rng(3)
    W1, x, W2 = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(1, 3))
    program = "h = relu(W1 @ x); f = sum(W2 @ h)"
    a = run(program, {"W1": W1, "x": x, "W2": W2})
    lines = [f"h{i} = relu({' + '.join(f'W1_{i}{j}*x{j}' for j in range(2))})" for i in range(3)]
    lines.append("f = " + " + ".join(f"W2_0{i}*h{i}" for i in range(3)))
    at = {f"W1_{i}{j}": W1[i, j] for i in range(3) for j in range(2)}
    at |= {f"x{j}": x[j] for j in range(2)} | {f"W2_0{i}": W2[0, i] for i in range(3)}
    s = run("\n".join(lines), at)
    assert a.value == pytest.approx(s.value, rel=1e-14)
    np.testing.assert_allclose(a.gradients["W1"], [[s.gradients[f"W1_{i}{j}"] for j in range(2)] for i in range(3)])
    np.testing.assert_allclose(a.gradients["W2"], [[s.gradients[f"W2_0{i}"] for i in range(3)]])
    for name, value in {"W1": W1, "x": x, "W2": W2}.items():
        np.testing.assert_allclose(a.gradients[name], numeric_gradient(program, {"W1": W1, "x": x, "W2": W2}, name),
                                   rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("reduce, scale", [("sum", 1.0), ("mean", None)])
def test_a_mini_batch_gradient_is_the_sum_or_mean_of_single_example_gradients(reduce: str, scale: float | None) -> None:
    rng = np.random.default_rng(7)
    X, w, b, y = rng.normal(size=(5, 3)), rng.normal(size=3), 0.3, rng.integers(0, 2, size=5).astype(float)
    batch = run(f"{reduce}((sigmoid(X @ w + b) - y)^2)", {"X": X, "w": w, "b": b, "y": y})
    singles = [run("(sigmoid(x @ w + b) - t)^2", {"x": X[k], "w": w, "b": b, "t": y[k]}) for k in range(5)]
    total_w = sum(s.gradients["w"] for s in singles)
    total_b = sum(s.gradients["b"] for s in singles)
    factor = scale if scale is not None else 1 / 5
    np.testing.assert_allclose(batch.gradients["w"], factor * total_w, rtol=1e-12)
    assert batch.gradients["b"] == pytest.approx(factor * total_b, rel=1e-12)
    mse = run("mse(sigmoid(X @ w + b), y)", {"X": X, "w": w, "b": b, "y": y})
    if reduce == "mean":
        np.testing.assert_allclose(mse.gradients["w"], batch.gradients["w"], rtol=1e-12)


def test_softmax_cross_entropy_against_the_closed_form() -> None:
    """d(-sum(t * log(softmax(v))))/dv = softmax(v) - t for a one-hot t."""
    v, t = np.array([1.0, -0.5, 2.0]), np.array([0.0, 1.0, 0.0])
    trace = run("-sum(t * log(softmax(v)))", {"v": v, "t": t})
    p = np.exp(v) / np.exp(v).sum()
    assert trace.value == pytest.approx(-np.log(p[1]))
    np.testing.assert_allclose(trace.gradients["v"], p - t, rtol=1e-12, atol=1e-15)


def test_row_softmax_and_transpose_against_central_differences() -> None:
    rng = np.random.default_rng(11)
    values = {"A": rng.normal(size=(2, 3)), "B": rng.normal(size=(2, 3)), "c": rng.normal(size=3)}
    program = "S = softmax(A @ B.T); mean(S * (transpose(B @ c.T) + 1)) + max(A, B, 0.1).sum()"
    trace = run(program, values)
    for name in values:
        np.testing.assert_allclose(trace.gradients[name], numeric_gradient(program, values, name), rtol=1e-6, atol=1e-8)


# -- random programs -------------------------------------------------------------------------

UNARY = ["exp", "tanh", "sigmoid", "sin", "softplus", "silu", "-"]
BINARY = ["+", "-", "*"]


@st.composite
def programs(draw):  # type: ignore[no-untyped-def]
    """A random program over a matrix A (m x n), vectors u (n), v (m) and a number s."""
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pool = [("A", (m, n)), ("u", (n,)), ("v", (m,)), ("s", ())]
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["unary", "binary", "matmul"]))
        text, shape = draw(st.sampled_from(pool))
        if kind == "unary":
            f = draw(st.sampled_from(UNARY))
            pool.append((f"-({text})" if f == "-" else f"{f}({text})", shape))
        elif kind == "binary":
            same = [(t, s) for t, s in pool if s == shape or s == () or shape == ()]
            other, other_shape = draw(st.sampled_from(same))
            op = draw(st.sampled_from(BINARY))
            pool.append((f"({text} {op} {other})", shape or other_shape))
        else:
            fits = [(t, s) for t, s in pool if len(s) >= 1 and len(shape) >= 1 and shape[-1] == s[0]
                    and len(shape) + len(s) <= 3]
            if fits:
                other, other_shape = draw(st.sampled_from(fits))
                pool.append((f"({text} @ {other})", shape[:-1] + other_shape[1:]))
    body = pool[-1][0]
    reduce = draw(st.sampled_from(["sum", "mean"]))
    values = {"A": draw(arrays((m, n))), "u": draw(arrays((n,))), "v": draw(arrays((m,))),
              "s": draw(st.floats(-1.5, 1.5))}
    return f"{reduce}({body}) + 0*(sum(A) + sum(u) + sum(v) + s)", values


def arrays(shape):  # type: ignore[no-untyped-def]
    size = int(np.prod(shape))
    return st.lists(st.floats(-1.5, 1.5), min_size=size, max_size=size).map(lambda xs: np.array(xs).reshape(shape))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_array_programs_against_central_differences(case) -> None:  # type: ignore[no-untyped-def]
    program, values = case
    trace = run(program, values)
    for name in values:
        np.testing.assert_allclose(np.asarray(trace.gradients[name]), numeric_gradient(program, values, name),
                                   rtol=1e-5, atol=1e-6, err_msg=f"{program} d/d{name}")


# -- the command line ------------------------------------------------------------------------


def test_issue_example_runs_and_json_has_shapes_and_rules() -> None:
    r = bprop("eval", "h = relu(W1 @ x); f = sum(W2 @ h)", "W1=[[0.5,-1],[1.5,0.2]]", "x=[1,2]", "W2=[[2,-1]]", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    shapes = {n["id"]: n["shape"] for n in data["nodes"]}
    assert shapes == {"W1": [2, 2], "x": [2], "v1": [2], "h": [2], "W2": [1, 2], "v2": [1], "f": []}
    rules = {(s["node"], s["input"]): s["rule"] for s in data["backward"]}
    assert rules[("v1", "W1")] == "upstream @ transpose(x)" and rules[("v1", "x")] == "transpose(W1) @ upstream"
    assert all("local" not in s for s in data["backward"])
    # A node's grad is the elementwise sum of the products flowing into it.
    incoming: dict[str, np.ndarray] = {}
    for s in data["backward"]:
        incoming[s["input"]] = incoming.get(s["input"], 0) + np.array(s["product"])
    for node in data["nodes"]:
        if node["id"] != data["output"]:
            np.testing.assert_allclose(node["grad"], incoming[node["id"]], rtol=1e-15)


def test_table_shows_shapes_and_matrices_within_80_columns() -> None:
    r = bprop("eval", "--example", "mazur")
    assert r.returncode == 0, r.stderr
    row = next(i for i, line in enumerate(r.stdout.splitlines()) if line.startswith("v2 = W2 @ y1"))
    lines = r.stdout.splitlines()
    rule, product = lines[row][19:].strip(), lines[row + 1][19:].strip()  # the product under its rule at 80
    assert rule == "dE/dW2 = dE/dv2 @ transpose(y1)"
    assert product == "= [[ 0.082167    0.0826676]"  # entries aligned on the decimal point
    assert max(map(len, r.stdout.splitlines())) <= 80


def test_broadcast_bias_gradient_sums_rows_and_says_so() -> None:
    r = bprop("eval", "sum(X @ w + b)", "X=[[1,2],[3,4],[5,6]]", "w=[1,1]", "b=[0.5]", "--json")
    data = json.loads(r.stdout)
    assert data["gradients"]["b"] == [3.0]
    notes = [s.get("note") for s in data["backward"] if s["input"] == "b"]
    assert notes == ["b was broadcast over 3 entries: its gradient sums them"]
    r = bprop("eval", "sum(X + b)", "X=[[1,2],[3,4],[5,6]]", "b=[1,2]", "--json")
    steps = [s for s in json.loads(r.stdout)["backward"] if s["input"] == "b"]
    assert steps[0]["note"] == "b was broadcast over 3 rows: its gradient sums them" and steps[0]["product"] == [3, 3]


@pytest.mark.parametrize("program, values, words", [
    ("W @ x", ["W=[[1,2],[3,4]]", "x=[1,2,3]"], ["W is a 2x2 matrix", "x a vector of 3", "2 columns against 3 rows"]),
    ("W + x", ["W=[[1,2],[3,4]]", "x=[1,2,3]"], ["W is a 2x2 matrix", "x a vector of 3", "do not broadcast", "(3,)"]),
    ("mse(x, y)", ["x=[1,2]", "y=[1,2,3]"], ["x is a vector of 2 entries and y a vector of 3", "do not broadcast"]),
    ("x @ y", ["x=2", "y=3"], ["both sides must be vectors or matrices"]),
    ("W @ x", ["W=[[1,2],[3,4]]", "x=[1,2]"], ["backpropagation starts from one number", "sum(...)", "'[1,0]'"]),
    ("W @ x", ["W=[[1,2],[3,4]]", "x=[1,2]", "--seed-grad", "[1,0,0]"],
     ["--seed-grad is a vector of 3 entries but the output f is a vector of 2 entries", "'[1,0]'"]),
    ("W @ x", ["W=[[1,2],[3,4]]", "x=[1,2]", "--seed-grad", "[[1,0],[0,1]]"], ["--seed-grad is a 2x2 matrix"]),
    ("W @ x", ["W=[[1,2],[3,4]]", "x=[1,2]", "--seed-grad", "[1,nan]"], ["--seed-grad"]),
    ("x * 2", ["x=1", "--seed-grad", "[1,0]"], ["the output f is a number, so --seed-grad must be a number"]),
    ("sum(W @ x)", [], ["multiplies matrices", "W=[[1,2],[3,4]]"]),
    ("sum(W @ x)", ["x=[1,2]"], ["no value given for W", "W=[[1,2],[3,4]]"]),
])
def test_shape_mistakes_are_usage_errors_with_both_shapes(program: str, values: list[str], words: list[str]) -> None:
    r = bprop("eval", program, *values)
    assert r.returncode == 2 and r.stdout == ""
    assert all(w in r.stderr for w in words), r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("program, values, first_line", [
    ("sum(a.T @ b)", ["a=[[1,2,3],[4,5,6]]", "b=[1,2,3]"],
     "shape error: a.T @ b: a.T is a 3x2 matrix and b a vector of 3 entries: @ needs the columns of the left side "
     "to match the rows of the right: 2 columns against 3 rows"),
    ("h = W @ x; h = relu(h); f = sum(V @ h)", ["W=[[1,2],[3,4]]", "x=[1,2]", "V=[[1,2,3]]"],
     "shape error: V @ h: V is a 1x3 matrix and h a vector of 2 entries: @ needs the columns of the left side "
     "to match the rows of the right: 3 columns against 2 rows"),
    ("mse(W @ x, y)", ["W=[[1,2],[3,4]]", "x=[1,2]", "y=[1,2,3]"],
     "shape error: mse(W @ x, y): W @ x is a vector of 2 entries and y a vector of 3 entries: these shapes do not "
     "broadcast"),
])
def test_a_shape_error_names_the_operands_as_written(program: str, values: list[str], first_line: str) -> None:
    r = bprop("eval", program, *values)
    assert r.returncode == 2 and r.stderr.splitlines()[0] == first_line  # not v1, not h@2


def test_a_shape_error_points_at_the_operation() -> None:
    r = bprop("eval", "h = W @ x; sum(h)", "W=[[1,2],[3,4]]", "x=[1,2,3]")
    lines = r.stderr.splitlines()
    assert lines[1] == "  h = W @ x; sum(h)" and lines[2] == "      ^^^^^"


def test_matrix_times_vector_runs_but_notes_that_at_is_the_product() -> None:
    r = bprop("eval", "sum(W * x)", "W=[[1,2],[3,4]]", "x=[1,2]", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["value"] == 1 + 4 + 3 + 8
    assert "@ is the matrix product" in r.stderr


X = np.array([[1.0, 8.0], [4.0, 2.0]])
V = np.array([3.0, -2.0])


def _values_of(program: str) -> list[str]:
    given = {"X": "[[1,8],[4,2]]", "V": "[3,-2]", "B": "[[1,2,3],[4,5,6]]"}
    return [f"{name}={value}" for name, value in given.items() if name in program]


@pytest.mark.parametrize("program, value, words", [
    # NumPy's np.max(X, 1) is the largest entry of each row (8 and 4); bprop's is entry by entry
    ("sum(max(X, 1))", np.maximum(X, 1).sum(), "(NumPy's np.max(X, 1)) write max(X, axis=1)"),
    ("sum(max(X, 0))", np.maximum(X, 0).sum(), "(NumPy's np.max(X, 0)) write max(X, axis=0)"),
    ("sum(min(X, -1))", np.minimum(X, -1).sum(), "(NumPy's np.min(X, -1)) write min(X, axis=-1)"),
    ("sum(max(V, -1))", np.maximum(V, -1).sum(), "(NumPy's np.max(V, -1)) write max(V, axis=-1)"),
    ("sum(X^-1)", (1 / X).sum(), "X^-1 is 1/x for each entry x of X, entry by entry; it is not the inverse matrix"),
    ("sum(X^(-1))", (1 / X).sum(), "it is not the inverse matrix"),
    ("sum(X^2)", (X * X).sum(), "X^2 takes each entry of X to the power 2, entry by entry; the matrix power is X @ X"),
    ("sum(X^3)", (X ** 3).sum(), "the matrix power is X @ X @ X"),
])
def test_a_reading_numpy_or_a_textbook_gives_otherwise_gets_a_note(program: str, value: float, words: str) -> None:
    r = bprop("eval", program, *_values_of(program), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["value"] == pytest.approx(value, rel=1e-15)
    assert r.stderr.count("note:") == 1 and words in r.stderr, r.stderr


def test_the_reading_the_note_suggests_is_numpys() -> None:
    r = bprop("eval", "max(X, axis=1)", "X=[[1,8],[4,2]]", "--seed-grad", "[1,1]", "--json")
    assert json.loads(r.stdout)["value"] == np.max(X, 1).tolist() == [8, 4]


@pytest.mark.parametrize("program", [
    "sum(max(0, X))",  # the relu idiom
    "sum(max(V, 0))",  # a vector has one axis: this is relu, not an axis max
    "sum(max(V, 1))",  # a vector has no axis 1
    "sum(max(X, 2))",  # no such axis
    "sum(max(X, 0.5))",
    "sum(X^0.5)",
    "sum(V^-1)",  # no inverse of a vector
    "sum(B^-1)",  # nor of a matrix that is not square
    "sum(X^1)",
    "max(3, 1)",
])
def test_readings_that_are_not_in_doubt_get_no_note(program: str) -> None:
    r = bprop("eval", program, *_values_of(program), "--format", "plain")
    assert r.returncode == 0 and r.stderr == "", r.stderr


@pytest.mark.parametrize("value, words", [
    ("[[1,2],[3]]", "different lengths"),
    ("[[[1]]]", "more than two levels"),
    ("[1,,2]", "empty entry"),
    ("[]", "empty list"),
    ("[1,2", "unclosed"),
    ("[1,2]]", "after its closing"),
    ("[1e400]", "too large"),
    ("[1,x]", "must be a number or a constant expression"),
])
def test_bad_array_values_are_clear_usage_errors(value: str, words: str) -> None:
    r = bprop("eval", "sum(x*v)", f"v={value}", "x=1")
    assert r.returncode == 2 and words in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2


def test_nan_inside_a_values_file_names_the_entry(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "v.json").write_text('{"v": [[1, 2], [3, "nan"]]}')
    r = bprop("eval", "sum(v)", "--values", str(tmp_path / "v.json"))
    assert r.returncode == 2 and "v[1][1]" in r.stderr, r.stderr


def test_constant_expressions_inside_array_literals() -> None:
    trace = run("sum(w)", {"w": "[pi/4, -1/2, 2^3]"})
    assert trace.value == pytest.approx(np.pi / 4 - 0.5 + 8)


def test_domain_error_inside_an_array_names_the_entry() -> None:
    with pytest.raises(BpropError) as err:
        run("sum(log(x))", {"x": "[1, 2, -3]"})
    assert err.value.status == 1 and "[2]" in err.value.message and "log needs a positive input" in err.value.message


def test_array_check_passes_and_lists_every_entry() -> None:
    r = bprop("eval", "--example", "mazur", "--check", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    entries = data["check"]["gradients"]
    assert "W1[1][0]" in entries and entries["W1[1][0]"]["status"] == "ok"
    assert len(entries) == 4 + 2 + 2 + 4 + 2 + 2


def test_symbolic_is_refused_for_arrays_with_a_hint() -> None:
    r = bprop("eval", "--example", "mazur", "--symbolic")
    assert r.returncode == 2 and "--scalarize" in r.stderr


def test_scalar_programs_do_not_import_numpy() -> None:
    code = ("import sys; sys.argv = ['bprop', 'eval', '(x+y)*z', 'x=-2', 'y=5', 'z=-4', '--json'];"
            "from bprop_cli.cli.entry import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('numpy' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.stderr.strip().splitlines()[-1] == "False"
    assert json.loads(r.stdout)["value"] == -12


# -- --scalarize -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_scalarized_programs_agree_with_the_array_engine(case) -> None:  # type: ignore[no-untyped-def]
    program, values = case
    arrays, scalars = run(program, values), run(program, values, scalarize=True)
    assert scalars.value == pytest.approx(arrays.value, rel=1e-12, abs=1e-12)
    for name, grad in arrays.gradients.items():
        for index in np.ndindex(np.shape(grad)):
            entry = name + "".join(f"[{k}]" for k in index)
            assert scalars.gradients[entry] == pytest.approx(np.asarray(grad)[index], rel=1e-9, abs=1e-12), entry


@pytest.mark.parametrize("program", ["mean(softmax(A) * B)", "mse(A @ u, v)", "sum(transpose(A) @ v) / 2"])
def test_scalarized_softmax_mse_transpose_agree(program: str) -> None:
    rng = np.random.default_rng(5)
    values = {"A": rng.normal(size=(2, 3)), "B": rng.normal(size=(2, 3)), "u": rng.normal(size=3), "v": rng.normal(size=2)}
    import re

    used = {k: v for k, v in values.items() if re.search(rf"\b{k}\b", program)}
    arrays, scalars = run(program, used), run(program, used, scalarize=True)
    assert scalars.value == pytest.approx(arrays.value, rel=1e-12)
    for name, grad in arrays.gradients.items():
        for index in np.ndindex(grad.shape):
            entry = name + "".join(f"[{k}]" for k in index)
            assert scalars.gradients[entry] == pytest.approx(grad[index], rel=1e-9, abs=1e-14)


def test_scalarize_on_the_command_line_shows_every_product() -> None:
    r = bprop("eval", "--example", "mazur", "--scalarize", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["gradients"]["W1[0][0]"] == pytest.approx(0.000438568, abs=5e-10)
    products = {(s["node"], s["input"]) for s in data["backward"]}
    assert ("v1", "W1[0][0]") in products and ("v1", "x[0]") in products  # W1[0][0] * x[0]
    from conftest import assert_json_invariants

    assert_json_invariants(data)


# -- --seed-grad with an array (SPEC §9: a non-scalar output starts from an array of its shape) --


SEEDED = [  # a program over arrays with a non-scalar output, its values, the output's shape
    ("W @ x", {"W": [[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]], "x": [0.5, -1.5, 2.0]}, (2,)),
    ("sigmoid(W @ x + b)", {"W": [[0.15, 0.2], [0.25, 0.3]], "x": [0.05, 0.1], "b": [0.35, 0.35]}, (2,)),
    ("relu(X @ W) * 2", {"X": [[1.0, -2.0], [0.5, 3.0], [-1.0, 1.0]], "W": [[0.5, -1.0], [1.5, 0.2]]}, (3, 2)),
]


@pytest.mark.parametrize("program, values, shape", SEEDED)
@pytest.mark.parametrize("command", ["eval", "explain", "graph"])
def test_array_seed_grad_on_the_command_line(program: str, values: dict, shape: tuple, command: str) -> None:
    """The gradient from an array seed S equals the gradient of sum(S * output), a scalar
    program with no seed, and central differences of it; every program-taking command takes it."""
    seed = np.round(np.linspace(-1.5, 2.0, int(np.prod(shape))).reshape(shape), 3)
    args = [f"{k}={json.dumps(v)}" for k, v in values.items()]
    scalar, with_s = f"sum(S * ({program}))", {**values, "S": seed}
    r = bprop(command, program, *args, "--seed-grad", json.dumps(seed.tolist()), *(["--json"] if command == "eval" else []))
    assert r.returncode == 0, r.stderr
    if command == "eval":
        got = json.loads(r.stdout)["gradients"]
        for name in values:
            np.testing.assert_allclose(got[name], numeric_gradient(scalar, with_s, name), rtol=1e-6, atol=1e-8)
            np.testing.assert_allclose(got[name], run(scalar, with_s).gradients[name], rtol=1e-12, atol=1e-12)
    else:
        ones = bprop(command, program, *args, "--seed-grad", json.dumps(np.ones(shape).tolist()))
        assert ones.returncode == 0 and ones.stdout != r.stdout  # the seed reached the view
