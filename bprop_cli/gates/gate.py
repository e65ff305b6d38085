"""What a gate is: the Gate record every entry of the registry fills in, and the shape helpers
the array rules share.

Formulas are templates: {0}, {1}, ... are the gate's inputs, {out} is its own output, {i} the
input whose derivative is meant. Array rules take the NumPy module as their first argument
(`np`), and sympy forms take a sympy namespace (`sp`, see trust/sympy_gates.py), so that the
registry, which every scalar run imports, imports neither.
"""

from __future__ import annotations

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
    # The tutor's part:
    lesson: str = ""  # a few sentences: why the local derivative is what it is
    example: tuple[str, ...] = ()  # a tiny example, as `bprop explain` arguments: EXPR NAME=VALUE ...
    expand: str = ""  # composite gates: the same function in simpler gates, over {0}, {1}, ...
    # Arrays. An elementwise gate has `vforward` (np, *inputs) -> array and `vlocal` (np, *inputs,
    # out) -> the elementwise local derivative per input (None for no gradient); its
    # vector-Jacobian product is upstream * local, summed over the axes an input was broadcast
    # along. Any other gate has `vjp` (np, upstream, *inputs, out) -> the gradient per input, and
    # `shape` (*input shapes) -> output shape, or a message.
    vforward: Callable[..., Any] | None = None
    vlocal: Callable[..., tuple[Any, ...]] | None = None
    vjp: Callable[..., tuple[Any, ...]] | None = None
    shape: Callable[..., tuple[int, ...] | str] | None = None
    rules: tuple[str, ...] = ()  # the rule in matrix notation per input, e.g. "transpose({0}) @ upstream"
    # Whether vforward / vlocal give, bit for bit, what `forward` / `local` give, element by
    # element: +, -, *, negation, comparisons and 1.0/count are the very IEEE operations of the
    # scalar rules, but numpy's exp, log, sin, tanh, power, ... may differ from the C library's
    # in the last bit (np.tanh did on a fifth of inputs here), and np.maximum and np.sign treat
    # signed zeros unlike max() and copysign. The --batch column engine uses an array rule only
    # when it is exact, and applies the scalar rule to each element otherwise, so that a batch
    # prints what row-by-row prints; tests/test_batch_columns.py checks every flag.
    exact_vforward: bool = False
    exact_vlocal: bool = False
    array_only: bool = False  # meaningless for numbers (the matrix product)
    # The last `parameters` inputs are constants the parser made from keywords (the axis of
    # sum(X, axis=0)): `shape` is given their values, not their shapes, and they get no gradient.
    parameters: int = 0
    # A gate over arrays whose inputs can be wrong in their values, not their shapes (a label out
    # of range): (np, *inputs) -> the message, or None. Its vforward gives NaN for such inputs.
    array_domain: Callable[..., str | None] | None = None
    # sympy (for --check, --symbolic, --exact, --latex): `sympy` (sp, *inputs) -> the gate as a
    # sympy expression; `sympy_local` (sp, *inputs, out) -> the local derivatives where they
    # differ from sympy's derivative of that form (a kink's convention), or None to use it.
    sympy: Callable[..., Any] | None = None
    sympy_local: Callable[..., tuple[Any, ...] | None] | None = None

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


def summed_to(np, grad, shape: tuple[int, ...]):  # type: ignore[no-untyped-def]
    """A gradient summed over the axes its input was broadcast along, back to the input's shape
    (a float for a number)."""
    grad = np.asarray(grad, dtype=float)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return float(grad) if not shape else grad


def describe_shape(shape: tuple[int, ...]) -> str:
    """'a number', 'a vector of 3 entries', 'a 2x3 matrix': a shape in a message."""
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"a vector of {shape[0]} entr{'y' if shape[0] == 1 else 'ies'}"
    return f"a {shape[0]}x{shape[1]} matrix"
