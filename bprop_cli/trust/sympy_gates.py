"""The gates in sympy, and exact folding of constant syntax trees.

Each registry entry writes its own sympy form against SP (sympy's names plus bprop's fused
sigmoid and exact max/min); `form` and `local_derivatives` apply them. Imported only by the
features that need sympy (--check, --symbolic, --exact, --latex); the plain `bprop eval` path
never loads this module. Everything here is built from bprop's own syntax tree or Graph, never
from text handed to sympy.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from fractions import Fraction
from typing import Sequence

import sympy
from sympy.core.evalf import PrecisionExhausted

from bprop_cli.errors import ValueBindingError
from bprop_cli.gates.registry import BINARY_GATES, FUNCTIONS, GATES
from bprop_cli.lang.syntax import Binary, Call, Expr, Name, Num, Unary, children

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

CONSTANTS: dict[str, S] = {"pi": sympy.pi, "e": sympy.E}
SIGN_DIGITS = 5_000  # the working precision (digits) a comparison of two exact numbers may use


def sign(x: S) -> int | None:
    """-1, 0 or 1 for an exact real number; None when sympy cannot tell it from zero at
    SIGN_DIGITS digits (then it is, most likely, an exact zero written in two ways)."""
    if x.is_zero:
        return 0
    try:
        value = x.evalf(30, strict=True, maxn=SIGN_DIGITS)
    except (PrecisionExhausted, TypeError, ValueError, OverflowError):
        return None
    if value.is_zero:
        return 0
    if not value.is_Float:
        return None
    return 1 if value > 0 else -1


def _choose(kind, *xs: S) -> S:  # type: ignore[no-untyped-def]
    """max/min of numbers exactly: sympy leaves Max(1e-300, tan(1e-300)) unchosen (its own
    comparison works at 15 digits, and they differ at the 600th), so the winner is found with
    `sign` at up to SIGN_DIGITS digits; formulas stay Max/Min."""
    out = kind(*xs)
    if not isinstance(out, kind) or not all(_number(x) for x in out.args):
        return out
    best = out.args[0]
    for x in out.args[1:]:
        s = sign(x - best)
        if s is None:
            return out  # cannot be told apart: left as sympy wrote it
        if (s > 0) == (kind is sympy.Max) and s != 0:
            best = x
    return best


def _number(x: S) -> bool:
    return bool(getattr(x, "is_number", False))


def _route(*xs: S) -> tuple[S, ...] | None:
    """max/min at numbers: the gradient goes to the winner, split evenly between ties."""
    args, out = xs[:-1], xs[-1]
    if not all(_number(x) for x in args):
        return None
    winners = [x == out or sign(x - out) in (0, None) for x in args]  # None: equal to SIGN_DIGITS digits
    share = sympy.Rational(1, sum(winners))
    return tuple(share if w else sympy.Integer(0) for w in winners)


class _Namespace:
    """What a gate's sympy form is written against (the `sp` of gates/registry.py): sympy's
    names, and bprop's own pieces, the fused sigmoid and the exact choice of a max or min."""

    sigmoid = sigmoid
    choose = staticmethod(_choose)
    route = staticmethod(_route)
    is_number = staticmethod(_number)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(sympy, name)


SP = _Namespace()


def form(gate: str, args: Sequence[S]) -> S:
    """The gate applied to sympy arguments."""
    return GATES[gate].sympy(SP, *args)


def local_derivatives(gate: str, args: Sequence[S], out: S) -> tuple[S, ...]:
    """d out / d arg_i for every argument, as sympy expressions: the gate's own convention where
    it has one (a kink), else sympy's derivative of its form."""
    entry = GATES[gate]
    if entry.sympy_local is not None and (result := entry.sympy_local(SP, *args, out)) is not None:
        return result
    out_: list[S] = []
    for i, arg in enumerate(args):
        # Only argument i is a dummy: the others keep their values, so x^2 differentiates to 2*x
        # (not x^c*c/x, which is 0/0 at x = 0).
        d = sympy.Dummy("a", real=True)
        f = entry.sympy(SP, *args[:i], d, *args[i + 1 :])
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
    from bprop_cli.engine.number import constant_value
    from bprop_cli.lang.parser import parse_expression

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
    """Raised by a time limit whose deadline has passed (`limit` says which one, as they nest)."""

    def __init__(self, limit: "bounded | None" = None) -> None:
        super().__init__("out of time")
        self.limit = limit


