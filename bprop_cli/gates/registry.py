"""Every gate in one place: forward rule, local derivatives (numbers and readable formulas),
domain, the convention at non-differentiable points, the pattern a tutor names, and the same
for arrays: an elementwise rule over NumPy arrays, or a vector-Jacobian product for the gates
that are not elementwise (matmul, transpose, sum, mean, softmax, mse), with its rule in matrix
notation.

Formulas are templates: {0}, {1}, ... are the gate's inputs, {out} is its own output.
Array rules take the NumPy module as their first argument (`np`), so that this module, which
every scalar run imports, never imports NumPy itself.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple, Optional

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
    # Arrays (filled in by the ARRAY_RULES table below). An elementwise gate has `vforward`
    # (np, *inputs) -> array and `vlocal` (np, *inputs, out) -> the elementwise local derivative
    # per input (None for no gradient); its vector-Jacobian product is upstream * local, summed
    # over the axes an input was broadcast along. Any other gate has `vjp` (np, upstream, *inputs,
    # out) -> the gradient per input, and `shape` (*input shapes) -> output shape, or a message.
    vforward: Callable[..., Any] | None = None
    vlocal: Callable[..., tuple[Any, ...]] | None = None
    vjp: Callable[..., tuple[Any, ...]] | None = None
    shape: Callable[..., tuple[int, ...] | str] | None = None
    rules: tuple[str, ...] = ()  # the rule in matrix notation per input, e.g. "transpose({0}) @ upstream"
    # Whether vforward / vlocal give, bit for bit, what `forward` / `local` give, element by
    # element (set by EXACT below). The --batch column engine uses them only then, and applies
    # the scalar rule to each element otherwise, so that a batch prints what row-by-row prints.
    exact_vforward: bool = False
    exact_vlocal: bool = False
    array_only: bool = False  # meaningless for numbers (the matrix product)

    @property
    def elementwise(self) -> bool:
        return self.vjp is None

    def rule(self, index: int, names: list[str], out: str) -> str:
        """The array rule for input `index`: what its gradient is, in terms of the upstream gradient."""
        if self.rules:
            template = self.rules[min(index, len(self.rules) - 1)]
            return template.format(*names, out=out, i=names[index])
        local = self.formula(index, names, out)
        if local == "1":
            return "upstream"
        if local == "-1":
            return "-upstream"
        return f"upstream ⊙ {local}" if _atomic(local) else f"upstream ⊙ ({local})"

    def formula(self, index: int, names: list[str], out: str) -> str:
        template = self.dforms[min(index, len(self.dforms) - 1)]
        return template.format(*names, out=out, i=names[index])

    def expression(self, names: list[str]) -> str:
        if self.arity == 0:
            return f"{self.name}({', '.join(names)})"
        return self.show.format(*names)


def _atomic(text: str) -> bool:
    """True for a formula that needs no parentheses after an operator: a name, a number or a call."""
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch in "+-*/^ ":
            return False
    return True


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


_TINY = 2.2250738585072014e-308  # the smallest normal double: below it a double keeps fewer digits


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


def _tanh_local(x: float, out: float) -> Local:
    """1 - tanh(x)^2, which cancels to nothing for large |x|; there it is 4e/(1+e)^2 with e = exp(-2|x|)."""
    if abs(x) < 0.5:
        return (1.0 - out * out,)
    e = math.exp(-2.0 * abs(x))
    return (4.0 * e / ((1.0 + e) * (1.0 + e)),)


def _sigmoid_local(x: float, out: float) -> Local:
    """s*(1-s), which is s*sigmoid(-x) = s*s*exp(-x) for x > 0: there 1 - s cancels to a few
    digits or to 0 as s nears 1 (for x <= 0, s <= 1/2 and 1 - s is exact enough)."""
    return (out * (1.0 - out),) if x <= 0 else (out * out * math.exp(-x),)


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
    return -((y * math.log(p) if y != 0 else 0.0) + ((1.0 - y) * math.log1p(-p) if y != 1 else 0.0))


def _bce_domain(p: float, y: float) -> str | None:
    if not 0.0 < p < 1.0:
        return "bce needs a probability strictly between 0 and 1 (its log would be infinite)"
    return None


def _bce_local(p: float, y: float, out: float) -> Local:
    return ((p - y) / (p * (1.0 - p)), math.log1p(-p) - math.log(p))


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


def _label_domain(name: str) -> Callable[..., str | None]:
    def check(a: float, y: float) -> str | None:
        if name == "bce" and not 0.0 < a < 1.0:
            return "bce needs a probability strictly between 0 and 1 (its log would be infinite)"
        if not 0.0 <= y <= 1.0:
            return f"{name} needs a target (label) between 0 and 1"
        return None
    return check


R = register
R(Gate("add", 2, lambda a, b: a + b, lambda a, b, out: (1.0, 1.0), "{0} + {1}", ("1", "1"),
       "add distributes: every input receives the upstream gradient unchanged"))
R(Gate("sub", 2, lambda a, b: a - b, lambda a, b, out: (1.0, -1.0), "{0} - {1}", ("1", "-1"),
       "subtract passes the gradient to its left input and the negated gradient to its right"))
R(Gate("mul", 2, lambda a, b: a * b, lambda a, b, out: (b, a), "{0} * {1}", ("{1}", "{0}"),
       "multiply swaps: each input's local derivative is the other input's value"))
R(Gate("div", 2, lambda a, b: a / b, _div_local, "{0} / {1}",
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
F(Gate("tanh", 1, math.tanh, _tanh_local, "tanh({0})", ("1 - {out}^2",),
       "tanh reuses its output: its local derivative is 1 - tanh(x)^2"))
F(Gate("sigmoid", 1, _sigmoid, _sigmoid_local, "sigmoid({0})", ("{out}*(1 - {out})",),
       "sigmoid reuses its output: its local derivative is s*(1-s), one fused gate"))
F(Gate("softplus", 1, _softplus, lambda a, out: (_sigmoid(a),), "softplus({0})", ("sigmoid({0})",),
       "softplus log(1+exp(x)) has the sigmoid as its local derivative"))
F(Gate("relu", 1, lambda a: a if a > 0 else 0.0, lambda a, out: (1.0 if a > 0 else 0.0,), "relu({0})",
       ("1 if {0} > 0, else 0",), "relu is a switch: it passes the gradient where x > 0 and blocks it elsewhere",
       kink=_zero_kink("relu", "0")))
F(Gate("abs", 1, abs, lambda a, out: (math.copysign(1.0, a) if a != 0 else 0.0,), "abs({0})",
       ("sign({0})",), "abs passes the gradient with the sign of its input",
       kink=_zero_kink("abs", "0")))
F(Gate("max", 0, max, lambda *xs: _ties(xs[:-1], xs[-1]), "", ("1 if {i} is the largest, else 0",),
       "max routes: the whole gradient goes to the largest input, the others get 0",
       kink=_tie_note))
F(Gate("min", 0, min, lambda *xs: _ties(xs[:-1], xs[-1]), "", ("1 if {i} is the smallest, else 0",),
       "min routes: the whole gradient goes to the smallest input, the others get 0",
       kink=_tie_note))

# Gates for vectors and matrices. On numbers (a scalar program) sum, mean and transpose are the
# identity, softmax of one number is 1, and mse(a, b) is (a - b)^2; the matrix product needs arrays.
R(Gate("matmul", 2, lambda a, b: a * b, lambda a, b, out: (b, a), "{0} @ {1}", ("{1}", "{0}"),
       "for A @ B, the matrix product sends upstream @ transpose(B) back to A and transpose(A) @ upstream back to B",
       array_only=True))
F(Gate("transpose", 1, lambda a: a, lambda a, out: (1.0,), "transpose({0})", ("1",),
       "transpose only rearranges entries: the gradient is transposed back"))
F(Gate("sum", 1, lambda a: a, lambda a, out: (1.0,), "sum({0})", ("1",),
       "sum copies the upstream gradient to every entry it added"))
F(Gate("mean", 1, lambda a: a, lambda a, out: (1.0,), "mean({0})", ("1",),
       "mean gives every entry the upstream gradient divided by the number of entries"))
F(Gate("softmax", 1, lambda a: 1.0, lambda a, out: (0.0,), "softmax({0})", ("0",),
       "softmax couples its entries: each input's gradient is y*(upstream - sum(upstream*y))"))
F(Gate("mse", 2, lambda a, b: (a - b) * (a - b), lambda a, b, out: (2.0 * (a - b), -2.0 * (a - b)),
       "mse({0}, {1})", ("2*({0} - {1})", "-2*({0} - {1})"),
       "mean squared error sends 2*(yhat - y)/n to the prediction and the opposite to the target"))
# Loss gates on numbers: binary cross-entropy on a probability, and on a logit (sigmoid and
# cross-entropy fused, as PyTorch's BCEWithLogitsLoss).
F(Gate("bce", 2, _bce, _bce_local, "bce({0}, {1})", ("({0} - {1})/({0}*(1 - {0}))", "log(1 - {0}) - log({0})"),
       "bce sends (p - y)/(p*(1-p)) to the probability: huge when a confident p is wrong",
       domain=_label_domain("bce")))
F(Gate("bce_logits", 2, _bce_logits, _bce_logits_local, "bce_logits({0}, {1})",
       ("sigmoid({0}) - {1}", "-{0}"),
       "cross-entropy on a logit sends sigmoid(z) - y back: prediction minus target, never huge",
       domain=_label_domain("bce_logits")))
del R, F

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
BINARY_GATES = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow", "@": "matmul"}

# What `bprop explain GATE` teaches, and how `--expand` rewrites a composite gate into the
# primitive gates the CS231n notes draw. Expansions are parsed by bprop's own parser ({0} is the
# gate's first input) and may use other composite gates, which expand in turn.
LESSONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "add": ("The output moves exactly as much as either input does, so both local derivatives are 1 "
            "and the upstream gradient is copied, unchanged, to every input.", ("x + y", "x=-2", "y=5"), ""),
    "sub": ("a - b rises with a and falls with b: the local derivatives are 1 and -1. With --expand "
            "it becomes a + (-b), an add gate and a *-1 gate.", ("x - y", "x=3", "y=1"), "{0} + -{1}"),
    "mul": ("Nudging a by h changes a*b by b*h, so d(a*b)/da is the other input, b (and the other way "
            "round). A big input makes the other input's gradient big.", ("x * y", "x=3", "y=-4"), ""),
    "div": ("a/b scales a by 1/b, and as b grows the result shrinks like 1/b, whose derivative is "
            "-1/b^2. The 1/x gate of the CS231n notes is div with the constant 1 on top.", ("1 / x", "x=1.37"), ""),
    "neg": ("-x is the *-1 gate of the CS231n notes: a multiply by the constant -1, so the local derivative is -1 "
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
    "matmul": ("A @ B is the matrix product: entry (i, j) is the dot product of row i of A with column j "
               "of B. A nudge of A[i][k] moves out[i][j] by B[k][j], so A's gradient is upstream @ transpose(B) "
               "and B's is transpose(A) @ upstream: the deltas of a layer go back through the transposed "
               "weights.", ("sum(W @ x)", "W=[[1,2],[3,4]]", "x=[1,-1]"), ""),
    "transpose": ("transpose(W), also written W.T, swaps rows and columns; it computes nothing, so its "
                  "gradient is the upstream gradient transposed back.", ("sum(transpose(W) @ x)",
                  "W=[[1,2],[3,4]]", "x=[1,-1]"), ""),
    "sum": ("sum(A) adds every entry of A into one number, so a nudge of any entry moves the sum by the "
            "same amount: every entry's local derivative is 1.", ("sum(x * x)", "x=[1,2,3]"), ""),
    "mean": ("mean(A) is sum(A)/n over its n entries, so every entry's local derivative is 1/n.",
             ("mean(x * x)", "x=[1,2,3]"), ""),
    "softmax": ("softmax(v) = exp(v)/sum(exp(v)) turns scores into probabilities (row by row for a "
                "matrix). Every output depends on every input, so its gradient is y*(upstream - "
                "sum(upstream*y)), with y the output.", ("sum(softmax(v) * t)", "v=[1,2,3]", "t=[0,0,1]"), ""),
    "mse": ("mse(yhat, y) = mean((yhat - y)^2), the mean squared error over all n entries: the prediction "
            "receives 2*(yhat - y)/n and the target the opposite. On numbers (n = 1) it is (yhat - y)^2.",
            ("mse(w * x, y)", "w=0.5", "x=2", "y=3"), ""),
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


# -- Arrays ------------------------------------------------------------------------------------


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...] | None:
    """NumPy's broadcasting of shapes, or None when they do not broadcast."""
    rank = max(map(len, shapes), default=0)
    out = []
    for axis in range(rank):
        sizes = {s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def describe_shape(shape: tuple[int, ...]) -> str:
    """'a number', 'a vector of 3 entries', 'a 2x3 matrix': a shape in a message."""
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"a vector of {shape[0]} entr{'y' if shape[0] == 1 else 'ies'}"
    return f"a {shape[0]}x{shape[1]} matrix"


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


def _mse_vjp(np, g, a, b, out):  # type: ignore[no-untyped-def]
    d = a - b
    ga = g * 2.0 * d / max(np.size(d), 1)
    return ga, -ga


def _vsigmoid(np, x):  # type: ignore[no-untyped-def]
    z = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _vsoftplus(np, x):  # type: ignore[no-untyped-def]
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _vpow_local(np, x, c, out):  # type: ignore[no-untyped-def]
    if c == 0:
        return (np.zeros_like(x), None)
    if c == 1:
        return (np.ones_like(x), None)
    if c - (c - 1) != 1:  # above 2^53, c - 1 rounds back to c (and flips the sign for x < 0): x^c / x
        safe_x = np.where(x == 0, 1.0, x)
        return (np.where(x == 0, 0.0, c * (out / safe_x)), None)
    return (c * np.power(x, c - 1), None)


def _vsigmoid_local(np, x, out):  # type: ignore[no-untyped-def]
    # s*(1-s) cancels as s nears 1; for x > 0 it is s*s*exp(-x) (as the scalar rule, _sigmoid_local)
    return (np.where(x > 0, out * out * np.exp(-np.abs(x)), out * (1.0 - out)),)


def _vtanh_local(np, x, out):  # type: ignore[no-untyped-def]
    # 1 - tanh^2 cancels for large |x|; there it is 4e/(1+e)^2 with e = exp(-2|x|) (as _tanh_local)
    e = np.exp(-2.0 * np.abs(x))
    return (np.where(np.abs(x) < 0.5, 1.0 - out * out, 4.0 * e / ((1.0 + e) * (1.0 + e))),)


def _vpow_var_local(np, x, y, out):  # type: ignore[no-untyped-def]
    dx = np.where(y == 0, 0.0, y * np.power(x, y - 1))
    dy = np.where(x == 0, 0.0, out * np.log(np.where(x == 0, 1.0, x)))
    return dx, dy


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


# name: (forward, local) for elementwise gates; name: (forward, vjp, shape, rules) for the others.
ELEMENTWISE: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "add": (lambda np, a, b: a + b, lambda np, a, b, out: (1.0, 1.0)),
    "sub": (lambda np, a, b: a - b, lambda np, a, b, out: (1.0, -1.0)),
    "mul": (lambda np, a, b: a * b, lambda np, a, b, out: (b, a)),
    "div": (lambda np, a, b: a / b, lambda np, a, b, out: (1.0 / b, -(a / b) / b)),
    "neg": (lambda np, a: -a, lambda np, a, out: (-1.0,)),
    "pow": (lambda np, a, c: np.power(a, c), _vpow_local),
    "pow_var": (lambda np, a, b: np.power(a, b), _vpow_var_local),
    "exp": (lambda np, a: np.exp(a), lambda np, a, out: (out,)),
    "log": (lambda np, a: np.log(a), lambda np, a, out: (1.0 / a,)),
    "sqrt": (lambda np, a: np.sqrt(a), lambda np, a, out: (0.5 / out,)),
    "sin": (lambda np, a: np.sin(a), lambda np, a, out: (np.cos(a),)),
    "cos": (lambda np, a: np.cos(a), lambda np, a, out: (-np.sin(a),)),
    "tan": (lambda np, a: np.tan(a), lambda np, a, out: (1.0 + out * out,)),
    "tanh": (lambda np, a: np.tanh(a), _vtanh_local),
    "sigmoid": (_vsigmoid, _vsigmoid_local),
    "softplus": (_vsoftplus, lambda np, a, out: (_vsigmoid(np, a),)),
    "relu": (lambda np, a: np.where(a > 0, a, 0.0), lambda np, a, out: (np.where(a > 0, 1.0, 0.0),)),
    "abs": (lambda np, a: np.abs(a), lambda np, a, out: (np.sign(a),)),
    "max": (_vmax, _vties),
    "min": (_vmin, _vties),
    "bce": (lambda np, p, y: -(np.where(y != 0, y * np.log(p), 0.0) + np.where(y != 1, (1.0 - y) * np.log1p(-p), 0.0)),
            lambda np, p, y, out: ((p - y) / (p * (1.0 - p)), np.log1p(-p) - np.log(p))),
    "bce_logits": (lambda np, z, y: _vsoftplus(np, z) - y * z, lambda np, z, y, out: (_vsigmoid(np, z) - y, -z)),
}
NOT_ELEMENTWISE: dict[str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any], tuple[str, ...]]] = {
    "matmul": (lambda np, a, b: np.matmul(a, b), _matmul_vjp, _matmul_shape,
               ("upstream @ transpose({1})", "transpose({0}) @ upstream")),
    "transpose": (lambda np, a: np.transpose(a), lambda np, g, a, out: (np.transpose(g),),
                  lambda a: a[::-1], ("transpose(upstream)",)),
    "sum": (lambda np, a: np.sum(a), lambda np, g, a, out: (np.full(np.shape(a), g),),
            lambda a: (), ("upstream, copied to every entry",)),
    "mean": (lambda np, a: np.mean(a), lambda np, g, a, out: (np.full(np.shape(a), g / max(np.size(a), 1)),),
             lambda a: (), ("upstream / n, to every entry (n entries)",)),
    "softmax": (_softmax, _softmax_vjp, lambda a: a, ("{out} ⊙ (upstream - sum(upstream ⊙ {out}))",)),
    "mse": (lambda np, a, b: np.mean((a - b) ** 2), _mse_vjp,
            lambda a, b: () if broadcast_shapes(a, b) is not None else
            "these shapes do not broadcast",
            ("upstream * 2*({0} - {1})/n", "-upstream * 2*({0} - {1})/n")),
}
_RULES: dict[str, tuple[str, ...]] = {
    "mul": ("upstream ⊙ {1}", "upstream ⊙ {0}"),
    "div": ("upstream / {1}", "-upstream ⊙ {0} / {1}^2"),
    "sigmoid": ("upstream ⊙ {out} ⊙ (1 - {out})",),
    "tanh": ("upstream ⊙ (1 - {out}^2)",),
    "relu": ("upstream ⊙ ({0} > 0)",),
    "max": ("upstream where {i} is the largest, else 0",),
    "min": ("upstream where {i} is the smallest, else 0",),
}
for _name, (_forward, _local) in ELEMENTWISE.items():
    GATES[_name] = GATES[_name]._replace(vforward=_forward, vlocal=_local, rules=_RULES.get(_name, ()))
