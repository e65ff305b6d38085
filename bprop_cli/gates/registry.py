"""Every gate, one entry each: forward rule, local derivatives (numbers and readable formulas),
domain, the convention at non-differentiable points, the pattern a tutor names and the lesson,
the array rules (an elementwise rule over NumPy arrays, or a vector-Jacobian product with its
rule in matrix notation), and the sympy form. A gate's helpers sit just above its entry.

docs/adding-a-gate.md walks through adding one; tests/test_gate_entries.py checks that every
entry is complete. What each field means is in gate.py.
"""

from __future__ import annotations

import math
from typing import Callable

from .gate import Gate, Local, broadcast_shapes, describe_shape, summed_to

__all__ = ["BINARY_GATES", "CONSTANTS", "FUNCTIONS", "GATES", "Gate", "Local", "broadcast_shapes",
           "describe_shape", "register"]

GATES: dict[str, Gate] = {}
FUNCTIONS: dict[str, str] = {}  # name a user calls -> gate name
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
BINARY_GATES = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow", "@": "matmul"}


def register(gate: Gate, *, function: bool = False) -> Gate:
    """Add `gate` to the registry; with `function`, users call it by name, as `tanh(x)`."""
    if gate.name in GATES:
        raise ValueError(f"gate {gate.name!r} registered twice")
    GATES[gate.name] = gate
    if function:
        FUNCTIONS[gate.name] = gate.name
    return gate


R = register
F = lambda gate: register(gate, function=True)  # noqa: E731 - a gate a user calls by name
_TINY = 2.2250738585072014e-308  # the smallest normal double: below it a double keeps fewer digits


# -- Arithmetic ------------------------------------------------------------------------------

R(Gate(
    "add", 2, lambda a, b: a + b, lambda a, b, out: (1.0, 1.0), "{0} + {1}", ("1", "1"),
    "add distributes: every input receives the upstream gradient unchanged",
    lesson="The output moves exactly as much as either input does, so both local derivatives are 1 "
           "and the upstream gradient is copied, unchanged, to every input.",
    example=("x + y", "x=-2", "y=5"),
    vforward=lambda np, a, b: a + b, vlocal=lambda np, a, b, out: (1.0, 1.0),
    exact_vforward=True, exact_vlocal=True,
    sympy=lambda sp, a, b: a + b,
))

R(Gate(
    "sub", 2, lambda a, b: a - b, lambda a, b, out: (1.0, -1.0), "{0} - {1}", ("1", "-1"),
    "subtract passes the gradient to its left input and the negated gradient to its right",
    lesson="a - b rises with a and falls with b: the local derivatives are 1 and -1. With --expand "
           "it becomes a + (-b), an add gate and a *-1 gate.",
    example=("x - y", "x=3", "y=1"), expand="{0} + -{1}",
    vforward=lambda np, a, b: a - b, vlocal=lambda np, a, b, out: (1.0, -1.0),
    exact_vforward=True, exact_vlocal=True,
    sympy=lambda sp, a, b: a - b,
))

R(Gate(
    "mul", 2, lambda a, b: a * b, lambda a, b, out: (b, a), "{0} * {1}", ("{1}", "{0}"),
    "multiply swaps: each input's local derivative is the other input's value",
    lesson="Nudging a by h changes a*b by b*h, so d(a*b)/da is the other input, b (and the other way "
           "round). A big input makes the other input's gradient big.",
    example=("x * y", "x=3", "y=-4"),
    vforward=lambda np, a, b: a * b, vlocal=lambda np, a, b, out: (b, a),
    rules=("upstream ⊙ {1}", "upstream ⊙ {0}"),
    exact_vforward=True, exact_vlocal=True,
    sympy=lambda sp, a, b: a * b,
))


def _div_local(a: float, b: float, out: float) -> Local:
    """1/b and -a/b^2, the latter as -(a/b)/b: b*b underflows to 0 for |b| < 1.5e-154 even when
    a/b^2 is an ordinary number (1e-200/1e-200^2 is 1e200)."""
    q = a / b
    if abs(q) >= _TINY or a == 0:
        return (1.0 / b, -q / b)
    # a/b is subnormal, or underflowed to 0: rescale, so that its lost digits do not matter
    ma, ea = math.frexp(a)
    mb, eb = math.frexp(b)
    try:
        return (1.0 / b, -math.ldexp(ma / mb / mb, ea - 2 * eb))
    except OverflowError:
        return (1.0 / b, -math.copysign(math.inf, a))


R(Gate(
    "div", 2, lambda a, b: a / b, _div_local, "{0} / {1}", ("1/{1}", "-{0}/{1}^2"),
    "divide scales the numerator's gradient by 1/b and gives the denominator -a/b^2",
    domain=lambda a, b: "division by zero" if b == 0 else None,
    lesson="a/b scales a by 1/b, and as b grows the result shrinks like 1/b, whose derivative is "
           "-1/b^2. The 1/x gate of the CS231n notes is div with the constant 1 on top.",
    example=("1 / x", "x=1.37"),
    vforward=lambda np, a, b: a / b, vlocal=lambda np, a, b, out: (1.0 / b, -(a / b) / b),
    rules=("upstream / {1}", "-upstream ⊙ {0} / {1}^2"),
    sympy=lambda sp, a, b: a / b,
))

R(Gate(
    "neg", 1, lambda a: -a, lambda a, out: (-1.0,), "-{0}", ("-1",),
    "negate (a *-1 gate) flips the sign of the gradient",
    lesson="-x is the *-1 gate of the CS231n notes: a multiply by the constant -1, so the local derivative is -1 "
           "and the gradient changes sign.",
    example=("-x", "x=2"),
    vforward=lambda np, a: -a, vlocal=lambda np, a, out: (-1.0,),
    exact_vforward=True, exact_vlocal=True,
    sympy=lambda sp, a: -a,
))


# -- Powers ----------------------------------------------------------------------------------


def _pow(x: float, c: float) -> float:
    return math.pow(x, c)


def _k_pow(k: float, x: float, c: float, out: float) -> float:
    """k * x^(c-1), the power rule's local derivative, without a false overflow or underflow.

    math.pow(x, c-1) overflows on its own for a subnormal x (x^-1 of 1e-320) even when k brings
    the product back into range, and c - 1 rounds back to c above 2^53 (every such c is even, so
    x^(c-1) has the opposite sign to x^c for a negative x). The logarithmic fallback keeps about
    13 significant digits; the direct route is used whenever it is exact enough.
    """
    p = c - 1
    try:
        d = k * math.pow(x, p)
    except (OverflowError, ValueError):  # too large for x^(c-1) alone, or 0 to a negative power
        d = math.inf
    if _TINY <= abs(d) < math.inf and c - p == 1:  # the usual case: in range, c - 1 exact
        return d
    if k == 0:
        return 0.0
    if x == 0:  # the domain rules leave only c > 0 here
        return k if c == 1 else (0.0 if c > 1 else math.copysign(math.inf, k))
    if c - p != 1 and _TINY <= abs(out):  # x^(c-1) = x^c / x, from the output already computed
        r = out / x
        d = k * r
        if _TINY <= abs(r) < math.inf and _TINY <= abs(d) < math.inf:
            return d
    # The sign of x^(c-1): negative only for a negative x under an odd integer power c - 1
    # (c is an integer there; above 2^53 every double is even, so c - 1 is odd).
    negative = x < 0 and (abs(c) >= 2.0 ** 53 or int(c) % 2 == 0)
    lx = math.log(abs(x))
    size = math.log(abs(k)) + c * lx - lx
    d = math.exp(size) if size < 709.8 else math.inf
    return -math.copysign(d, k) if negative else math.copysign(d, k)