OutOfTime = _OutOfTime


class TooBig(ArithmeticError):
    """An exact number would pass the size allowed while a `bounded` block runs."""

    def __init__(self, bits: int, limit: int) -> None:
        super().__init__(f"a number of about {digits(bits):,} digits")
        self.bits = bits
        self.limit = limit


def digits(bits: int) -> int:
    """Decimal digits of a number of `bits` bits."""
    return int(bits * 0.30103) + 1


class _Limits(threading.local):
    def __init__(self) -> None:
        self.active: list[bounded] = []  # the limits in force in this thread, outermost first


_LIMITS = _Limits()


def _expired() -> "bounded | None":
    now = time.monotonic()
    return next((lim for lim in _LIMITS.active if lim.armed and now >= lim.deadline), None)


def _on_alarm(signum, frame):  # type: ignore[no-untyped-def]
    lim = _expired()  # the outermost one out of time: the blocks inside it let it pass
    if lim is not None:
        raise _OutOfTime(lim)


def _on_call(frame, event, arg):  # type: ignore[no-untyped-def]
    lim = _expired()  # off the main thread no signal can stop the work: the clock is read on every call
    if lim is not None:
        raise _OutOfTime(lim)


def _unraisable_unless_out_of_time(previous):  # type: ignore[no-untyped-def]
    """sys.unraisablehook for a bounded block: an alarm that lands in a finalizer or a gc callback
    is "unraisable", and Python would print it as "Exception ignored in ..." on stderr (the next
    alarm stops the work); every other unraisable goes to the hook there was before."""
    def hook(unraisable):  # type: ignore[no-untyped-def]
        if not isinstance(unraisable.exc_value, _OutOfTime):
            previous(unraisable)
    return hook


def _rearm() -> None:
    """Point the timer at the nearest deadline still in force."""
    live = [lim.deadline for lim in _LIMITS.active if lim.armed]
    if live:
        # The alarm repeats every 50 ms until the block ends: one that lands while Python runs a
        # finalizer is reported as "unraisable" and lost, and the next one must still stop it.
        signal.setitimer(signal.ITIMER_REAL, max(min(live) - time.monotonic(), 1e-4), 0.05)


class bounded:  # noqa: N801 - used as a `with` block, like contextlib's
    """A block of sympy work within `seconds` of wall-clock time and, with `bits`, with no power
    of an exact number past `bits` bits (its numerator or denominator).

    Past the deadline the block raises OutOfTime; a power too large raises TooBig before it is
    computed (a big-integer power runs in C, where no timer can stop it). In the main thread the
    deadline is a repeating SIGALRM; in any other thread a profile hook reads the clock on every
    call (slower, but nothing is left running). Blocks nest, each thread has its own, and the
    alarm can land anywhere, even in __exit__; so the limit is made before the block and the
    catch goes around the whole `with`:

        limit = bounded(2.0)
        try:
            with limit:
                ...
        except OutOfTime as err:
            if not limit.owns(err):
                raise  # an outer block's deadline
    """

    def __init__(self, seconds: float, bits: int | None = None) -> None:
        self.deadline = time.monotonic() + seconds
        self.bits = bits
        self.armed = False
        self.depth = len(_LIMITS.active)
        self._previous = None
        self._unraisable = sys.unraisablehook
        self._main = False

    def owns(self, err: _OutOfTime) -> bool:
        """True when this block (or one left over inside it) ran out of time, not an outer one."""
        self.armed = False
        return err.limit is None or err.limit.depth >= self.depth

    def __enter__(self) -> "bounded":
        state = _LIMITS.active
        self._main = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        self.depth = len(state)
        if not state:
            self._previous = signal.signal(signal.SIGALRM, _on_alarm) if self._main else sys.getprofile()
            if not self._main:
                sys.setprofile(_on_call)
            self._unraisable = sys.unraisablehook
            sys.unraisablehook = _unraisable_unless_out_of_time(self._unraisable)
        self.armed = True
        state.append(self)
        if self._main:
            _rearm()
        return self

    def __exit__(self, *exc: object) -> None:
        self.armed = False  # first: from here on no alarm raises for this block
        state = _LIMITS.active
        if self.depth == 0:
            for other in state:
                other.armed = False
            if self._main:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, self._previous)
            else:
                sys.setprofile(self._previous)
            sys.unraisablehook = self._unraisable
            state.clear()
        else:
            del state[self.depth:]  # this block and any left over inside it
            if self._main:
                _rearm()


