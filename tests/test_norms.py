"""batchnorm(X, gamma, beta) and layernorm(X, gamma, beta): fused gates against their definitions,
central differences, their --expand into primitive gates, and --scalarize of that expansion."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bprop

from bprop_cli.engine.run import run

EPS = 1e-5  # PyTorch's default, for BatchNorm1d in training and for LayerNorm


def normalised(x: np.ndarray, axis: int) -> np.ndarray:
    """From the definition: the mean and the biased variance along the axis."""
    mu = x.mean(axis=axis, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axis, keepdims=True)
    return (x - mu) / np.sqrt(var + EPS)


def numeric(source: str, values: dict, name: str, h: float = 1e-6) -> np.ndarray:  # type: ignore[type-arg]
    x = np.asarray(values[name], dtype=float)
    out = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        out[index] = (run(source, {**values, name: plus}).value - run(source, {**values, name: minus}).value) / (2 * h)
    return out


@pytest.mark.parametrize("kind, axis, shape", [("batchnorm", 0, (5, 3)), ("batchnorm", 0, (2, 4)),
                                               ("layernorm", -1, (3, 4)), ("layernorm", -1, (6,))])
@pytest.mark.parametrize("seed", range(3))
def test_a_normalisation_against_its_definition_and_central_differences(kind: str, axis: int, shape, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=shape) * 2 + 1, rng.normal(size=shape)
    g, b = rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
    values = {"X": x, "g": g, "b": b, "W": w}
    source = f"sum(tanh({kind}(X, g, b)) * W)"
    trace = run(source, values)
    y = g * normalised(x, axis) + b
    assert trace.value == pytest.approx(float(np.sum(np.tanh(y) * w)), rel=1e-12)
    for name in ("X", "g", "b"):
        assert np.allclose(trace.gradients[name], numeric(source, values, name), rtol=1e-6, atol=1e-8), name
    expanded = run(source, values, expand=True)
    assert kind not in {n.op for n in expanded.nodes}
    for name in ("X", "g", "b"):
        assert np.allclose(expanded.gradients[name], trace.gradients[name], rtol=1e-9, atol=1e-12), name


def test_each_column_of_a_batch_comes_out_with_mean_0_and_variance_1() -> None:
    x = np.array([[1.0, 200.0], [3.0, 100.0], [8.0, 0.0], [0.0, -50.0]])
    out = run("batchnorm(X, 1, 0)", {"X": x}, seed=np.ones(x.shape)).value
    assert np.allclose(out.mean(axis=0), 0, atol=1e-15)
    assert np.allclose(out.var(axis=0), x.var(axis=0) / (x.var(axis=0) + EPS), rtol=1e-12)
    rows = run("layernorm(X, 1, 0)", {"X": x}, seed=np.ones(x.shape)).value
    assert np.allclose(rows.mean(axis=1), 0, atol=1e-14)


def test_the_gradient_of_x_sums_to_zero_over_each_normalised_line() -> None:
    """A shift of a whole column leaves batchnorm's output unchanged, so its gradient sums to 0."""
    rng = np.random.default_rng(9)
    trace = run("sum(batchnorm(X, g, b) * W)", {"X": rng.normal(size=(4, 3)), "g": rng.normal(size=3),
                                                 "b": rng.normal(size=3), "W": rng.normal(size=(4, 3))})
    assert np.allclose(trace.gradients["X"].sum(axis=0), 0, atol=1e-14)


@pytest.mark.parametrize("args, words", [
    (("sum(batchnorm(v, 1, 0))", "v=[1,2,3]"), "batchnorm needs a matrix: one row per example"),
    (("sum(batchnorm(X, g, 0))", "X=[[1,2],[3,4]]", "g=[1,2,3]"), "batchnorm's gamma must be a number or a vector of 2"),
    (("sum(layernorm(x, 1, 0))", "x=3"), "layernorm needs a vector or a matrix"),
    (("sum(layernorm(X, 1, b))", "X=[[1,2],[3,4]]", "b=[[1,2],[3,4],[5,6]]"), "layernorm's beta must be"),
    (("sum(batchnorm(X, 1, 0))", "X=[[1,2],[3,4]]", "--scalarize"), "add --expand"),
])
def test_a_normalisation_used_wrong_is_one_clear_error(args: tuple[str, ...], words: str) -> None:
    r = bprop("eval", *args)
    assert r.returncode == 2 and words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_scalarize_of_the_expansion_agrees_with_the_fused_gate() -> None:
    values = {"X": np.array([[1.0, 2.0], [3.0, 5.0], [0.0, 1.0]]), "g": np.array([1.0, 2.0]),
              "b": np.array([0.0, 1.0]), "W": np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])}
    source = "sum(batchnorm(X, g, b) * W)"
    fused = run(source, values)
    scalar = run(source, values, expand=True, scalarize=True)
    assert scalar.value == pytest.approx(fused.value, rel=1e-12)
    for index in np.ndindex(3, 2):
        assert scalar.gradients[f"X[{index[0]}][{index[1]}]"] == pytest.approx(fused.gradients["X"][index], rel=1e-9,
                                                                                 abs=1e-12)
    assert scalar.gradients["g[0]"] == pytest.approx(fused.gradients["g"][0], rel=1e-12)


def test_the_lesson_gives_the_collapsed_gradient() -> None:
    text = " ".join(bprop("explain", "batchnorm").stdout.split())
    assert "dX = (dxhat - mean(dxhat) - xhat*mean(dxhat*xhat))/s with dxhat = gamma*upstream" in text
    r = bprop("explain", "sum(batchnorm(X, g, b) * W)", "X=[[1,2],[3,5],[0,1]]", "g=[1,2]", "b=[0,1]",
              "W=[[1,0],[0,1],[2,-1]]", "--expand")
    assert r.returncode == 0 and "sqrt" in r.stdout and "note:" not in r.stderr