def _pow_const_local(x: float, c: float, out: float) -> Local:
    if c == 2.0:  # x^2, by far the most common power: 2x is exact
        return (x + x, None)
    return (_k_pow(c, x, c, out), None)


def _pow_domain(x: float, c: float) -> str | None:
    if x < 0 and not float(c).is_integer():
        return "a negative base under a non-integer exponent has no real value"
    if x == 0 and c < 0:
        return "zero raised to a negative power is a division by zero"
    return None


def _vpow_local(np, x, c, out):  # type: ignore[no-untyped-def]
    if c == 0:
        return (np.zeros_like(x), None)
    if c == 1:
        return (np.ones_like(x), None)
    if c - (c - 1) != 1:  # above 2^53, c - 1 rounds back to c (and flips the sign for x < 0): x^c / x
        safe_x = np.where(x == 0, 1.0, x)
        return (np.where(x == 0, 0.0, c * (out / safe_x)), None)
    return (c * np.power(x, c - 1), None)


R(Gate(
    "pow", 2, _pow, _pow_const_local, "{0}^{1}", ("{1}*{0}^({1}-1)", ""),
    "a power with a constant exponent c has the local derivative c*x^(c-1)",
    domain=_pow_domain,
    lesson="x^c with a constant c needs no logarithm: the power rule gives c*x^(c-1), which is fine "
           "for a negative x too (x^2 at x=-3 has slope -6).",
    example=("x^2", "x=-3"),
    vforward=lambda np, a, c: np.power(a, c), vlocal=_vpow_local,
    sympy=lambda sp, a, c: a**c,
))


def _pow_var_local(x: float, y: float, out: float) -> Local:
    # d(x^y)/dy = x^y ln x; at x = 0 (y > 0) the output is 0 everywhere near, so PyTorch uses 0.
    if x == 0 or x == 1:
        dy = 0.0
    elif abs(out) >= _TINY:
        dy = out * math.log(x)
    else:  # x^y underflowed: x^y * ln x may still be a normal number (rebuild it from logarithms)
        lx = math.log(x)
        dy = math.copysign(math.exp(y * lx + math.log(abs(lx))), lx)
    return (_k_pow(y, x, y, out), dy)


def _pow_var_domain(x: float, y: float) -> str | None:
    if x < 0:
        return "a power with a variable exponent needs a positive base (its derivative uses log of the base)"
    if x == 0 and y <= 0:
        return "zero raised to a power that is not positive is undefined or infinite"
    return None


def _vpow_var_local(np, x, y, out):  # type: ignore[no-untyped-def]
    dx = np.where(y == 0, 0.0, y * np.power(x, y - 1))
    dy = np.where(x == 0, 0.0, out * np.log(np.where(x == 0, 1.0, x)))
    return dx, dy


def _pow_var_sympy_local(sp, a, b, out):  # type: ignore[no-untyped-def]
    # The engine's forms: y*x^(y-1) (sympy.diff would say x^y*y/x, which is 0/0 at x = 0),
    # and at x = 0 the engine's convention for the exponent: 0^y is flat in y near y > 0.
    da = sp.Integer(0) if sp.is_number(b) and b == 0 else b * a ** (b - 1)
    return (da, sp.Integer(0) if sp.is_number(a) and a == 0 else out * sp.log(a))


R(Gate(
    "pow_var", 2, _pow, _pow_var_local, "{0}^{1}", ("{1}*{0}^({1}-1)", "{0}^{1}*log({0})"),
    "a power with a variable exponent sends y*x^(y-1) to the base and x^y*log(x) to the exponent",
    domain=_pow_var_domain,
    lesson="When the exponent depends on a variable, x^y = exp(y*log(x)), so the exponent's "
           "local derivative is x^y*log(x) and the base must be positive.",
    example=("x^y", "x=2", "y=3"),
    vforward=lambda np, a, b: np.power(a, b), vlocal=_vpow_var_local,
    sympy=lambda sp, a, b: a**b, sympy_local=_pow_var_sympy_local,
))


# -- Functions of one number ---------------------------------------------------------------


def _positive(what: str) -> Callable[..., str | None]:
    def check(x: float) -> str | None:
        return f"{what} needs a positive input" if x <= 0 else None
    return check


F(Gate(
    "exp", 1, math.exp, lambda a, out: (out,), "exp({0})", ("exp({0})",),
    "exp reuses its own output: its local derivative is exp(x), the value it computed",
    lesson="exp is its own derivative, so the backward pass reuses the value computed on the way "
           "forward: nothing new to calculate.",
    example=("exp(x)", "x=-1"),
    vforward=lambda np, a: np.exp(a), vlocal=lambda np, a, out: (out,),
    exact_vlocal=True,
    sympy=lambda sp, a: sp.exp(a),
))

F(Gate(
    "log", 1, math.log, lambda a, out: (1.0 / a,), "log({0})", ("1/{0}",),
    "log (natural) scales the gradient by 1/x", domain=_positive("log"),
    lesson="log(x) grows ever more slowly: its slope is 1/x, large near 0 and small far away.",
    example=("log(x)", "x=2"),
    vforward=lambda np, a: np.log(a), vlocal=lambda np, a, out: (1.0 / a,),
    exact_vlocal=True,
    sympy=lambda sp, a: sp.log(a),
))

F(Gate(
    "sqrt", 1, math.sqrt, lambda a, out: (0.5 / out,), "sqrt({0})", ("1/(2*sqrt({0}))",),
    "sqrt scales the gradient by 1/(2*sqrt(x)), which is infinite at 0",
    domain=lambda a: "sqrt needs a non-negative input" if a < 0 else None,
    lesson="sqrt(x) has slope 1/(2*sqrt(x)); the backward pass reuses the output sqrt(x). At 0 "
           "the slope is infinite, which bprop reports as an error.",
    example=("sqrt(x)", "x=4"),
    vforward=lambda np, a: np.sqrt(a), vlocal=lambda np, a, out: (0.5 / out,),
    exact_vlocal=True,
    sympy=lambda sp, a: sp.sqrt(a),
))

F(Gate(
    "sin", 1, math.sin, lambda a, out: (math.cos(a),), "sin({0})", ("cos({0})",),
    "sin scales the gradient by cos(x)",
    lesson="The slope of sin is cos.", example=("sin(x)", "x=0.5"),
    vforward=lambda np, a: np.sin(a), vlocal=lambda np, a, out: (np.cos(a),),
    sympy=lambda sp, a: sp.sin(a),
))