def _power_bits(base: "sympy.Rational", expt: S) -> int:
    """About how many bits the numerator or denominator of base**expt would have."""
    if not isinstance(expt, sympy.Rational) or base.p in (0, 1, -1) and base.q == 1:
        return 0
    size = max(math.log2(abs(base.p)) if base.p else 0.0, math.log2(base.q))
    return int(size * abs(expt.p) / expt.q)


def _size_limit() -> int | None:
    return next((lim.bits for lim in reversed(_LIMITS.active) if lim.armed and lim.bits is not None), None)


def check_size(x: S) -> S:
    """`x`, unless a rational in it is longer than the `bounded` block in force allows (TooBig):
    sums and products grow a number one node at a time (x*x squared 400 times over), so each
    node's result is looked at before the next one is computed."""
    limit = _size_limit()
    if limit is None:
        return x
    numbers = (x,) if x.is_Rational else x.atoms(sympy.Rational) if x.args else ()
    for r in numbers:
        bits = max(abs(r.p).bit_length(), r.q.bit_length())
        if bits > limit:
            raise TooBig(bits, limit)
    return x


def _guarded(original):  # type: ignore[no-untyped-def]
    def _eval_power(self, expt):  # type: ignore[no-untyped-def]
        limit = _size_limit()
        if limit is not None and (bits := _power_bits(self, expt)) > limit:
            raise TooBig(bits, limit)
        return original(self, expt)

    _eval_power.__wrapped__ = original  # type: ignore[attr-defined]
    return _eval_power


# sympy computes p**n of a Rational or an Integer in C as soon as the power is written, however
# large (10000001/10000000 to the 1e7 is 70 million digits: minutes and gigabytes), and offers
# no limit of its own; within a `bounded` block these two methods refuse first. Outside one
# they behave exactly as sympy's.
for _cls in (sympy.Integer, sympy.Rational):
    if not hasattr(_cls.__dict__["_eval_power"], "__wrapped__"):
        _cls._eval_power = _guarded(_cls.__dict__["_eval_power"])  # type: ignore[method-assign]


class Simplifier:
    """sympy.simplify within a time budget shared by a whole trace: simplify can take minutes on
    nested functions (sin(sin(...)) 14 deep: over a minute), and a calculator must not hang.
    What runs out of time, or of memory (sin(x)^1e16 makes simplify build a list of 1e16
    factors), meets a number too large to compute (nsimplify of exp(2.4e19)) or fails inside
    sympy, is shown as computed, unsimplified."""

    def __init__(self, seconds: float = 3.0) -> None:
        self.deadline = time.monotonic() + seconds
        self.gave_up = False

    def __call__(self, x: S) -> S:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.gave_up = True
            return x
        limit = bounded(left)
        try:
            with limit:
                return sympy.simplify(x)
        except _OutOfTime as err:
            if not limit.owns(err):
                raise  # an outer block's deadline: not ours to swallow
            self.gave_up = True
            return x
        except Exception:  # noqa: BLE001 - simplify is best effort: TooBig, MemoryError, OverflowError,
            # and sympy's own slips (rewriting a Max of tan(1e-300) to exp, it calls its argument
            # "not comparable": a ValueError) all leave the formula as computed
            self.gave_up = True
            return x