for _name, (_forward, _vjp, _shape, _rules) in NOT_ELEMENTWISE.items():
    GATES[_name] = GATES[_name]._replace(vforward=_forward, vjp=_vjp, shape=_shape, rules=_rules)
missing = [name for name, gate in GATES.items() if gate.vforward is None]
assert not missing, f"gates without an array rule: {missing}"
del missing

# Array rules that are the very IEEE operations of the scalar rules: +, -, *, negation,
# comparisons, and 1.0/count for ties. numpy's exp, log, sin, tanh, power, ... may differ from
# the C library's in the last bit (np.tanh did on a fifth of inputs here), and np.maximum and
# np.sign treat signed zeros unlike max() and copysign; those stay per element in a batch.
# tests/test_batch_columns.py checks every flag against the scalar rules on generated rows.
EXACT: dict[str, tuple[bool, bool]] = {  # name: (vforward exact, vlocal exact)
    "add": (True, True), "sub": (True, True), "mul": (True, True), "neg": (True, True),
    "relu": (True, True), "exp": (False, True), "log": (False, True), "sqrt": (False, True),
    "tan": (False, True), "max": (False, True), "min": (False, True),
}
for _name, (_exact_forward, _exact_local) in EXACT.items():
    GATES[_name] = GATES[_name]._replace(exact_vforward=_exact_forward, exact_vlocal=_exact_local)