F(Gate(
    "cos", 1, math.cos, lambda a, out: (-math.sin(a),), "cos({0})", ("-sin({0})",),
    "cos scales the gradient by -sin(x)",
    lesson="The slope of cos is -sin.", example=("cos(x)", "x=0.5"),
    vforward=lambda np, a: np.cos(a), vlocal=lambda np, a, out: (-np.sin(a),),
    sympy=lambda sp, a: sp.cos(a),
))

F(Gate(
    "tan", 1, math.tan, lambda a, out: (1.0 + out * out,), "tan({0})", ("1 + tan({0})^2",),
    "tan scales the gradient by 1 + tan(x)^2",
    lesson="tan has slope 1 + tan(x)^2, computed from the output.", example=("tan(x)", "x=0.5"),
    vforward=lambda np, a: np.tan(a), vlocal=lambda np, a, out: (1.0 + out * out,),
    exact_vlocal=True,
    sympy=lambda sp, a: sp.tan(a),
))


def _tanh_local(x: float, out: float) -> Local:
    """1 - tanh(x)^2, which cancels to nothing for large |x|; there it is 4e/(1+e)^2 with e = exp(-2|x|)."""
    if abs(x) < 0.5:
        return (1.0 - out * out,)
    e = math.exp(-2.0 * abs(x))
    return (4.0 * e / ((1.0 + e) * (1.0 + e)),)


def _vtanh_local(np, x, out):  # type: ignore[no-untyped-def]
    # 1 - tanh^2 cancels for large |x|; there it is 4e/(1+e)^2 with e = exp(-2|x|) (as _tanh_local)
    e = np.exp(-2.0 * np.abs(x))
    return (np.where(np.abs(x) < 0.5, 1.0 - out * out, 4.0 * e / ((1.0 + e) * (1.0 + e))),)


F(Gate(
    "tanh", 1, math.tanh, _tanh_local, "tanh({0})", ("1 - {out}^2",),
    "tanh reuses its output: its local derivative is 1 - tanh(x)^2",
    lesson="tanh is a rescaled sigmoid, 2*sigmoid(2x) - 1, so it also reuses its output: "
           "1 - tanh(x)^2.",
    example=("tanh(x)", "x=0.5"), expand="2*sigmoid(2*{0}) - 1",
    vforward=lambda np, a: np.tanh(a), vlocal=_vtanh_local,
    rules=("upstream ⊙ (1 - {out}^2)",),
    sympy=lambda sp, a: sp.tanh(a),
))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # no overflow for very negative x
    return z / (1.0 + z)


def _sigmoid_local(x: float, out: float) -> Local:
    """s*(1-s), which is s*sigmoid(-x) = s*s*exp(-x) for x > 0: there 1 - s cancels to a few
    digits or to 0 as s nears 1 (for x <= 0, s <= 1/2 and 1 - s is exact enough)."""
    return (out * (1.0 - out),) if x <= 0 else (out * out * math.exp(-x),)


def _vsigmoid(np, x):  # type: ignore[no-untyped-def]
    z = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _vsigmoid_local(np, x, out):  # type: ignore[no-untyped-def]
    # s*(1-s) cancels as s nears 1; for x > 0 it is s*s*exp(-x) (as the scalar rule, _sigmoid_local)
    return (np.where(x > 0, out * out * np.exp(-np.abs(x)), out * (1.0 - out)),)


F(Gate(
    "sigmoid", 1, _sigmoid, _sigmoid_local, "sigmoid({0})", ("{out}*(1 - {out})",),
    "sigmoid reuses its output: its local derivative is s*(1-s), one fused gate",
    lesson="sigmoid(x) = 1/(1+exp(-x)) squashes x into (0, 1). Chained through *-1, exp, +1 and 1/x "
           "its derivative simplifies to s*(1-s) with s the output, so one fused gate does the "
           "work of four.",
    example=("sigmoid(x)", "x=1"), expand="1/(1 + exp(-{0}))",
    vforward=_vsigmoid, vlocal=_vsigmoid_local,
    rules=("upstream ⊙ {out} ⊙ (1 - {out})",),
    sympy=lambda sp, a: sp.sigmoid(a),  # kept whole in formulas: sympy_gates.sigmoid
))


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _vsoftplus(np, x):  # type: ignore[no-untyped-def]
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


F(Gate(
    "softplus", 1, _softplus, lambda a, out: (_sigmoid(a),), "softplus({0})", ("sigmoid({0})",),
    "softplus log(1+exp(x)) has the sigmoid as its local derivative",
    lesson="softplus(x) = log(1+exp(x)) is a smooth relu; its slope is exactly sigmoid(x).",
    example=("softplus(x)", "x=1"), expand="log(1 + exp({0}))",
    vforward=_vsoftplus, vlocal=lambda np, a, out: (_vsigmoid(np, a),),
    sympy=lambda sp, a: sp.log(1 + sp.exp(a)),
))


def _silu_local(x: float, out: float) -> Local:
    """s*(1 + x*(1 - s)) with s = sigmoid(x), and 1 - s taken as sigmoid(-x): it cancels to a
    few digits, or to 0, as s nears 1 for a large x."""
    return (_sigmoid(x) * (1.0 + x * _sigmoid(-x)),)


F(Gate(
    "silu", 1, lambda a: a * _sigmoid(a), _silu_local, "silu({0})", ("sigmoid({0})*(1 + {0}*(1 - sigmoid({0})))",),
    "silu x*sigmoid(x) sends s*(1 + x*(1-s)) back, with s = sigmoid(x): near 1 for a large x, near 0 for a very negative one",
    lesson="silu(x) = x*sigmoid(x), also called swish, is a smooth relu that dips below 0 for a "
           "negative x. It is a product, so the product rule gives sigmoid(x) + x*s*(1-s), which is "
           "s*(1 + x*(1-s)) with s = sigmoid(x).",
    example=("silu(x)", "x=1"), expand="{0}*sigmoid({0})",
    vforward=lambda np, a: a * _vsigmoid(np, a),
    vlocal=lambda np, a, out: (_vsigmoid(np, a) * (1.0 + a * _vsigmoid(np, -a)),),
    sympy=lambda sp, a: a * sp.sigmoid(a),
))


def _zero_kink(fn: str, value: str) -> Callable[..., str | None]:
    def note(x: float, out: float) -> str | None:
        return f"not differentiable at 0: {fn}'(0) is taken as {value} (PyTorch's convention)" if x == 0 else None
    return note


