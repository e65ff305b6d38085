"""Input values: NAME=VALUE arguments, where VALUE is a number or a constant expression."""

from __future__ import annotations

from typing import Iterable, Mapping

from bprop_cli.errors import ValueBindingError
from bprop_cli.gates.registry import CONSTANTS, FUNCTIONS, GATES

from .graph import Graph
from .number import as_float, constant_value


def parse_assignments(args: Iterable[str]) -> dict[str, str]:
    """Split NAME=VALUE arguments; refuse anything else with a message that says what to type."""
    out: dict[str, str] = {}
    args = list(args)
    for i, arg in enumerate(args):
        _spaced_assignment(args, i)
        name, eq, value = arg.partition("=")
        name = name.strip()
        if eq and not name:
            raise ValueBindingError(
                f"{arg!r} has no name before '='",
                hint="write each input as one argument without spaces, as in x=3",
            )
        if not eq:
            raise ValueBindingError(
                f"expected NAME=VALUE, got {arg!r}",
                hint="give each input as one argument without spaces around '=', as in x=-2",
            )
        if not name.isidentifier() or not name.isascii():
            raise ValueBindingError(f"{name!r} in {arg!r} is not a variable name")
        if name in out:
            raise ValueBindingError(f"{name} is given a value twice ({name}={out[name]} and {arg})")
        out[name] = value
    return out


def _spaced_assignment(args: list[str], i: int) -> None:
    """Refuse 'x = 3' typed with spaces (three arguments, or 'x' '=3', or 'x=' '3')."""
    arg, nxt = args[i], args[i + 1] if i + 1 < len(args) else None
    pieces = None
    if arg.isidentifier() and nxt is not None and nxt.startswith("="):
        pieces = [arg, nxt] + ([args[i + 2]] if nxt == "=" and i + 2 < len(args) else [])
    elif arg.endswith("=") and arg[:-1].strip().isidentifier() and nxt is not None and "=" not in nxt:
        pieces = [arg, nxt]
    if pieces:
        joined = "".join(p.strip() for p in pieces)
        raise ValueBindingError(
            f"{' '.join(pieces)!r} is {len(pieces)} separate arguments",
            hint=f"write {joined} as one argument, with no spaces around '='",
        )


def _looks_like_array(value: object) -> bool:
    """A vector or matrix as given: '[1, 2]', a list from --values, or a NumPy array (checked
    without importing NumPy)."""
    if isinstance(value, str):
        return value.lstrip().startswith("[")
    return isinstance(value, (list, tuple)) or type(value).__module__ == "numpy"


def has_arrays(graph: Graph, values: Mapping[str, object]) -> bool:
    """Does this program need the array engine: an array value (as given or bound), or the
    matrix product?"""
    return any(not isinstance(v, (int, float)) and _looks_like_array(v) for v in values.values()) or any(
        GATES[op].array_only for op in set(graph.ops) if op in GATES)


def bind(graph: Graph, given: Mapping[str, float | str]) -> dict[str, float]:
    """Check that every variable has a value and every value names a variable; return floats.
    An input the program states a value for (`a = 2.0`) takes it unless `given` has one."""
    if graph.defaults:
        given = {**graph.defaults, **given}
    wanted = list(graph.inputs)
    missing = [name for name in wanted if name not in given]
    for name in given:
        if name in graph.inputs:
            continue
        if name in CONSTANTS or name in FUNCTIONS:
            kind = "constant" if name in CONSTANTS else "function"
            raise ValueBindingError(f"{name} is a {kind}, not a variable: it cannot be given a value")
        cased = [w for w in wanted if w.lower() == name.lower()]
        if cased:
            raise ValueBindingError(f"{name} is not a variable of the program",
                                    hint=f"did you mean {cased[0]}? (names are case-sensitive)")
        # A typo usually names a variable that has no value yet.
        import difflib  # only for this hint: not loaded on every start

        close = difflib.get_close_matches(name, missing, n=1, cutoff=0.5) or difflib.get_close_matches(name, wanted, n=1)
        hint = f"did you mean {close[0]}?" if close else (
            f"the variables are {', '.join(wanted)}" if wanted else "the program has no variables")
        raise ValueBindingError(f"{name} is not a variable of the program", hint=hint)
    if missing:
        if has_arrays(graph, given):  # the missing ones are likely vectors or matrices too
            hint = (f"add {missing[0]}=[[1,2],[3,4]] (a matrix), {missing[0]}=[1,2] (a vector) or {missing[0]}=1 "
                    "for each: every variable needs a value")
        else:
            example = " ".join(f"{m}=1" for m in missing)
            hint = f"add {example} (every variable needs a value; bprop eval --symbolic keeps them as symbols)"
        raise ValueBindingError(f"no value given for {', '.join(missing)}", hint=hint)
    out = {}
    for name in wanted:
        value = given[name]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = as_float(value, f"the value of {name}")  # a huge int, NaN or inf: a BpropError
        elif _looks_like_array(value):
            from .arrays import array_value  # NumPy is loaded only for array values

            out[name] = array_value(value, name)
        else:
            out[name] = constant_value(str(value), name)
    return out


def seed_gradient(text: str | float | None, what: str = "--seed-grad") -> float | str:
    """--seed-grad as given: a number or a constant expression (-1/2, pi), parsed here; or an
    array literal ('[1, 0]'), kept as text for the array engine to read against the output's
    shape. None (not given) is 1. Mistakes name `what`."""
    if text is None:
        return 1.0
    if isinstance(text, str) and text.lstrip().startswith("["):
        return text
    return constant_value(text, what) if isinstance(text, str) else as_float(text, what)
