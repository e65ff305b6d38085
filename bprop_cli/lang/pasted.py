"""What code pasted from Python (math, NumPy, PyTorch, micrograd) means in bprop: the hints of
an unknown function or method. Imported only when such an error is raised."""

from __future__ import annotations

import re

from bprop_cli.gates.registry import FUNCTIONS, GATES

# Module prefixes of Python code: math.exp(x), np.dot(W, x), torch.relu(x), F.relu(x), ...
MODULES = frozenset({"math", "np", "numpy", "torch", "F", "nn", "functional", "linalg", "tf", "jnp", "jax", "scipy",
                     "special"})
# The matrix and dot products, written @ in bprop.
PRODUCTS = frozenset({"dot", "matmul", "mm", "mv", "inner", "vdot", "bmm"})
# What learners type for a function bprop spells differently.
ALIASES = {
    "ln": "log", "log_e": "log", "sigm": "sigmoid", "logistic": "sigmoid", "sig": "sigmoid", "expit": "sigmoid",
    "sqr": "x^2", "square": "x^2", "pow": "x^y", "power": "x^y", "fabs": "abs", "absolute": "abs",
    "expm1": "exp(x) - 1", "log1p": "log(1 + x)", "log10": "log(x)/log(10)", "log2": "log(x)/log(2)",
    "mse_loss": "mse(yhat, y)", "binary_cross_entropy": "bce(p, y)",
    "binary_cross_entropy_with_logits": "bce_logits(z, y)", "t": "W.T", "transpose": "transpose(W) or W.T",
    "sigma": "sigmoid(...)",
}
_VARIABLE_LIKE = re.compile(r"[A-Za-z]_?[0-9]*")  # x, W1, w_2: more likely a value than a function


def call_arguments(source: str, open_paren: int) -> list[str] | None:
    """The texts of a call's arguments, from the '(' at `open_paren` to its ')' (None if it is
    not closed on the same statement, or is long)."""
    depth, start, parts = 0, open_paren + 1, []
    for i in range(open_paren, min(len(source), open_paren + 400)):
        ch = source[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                parts.append(source[start:i].strip())
                return parts if all(parts) and all(len(p) <= 40 for p in parts) else None
        elif ch == "," and depth == 1:
            parts.append(source[start:i].strip())
            start = i + 1
        elif ch in ";#":
            return None
    return None


def functions() -> str:
    return ", ".join(FUNCTIONS)


def methods() -> str:
    return ", ".join(f for f, g in FUNCTIONS.items() if GATES[g].arity == 1)


def _product(args: list[str] | None) -> str:
    a, b = args if args and len(args) == 2 else ("W", "x")
    return f"{a} @ {b}"


def _extreme(name: str, args: list[str] | None) -> str:
    func = "max" if name.startswith("max") else "min"
    inside = ", ".join(args) if args else "a, b"
    relu = func == "max" and args and len(args) == 2 and args[0] in ("0", "0.0", "0.")
    return f"write {func}({inside})" + (f" or relu({args[1]})" if relu else "")  # type: ignore[index]


def function_hint(name: str, args: list[str] | None, *, target: str | None = None,
                  variable: bool = False) -> str:
    """The hint for `name(args)`, where `name` (a module prefix already dropped) is not one of
    bprop's functions. `target` is the name the call is assigned to; `variable`, whether the
    program uses `name` as a value (then `x(y+1)` is most likely a product)."""
    if name in PRODUCTS:
        if name in ("dot", "inner", "vdot"):
            return f"bprop has no {name}(...); the dot product is {_product(args)} (for matrices, @ is the matrix product)"
        return f"bprop has no {name}(...); the matrix product is {_product(args)}"
    if name in ("maximum", "minimum", "fmax", "fmin", "amax", "amin"):
        return _extreme(name, args)
    if name == "Value":  # micrograd's a = Value(2.0)
        a, number = target or "a", args[0] if args and len(args) == 1 else "2.0"
        return (f"a number needs no Value(...): write {a} = {number}, an input with that value "
                f"(or give {a}={number} on the command line)")
    if name in ALIASES:
        return f"write {ALIASES[name]}"
    if name.lower() in FUNCTIONS:
        return f"did you mean {name.lower()}? (names are case-sensitive)"
    import difflib  # only for this hint: not loaded on every start

    close = difflib.get_close_matches(name, FUNCTIONS, n=1)
    if close:
        return f"did you mean {close[0]}?"
    if (variable or _VARIABLE_LIKE.fullmatch(name)) and (args is None or len(args) == 1):
        return f"to multiply, write {name}*(...); functions: {functions()}"
    return f"bprop's functions are {functions()}"


def prefixed_call(prefix: str, name: str, args: list[str] | None) -> tuple[str, str]:
    """(message, hint) for `np.dot(W, x)`, `math.exp(-y)`, `torch.relu(x)` and the like."""
    written = f"{prefix}.{name}"
    if name in FUNCTIONS:
        inside = ", ".join(args) if args else "..."
        return (f"{written}(...) is Python's spelling: bprop's functions have no module prefix",
                f"drop the prefix '{prefix}.': write {name}({inside})")
    return f"unknown function {written!r}", function_hint(name, args)


def prefixed_name(prefix: str, name: str) -> tuple[str, str]:
    """(message, hint) for `np.pi`, `math.e`, `torch.nn` without a call."""
    if name in ("pi", "e"):
        return f"{prefix}.{name} is Python's spelling", f"drop the prefix '{prefix}.': write {name}"
    if name in FUNCTIONS:
        return f"{prefix}.{name} is Python's spelling", f"drop the prefix '{prefix}.': write {name}(x)"
    if name in ("inf", "nan", "infty"):
        return f"{prefix}.{name}: bprop has no infinity or NaN", "values must be finite numbers"
    return f"{prefix}.{name}: bprop has no modules", f"bprop's functions are called by name alone: {functions()}"


def method_hint(operand: str, name: str, args: list[str] | None) -> str:
    """The hint for `x.name(...)` where `.name()` is not a method bprop has."""
    if name in PRODUCTS:
        other = args[0] if args and len(args) == 1 else "x"
        return f"{'the dot product' if name == 'dot' else 'the matrix product'} is {operand} @ {other}"
    if name == "T":
        return f"write {operand}.T, without parentheses, to transpose"
    if name in ("pow", "__pow__") and args and len(args) == 1:
        return f"write {operand}^{args[0]}"
    if name in ("clamp", "clip", "clamp_min") and args and args[0] in ("0", "0.0", "min=0"):
        return f"write relu({operand}) or max(0, {operand})"
    if name in ALIASES:
        return f"write {ALIASES[name]}"
    return f"bprop has no {name}; the methods call a function of one argument: {methods()}"