F(Gate(
    "relu", 1, lambda a: a if a > 0 else 0.0, lambda a, out: (1.0 if a > 0 else 0.0,), "relu({0})",
    ("1 if {0} > 0, else 0",), "relu is a switch: it passes the gradient where x > 0 and blocks it elsewhere",
    kink=_zero_kink("relu", "0"),
    lesson="relu(x) = max(0, x) is a switch: slope 1 where x > 0, 0 elsewhere (0 at x = 0 too, "
           "as PyTorch does).",
    example=("relu(x)", "x=2"),
    vforward=lambda np, a: np.where(a > 0, a, 0.0), vlocal=lambda np, a, out: (np.where(a > 0, 1.0, 0.0),),
    rules=("upstream ⊙ ({0} > 0)",),
    exact_vforward=True, exact_vlocal=True,
    sympy=lambda sp, a: sp.Max(0, a),
    sympy_local=lambda sp, a, out: (sp.Heaviside(a, 0),),  # H(0) = 0: relu'(0) = 0, PyTorch's convention
))

F(Gate(
    "abs", 1, abs, lambda a, out: (math.copysign(1.0, a) if a != 0 else 0.0,), "abs({0})",
    ("sign({0})",), "abs passes the gradient with the sign of its input",
    kink=_zero_kink("abs", "0"),
    lesson="abs(x) passes the gradient with the sign of x (and 0 at x = 0, as PyTorch does).",
    example=("abs(x)", "x=-2"),
    vforward=lambda np, a: np.abs(a), vlocal=lambda np, a, out: (np.sign(a),),
    sympy=lambda sp, a: sp.Abs(a),
))


# -- Routing: max and min of two or more inputs --------------------------------------------


def _ties(xs: tuple[float, ...], target: float) -> Local:
    winners = [x == target for x in xs]
    share = 1.0 / sum(winners)
    return tuple(share if w else 0.0 for w in winners)


def _tie_note(*xs: float) -> str | None:
    best = xs[-1]  # last argument is the output
    if sum(x == best for x in xs[:-1]) > 1:
        return "a tie: the gradient is split evenly between the tied inputs (PyTorch's convention)"
    return None


def _vties(np, *xs):  # type: ignore[no-untyped-def]
    *args, out = xs
    winners = [x == out for x in args]
    count = sum(w.astype(float) if hasattr(w, "astype") else float(w) for w in winners)
    return tuple(np.where(w, 1.0 / count, 0.0) for w in winners)


def _vmax(np, *xs):  # type: ignore[no-untyped-def]
    out = xs[0]
    for x in xs[1:]:
        out = np.maximum(out, x)
    return out


def _vmin(np, *xs):  # type: ignore[no-untyped-def]
    out = xs[0]
    for x in xs[1:]:
        out = np.minimum(out, x)
    return out


F(Gate(
    "max", 0, max, lambda *xs: _ties(xs[:-1], xs[-1]), "", ("1 if {i} is the largest, else 0",),
    "max routes: the whole gradient goes to the largest input, the others get 0",
    kink=_tie_note,
    lesson="Only the largest input affects the output, so it receives the whole gradient and the "
           "others receive 0 (a tie splits it evenly).",
    example=("max(x, y)", "x=4", "y=2"),
    vforward=_vmax, vlocal=_vties,
    rules=("upstream where {i} is the largest, else 0",),
    exact_vlocal=True,
    sympy=lambda sp, *xs: sp.choose(sp.Max, *xs),
    sympy_local=lambda sp, *xs: sp.route(*xs),  # at numbers: to the winner, ties split evenly
))

F(Gate(
    "min", 0, min, lambda *xs: _ties(xs[:-1], xs[-1]), "", ("1 if {i} is the smallest, else 0",),
    "min routes: the whole gradient goes to the smallest input, the others get 0",
    kink=_tie_note,
    lesson="Only the smallest input affects the output, so it receives the whole gradient and the "
           "others receive 0 (a tie splits it evenly).",
    example=("min(x, y)", "x=4", "y=2"),
    vforward=_vmin, vlocal=_vties,
    rules=("upstream where {i} is the smallest, else 0",),
    exact_vlocal=True,
    sympy=lambda sp, *xs: sp.choose(sp.Min, *xs),
    sympy_local=lambda sp, *xs: sp.route(*xs),
))


# -- Vectors and matrices --------------------------------------------------------------------
# On numbers (a scalar program) sum, mean and transpose are the identity, softmax of one number
# is 1, and mse(a, b) is (a - b)^2; the matrix product needs arrays (and never reaches sympy).


def _matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | str:
    if not a or not b:
        return "@ is the matrix product: both sides must be vectors or matrices (for numbers use *)"
    if a[-1] != b[0]:
        return (f"@ needs the columns of the left side to match the rows of the right: "
                f"{a[-1]} columns against {b[0]} rows")
    return a[:-1] + b[1:]


def _matmul_vjp(np, g, a, b, out):  # type: ignore[no-untyped-def]
    if a.ndim == 2 and b.ndim == 2:
        return g @ b.T, a.T @ g
    if a.ndim == 2:  # matrix @ vector
        return np.outer(g, b), a.T @ g
    if b.ndim == 2:  # vector @ matrix
        return b @ g, np.outer(a, g)
    return g * b, g * a  # vector @ vector: the dot product


R(Gate(
    "matmul", 2, lambda a, b: a * b, lambda a, b, out: (b, a), "{0} @ {1}", ("{1}", "{0}"),
    "for A @ B, the matrix product sends upstream @ transpose(B) back to A and transpose(A) @ upstream back to B",
    array_only=True,
    lesson="A @ B is the matrix product: entry (i, j) is the dot product of row i of A with column j "
           "of B. A nudge of A[i][k] moves out[i][j] by B[k][j], so A's gradient is upstream @ transpose(B) "
           "and B's is transpose(A) @ upstream: the deltas of a layer go back through the transposed "
           "weights.",
    example=("sum(W @ x)", "W=[[1,2],[3,4]]", "x=[1,-1]"),
    vforward=lambda np, a, b: np.matmul(a, b), vjp=_matmul_vjp, shape=_matmul_shape,
    rules=("upstream @ transpose({1})", "transpose({0}) @ upstream"),
    sympy=lambda sp, a, b: a * b,
))

F(Gate(
    "transpose", 1, lambda a: a, lambda a, out: (1.0,), "transpose({0})", ("1",),
    "transpose only rearranges entries: the gradient is transposed back",
    lesson="transpose(W), also written W.T, swaps rows and columns; it computes nothing, so its "
           "gradient is the upstream gradient transposed back.",
    example=("sum(transpose(W) @ x)", "W=[[1,2],[3,4]]", "x=[1,-1]"),
    vforward=lambda np, a: np.transpose(a), vjp=lambda np, g, a, out: (np.transpose(g),),
    shape=lambda a: a[::-1], rules=("transpose(upstream)",),
    sympy=lambda sp, a: a,
))

F(Gate(
    "sum", 1, lambda a: a, lambda a, out: (1.0,), "sum({0})", ("1",),
    "sum copies the upstream gradient to every entry it added",
    lesson="sum(A) adds every entry of A into one number, so a nudge of any entry moves the sum by the "
           "same amount: every entry's local derivative is 1.",
    example=("sum(x * x)", "x=[1,2,3]"),
    vforward=lambda np, a: np.sum(a), vjp=lambda np, g, a, out: (np.full(np.shape(a), g),),
    shape=lambda a: (), rules=("upstream, copied to every entry",),
    sympy=lambda sp, a: a,
))

