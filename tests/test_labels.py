"""Scores against labels: pick(Z, y), log_softmax(Z) and cross_entropy(Z, y).

The references are written here from the definitions (NumPy's Z[range(n), y], the log of a
row's softmax, the mean negative log-probability of the right class), not from bprop's rules;
the gradients are also checked against central differences and --scalarize.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import bprop
from hypothesis import given, settings
from hypothesis import strategies as st

from bprop_cli.engine.run import run


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@st.composite
def batches(draw):  # type: ignore[no-untyped-def]
    n, k = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    z = np.array(draw(st.lists(st.floats(-30, 30, allow_subnormal=False), min_size=n * k, max_size=n * k))).reshape(n, k)
    y = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), dtype=float)
    return z, y


@settings(max_examples=80, deadline=None)
@given(batches())
def test_cross_entropy_against_the_definition(batch) -> None:  # type: ignore[no-untyped-def]
    z, y = batch
    n = len(y)
    rows = np.arange(n), y.astype(int)
    want = -np.mean(np.log(softmax(z))[rows])
    onehot = np.eye(z.shape[1])[y.astype(int)]
    for labels in (y, onehot):  # whole numbers, or one-hot rows: the same loss and gradient
        trace = run("cross_entropy(Z, y)", {"Z": z, "y": labels})
        assert trace.value == pytest.approx(want, rel=1e-12, abs=1e-14)
        assert np.allclose(trace.gradients["Z"], (softmax(z) - onehot) / n, rtol=1e-12, atol=1e-15)
    picked = run("sum(pick(Z, y) * w)", {"Z": z, "y": y, "w": np.arange(1.0, n + 1)})
    assert picked.value == pytest.approx(float(np.sum(z[rows] * np.arange(1.0, n + 1))), rel=1e-13, abs=1e-13)
    scatter = np.zeros_like(z)
    scatter[rows] = np.arange(1.0, n + 1)
    assert np.array_equal(picked.gradients["Z"], scatter)
    logp = run("sum(log_softmax(Z) * W)", {"Z": z, "W": onehot})
    assert np.allclose(logp.gradients["Z"], onehot - softmax(z) * onehot.sum(axis=1, keepdims=True), rtol=1e-12,
                       atol=1e-15)


def test_a_repeated_label_picks_its_column_for_each_row_and_a_vector_takes_one_label() -> None:
    z = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    trace = run("sum(pick(Z, y))", {"Z": z, "y": np.array([1.0, 1.0, 0.0])})
    assert trace.value == 2 + 4 + 5
    assert trace.gradients["Z"].tolist() == [[0, 1], [0, 1], [1, 0]]
    one = run("cross_entropy(v, c)", {"v": np.array([2.0, 1.0, 0.0]), "c": 2.0})
    assert one.value == pytest.approx(-np.log(softmax(np.array([2.0, 1.0, 0.0]))[2]), rel=1e-14)


def test_central_differences_and_scalarize_agree_with_the_gate() -> None:
    rng = np.random.default_rng(5)
    z, w, y = rng.normal(size=(3, 4)), rng.normal(size=4), np.array([3.0, 0.0, 3.0])
    Y = np.eye(4)[[1, 2, 2]]
    source = "cross_entropy(Z * w, y) + 2 * cross_entropy(tanh(Z), Y) + sum(pick(log_softmax(Z), y))"
    trace = run(source, {"Z": z, "w": w, "y": y, "Y": Y})
    h = 1e-6
    for name, x in (("Z", z), ("w", w)):
        for index in np.ndindex(x.shape):
            plus, minus = x.copy(), x.copy()
            plus[index] += h
            minus[index] -= h
            numeric = (run(source, {"Z": z, "w": w, "y": y, "Y": Y, name: plus}).value
                       - run(source, {"Z": z, "w": w, "y": y, "Y": Y, name: minus}).value) / (2 * h)
            assert trace.gradients[name][index] == pytest.approx(numeric, rel=1e-6, abs=1e-8), (name, index)
    scalar = run(source, {"Z": z, "w": w, "y": y, "Y": Y}, scalarize=True)
    assert scalar.value == pytest.approx(trace.value, rel=1e-12)
    for index in np.ndindex(z.shape):
        entry = "Z" + "".join(f"[{k}]" for k in index)
        assert scalar.gradients[entry] == pytest.approx(trace.gradients["Z"][index], rel=1e-9, abs=1e-12)
    expanded = run(source, {"Z": z, "w": w, "y": y, "Y": Y}, expand=True)
    assert np.allclose(expanded.gradients["Z"], trace.gradients["Z"], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("labels, words", [
    ("y=[0,3]", "a label must be a whole number from 0 to 2 (a column of the scores), not 3 at entry [1]"),
    ("y=[0,1.5]", "not 1.5 at entry [1]"),
    ("y=[-1,0]", "not -1 at entry [0]"),
    ("y=[0,1,2]", "cross_entropy needs a vector of 2 labels (one whole number per row of scores)"),
    ("y=[[1,0],[0,1]]", "or one-hot rows of the scores' shape"),
])
def test_bad_labels_are_one_clear_error(labels: str, words: str) -> None:
    r = bprop("eval", "cross_entropy(Z, y)", "Z=[[2,1,0],[0,1,3]]", labels)
    assert r.returncode in (1, 2) and words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    s = bprop("eval", "cross_entropy(Z, y)", "Z=[[2,1,0],[0,1,3]]", labels, "--scalarize")
    assert s.returncode in (1, 2) and "Traceback" not in s.stderr and "internal error" not in s.stderr, s.stderr


def test_the_tutor_narrates_the_collapse() -> None:
    args = ("cross_entropy(Z, y)", "Z=[[2,1,0],[0,1,3]]", "y=[0,2]")
    data = json.loads(bprop("eval", *args, "--json").stdout)
    assert "(softmax(Z) - one_hot(y))/n" in data["backward"][0]["rule"]
    assert data["gradients"]["y"] == [0.0, 0.0]  # labels get no gradient
    lesson = " ".join(bprop("explain", "cross_entropy").stdout.split())
    assert "collapse to one gradient, dL/dZ = (softmax(Z) - Y)/n" in lesson
    expanded = bprop("explain", *args, "--expand").stdout
    assert "pick(v1, y)" in expanded and "log_softmax(Z)" in expanded
