"""The array engine's shortcuts (made for bench/arrays.py) change no answer and no message:
plain numeric arrays and lists are read in one NumPy call, the passes check each result once,
and a gradient that arrives only through add/sub is not copied."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bprop_cli import BpropError
from bprop_cli.engine.arrays import _checked, _plain_numbers, array_value
from bprop_cli.engine.run import run

LEAVES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**400, 10**400), st.booleans(),
    st.sampled_from(["1.5", "pi/4", "nan", "x", None, []]),
)
ROWS = st.lists(LEAVES, min_size=0, max_size=4)
NESTED = st.one_of(ROWS, st.lists(ROWS, min_size=0, max_size=3), st.lists(st.lists(ROWS, max_size=2), max_size=2))


def entry_by_entry(value: object, name: str) -> np.ndarray:
    """The reading the shortcut stands in for: every entry checked in Python, then the limits."""
    array = _checked(value, name)
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        where = "".join(f"[{i}]" for i in bad[0])
        raise BpropError(f"{name}{where} is {array[tuple(bad[0])]}; values must be finite numbers")
    return array


def outcome(read, value: object):  # type: ignore[no-untyped-def]
    try:
        array = read(value, "v")
    except BpropError as err:
        return "error", err.message
    return "array", array.shape, array.tolist()


@settings(max_examples=400, deadline=None)
@given(NESTED)
def test_reading_a_list_gives_the_same_array_or_the_same_message(nested: object) -> None:
    assert outcome(array_value, nested) == outcome(entry_by_entry, nested)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["float64", "float32", "int64", "int8", "uint16", "bool"]),
       st.sampled_from([(), (3,), (2, 3), (0,), (2, 0), (1, 2, 2)]), st.integers(0, 2**32 - 1))
def test_reading_a_numpy_array_gives_the_same_array_or_the_same_message(dtype: str, shape: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    array = (rng.standard_normal(shape) * 50).astype(dtype)
    if dtype.startswith("float") and array.size and seed % 3 == 0:
        array.flat[seed % array.size] = [np.inf, -np.inf, np.nan][seed % 3]
    assert outcome(array_value, array) == outcome(entry_by_entry, array)


def test_the_shortcut_takes_plain_numbers_and_leaves_the_rest() -> None:
    assert _plain_numbers([[1, 2.5], [3, 4]]) is not None
    assert _plain_numbers(np.arange(6).reshape(2, 3)) is not None
    for value in ([True, 1], [[1, 2], [3]], [], [[]], ["1"], [10**400], [[1, [2]]], np.array([True]), np.ones((2, 2, 2))):
        assert _plain_numbers(value) is None, value


def test_a_values_array_is_copied_not_shared() -> None:
    x = np.array([1.0, 2.0])
    trace = run("sum(x * x)", {"x": x})
    x[0] = 100.0
    assert trace.inputs["x"].tolist() == [1.0, 2.0]
    assert trace.gradients["x"].tolist() == [2.0, 4.0]


@pytest.mark.parametrize("program, values, words", [
    ("sum(sqrt(x))", {"x": "[0, 1]"}, "the local derivative with respect to x is infinite"),
    ("sum(log(x) * w)", {"x": "[1e-300, 1]", "w": "[1e300, 1]"}, "overflow in the chain-rule product"),
    ("sum(x * w + x * w)", {"x": "[1e-10, 1]", "w": "[1e308, 1]"}, "overflow in the sum of the gradients of x"),
])
def test_backward_overflow_still_says_where_and_why(program: str, values: dict, words: str) -> None:
    with pytest.raises(BpropError) as err:
        run(program, values)
    assert err.value.status == 1 and words in err.value.message, err.value.message
    scalar = {k: v.strip("[]").split(",")[0] for k, v in values.items()}  # the first entries, as numbers
    with pytest.raises(BpropError) as same:
        run(program.replace("sum(", "(", 1), scalar)
    assert words.split(" x")[0].split(" of")[0] in same.value.message  # the scalar engine says the same


def test_add_passes_its_gradient_on_without_a_copy_and_nothing_is_overwritten() -> None:
    values = {"a": np.array([[1.0, -2.0], [3.0, 0.5]]), "b": np.array([0.5, -1.0])}
    trace = run("c = a + b; d = c + a; e = sum(d * d)", values)
    a, b = values["a"], values["b"]
    d = 2 * a + b
    assert np.allclose(trace.gradients["a"], 4 * d) and np.allclose(trace.gradients["b"], (2 * d).sum(axis=0))
    grads = {n.id: n.grad for n in trace.nodes}
    assert np.allclose(grads["d"], 2 * d) and np.allclose(grads["c"], 2 * d)
    assert not math.isclose(float(np.sum(trace.gradients["a"])), float(np.sum(grads["c"])))