F(Gate(
    "mean", 1, lambda a: a, lambda a, out: (1.0,), "mean({0})", ("1",),
    "mean gives every entry the upstream gradient divided by the number of entries",
    lesson="mean(A) is sum(A)/n over its n entries, so every entry's local derivative is 1/n.",
    example=("mean(x * x)", "x=[1,2,3]"),
    vforward=lambda np, a: np.mean(a), vjp=lambda np, g, a, out: (np.full(np.shape(a), g / max(np.size(a), 1)),),
    shape=lambda a: (), rules=("upstream / n, to every entry (n entries)",),
    sympy=lambda sp, a: a,
))


# -- Reductions along an axis: sum(X, axis=0), mean, max, min and logsumexp, with keepdims ----
# The axis is a constant the parser takes from `axis=` and gives the gate as its second input
# (bprop's arrays have two axes at most: 0 is down the rows, 1 along each row, -1 the last);
# `keepdims=true` is a gate of its own, whose result keeps the reduced axis with length 1.
# AXIS_CALLS maps the call the parser makes for `sum(X, axis=...)` to the gate.

AXIS_CALLS: dict[str, str] = {}


def _axis_of(shape: tuple[int, ...], axis: float) -> int | str:
    if not shape:
        return "a number has no axes (leave out axis=)"
    if not -len(shape) <= axis < len(shape):
        have = "its axes are 0 and 1, or -2 and -1 from the end" if len(shape) == 2 else "its one axis is 0, or -1"
        return f"it has no axis {axis:g} ({have})"
    return int(axis) % len(shape)


def _axis_shape(keep: bool) -> Callable[..., tuple[int, ...] | str]:
    def shape(a: tuple[int, ...], axis: float) -> tuple[int, ...] | str:
        k = _axis_of(a, axis)
        if isinstance(k, str):
            return k
        return a[:k] + ((1,) if keep else ()) + a[k + 1:]
    return shape


def _kept(np, g, a, axis, keep):  # type: ignore[no-untyped-def]
    """The upstream gradient (or the output) with the reduced axis back, to broadcast over `a`."""
    g = np.asarray(g, dtype=float)
    return g if keep else np.expand_dims(g, int(axis))


def _axis_routes(np, g, a, axis, keep, out):  # type: ignore[no-untyped-def]
    """max and min along an axis: the upstream to the winning entry of each line, a tie split evenly."""
    winners = (a == _kept(np, out, a, axis, keep)).astype(float)
    return (_kept(np, g, a, axis, keep) * winners / winners.sum(axis=int(axis), keepdims=True), None)


def _vlogsumexp(np, a, axis=None, keep=False):  # type: ignore[no-untyped-def]
    a = np.asarray(a, dtype=float)
    k = None if axis is None else int(axis)
    top = np.max(a, axis=k, keepdims=True)
    out = top + np.log(np.sum(np.exp(a - top), axis=k, keepdims=True))
    return out if keep else (np.squeeze(out, axis=k) if k is not None else out.reshape(()))


def _logsumexp_vjp(np, g, a, axis, keep, out):  # type: ignore[no-untyped-def]
    """The gradient of log(sum(exp(a))) is softmax(a) along the axis, times the upstream."""
    return (_kept(np, g, a, axis, keep) * np.exp(a - _kept(np, out, a, axis, keep)), None)


_REDUCTIONS = {
    # name: (the vjp for X, the array rule, what the gate does to the gradient, the lesson, an example,
    # and one with keepdims)
    "sum": (
        lambda np, g, a, axis, keep, out: (np.broadcast_to(_kept(np, g, a, axis, keep), np.shape(a)).copy(), None),
        "upstream, copied along axis {1}",
        "sum along an axis copies each line's upstream gradient to every entry of that line",
        "sum(X, axis=0) adds each column of X (down the rows) and sum(X, axis=1) each row, giving one "
        "number per line. Every entry moves its line's sum one for one, so each entry receives its "
        "line's upstream gradient, copied along the axis that was summed.",
        ("sum(sum(X, axis=0) * w)", "X=[[1,2],[3,4]]", "w=[1,-1]"),
        ("sum(X / sum(X, axis=1, keepdims=true))", "X=[[1,3],[2,2]]"),
    ),
    "mean": (
        lambda np, g, a, axis, keep, out: (np.broadcast_to(_kept(np, g, a, axis, keep), np.shape(a))
                                           / np.shape(a)[int(axis)], None),
        "upstream / n, copied along axis {1} (n entries in each line)",
        "mean along an axis gives each entry its line's upstream gradient divided by the line's length",
        "mean(X, axis=0) averages each column of X and mean(X, axis=1) each row. Each line's mean is its "
        "sum divided by its n entries, so each entry receives its line's upstream gradient divided by n.",
        ("sum(mean(X, axis=1) * w)", "X=[[1,2],[3,5]]", "w=[1,-1]"),
        ("sum((X - mean(X, axis=0, keepdims=true))^2)", "X=[[1,2],[3,5]]"),
    ),
    "max": (
        _axis_routes,
        "upstream to the largest entry of each line along axis {1}, else 0",
        "max along an axis routes each line's gradient to that line's largest entry",
        "max(X, axis=1) is the largest entry of each row. Only that entry affects its row's result, so it "
        "receives the row's whole upstream gradient and the others 0 (a tie splits it evenly).",
        ("sum(max(X, axis=1) * w)", "X=[[1,8],[4,2]]", "w=[1,-1]"),
        ("sum(exp(X - max(X, axis=1, keepdims=true)))", "X=[[1,8],[4,2]]"),
    ),
    "min": (
        _axis_routes,
        "upstream to the smallest entry of each line along axis {1}, else 0",
        "min along an axis routes each line's gradient to that line's smallest entry",
        "min(X, axis=1) is the smallest entry of each row. Only that entry affects its row's result, so it "
        "receives the row's whole upstream gradient and the others 0 (a tie splits it evenly).",
        ("sum(min(X, axis=1) * w)", "X=[[1,8],[4,2]]", "w=[1,-1]"),
        ("sum(X - min(X, axis=0, keepdims=true))", "X=[[1,8],[4,2]]"),
    ),
    "logsumexp": (
        _logsumexp_vjp,
        "upstream ⊙ softmax({0}) along axis {1}",
        "logsumexp along an axis sends each line's gradient to its entries in proportion to softmax",
        "logsumexp(X, axis=1) is log(sum(exp(X), axis=1)), a smooth maximum of each row, computed as "
        "m + log(sum(exp(X - m))) with m the row's largest entry so that no exp overflows. Its gradient "
        "is softmax of the row: each entry receives exp(x - logsumexp) times the upstream.",
        ("sum(logsumexp(X, axis=1) * w)", "X=[[1,2],[3,1]]", "w=[1,-1]"),
        ("sum((X - logsumexp(X, axis=1, keepdims=true)) * Y)", "X=[[1,2],[3,1]]", "Y=[[0,1],[1,0]]"),
    ),
}
_VREDUCE = {"sum": "sum", "mean": "mean", "max": "max", "min": "min"}


