"""Each gate of the registry as a sympy expression, and exact folding of constant syntax trees.

Imported only by the features that need sympy (--check, --symbolic, --exact, --latex); the
plain `bprop eval` path never loads this module. Everything here is built from bprop's own
syntax tree or Graph, never from text handed to sympy.
"""

from __future__ import annotations

import signal
import threading
import time
from fractions import Fraction
from typing import Callable, Sequence

import sympy

from .errors import ValueBindingError
from .syntax import Binary, Call, Expr, Name, Num, Unary, children

S = sympy.Expr


class sigmoid(sympy.Function):  # noqa: N801 - named as the user writes it
    """The fused logistic gate: kept whole in formulas (derivative s*(1-s)), numbers evaluate."""

    @classmethod
    def eval(cls, x):  # type: ignore[no-untyped-def]
        if x.is_number:
            return 1 / (1 + sympy.exp(-x))
        return None

    def fdiff(self, argindex: int = 1) -> S:
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, x, **kwargs):  # type: ignore[no-untyped-def]
        return 1 / (1 + sympy.exp(-x))

    def _eval_is_real(self):  # type: ignore[no-untyped-def]
        return self.args[0].is_real

    def _latex(self, printer) -> str:  # type: ignore[no-untyped-def]
        return r"\sigma\left(%s\right)" % printer._print(self.args[0])


def expand_sigmoid(x: S) -> S:
    """The same expression with sigmoid written out as 1/(1+exp(-x)), for independent checks."""
    return x.replace(sigmoid, lambda a: 1 / (1 + sympy.exp(-a)))

# One entry per gate in gates.GATES (a test keeps the two tables in step).
FORMS: dict[str, Callable[..., S]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "pow": lambda a, c: a**c,
    "pow_var": lambda a, b: a**b,
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "tanh": sympy.tanh,
    "sigmoid": sigmoid,
    "softplus": lambda a: sympy.log(1 + sympy.exp(a)),
    "relu": lambda a: sympy.Max(0, a),
    "abs": sympy.Abs,
    "max": lambda *xs: sympy.Max(*xs),
    "min": lambda *xs: sympy.Min(*xs),
    # On numbers (the array gates' scalar forms; the matrix product never reaches sympy).
    "matmul": lambda a, b: a * b,
    "transpose": lambda a: a,
    "sum": lambda a: a,
    "mean": lambda a: a,
    "softmax": lambda a: sympy.Integer(1),
    "mse": lambda a, b: (a - b) ** 2,
    "bce": lambda p, y: -(y * sympy.log(p) + (1 - y) * sympy.log(1 - p)),
    "bce_logits": lambda z, y: sympy.log(1 + sympy.exp(z)) - y * z,
}

CONSTANTS: dict[str, S] = {"pi": sympy.pi, "e": sympy.E}


def _number(x: S) -> bool:
    return bool(getattr(x, "is_number", False))


def _relu_local(a: S, out: S) -> tuple[S, ...]:
    # Heaviside with H(0) = 0: relu'(0) = 0, PyTorch's convention.
    return (sympy.Heaviside(a, 0),)


def _pow_var_local(a: S, b: S, out: S) -> tuple[S, ...]:
    # The engine's forms: y*x^(y-1) (sympy.diff would say x^y*y/x, which is 0/0 at x = 0),
    # and at x = 0 the engine's convention for the exponent: 0^y is flat in y near y > 0.
    da = sympy.Integer(0) if _number(b) and b == 0 else b * a ** (b - 1)
    return (da, sympy.Integer(0) if _number(a) and a == 0 else out * sympy.log(a))


def _route(*xs: S) -> tuple[S, ...] | None:
    """max/min at numbers: the gradient goes to the winner, split evenly between ties."""
    args, out = xs[:-1], xs[-1]
    if not all(_number(x) for x in args):
        return None
    winners = [bool(sympy.Eq(x, out)) for x in args]
    share = sympy.Rational(1, sum(winners))
    return tuple(share if w else sympy.Integer(0) for w in winners)


# Local derivatives that differ from sympy.diff of the form at a non-differentiable point;
# returning None falls back to the derivative of the form.
LOCAL_OVERRIDES: dict[str, Callable[..., tuple[S, ...] | None]] = {
    "relu": _relu_local,
    "pow_var": _pow_var_local,
    "max": _route,
    "min": _route,
}


def form(gate: str, args: Sequence[S]) -> S:
    """The gate applied to sympy arguments."""
    return FORMS[gate](*args)


