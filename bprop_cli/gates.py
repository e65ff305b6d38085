"""Every gate in one place: forward rule, local derivatives (numbers and readable formulas),
domain, the convention at non-differentiable points, and the pattern a tutor names.

Formulas are templates: {0}, {1}, ... are the gate's inputs, {out} is its own output.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple, Optional

Local = tuple[Optional[float], ...]  # None: that input is a constant and gets no gradient


class Gate(NamedTuple):  # a NamedTuple, not a dataclass: ten times cheaper to define at start-up
    name: str  # id used in JSON "op", e.g. "mul"
    arity: int  # number of inputs; 0 means two or more (max, min)
    forward: Callable[..., float]
    local: Callable[..., Local]  # (*inputs, out) -> d out / d input_i
    show: str  # how the node computes, e.g. "{0} * {1}"
    dforms: tuple[str, ...]  # local derivative formula per input (one entry for variadic gates)
    pattern: str  # what the gate does to the gradient, in a tutor's words
    domain: Callable[..., str | None] | None = None  # message when inputs are outside the domain
    kink: Callable[..., str | None] | None = None  # note when a subgradient convention is used
    # Tutor data (filled in by the LESSONS table at the end of this file):
    lesson: str = ""  # a few sentences: why the local derivative is what it is
    example: tuple[str, ...] = ()  # a tiny example, as `bprop explain` arguments: EXPR NAME=VALUE ...
    expand: str = ""  # composite gates: the same function in simpler gates, over {0}, {1}, ...

    def formula(self, index: int, names: list[str], out: str) -> str:
        template = self.dforms[min(index, len(self.dforms) - 1)]
        return template.format(*names, out=out, i=names[index])

    def expression(self, names: list[str]) -> str:
        if self.arity == 0:
            return f"{self.name}({', '.join(names)})"
        return self.show.format(*names)


GATES: dict[str, Gate] = {}
FUNCTIONS: dict[str, str] = {}  # name a user calls -> gate name


def register(gate: Gate, *, function: bool = False) -> Gate:
    if gate.name in GATES:
        raise ValueError(f"gate {gate.name!r} registered twice")
    GATES[gate.name] = gate
    if function:
        FUNCTIONS[gate.name] = gate.name
    return gate


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # no overflow for very negative x
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _pow(x: float, c: float) -> float:
    return math.pow(x, c)


def _pow_domain(x: float, c: float) -> str | None:
    if x < 0 and not float(c).is_integer():
        return "a negative base under a non-integer exponent has no real value"
    if x == 0 and c < 0:
        return "zero raised to a negative power is a division by zero"
    return None


def _pow_const_local(x: float, c: float, out: float) -> Local:
    if c == 0:
        return (0.0, None)
    if c == 1:
        return (1.0, None)
    return (c * math.pow(x, c - 1), None)


def _pow_var_local(x: float, y: float, out: float) -> Local:
    # d(x^y)/dy = x^y ln x; at x = 0 (y > 0) the output is 0 everywhere near, so PyTorch uses 0.
    dy = 0.0 if x == 0 else out * math.log(x)
    dx = 0.0 if y == 0 else y * math.pow(x, y - 1)
    return (dx, dy)


def _pow_var_domain(x: float, y: float) -> str | None:
    if x < 0:
        return "a power with a variable exponent needs a positive base (its derivative uses log of the base)"
    if x == 0 and y <= 0:
        return "zero raised to a power that is not positive is undefined or infinite"
    return None


def _ties(xs: tuple[float, ...], target: float) -> Local:
    winners = [x == target for x in xs]
    share = 1.0 / sum(winners)
    return tuple(share if w else 0.0 for w in winners)


def _tie_note(*xs: float) -> str | None:
    best = xs[-1]  # last argument is the output
    if sum(x == best for x in xs[:-1]) > 1:
        return "a tie: the gradient is split evenly between the tied inputs (PyTorch's convention)"
    return None


def _zero_kink(fn: str, value: str) -> Callable[..., str | None]:
    def note(x: float, out: float) -> str | None:
        return f"not differentiable at 0: {fn}'(0) is taken as {value} (PyTorch's convention)" if x == 0 else None
    return note


def _positive(what: str) -> Callable[..., str | None]:
    def check(x: float) -> str | None:
        return f"{what} needs a positive input" if x <= 0 else None
    return check


def _bce(p: float, y: float) -> float:
    """-(y*log(p) + (1-y)*log(1-p)); a term whose weight is 0 is left out (so p = 1, y = 1 is fine)."""
    return -((y * math.log(p) if y != 0 else 0.0) + ((1.0 - y) * math.log(1.0 - p) if y != 1 else 0.0))


def _bce_domain(p: float, y: float) -> str | None:
    if not 0.0 < p < 1.0:
        return "bce needs a probability strictly between 0 and 1 (its log would be infinite)"
    return None


def _bce_local(p: float, y: float, out: float) -> Local:
    return ((p - y) / (p * (1.0 - p)), math.log(1.0 - p) - math.log(p))


def _bce_logits(z: float, y: float) -> float:
    # softplus(z) - y*z, written so that no exp overflows: max(z, 0) - y*z + log(1 + exp(-|z|))
    return max(z, 0.0) - y * z + math.log1p(math.exp(-abs(z)))


R = register
R(Gate("add", 2, lambda a, b: a + b, lambda a, b, out: (1.0, 1.0), "{0} + {1}", ("1", "1"),
       "add distributes: every input receives the upstream gradient unchanged"))
R(Gate("sub", 2, lambda a, b: a - b, lambda a, b, out: (1.0, -1.0), "{0} - {1}", ("1", "-1"),
       "subtract passes the gradient to its left input and the negated gradient to its right"))
R(Gate("mul", 2, lambda a, b: a * b, lambda a, b, out: (b, a), "{0} * {1}", ("{1}", "{0}"),
       "multiply swaps: each input's local derivative is the other input's value"))
R(Gate("div", 2, lambda a, b: a / b, lambda a, b, out: (1.0 / b, -a / (b * b)), "{0} / {1}",
       ("1/{1}", "-{0}/{1}^2"),
       "divide scales the numerator's gradient by 1/b and gives the denominator -a/b^2",
       domain=lambda a, b: "division by zero" if b == 0 else None))
R(Gate("neg", 1, lambda a: -a, lambda a, out: (-1.0,), "-{0}", ("-1",),
       "negate (a *-1 gate) flips the sign of the gradient"))
R(Gate("pow", 2, _pow, _pow_const_local, "{0}^{1}", ("{1}*{0}^({1}-1)", ""),
       "a power with a constant exponent c has the local derivative c*x^(c-1)",
       domain=_pow_domain))
R(Gate("pow_var", 2, _pow, _pow_var_local, "{0}^{1}", ("{1}*{0}^({1}-1)", "{0}^{1}*log({0})"),
       "a power with a variable exponent sends y*x^(y-1) to the base and x^y*log(x) to the exponent",
       domain=_pow_var_domain))
F = lambda gate: register(gate, function=True)  # noqa: E731 - a gate a user calls by name
F(Gate("exp", 1, math.exp, lambda a, out: (out,), "exp({0})", ("exp({0})",),
       "exp reuses its own output: its local derivative is exp(x), the value it computed"))
F(Gate("log", 1, math.log, lambda a, out: (1.0 / a,), "log({0})", ("1/{0}",),
       "log (natural) scales the gradient by 1/x", domain=_positive("log")))
F(Gate("sqrt", 1, math.sqrt, lambda a, out: (0.5 / out,), "sqrt({0})", ("1/(2*sqrt({0}))",),
       "sqrt scales the gradient by 1/(2*sqrt(x)), which is infinite at 0",
       domain=lambda a: "sqrt needs a non-negative input" if a < 0 else None))
F(Gate("sin", 1, math.sin, lambda a, out: (math.cos(a),), "sin({0})", ("cos({0})",),
       "sin scales the gradient by cos(x)"))
F(Gate("cos", 1, math.cos, lambda a, out: (-math.sin(a),), "cos({0})", ("-sin({0})",),
       "cos scales the gradient by -sin(x)"))
F(Gate("tan", 1, math.tan, lambda a, out: (1.0 + out * out,), "tan({0})", ("1 + tan({0})^2",),
       "tan scales the gradient by 1 + tan(x)^2"))
F(Gate("tanh", 1, math.tanh, lambda a, out: (1.0 - out * out,), "tanh({0})", ("1 - {out}^2",),
       "tanh reuses its output: its local derivative is 1 - tanh(x)^2"))
F(Gate("sigmoid", 1, _sigmoid, lambda a, out: (out * (1.0 - out),), "sigmoid({0})", ("{out}*(1 - {out})",),
       "sigmoid reuses its output: its local derivative is s*(1-s), one fused gate"))
F(Gate("softplus", 1, _softplus, lambda a, out: (_sigmoid(a),), "softplus({0})", ("sigmoid({0})",),
       "softplus log(1+exp(x)) has the sigmoid as its local derivative"))
F(Gate("relu", 1, lambda a: a if a > 0 else 0.0, lambda a, out: (1.0 if a > 0 else 0.0,), "relu({0})",
       ("1 if {0} > 0, else 0",), "relu is a switch: it passes the gradient where x > 0 and blocks it elsewhere",
       kink=_zero_kink("relu", "0")))
F(Gate("abs", 1, abs, lambda a, out: (math.copysign(1.0, a) if a != 0 else 0.0,), "abs({0})",
       ("sign({0})",), "abs passes the gradient with the sign of its input",
       kink=_zero_kink("abs", "0")))
F(Gate("max", 0, max, lambda *xs: _ties(xs[:-1], xs[-1]), "", ("1 if {i} is the largest else 0",),
       "max routes: the whole gradient goes to the largest input, the others get 0",
       kink=_tie_note))
F(Gate("min", 0, min, lambda *xs: _ties(xs[:-1], xs[-1]), "", ("1 if {i} is the smallest else 0",),
       "min routes: the whole gradient goes to the smallest input, the others get 0",
       kink=_tie_note))
# Loss gates (scalar forms): squared error, binary cross-entropy on a probability, and binary
# cross-entropy on a logit (sigmoid and cross-entropy fused, as PyTorch's BCEWithLogitsLoss).
F(Gate("mse", 2, lambda a, b: (a - b) * (a - b), lambda a, b, out: (2.0 * (a - b), -2.0 * (a - b)),
       "mse({0}, {1})", ("2*({0} - {1})", "-2*({0} - {1})"),
       "mse sends 2*(yhat - y) to the prediction: the gradient grows with the error"))
F(Gate("bce", 2, _bce, _bce_local, "bce({0}, {1})", ("({0} - {1})/({0}*(1 - {0}))", "log(1 - {0}) - log({0})"),
       "bce sends (p - y)/(p*(1-p)) to the probability: huge when a confident p is wrong",
       domain=_bce_domain))
F(Gate("bce_logits", 2, _bce_logits, lambda z, y, out: (_sigmoid(z) - y, -z), "bce_logits({0}, {1})",
       ("sigmoid({0}) - {1}", "-{0}"),
       "cross-entropy on a logit sends sigmoid(z) - y back: prediction minus target, never huge"))
del R, F

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
BINARY_GATES = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow"}

# What `bprop explain GATE` teaches, and how `--expand` rewrites a composite gate into the
# primitive gates the seeds draw. Expansions are parsed by bprop's own parser ({0} is the
# gate's first input) and may use other composite gates, which expand in turn.
LESSONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "add": ("The output moves exactly as much as either input does, so both local derivatives are 1 "
            "and the upstream gradient is copied, unchanged, to every input.", ("x + y", "x=-2", "y=5"), ""),
    "sub": ("a - b rises with a and falls with b: the local derivatives are 1 and -1. With --expand "
            "it becomes a + (-b), an add gate and a *-1 gate.", ("x - y", "x=3", "y=1"), "{0} + -{1}"),
    "mul": ("Nudging a by h changes a*b by b*h, so d(a*b)/da is the other input, b (and the other way "
            "round). A big input makes the other input's gradient big.", ("x * y", "x=3", "y=-4"), ""),
    "div": ("a/b scales a by 1/b, and as b grows the result shrinks like 1/b, whose derivative is "
            "-1/b^2. The seeds' 1/x gate is div with the constant 1 on top.", ("1 / x", "x=1.37"), ""),
    "neg": ("-x is the seeds' *-1 gate: a multiply by the constant -1, so the local derivative is -1 "
            "and the gradient changes sign.", ("-x", "x=2"), ""),
    "pow": ("x^c with a constant c needs no logarithm: the power rule gives c*x^(c-1), which is fine "
            "for a negative x too (x^2 at x=-3 has slope -6).", ("x^2", "x=-3"), ""),
    "pow_var": ("When the exponent depends on a variable, x^y = exp(y*log(x)), so the exponent's "
                "local derivative is x^y*log(x) and the base must be positive.", ("x^y", "x=2", "y=3"), ""),
    "exp": ("exp is its own derivative, so the backward pass reuses the value computed on the way "
            "forward: nothing new to calculate.", ("exp(x)", "x=-1"), ""),
    "log": ("log(x) grows ever more slowly: its slope is 1/x, large near 0 and small far away.",
            ("log(x)", "x=2"), ""),
    "sqrt": ("sqrt(x) has slope 1/(2*sqrt(x)); the backward pass reuses the output sqrt(x). At 0 "
             "the slope is infinite, which bprop reports as an error.", ("sqrt(x)", "x=4"), ""),
    "sin": ("The slope of sin is cos.", ("sin(x)", "x=0.5"), ""),
    "cos": ("The slope of cos is -sin.", ("cos(x)", "x=0.5"), ""),
    "tan": ("tan has slope 1 + tan(x)^2, computed from the output.", ("tan(x)", "x=0.5"), ""),
    "tanh": ("tanh is a rescaled sigmoid, 2*sigmoid(2x) - 1, so it also reuses its output: "
             "1 - tanh(x)^2.", ("tanh(x)", "x=0.5"), "2*sigmoid(2*{0}) - 1"),
    "sigmoid": ("sigmoid(x) = 1/(1+exp(-x)) squashes x into (0, 1). Chained through *-1, exp, +1 and 1/x "
                "its derivative simplifies to s*(1-s) with s the output, so one fused gate does the "
                "work of four.", ("sigmoid(x)", "x=1"), "1/(1 + exp(-{0}))"),
    "softplus": ("softplus(x) = log(1+exp(x)) is a smooth relu; its slope is exactly sigmoid(x).",
                 ("softplus(x)", "x=1"), "log(1 + exp({0}))"),
    "relu": ("relu(x) = max(0, x) is a switch: slope 1 where x > 0, 0 elsewhere (0 at x = 0 too, "
             "as PyTorch does).", ("relu(x)", "x=2"), ""),
    "abs": ("abs(x) passes the gradient with the sign of x (and 0 at x = 0, as PyTorch does).",
            ("abs(x)", "x=-2"), ""),
    "max": ("Only the largest input affects the output, so it receives the whole gradient and the "
            "others receive 0 (a tie splits it evenly).", ("max(x, y)", "x=4", "y=2"), ""),
    "min": ("Only the smallest input affects the output, so it receives the whole gradient and the "
            "others receive 0 (a tie splits it evenly).", ("min(x, y)", "x=4", "y=2"), ""),
    "mse": ("mse(yhat, y) = (yhat - y)^2, the squared error of one prediction (the mean of many is the "
            "mean squared error). Its slope 2*(yhat - y) is the error itself, doubled: a prediction far off "
            "gets a big push back, one nearly right almost none.", ("mse(yhat, y)", "yhat=0.8", "y=1"),
            "({0} - {1})^2"),
    "bce": ("bce(p, y) = -(y*log(p) + (1-y)*log(1-p)) scores a probability p against a label y in [0, 1]. "
            "Its slope (p - y)/(p*(1-p)) blows up as a wrong prediction grows confident (p near 0 or 1), "
            "which is why networks end in a logit and use bce_logits instead.",
            ("bce(p, y)", "p=0.7", "y=1"), "-({1}*log({0}) + (1 - {1})*log(1 - {0}))"),
    "bce_logits": ("bce_logits(z, y) is the cross-entropy of sigmoid(z) against y, taken on the logit z "
                   "(PyTorch's BCEWithLogitsLoss). Chaining sigmoid's s*(1-s) into bce's (s - y)/(s*(1-s)) "
                   "cancels the fraction: the logit's gradient is just sigmoid(z) - y, the prediction minus "
                   "the target, finite everywhere.", ("bce_logits(z, y)", "z=0.5", "y=1"),
                   "softplus({0}) - {1}*{0}"),
}
for _name, (_lesson, _example, _expand) in LESSONS.items():
    GATES[_name] = GATES[_name]._replace(lesson=_lesson, example=_example, expand=_expand)