def _axis_gate(name: str, keep: bool) -> Gate:
    vjp, rule, pattern, lesson, example, kept_example = _REDUCTIONS[name]
    suffix = ", keepdims=true" if keep else ""

    def vforward(np, a, axis):  # type: ignore[no-untyped-def]
        if name == "logsumexp":
            return _vlogsumexp(np, a, axis, keep)
        return getattr(np, _VREDUCE[name])(np.asarray(a, dtype=float), axis=int(axis), keepdims=keep)

    return Gate(
        f"{name}_axis" + ("_keepdims" if keep else ""), 2, lambda a, axis: a, lambda a, axis, out: (1.0, None),
        f"{name}({{0}}, axis={{1}}{suffix})", ("1", ""), pattern,
        domain=lambda a, axis: f"{name}(..., axis=) needs an array: a number has no axes",
        lesson=lesson + (" With keepdims=true the reduced axis stays, with length 1, so the result "
                         "broadcasts against X." if keep else ""),
        example=kept_example if keep else example,
        vforward=vforward, vjp=lambda np, g, a, axis, out: vjp(np, g, a, axis, keep, out),
        shape=_axis_shape(keep), rules=(rule, ""), array_only=True, parameters=1,
        sympy=lambda sp, a, axis: a,
    )


F(Gate(
    "logsumexp", 1, lambda a: a, lambda a, out: (1.0,), "logsumexp({0})", ("1",),
    "logsumexp sends each entry exp(x - logsumexp) of the upstream gradient: softmax of the entries",
    lesson="logsumexp(X) = log(sum(exp(X))) over every entry, a smooth maximum, computed as "
           "m + log(sum(exp(X - m))) with m the largest entry so that no exp overflows. Its gradient is "
           "softmax of the entries: each entry receives exp(x - logsumexp(X)) times the upstream. Of a "
           "single number it is that number.",
    example=("logsumexp(v)", "v=[1,2,3]"),
    vforward=lambda np, a: _vlogsumexp(np, a), vjp=lambda np, g, a, out: (g * np.exp(np.asarray(a, dtype=float) - out),),
    shape=lambda a: (), rules=("upstream ⊙ softmax({0}), over every entry",),
    sympy=lambda sp, a: a,
))


for _name in _REDUCTIONS:
    for _keep in (False, True):
        _gate = R(_axis_gate(_name, _keep))
        AXIS_CALLS[f"{_name}:axis" + (":keepdims" if _keep else "")] = _gate.name


def _softmax(np, x):  # type: ignore[no-untyped-def]
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        return np.float64(1.0)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _softmax_vjp(np, g, x, out):  # type: ignore[no-untyped-def]
    if np.ndim(out) == 0:
        return (np.zeros_like(x),)
    return (out * (g - np.sum(g * out, axis=-1, keepdims=True)),)


F(Gate(
    "softmax", 1, lambda a: 1.0, lambda a, out: (0.0,), "softmax({0})", ("0",),
    "softmax couples its entries: each input's gradient is y*(upstream - sum(upstream*y))",
    lesson="softmax(v) = exp(v)/sum(exp(v)) turns scores into probabilities (row by row for a "
           "matrix). Every output depends on every input, so its gradient is y*(upstream - "
           "sum(upstream*y)), with y the output.",
    example=("sum(softmax(v) * t)", "v=[1,2,3]", "t=[0,0,1]"),
    vforward=_softmax, vjp=_softmax_vjp, shape=lambda a: a,
    rules=("{out} ⊙ (upstream - sum(upstream ⊙ {out}))",),
    sympy=lambda sp, a: sp.Integer(1),
))


# -- Labels: picking each row's entry, log_softmax, and the cross-entropy over labels ---------
# The labels y are whole numbers, one per row of Z (a number for a vector Z); one-hot rows Y
# (or any rows of weights, the shape of Z) are accepted in their place. Labels get no gradient.


def _vlog_softmax(np, x):  # type: ignore[no-untyped-def]
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        return np.float64(0.0)
    top = np.max(x, axis=-1, keepdims=True)
    return x - top - np.log(np.sum(np.exp(x - top), axis=-1, keepdims=True))


def _log_softmax_vjp(np, g, x, out):  # type: ignore[no-untyped-def]
    if np.ndim(out) == 0:
        return (np.zeros_like(x),)
    return (g - np.exp(out) * np.sum(g, axis=-1, keepdims=True),)


F(Gate(
    "log_softmax", 1, lambda a: 0.0, lambda a, out: (0.0,), "log_softmax({0})", ("0",),
    "log_softmax sends upstream - softmax * sum(upstream) back along each row",
    lesson="log_softmax(Z) = Z - logsumexp(Z, axis=-1, keepdims=true), the log of softmax row by row, "
           "computed without the exp that would overflow. Each row's entries all depend on the row's "
           "logsumexp, so an entry's gradient is its upstream minus softmax(Z) times the row's summed "
           "upstream.",
    example=("sum(log_softmax(z) * t)", "z=[1,2,3]", "t=[0,0,1]"),
    vforward=_vlog_softmax, vjp=_log_softmax_vjp, shape=lambda a: a,
    rules=("upstream - exp({out}) ⊙ sum(upstream, along each row)",),
    sympy=lambda sp, a: sp.Integer(0),
))


def _labels(np, z, y):  # type: ignore[no-untyped-def]
    """The one-hot rows the labels y name (y itself if it has the shape of z)."""
    z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
    if y.shape == z.shape:
        return y
    eye = np.zeros_like(z)
    np.put_along_axis(eye, y.astype(int)[..., None], 1.0, axis=-1)
    return eye


def _label_problem(np, z, y):  # type: ignore[no-untyped-def]
    """Why the labels cannot index z's rows, or None."""
    z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
    if y.shape == z.shape:
        return None
    k = z.shape[-1]
    bad = (y != np.round(y)) | (y < 0) | (y >= k)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
        where = "".join(f"[{i}]" for i in at)
        return (f"a label must be a whole number from 0 to {k - 1} (a column of the scores), "
                f"not {float(y[at]):g}" + (f" at entry {where}" if where else ""))
    return None


def _label_shape(what: str) -> Callable[..., tuple[int, ...] | str]:
    def shape(z: tuple[int, ...], y: tuple[int, ...]) -> tuple[int, ...] | str:
        if not z:
            return f"{what} needs a vector or a matrix of scores, one row per example"
        if y != z and y != z[:-1]:
            rows = "a number" if len(z) == 1 else f"a vector of {z[0]} labels"
            return (f"{what} needs {rows} (one whole number per row of scores) or one-hot rows of "
                    f"the scores' shape")
        return z[:-1] if what == "pick" else ()
    return shape


