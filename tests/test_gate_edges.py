"""Every gate against mpmath at 60 digits on a fixed grid of edge inputs: signed zeros,
subnormals, 1e-300 ... 1e300, near overflow, saturation, ties and kinks.

Where the true value (or local derivative) is a normal double, bprop's must agree to 1e-12
relative; where it is below the normal range, bprop may round it but must not fail; an error is
allowed, and required, only where the true value is not a finite double (overflow, an infinite
derivative, outside the domain). The reference implements PyTorch's conventions at kinks and
ties, which tests/test_gates.py checks on their own.
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import mpmath
import pytest

from bprop_cli.gates.registry import GATES

MAX = 1.7976931348623157e308
TINY = 2.2250738585072014e-308  # smallest normal double
REL = 1e-12
ERR = None  # the true value is not a real number, or is infinite: bprop must raise

_MAGNITUDES = [0.0, 5e-324, 1e-320, TINY, 1e-300, 1e-200, 1.4e-154, 1e-100, 1e-20, 1e-8, 0.25, 0.5,
               1.0, 2.0, 3.0, 17.0, 30.0, 40.0, 700.0, 709.7, 745.5, 1e20, 1e100, 1e154, 1e200, 1e300, MAX]
UNARY = sorted({s * m for m in _MAGNITUDES for s in (1.0, -1.0)} | {-0.0, math.pi / 2, -math.pi / 2, 1e-15 + 1})
_PAIR_MAGNITUDES = [0.0, 5e-324, 1e-320, 1e-300, 1e-200, 1e-160, 1e-154, 1e-20, 0.5, 1.0, 2.0, 3.0, 1e20, 1e154,
                    1e200, 1e300, MAX]
PAIRED = sorted({s * m for m in _PAIR_MAGNITUDES for s in (1.0, -1.0)} | {-0.0, 1.0 + 2.0 ** -52})
EXPONENTS = [0.0, 1.0, 2.0, 3.0, 0.5, 1.5, -1.0, -2.0, -0.5, 1e-300, 30.0, 1e16, 2.0 ** 53 + 2, 1e17, 1e300,
             -1e16, 1e-8, -1e-300]


def _m(x: float):  # type: ignore[no-untyped-def]
    return mpmath.mpf(x)  # exact: every double is an mpf


def _pow_ref(x, c, *, variable: bool):  # type: ignore[no-untyped-def]
    if x < 0 and (variable or c != int(c)):
        return ERR, ()
    if x == 0:
        if c < 0 or (variable and c == 0):
            return ERR, ()
        if c == 0:
            return _m(1), (_m(0), None)
        dx = c if c == 1 else (_m(0) if c > 1 else ERR)
        return _m(0), (dx, _m(0) if variable else None)
    value = x ** c
    dx = c * value / x  # not x ** (c - 1): at 60 digits 1e300 - 1 rounds back to an even 1e300
    return value, (dx, value * mpmath.log(x) if variable else None)


def _ties(xs, best):  # type: ignore[no-untyped-def]
    winners = [x == best for x in xs]
    return tuple(_m(1) / sum(winners) if w else _m(0) for w in winners)


def _sigmoid(x):  # type: ignore[no-untyped-def]
    return 1 / (1 + mpmath.exp(-x))


def _sigmoid_minus(z, y):  # type: ignore[no-untyped-def]
    """sigmoid(z) - y at 60 digits without cancellation (mpmath's exponent range has no overflow)."""
    if abs(z) < 1:
        return mpmath.tanh(z / 2) / 2 + (mpmath.mpf(1) / 2 - y)
    return (1 - y) - _sigmoid(-z) if z > 0 else _sigmoid(z) - y


# gate -> (inputs as mpf) -> (value, local derivatives); ERR where there is no finite real answer.
REFERENCE: dict[str, Callable[..., tuple]] = {
    "add": lambda a, b: (a + b, (_m(1), _m(1))),
    "sub": lambda a, b: (a - b, (_m(1), _m(-1))),
    "mul": lambda a, b: (a * b, (b, a)),
    "div": lambda a, b: (ERR, ()) if b == 0 else (a / b, (1 / b, -a / b ** 2)),
    "neg": lambda a: (-a, (_m(-1),)),
    "pow": lambda x, c: _pow_ref(x, c, variable=False),
    "pow_var": lambda x, y: _pow_ref(x, y, variable=True),
    "exp": lambda a: (mpmath.exp(a), (mpmath.exp(a),)),
    "log": lambda a: (ERR, ()) if a <= 0 else (mpmath.log(a), (1 / a,)),
    "sqrt": lambda a: (ERR, ()) if a < 0 else (mpmath.sqrt(a), (ERR if a == 0 else 1 / (2 * mpmath.sqrt(a)),)),
    "sin": lambda a: (mpmath.sin(a), (mpmath.cos(a),)),
    "cos": lambda a: (mpmath.cos(a), (-mpmath.sin(a),)),
    "tan": lambda a: (mpmath.tan(a), (mpmath.sec(a) ** 2,)),
    "tanh": lambda a: (mpmath.tanh(a), (mpmath.sech(a) ** 2,)),
    "sigmoid": lambda a: (_sigmoid(a), (mpmath.exp(-a) / (1 + mpmath.exp(-a)) ** 2,)),
    "softplus": lambda a: (mpmath.log1p(mpmath.exp(a)), (_sigmoid(a),)),
    "silu": lambda a: (a * _sigmoid(a), (_sigmoid(a) + a * mpmath.exp(-a) / (1 + mpmath.exp(-a)) ** 2,)),
    "relu": lambda a: (max(a, _m(0)), (_m(1) if a > 0 else _m(0),)),
    "abs": lambda a: (abs(a), (mpmath.sign(a),)),
    "max": lambda *xs: (max(xs), _ties(xs, max(xs))),
    "min": lambda *xs: (min(xs), _ties(xs, min(xs))),
    # The array gates' scalar rules (a number is a 1x1 matrix, its own transpose, sum and mean):
    "matmul": lambda a, b: (a * b, (b, a)),
    "transpose": lambda a: (a, (_m(1),)),
    "sum": lambda a: (a, (_m(1),)),
    "mean": lambda a: (a, (_m(1),)),
    "softmax": lambda a: (_m(1), (_m(0),)),
    "logsumexp": lambda a: (a, (_m(1),)),
    "log_softmax": lambda a: (_m(0), (_m(0),)),
    "batchnorm": lambda x, g, b: (b, (_m(0), _m(0), _m(1))),
    "layernorm": lambda x, g, b: (b, (_m(0), _m(0), _m(1))),
    "mse": lambda a, b: ((a - b) ** 2, (2 * (a - b), -2 * (a - b))),
    "bce": lambda p, y: (ERR, ()) if not (0 < p < 1 and 0 <= y <= 1) else (
        -((y * mpmath.log(p) if y != 0 else 0) + ((1 - y) * mpmath.log1p(-p) if y != 1 else 0)),
        ((p - y) / (p * (1 - p)), mpmath.log1p(-p) - mpmath.log(p))),
    "bce_logits": lambda z, y: (ERR, ()) if not 0 <= y <= 1 else (
        mpmath.log1p(mpmath.exp(z)) - y * z, (_sigmoid_minus(z, y), -z)),
}

# (a reduction along an axis, sum(X, axis=0), is never computed on numbers)
SCALAR_GATES = [name for name, gate in GATES.items() if not gate.parameters and gate.array_domain is None]


def grid(name: str) -> list[tuple[float, ...]]:
    arity = GATES[name].arity
    if arity == 1:
        return [(x,) for x in UNARY]
    if name == "pow":
        return [(x, c) for x in PAIRED for c in EXPONENTS] + [(x, -c) for x in PAIRED for c in (3.0, 1e16)]
    if arity == 0:  # max, min: pairs, and triples with ties
        return [(a, b) for a in PAIRED for b in PAIRED] + [(a, a, b) for a in PAIRED[::3] for b in PAIRED[::3]]
    if arity == 3:  # batchnorm, layernorm on numbers: beta
        return [(a, b, c) for a in PAIRED[::3] for b in PAIRED[::3] for c in PAIRED[::3]]
    return [(a, b) for a in PAIRED for b in PAIRED]


def _verdict(got: Optional[float], true) -> Optional[str]:  # type: ignore[no-untyped-def]
    """None if `got` (None for an error) is acceptable for the true value `true`; else why not."""
    if true is ERR or abs(true) >= 2 ** 1024:
        return None if got is None else f"should fail (true value {mpmath.nstr(true, 6) if true is not ERR else 'undefined'})"
    if abs(true) > MAX:  # between the largest double and 2^1024: rounding decides
        return None
    if got is None:
        return f"failed, but the true value {mpmath.nstr(true, 17)} is a finite double"
    if abs(true) < TINY:
        return None if abs(got) <= TINY else f"{got!r} for a true value {mpmath.nstr(true, 6)} below the normal range"
    if abs(got - true) <= REL * abs(true):
        return None
    return f"{got!r}, true {mpmath.nstr(true, 17)} (relative error {mpmath.nstr(abs(got - true) / abs(true), 3)})"


def _run_gate(name: str, xs: Sequence[float]) -> tuple[Optional[float], Optional[tuple]]:
    """(value, local derivatives) as the engine would see them; None where the engine raises."""
    gate = GATES[name]
    if gate.domain is not None and gate.domain(*xs):
        return None, None
    try:
        out = gate.forward(*xs)
    except (OverflowError, ValueError, ZeroDivisionError):
        return None, None
    if not math.isfinite(out):
        return None, None
    try:
        local = gate.local(*xs, out)
    except (OverflowError, ValueError, ZeroDivisionError):
        return out, None
    return out, tuple(None if d is not None and not math.isfinite(d) else d for d in local)


def test_every_gate_has_a_reference() -> None:
    assert set(REFERENCE) == set(SCALAR_GATES), "add an mpmath reference for every gate"


@pytest.mark.parametrize("name", sorted(SCALAR_GATES))
def test_gate_at_the_edges_of_double_precision(name: str) -> None:
    failures: list[str] = []
    with mpmath.workdps(60):
        for xs in grid(name):
            value, local = _run_gate(name, xs)
            true_value, true_local = REFERENCE[name](*map(_m, xs))
            problem = _verdict(value, true_value)
            if problem:
                failures.append(f"{name}{xs} value: {problem}")
                continue
            if true_value is ERR or value is None:
                continue
            for k, true_d in enumerate(true_local):
                if true_d is None and name == "pow":  # the constant exponent gets no derivative
                    continue
                got = None if local is None else local[k]
                problem = _verdict(got, true_d)
                if problem:
                    failures.append(f"{name}{xs} d/d(input {k}): {problem}")
    assert not failures, f"{len(failures)} disagreements with mpmath, e.g.\n" + "\n".join(failures[:15])