def local_derivatives(gate: str, args: Sequence[S], out: S) -> tuple[S, ...]:
    """d out / d arg_i for every argument, as sympy expressions."""
    override = LOCAL_OVERRIDES.get(gate)
    if override is not None and (result := override(*args, out)) is not None:
        return result
    out_: list[S] = []
    for i, arg in enumerate(args):
        # Only argument i is a dummy: the others keep their values, so x^2 differentiates to 2*x
        # (not x^c*c/x, which is 0/0 at x = 0).
        d = sympy.Dummy("a", real=True)
        f = FORMS[gate](*args[:i], d, *args[i + 1 :])
        out_.append(sympy.diff(f, d).xreplace({d: arg}))
    return tuple(out_)


def rational(text: str) -> sympy.Rational:
    """A number token read exactly: '0.1' is 1/10, '1e-3' is 1/1000."""
    frac = Fraction(text)
    return sympy.Rational(frac.numerator, frac.denominator)


def fold(expr: Expr, source: str, env: dict[str, S] | None = None) -> S:
    """Evaluate a syntax tree exactly with sympy objects (explicit stack, no recursion).

    Names are looked up in `env`, then in the constants; anything else raises KeyError.
    """
    from .gates import BINARY_GATES, FUNCTIONS

    env = env or {}
    done: dict[int, S] = {}
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if not expanded and not isinstance(node, (Num, Name)):
            stack.append((node, True))
            stack.extend((kid, False) for kid in reversed(children(node)))
            continue
        args = [done.pop(id(kid)) for kid in children(node)]
        if isinstance(node, Num):
            value = rational(node.text)
        elif isinstance(node, Name):
            value = env[node.id] if node.id in env else CONSTANTS[node.id]
        elif isinstance(node, Unary):
            value = -args[0] if node.op == "-" else args[0]
        elif isinstance(node, Binary):
            value = form(BINARY_GATES[node.op], args)
        else:
            assert isinstance(node, Call)
            value = form(FUNCTIONS[node.func], args)
        done[id(node)] = value
    return done[id(expr)]


def exact_value(text: str, name: str = "") -> S:
    """A NAME=VALUE value such as '1/3' or '-pi/4', read with bprop's parser and folded exactly."""
    from .parser import parse_expression
    from .values import constant_value

    constant_value(text, name)  # the same checks and messages as the float path
    try:
        return fold(parse_expression(text), text)
    except (KeyError, ZeroDivisionError):  # pragma: no cover - constant_value refused these already
        raise ValueBindingError(f"the value of {name}, {text!r}, is not a constant expression") from None


def is_finite(x: S) -> bool:
    """False for the values sympy uses for 1/0, log(0) and friends."""
    return not x.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)


class _Printer(sympy.printing.str.StrPrinter):
    def _print_Exp1(self, expr: S) -> str:
        return "e"  # bprop's name for the constant


def show(x: S) -> str:
    """A sympy expression in bprop's own notation ('^' for powers, 'e' for Euler's number)."""
    return _Printer().doprint(x).replace("**", "^")


class _OutOfTime(Exception):
    pass


class Simplifier:
    """sympy.simplify within a time budget shared by a whole trace: simplify can take minutes on
    nested functions (sin(sin(...)) 14 deep: over a minute), and a calculator must not hang.
    What runs out of time, or of memory (sin(x)^1e16 makes simplify build a list of 1e16
    factors), is shown as computed, unsimplified."""

    def __init__(self, seconds: float = 3.0) -> None:
        self.deadline = time.monotonic() + seconds
        self.gave_up = False

    def __call__(self, x: S) -> S:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.gave_up = True
            return x
        if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
            try:
                return sympy.simplify(x) if sympy.count_ops(x) <= 20 else x  # no timer here: only small ones
            except (MemoryError, RecursionError):
                self.gave_up = True
                return x

        # The alarm repeats every 50 ms until simplify stops: one that lands while Python runs a
        # finalizer is reported as "unraisable" and lost, and the next one must still stop it.
        armed = [True]

        def stop(signum, frame):  # type: ignore[no-untyped-def]
            if armed[0]:
                raise _OutOfTime

        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, left, 0.05)
        try:
            try:
                return sympy.simplify(x)
            finally:
                armed[0] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
        except (_OutOfTime, MemoryError, RecursionError):
            self.gave_up = True
            return x
        finally:
            signal.signal(signal.SIGALRM, previous)