def _pick_forward(np, z, y):  # type: ignore[no-untyped-def]
    if _label_problem(np, z, y):
        return np.full(np.shape(z)[:-1], np.nan)
    return np.sum(np.asarray(z, dtype=float) * _labels(np, z, y), axis=-1)


def _cross_entropy(np, z, y):  # type: ignore[no-untyped-def]
    if _label_problem(np, z, y):
        return np.nan
    rows = np.sum(_vlog_softmax(np, z) * _labels(np, z, y), axis=-1)
    return -np.mean(rows)


def _cross_entropy_vjp(np, g, z, y, out):  # type: ignore[no-untyped-def]
    n = max(int(np.prod(np.shape(z)[:-1])), 1)
    logp = _vlog_softmax(np, z)
    labels = np.shape(y) != np.shape(z)
    return g * (np.exp(logp) - _labels(np, z, y)) / n, None if labels else -g * logp / n


F(Gate(
    "pick", 2, lambda a, b: a, lambda a, b, out: (1.0, None), "pick({0}, {1})", ("1", ""),
    "pick sends each row's upstream gradient to the entry its label picked, and 0 to the others",
    lesson="pick(Z, y) is Z[i, y_i]: from each row of Z, the entry in the column its label y_i names "
           "(NumPy's Z[range(n), y]; one-hot rows Y pick the same entries). Only the picked entries "
           "reach the output, so the gradient is scattered into zeros: each row's upstream goes to "
           "its picked column. Whole-number labels get no gradient (rows of weights get Z's entries).",
    example=("-mean(pick(log_softmax(Z), y))", "Z=[[1,2,3],[1,0,0]]", "y=[2,0]"),
    domain=lambda a, b: "pick needs a vector or a matrix of scores and labels",
    vforward=_pick_forward,
    vjp=lambda np, g, z, y, out: (np.asarray(g, dtype=float)[..., None] * _labels(np, z, y),
                                  None if np.shape(y) != np.shape(z) else np.asarray(g, dtype=float)[..., None] * z),
    shape=_label_shape("pick"), rules=("upstream, scattered into the picked entries (0 elsewhere)", "upstream ⊙ {0} (rows of weights only)"),
    array_only=True, array_domain=lambda np, z, y: _label_problem(np, z, y),
    sympy=lambda sp, a, b: a,
))

F(Gate(
    "cross_entropy", 2, lambda a, b: a, lambda a, b, out: (1.0, None), "cross_entropy({0}, {1})", ("1", ""),
    "cross-entropy over labels sends (softmax(Z) - Y)/n back to the scores",
    lesson="cross_entropy(Z, y) is the mean over the n rows of -log(softmax(Z)[i, y_i]): the softmax "
           "cross-entropy of scores (logits) Z against labels y (whole numbers, or one-hot rows Y), as "
           "PyTorch's F.cross_entropy. Written out, it is softmax, log, pick and mean; their steps "
           "collapse to one gradient, dL/dZ = (softmax(Z) - Y)/n, the prediction minus the target "
           "(the CS231n notes derive it). --expand shows the steps.",
    example=("cross_entropy(Z, y)", "Z=[[2,1,0],[0,1,3]]", "y=[0,2]"),
    expand="-mean(pick(log_softmax({0}), {1}))",
    domain=lambda a, b: "cross_entropy needs a vector or a matrix of scores and labels",
    vforward=_cross_entropy, vjp=_cross_entropy_vjp,
    shape=_label_shape("cross_entropy"), rules=("upstream * (softmax({0}) - one_hot({1}))/n", "-upstream * log_softmax({0})/n (rows of weights only)"),
    array_only=True, array_domain=lambda np, z, y: _label_problem(np, z, y),
    sympy=lambda sp, a, b: a,
))


# -- Normalisations: batchnorm (each column over the rows of a batch) and layernorm (each row)
# xhat = (X - mean) / sqrt(var + eps), the biased variance and eps = 1e-5 as PyTorch's
# BatchNorm1d (in training) and LayerNorm; then gamma * xhat + beta.

NORM_EPS = 1e-5


def _norm_axis(kind: str, x):  # type: ignore[no-untyped-def]
    return 0 if kind == "batchnorm" else -1


def _normalised(np, kind, x):  # type: ignore[no-untyped-def]
    x = np.asarray(x, dtype=float)
    k = _norm_axis(kind, x)
    centred = x - np.mean(x, axis=k, keepdims=True)
    s = np.sqrt(np.mean(centred * centred, axis=k, keepdims=True) + NORM_EPS)
    return centred / s, s


def _norm_forward(kind: str):  # type: ignore[no-untyped-def]
    def forward(np, x, gamma, beta):  # type: ignore[no-untyped-def]
        return gamma * _normalised(np, kind, x)[0] + beta
    return forward


def _norm_vjp(kind: str):  # type: ignore[no-untyped-def]
    def vjp(np, g, x, gamma, beta, out):  # type: ignore[no-untyped-def]
        """The fused backward pass (the makemore lecture's one-line batchnorm formula):
        dX = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / s, with dxhat = gamma * upstream."""
        xhat, s = _normalised(np, kind, x)
        k = _norm_axis(kind, x)
        dxhat = g * gamma
        dx = (dxhat - np.mean(dxhat, axis=k, keepdims=True)
              - xhat * np.mean(dxhat * xhat, axis=k, keepdims=True)) / s
        return dx, summed_to(np, g * xhat, np.shape(gamma)), summed_to(np, np.broadcast_to(g, np.shape(out)), np.shape(beta))
    return vjp


def _norm_shape(kind: str):  # type: ignore[no-untyped-def]
    def shape(x: tuple[int, ...], gamma: tuple[int, ...], beta: tuple[int, ...]) -> tuple[int, ...] | str:
        if len(x) != 2 and (kind == "batchnorm" or not x):
            return (f"{kind} needs a matrix: one row per example" if kind == "batchnorm"
                    else "layernorm needs a vector or a matrix (each row is normalised)")
        for name, p in (("gamma", gamma), ("beta", beta)):
            if broadcast_shapes(x, p) != x:
                return f"{kind}'s {name} must be a number or a vector of {x[-1]} entries (one per column)"
        return x
    return shape


