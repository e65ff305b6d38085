"""One number from the user's text or an API caller: a constant expression such as -2, 1/3 or
-pi/4 read with bprop's own parser, or a value checked to be a finite double."""

from __future__ import annotations

import math
import re

from bprop_cli.errors import BpropError, ValueBindingError, clip
from bprop_cli.lang.parser import parse_expression
from bprop_cli.lang.syntax import Program

from .graph import CONST, build_graph


def constant_value(text: str, name: str = "") -> float:
    """Evaluate a constant expression such as '-2', '1/3' or '-pi/4' with bprop's own parser."""
    what = f"the value of {name}" if name else "a value"
    shown = clip(text)
    if not text.strip():
        raise ValueBindingError(f"{what} is empty", hint=f"write {name or 'x'}=-2 or {name or 'x'}=1/3")
    try:
        expr = parse_expression(text)
        graph = build_graph(Program((expr,), text))
    except BpropError as err:
        comma = re.fullmatch(r"\s*([+-]?\d+),(\d+)\s*", text)
        if comma:
            raise ValueBindingError(f"{what}, {text!r}, is not a number",
                                    hint=f"write {name or 'x'}={comma[1]}.{comma[2]} (a decimal point, not a comma)") from None
        unit = _unit(text)
        if unit:
            raise ValueBindingError(f"{what}, {shown!r}, has a unit ({unit[1]!r})",
                                    hint=f"values have no units: write just the number, {name or 'x'}={unit[0]}") from None
        raise ValueBindingError(f"{what}, {shown!r}, is not a number: {err.message}", hint=err.hint) from None
    if any(n.lower() in ("nan", "inf", "infinity") for n in graph.inputs):
        raise ValueBindingError(f"{what} is {shown}: values must be finite numbers (NaN and infinity have no gradient)")
    if graph.inputs or graph.ops[graph.output] != CONST:
        names = ", ".join(graph.inputs)
        raise ValueBindingError(
            f"{what}, {shown!r}, must be a number or a constant expression, but it uses {names}",
            hint="values may use numbers, pi and e, as in w=-pi/4",
        )
    return graph.consts[graph.output]


def _unit(text: str) -> tuple[str, str] | None:
    """('3', 'cm') for '3cm' or '3 cm': a number followed by a word is most likely a unit."""
    head = text.strip().rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_ ").strip()
    if not head or head == text.strip():
        return None
    try:
        float(head)
    except ValueError:
        return None
    return head, text.strip()[len(head):].strip()


def as_float(value: float, what: str) -> float:
    """A number from an API caller or a JSON file as a finite double, or a ValueBindingError
    (a Python int can be far larger than any double; NaN and infinity have no gradient)."""
    try:
        number = float(value)
    except OverflowError:
        raise ValueBindingError(f"{what} is too large for double precision") from None
    if not math.isfinite(number):
        raise ValueBindingError(f"{what} is {number}; values must be finite numbers")
    return number
