"""The gradient as a vector: its length |∇f| and its unit direction (the direction of steepest
ascent), over every input or over the inputs named as parameters. Computation only; the
renderers show a Geometry, the training loop reads its norm."""

from __future__ import annotations

import math
from typing import Mapping, NamedTuple, Sequence

from bprop_cli.errors import ValueBindingError


class Geometry(NamedTuple):
    over: tuple[str, ...]  # the inputs the norm is taken over (every input, or the parameters)
    data: tuple[str, ...]  # inputs left out: data held fixed (empty without --params)
    norm: float  # sqrt of the sum of every squared gradient entry over `over`
    direction: dict[str, object] | None  # gradient / norm per input; None when the gradient is zero
    chosen: bool = False  # True when `over` is the parameters the user named (--params)

    def to_dict(self, plain=None) -> dict[str, object]:  # type: ignore[no-untyped-def]
        """The JSON keys this adds to eval's object (arrays as nested lists, or as `plain` makes them)."""
        direction = None if self.direction is None else \
            {k: (plain or _plain_value)(v) for k, v in self.direction.items()}
        entry: dict[str, object] = {"gradient_norm": self.norm, "gradient_direction": direction}
        if self.chosen:
            entry["params"] = list(self.over)
            entry["data"] = list(self.data)
        return entry

    def describe(self, output: str, fmt) -> list[str]:  # type: ignore[no-untyped-def]
        """Lines for people: the norm, the unit direction, and the data held apart. `fmt` formats a number."""
        if len(self.over) < 2 and not self.chosen:  # one input: its gradient says it all
            return []
        what = "parameters" if self.chosen else "inputs"
        lines = [f"|∇{output}| = {fmt(self.norm)} over the {what} ({', '.join(self.over)})"]
        if self.direction is None:
            lines.append("the gradient is zero: no direction of steepest ascent here")
        else:
            parts = ", ".join(f"{n} {_fmt_value(v, fmt)}" for n, v in self.direction.items())
            lines.append(f"unit direction of steepest ascent: {parts}")
        if self.data:
            lines.append(f"data (held fixed, not parameters): {', '.join(self.data)}")
        return lines


def _plain_value(v: object) -> object:
    return v.tolist() if hasattr(v, "tolist") else v  # type: ignore[attr-defined]


def squared_norm(value: object) -> float:
    """Sum of squares of a scalar or of every entry of an array."""
    if isinstance(value, (int, float)):
        return float(value) * float(value)
    import numpy as np  # an array: NumPy is loaded already

    with np.errstate(over="ignore", under="ignore"):  # an overflow to inf is rescaled by norm()
        return float((value * value).sum())  # type: ignore[operator, attr-defined]


def norm(gradients: Mapping[str, object], names: Sequence[str] | None = None) -> float:
    """|∇| over `names` (every key when None); overflow-safe for huge entries."""
    chosen = list(gradients) if names is None else list(names)
    total = math.fsum(squared_norm(gradients[n]) for n in chosen)
    if not math.isinf(total) and total > 1e-280:
        return math.sqrt(total)
    # squares overflowed or underflowed: scale by the largest entry first
    big = max((_max_abs(gradients[n]) for n in chosen), default=0.0)
    if big == 0:
        return 0.0
    return big * math.sqrt(math.fsum(squared_norm(_scaled(gradients[n], big)) for n in chosen))


def _max_abs(value: object) -> float:
    return abs(float(value)) if isinstance(value, (int, float)) else float(abs(value).max())  # type: ignore[arg-type]


def _scaled(value: object, by: float) -> object:
    return value / by  # type: ignore[operator]


def parse_params(text: str | None, inputs: Sequence[str]) -> tuple[str, ...] | None:
    """--params a,b,c: every name must be an input of the program (None: no --params given)."""
    if text is None:
        return None
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise ValueBindingError("--params needs at least one input name, e.g. --params w,b")
    for name in names:
        if name not in inputs:
            from difflib import get_close_matches

            close = get_close_matches(name, list(inputs), n=1)
            shown = ", ".join(inputs) or "none"
            raise ValueBindingError(f"--params names {name!r}, which is not an input of the program (inputs: {shown})",
                                    hint=f"did you mean {close[0]!r}?" if close else None)
    return names


def geometry(gradients: Mapping[str, object], params: Sequence[str] | None = None) -> Geometry:
    """|∇| and the unit direction over the parameters (or every input)."""
    over = tuple(gradients) if params is None else tuple(params)
    data = () if params is None else tuple(n for n in gradients if n not in over)
    big = max((_max_abs(gradients[n]) for n in over), default=0.0)  # gradients are finite
    direction = None
    if big > 0:  # divided in the scaled space: a subnormal length (big * sqrt(2) for 2e-313) has lost digits
        scaled = {n: _scaled(gradients[n], big) for n in over}
        unit = math.sqrt(math.fsum(squared_norm(v) for v in scaled.values()))
        direction = {n: v / unit for n, v in scaled.items()}  # type: ignore[operator]
    return Geometry(over, data, norm(gradients, over), direction, params is not None)


def _fmt_value(value: object, fmt) -> str:  # type: ignore[no-untyped-def]
    """A number as `fmt` writes it; a small array as nested lists of such numbers; a big one by
    its shape (its entries are in --json)."""
    if isinstance(value, (int, float)):
        return fmt(float(value))
    if value.size > 12:  # type: ignore[attr-defined]
        return f"({'x'.join(map(str, value.shape))}: every entry in --json)"  # type: ignore[attr-defined]

    def nested(v: object) -> str:
        return "[" + ", ".join(map(nested, v)) + "]" if isinstance(v, list) else fmt(float(v))  # type: ignore[arg-type]

    return nested(value.tolist())  # type: ignore[attr-defined]