for _kind, _axis, _example, _what in (
        ("batchnorm", 0, ("sum(batchnorm(X, g, b) * W)", "X=[[1,2],[3,5],[0,1]]", "g=[1,2]", "b=[0,1]",
                          "W=[[1,0],[0,1],[2,-1]]"), "each column over the rows of the batch"),
        ("layernorm", -1, ("sum(layernorm(X, g, b) * W)", "X=[[1,2,4],[3,5,0]]", "g=[1,2,1]", "b=0",
                           "W=[[1,0,2],[0,1,-1]]"), "each row over its entries")):
    F(Gate(
        _kind, 3, lambda x, g, b: b, lambda x, g, b, out: (0.0, 0.0, 1.0), f"{_kind}({{0}}, {{1}}, {{2}})",
        ("0", "0", "1"),
        f"{_kind} sends back (dxhat - mean(dxhat) - xhat*mean(dxhat*xhat))/s, the steps of the mean and the "
        f"variance in one",
        lesson=f"{_kind}(X, gamma, beta) normalises {_what}: xhat = (X - mean)/sqrt(var + 1e-5), with the "
               f"biased variance (as PyTorch), then gamma*xhat + beta. Every entry of a "
               f"{'column' if _kind == 'batchnorm' else 'row'} moves its mean and variance, so the gradient "
               f"is not just upstream*gamma/s: written out, the mean, the squares, the variance and the square "
               f"root each send a gradient back, and they collapse to dX = (dxhat - mean(dxhat) - "
               f"xhat*mean(dxhat*xhat))/s with dxhat = gamma*upstream. gamma receives sum(upstream*xhat) and "
               f"beta sum(upstream). --expand shows the steps.",
        example=_example,
        expand=(f"{{1}} * (({{0}} - mean({{0}}, axis={_axis}, keepdims=true)) / sqrt(mean(({{0}} - mean({{0}}, "
                f"axis={_axis}, keepdims=true))^2, axis={_axis}, keepdims=true) + {NORM_EPS!r})) + {{2}}"),
        vforward=_norm_forward(_kind), vjp=_norm_vjp(_kind), shape=_norm_shape(_kind),
        rules=("(dxhat - mean(dxhat) - xhat ⊙ mean(dxhat ⊙ xhat))/s, dxhat = upstream ⊙ {1}",
               "sum(upstream ⊙ xhat)", "sum(upstream)"),
        array_only=True,
        sympy=lambda sp, x, g, b: b,
    ))


def _mse_vjp(np, g, a, b, out):  # type: ignore[no-untyped-def]
    d = a - b
    ga = g * 2.0 * d / max(np.size(d), 1)
    return ga, -ga


F(Gate(
    "mse", 2, lambda a, b: (a - b) * (a - b), lambda a, b, out: (2.0 * (a - b), -2.0 * (a - b)),
    "mse({0}, {1})", ("2*({0} - {1})", "-2*({0} - {1})"),
    "mean squared error sends 2*(yhat - y)/n to the prediction and the opposite to the target",
    lesson="mse(yhat, y) = mean((yhat - y)^2), the mean squared error over all n entries: the prediction "
           "receives 2*(yhat - y)/n and the target the opposite. On numbers (n = 1) it is (yhat - y)^2.",
    example=("mse(w * x, y)", "w=0.5", "x=2", "y=3"),
    vforward=lambda np, a, b: np.mean((a - b) ** 2), vjp=_mse_vjp,
    shape=lambda a, b: () if broadcast_shapes(a, b) is not None else "these shapes do not broadcast",
    rules=("upstream * 2*({0} - {1})/n", "-upstream * 2*({0} - {1})/n"),
    sympy=lambda sp, a, b: (a - b) ** 2,
))


# -- Losses on numbers: binary cross-entropy on a probability, and on a logit (sigmoid and
# cross-entropy fused, as PyTorch's BCEWithLogitsLoss) ---------------------------------------


def _label_domain(name: str) -> Callable[..., str | None]:
    def check(a: float, y: float) -> str | None:
        if name == "bce" and not 0.0 < a < 1.0:
            return "bce needs a probability strictly between 0 and 1 (its log would be infinite)"
        if not 0.0 <= y <= 1.0:
            return f"{name} needs a target (label) between 0 and 1"
        return None
    return check


def _bce(p: float, y: float) -> float:
    """-(y*log(p) + (1-y)*log(1-p)); a term whose weight is 0 is left out (so p = 1, y = 1 is fine)."""
    return -((y * math.log(p) if y != 0 else 0.0) + ((1.0 - y) * math.log1p(-p) if y != 1 else 0.0))


def _bce_local(p: float, y: float, out: float) -> Local:
    return ((p - y) / (p * (1.0 - p)), math.log1p(-p) - math.log(p))


F(Gate(
    "bce", 2, _bce, _bce_local, "bce({0}, {1})", ("({0} - {1})/({0}*(1 - {0}))", "log(1 - {0}) - log({0})"),
    "bce sends (p - y)/(p*(1-p)) to the probability: huge when a confident p is wrong",
    domain=_label_domain("bce"),
    lesson="bce(p, y) = -(y*log(p) + (1-y)*log(1-p)) scores a probability p against a label y in [0, 1]. "
           "Its slope (p - y)/(p*(1-p)) blows up as a wrong prediction grows confident (p near 0 or 1), "
           "which is why networks end in a logit and use bce_logits instead.",
    example=("bce(p, y)", "p=0.7", "y=1"), expand="-({1}*log({0}) + (1 - {1})*log(1 - {0}))",
    vforward=lambda np, p, y: -(np.where(y != 0, y * np.log(p), 0.0) + np.where(y != 1, (1.0 - y) * np.log1p(-p), 0.0)),
    vlocal=lambda np, p, y, out: ((p - y) / (p * (1.0 - p)), np.log1p(-p) - np.log(p)),
    sympy=lambda sp, p, y: -(y * sp.log(p) + (1 - y) * sp.log(1 - p)),
))


def _bce_logits(z: float, y: float) -> float:
    # softplus(z) - y*z, written so that no exp overflows and (1 - y)*z does not cancel
    if z >= 0:
        return (1.0 - y) * z + math.log1p(math.exp(-z))
    return -y * z + math.log1p(math.exp(z))


def _bce_logits_local(z: float, y: float, out: float) -> Local:
    # sigmoid(z) - y without cancellation: near z = 0 as tanh(z/2)/2 + (1/2 - y), else from the
    # smaller of sigmoid(z) and sigmoid(-z)
    if abs(z) < 1:
        dz = 0.5 * math.tanh(0.5 * z) + (0.5 - y)
    elif z > 0:
        dz = (1.0 - y) - _sigmoid(-z)
    else:
        dz = _sigmoid(z) - y
    return (dz, -z)


F(Gate(
    "bce_logits", 2, _bce_logits, _bce_logits_local, "bce_logits({0}, {1})",
    ("sigmoid({0}) - {1}", "-{0}"),
    "cross-entropy on a logit sends sigmoid(z) - y back: prediction minus target, never huge",
    domain=_label_domain("bce_logits"),
    lesson="bce_logits(z, y) is the cross-entropy of sigmoid(z) against y, taken on the logit z "
           "(PyTorch's BCEWithLogitsLoss). Chaining sigmoid's s*(1-s) into bce's (s - y)/(s*(1-s)) "
           "cancels the fraction: the logit's gradient is just sigmoid(z) - y, the prediction minus "
           "the target, finite everywhere.",
    example=("bce_logits(z, y)", "z=0.5", "y=1"), expand="softplus({0}) - {1}*{0}",
    vforward=lambda np, z, y: _vsoftplus(np, z) - y * z, vlocal=lambda np, z, y, out: (_vsigmoid(np, z) - y, -z),
    sympy=lambda sp, z, y: sp.log(1 + sp.exp(z)) - y * z,
))

del R, F
