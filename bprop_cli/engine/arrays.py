"""Vectors and matrices: array values, shapes checked before anything runs, and the forward and
backward passes over a Graph whose values are NumPy arrays.

Imported only when a program has an array value or an array-only gate (the matrix product), so
a scalar run never loads NumPy. Each gate's array rule lives in its registry entry (gates.py);
this module only walks the graph, broadcasts, and records what it did. It never prints.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from bprop_cli.errors import BpropError, EvalError, ShapeError, Span, ValueBindingError
from bprop_cli.gates.gate import summed_to
from bprop_cli.gates.registry import GATES, broadcast_shapes, describe_shape

from .graph import CONST, INPUT, Graph, _num
from .number import as_float, constant_value
from .trace import BackwardStep, NodeRecord, Trace

Shape = tuple[int, ...]
MAX_ENTRIES = 10_000_000  # entries of one array value; larger values are refused


# -- values ----------------------------------------------------------------------------------


def is_array_value(value: object) -> bool:
    """An array as given: a '[...]' literal, a (nested) list, or a NumPy array."""
    if isinstance(value, str):
        return value.lstrip().startswith("[")
    return isinstance(value, (list, tuple, np.ndarray))


def show_shape(shape: Shape) -> str:
    """NumPy's spelling, (2, 3) or (3,): only where NumPy's rules are explained in its terms."""
    return f"({shape[0]},)" if len(shape) == 1 else f"({', '.join(map(str, shape))})"


def array_value(value: object, name: str) -> np.ndarray:
    """A vector or matrix from a '[...]' literal (numbers or constant expressions such as pi/4),
    a nested list (from --values) or an array; every mistake is a usage error naming `name`."""
    array = _plain_numbers(value)
    if array is None:
        array = _checked(value, name)
    if array.size > MAX_ENTRIES:
        raise ValueBindingError(f"the value of {name} has {array.size:,} entries; the limit is {MAX_ENTRIES:,}")
    if not _finite(array):
        bad = np.argwhere(~np.isfinite(array))
        where = "".join(f"[{i}]" for i in bad[0])
        raise ValueBindingError(f"{name}{where} is {array[tuple(bad[0])]}; values must be finite numbers")
    return array


_NUMBER_TYPES = frozenset((float, int))


def _plain_numbers(value: object) -> np.ndarray | None:
    """The common case in one NumPy call: a numeric vector or matrix, or a rectangular list (of
    lists) of plain ints and floats. Anything else (strings, bools, ragged or empty rows,
    huge ints) gives None, and the entry-by-entry reading finds the mistake and names it."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fiu" and value.ndim in (1, 2) and value.size:
            return np.array(value, dtype=float)
        return None
    if not isinstance(value, list) or not value:
        return None
    if isinstance(value[0], list):
        width = len(value[0])
        if not width or any(type(row) is not list or len(row) != width or not _NUMBER_TYPES.issuperset(map(type, row))
                            for row in value):
            return None
    elif not _NUMBER_TYPES.issuperset(map(type, value)):
        return None
    try:
        return np.array(value, dtype=float)
    except (OverflowError, ValueError, TypeError):
        return None


def _checked(value: object, name: str) -> np.ndarray:
    """Entry by entry, so that a mistake is named where it is."""
    if isinstance(value, np.ndarray):
        nested: Any = value.tolist()
    elif isinstance(value, str):
        nested = _literal(value, name)
    else:
        nested = value
    rows = _leaves(nested, name)
    try:
        array = np.array(rows, dtype=float)
    except (TypeError, ValueError, OverflowError):  # pragma: no cover - _leaves makes numbers only
        raise ValueBindingError(f"the value of {name} is not an array of numbers") from None
    return array


def _leaves(nested: Any, name: str) -> Any:
    """Check the nesting (rank 1 or 2, rectangular, not empty) and make every leaf a float."""
    def leaf(x: object, where: str) -> float:
        if isinstance(x, bool) or not isinstance(x, (int, float, str)):
            raise ValueBindingError(f"{name}{where} must be a number, not {_short(x)}")
        if isinstance(x, str):
            return constant_value(x, f"{name}{where}")
        return as_float(x, f"{name}{where}")

    if not isinstance(nested, (list, tuple)):
        raise ValueBindingError(f"the value of {name} is not a list")
    if not nested:
        raise ValueBindingError(f"the value of {name} is an empty list", hint=f"write {name}=[1,2] or {name}=[[1,2],[3,4]]")
    if not any(isinstance(x, (list, tuple)) for x in nested):
        return [leaf(x, f"[{i}]") for i, x in enumerate(nested)]
    if not all(isinstance(x, (list, tuple)) for x in nested):
        raise ValueBindingError(f"the value of {name} mixes numbers and lists",
                                hint="a matrix is a list of rows, each a list of numbers: [[1,2],[3,4]]")
    width = len(nested[0])
    for i, row in enumerate(nested):
        if any(isinstance(x, (list, tuple)) for x in row):
            raise ValueBindingError(f"the value of {name} has more than two levels of brackets",
                                    hint="bprop's values are numbers, vectors [1,2] and matrices [[1,2],[3,4]]")
        if len(row) != width:
            raise ValueBindingError(f"the rows of {name} have different lengths: row 0 has {width}, row {i} has {len(row)}",
                                    hint="every row of a matrix needs the same number of entries")
        if not row:
            raise ValueBindingError(f"the value of {name} has an empty row")
    return [[leaf(x, f"[{i}][{j}]") for j, x in enumerate(row)] for i, row in enumerate(nested)]


def _short(x: object) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _literal(text: str, name: str) -> list[Any]:
    """'[[1, 2], [3, -pi/4]]' as nested lists of element texts, read with a bracket counter
    (each element is then read by bprop's own parser as a constant expression)."""
    stack: list[list[Any]] = []
    out: list[Any] | None = None
    item = ""
    after_close = False

    def flush(where: int) -> None:
        nonlocal item
        if item.strip():
            stack[-1].append(item.strip())
        elif not after_close:
            raise ValueBindingError(f"the value of {name}, {_short(text)}, has an empty entry at character {where + 1}",
                                    hint=f"write {name}=[1,2] or {name}=[[1,2],[3,4]]")
        item = ""

    for pos, ch in enumerate(text):
        if out is not None:
            if not ch.isspace():
                raise ValueBindingError(f"the value of {name} has text after its closing ']'",
                                        hint=f"write {name}=[1,2] or {name}=[[1,2],[3,4]]")
            continue
        if ch == "[":
            if item.strip():
                raise ValueBindingError(f"the value of {name} has '[' after a number",
                                        hint="separate entries with commas: [[1,2],[3,4]]")
            stack.append([])
            after_close = False
        elif ch == "]":
            if not stack:
                raise ValueBindingError(f"the value of {name} has an unmatched ']'")
            if item.strip() or stack[-1] or after_close:
                flush(pos)
            done = stack.pop()
            if stack:
                stack[-1].append(done)
            else:
                out = done
            after_close = True
        elif ch == ",":
            if not stack:
                raise ValueBindingError(f"the value of {name} has ',' outside brackets")
            flush(pos)
            after_close = False
        elif stack:
            if after_close and not ch.isspace():
                raise ValueBindingError(f"the value of {name} needs a comma after ']'",
                                        hint="separate rows with commas: [[1,2],[3,4]]")
            item += ch
        elif not ch.isspace():
            raise ValueBindingError(f"the value of {name} has text before its '['")
    if out is None:
        raise ValueBindingError(f"the value of {name} has an unclosed '['", hint="close every '[' with ']'")
    return out


def seed_value(seed: object, shape: Shape, output: str) -> Any:
    """The gradient the backward pass starts from: a number for a scalar output, an array of
    the output's shape otherwise."""
    if not shape:
        if is_array_value(seed):
            raise ValueBindingError(f"the output {output} is a number, so --seed-grad must be a number")
        return float(seed)  # type: ignore[arg-type]
    if not is_array_value(seed):
        raise ShapeError(
            f"the output {output} is {describe_shape(shape)}: backpropagation starts from one number",
            hint=f"end the program with sum(...) or mse(..., target), or give --seed-grad {_seed_example(shape)}",
        )
    array = array_value(seed, "--seed-grad")
    if array.shape != shape:
        raise ShapeError(f"--seed-grad is {describe_shape(array.shape)} but the output {output} is "
                         f"{describe_shape(shape)}", hint=f"give --seed-grad {_seed_example(shape)}")
    return array


def _seed_example(shape: Shape) -> str:
    """How to seed with the gradient of the output's first entry: '[1,0]' for a vector of 2."""
    if math.prod(shape) > 12:
        return f"an array of the same shape ({describe_shape(shape)})"
    ones = np.zeros(shape, dtype=int)
    ones.flat[0] = 1
    return "'" + str(ones.tolist()).replace(" ", "") + "' (the gradients of its first entry)"


# -- shapes ----------------------------------------------------------------------------------


def infer_shapes(graph: Graph, values: Mapping[str, Any]) -> tuple[list[Shape], list[str]]:
    """Every node's shape, before any value is computed, and notes for legal but doubtful
    broadcasts; a mismatch is a ShapeError naming both operands and their shapes."""
    shapes: list[Shape] = []
    remarks: list[str] = []
    for i, op in enumerate(graph.ops):
        if op == INPUT:
            shapes.append(tuple(np.shape(values[graph.ids[i]])))
            continue
        if op == CONST:
            shapes.append(())
            continue
        gate = GATES[op]
        ins = [shapes[j] for j in graph.args[i]]
        names = [graph.written(j) for j in graph.args[i]]  # as the user wrote them: a.T, not v1
        if gate.shape is not None:
            k = len(ins) - gate.parameters  # the axis of sum(X, axis=0): its value, not its shape
            out = gate.shape(*ins[:k], *[graph.consts[j] for j in graph.args[i][k:]])
            if isinstance(out, str):
                raise _mismatch(graph, i, out, names[:k], ins[:k])
        else:
            out = broadcast_shapes(*ins)
            if out is None:
                raise _mismatch(graph, i, "these shapes do not broadcast", names, ins,
                                hint=f"NumPy lines shapes up from the right ({' against '.join(map(show_shape, ins))}); "
                                     "each axis must match or be 1"
                                     + ("; for the matrix product use @" if op == "mul" else ""))
            if op == "mul" and sorted(map(len, ins)) == [1, 2]:
                where = graph.span(i)
                text = graph.source[where.start:where.end] if where else graph.ids[i]
                if "*" in text:  # (not a step of a gate's --expand: batchnorm's gamma * xhat)
                    remarks.append(f"note: {text} multiplies entry by entry ({_are(names, ins)}: NumPy broadcasting); "
                                   f"@ is the matrix product")
        if len(out) > 2:
            raise _mismatch(graph, i, f"the result would have {len(out)} axes; bprop's arrays have at most 2", names, ins)
        doubt = _other_reading(graph, i, names, ins)
        if doubt is not None:
            remarks.append(doubt)
        shapes.append(tuple(out))
    return shapes, remarks


def _other_reading(graph: Graph, i: int, names: Sequence[str], shapes: Sequence[Shape]) -> str | None:
    """A note for an operation on an array that NumPy's or a textbook's notation reads another
    way: max(X, 1) (np.max(X, 1) is the largest entry of each row; here it is the larger of each
    entry and 1) and A^-1 or A^2 on a square matrix (the inverse or the matrix power in a
    textbook; here entry by entry)."""
    op, args = graph.ops[i], graph.args[i]
    if len(args) != 2 or not shapes[0] or graph.ops[args[1]] != CONST:
        return None
    c = graph.consts[args[1]]
    if c != int(c):
        return None
    where = graph.span(i)
    text = graph.source[where.start:where.end] if where else graph.ids[i]
    rank = len(shapes[0])
    if op in ("max", "min") and (c in (1, -1) or (c == 0 and rank == 2)) and -rank <= c < rank:
        larger, most = ("larger", "largest") if op == "max" else ("smaller", "smallest")
        return (f"note: {text} is the {larger} of each entry of {names[0]} and {int(c)}, entry by entry; "
                f"for the {most} entry along axis {int(c)} (NumPy's np.{op}({names[0]}, {int(c)})) "
                f"write {op}({names[0]}, axis={int(c)})")
    if op == "pow" and rank == 2 and shapes[0][0] == shapes[0][1] > 1 and (c == -1 or c >= 2):
        if c == -1:
            return (f"note: {text} is 1/x for each entry x of {names[0]}, entry by entry; "
                    f"it is not the inverse matrix, which bprop does not compute")
        power = " @ ".join([names[0]] * int(c)) if c <= 4 else f"{names[0]} @ {names[0]} @ ..."
        return (f"note: {text} takes each entry of {names[0]} to the power {int(c)}, entry by entry; "
                f"the matrix power is {power}")
    return None


def _mismatch(graph: Graph, i: int, problem: str, names: Sequence[str], shapes: Sequence[Shape],
              hint: str | None = None) -> ShapeError:
    span = graph.span(i)
    what = graph.text(i).strip() if span is not None else GATES[graph.ops[i]].expression(list(names))
    return ShapeError(f"{what}: {_are(names, shapes)}: {problem}", graph.source, graph.span(i), hint)


def _are(names: Sequence[str], shapes: Sequence[Shape]) -> str:
    """'W is a 2x2 matrix and x a vector of 3 entries'."""
    said = [f"{n} {'is ' if k == 0 else ''}{describe_shape(s)}" for k, (n, s) in enumerate(zip(names, shapes))]
    return ", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else said[0]


# -- the passes ------------------------------------------------------------------------------


def _fail(graph: Graph, index: int, problem: str) -> EvalError:
    labels = graph.labels()
    where = f"node {graph.ids[index]} = {GATES[graph.ops[index]].expression([labels[j] for j in graph.args[index]])}"
    return EvalError(f"{where}: {problem}", graph.source, graph.span(index))


def forward(graph: Graph, values: Mapping[str, Any], shapes: Sequence[Shape]) -> list[Any]:
    """Value of every node (a float for a scalar node, an ndarray otherwise)."""
    out: list[Any] = []
    with np.errstate(all="ignore"):  # once per pass: entering it per node costs more than small gates
        for i, op in enumerate(graph.ops):
            if op == INPUT:
                out.append(values[graph.ids[i]])
                continue
            if op == CONST:
                out.append(graph.consts[i])
                continue
            gate = GATES[op]
            xs = [out[j] for j in graph.args[i]]
            y = gate.vforward(np, *xs)  # type: ignore[misc]
            y = float(y) if not shapes[i] else np.asarray(y, dtype=float)
            if not _finite(y):
                raise _fail(graph, i, _problem(gate, xs, y))
            out.append(y)
    return out


def _finite(x: Any) -> bool:
    """No NaN or infinity in a number or an array (without np.all's Python-level dispatch)."""
    if isinstance(x, float):
        return math.isfinite(x)
    return bool(np.isfinite(x).all())


def _problem(gate: Any, xs: list[Any], y: Any) -> str:
    """Why a gate gave NaN or infinity: the scalar gate's own domain message at the first bad entry."""
    bad = tuple(np.argwhere(~np.isfinite(np.asarray(y)))[0]) if np.ndim(y) else ()
    where = "".join(f"[{k}]" for k in bad)
    if gate.elementwise:
        shape = np.shape(y)
        entries = [float(np.broadcast_to(x, shape)[bad]) for x in xs]
        message = gate.domain(*entries) if gate.domain else None
        shown = ", ".join(_num(x) for x in entries)
        reason = message or "overflow: the result is too large for double precision"
        return f"{reason} at entry {where} ({gate.name} of {shown})" if where else f"{reason} ({gate.name} of {shown})"
    if gate.array_domain is not None and (message := gate.array_domain(np, *xs)):
        return message
    return f"overflow: the result is too large for double precision{' at entry ' + where if where else ''}"


def _bad_local(gate: Any, names: Sequence[str], k: int, local: Any, xs: list[Any], shape: Shape) -> str:
    """Why the local derivative with respect to input k is not finite: infinite, or not a number
    (NaN), at which entry, at which input values, and the gate's domain rule if it has one."""
    local = np.broadcast_to(np.asarray(local, dtype=float), shape)
    bad = tuple(np.argwhere(~np.isfinite(local))[0]) if local.ndim else ()
    what = "not a number (NaN)" if np.isnan(local[bad]) else "infinite"
    where = f" at entry {''.join(f'[{i}]' for i in bad)}" if bad else ""
    entries = [float(np.broadcast_to(x, shape)[bad]) for x in xs]
    reason = gate.domain(*entries) if gate.domain else None
    shown = ", ".join(f"{n} = {_num(x)}" for n, x in zip(names, entries) if n != _num(x))
    return (f"the local derivative with respect to {names[k]} is {what}{where}" + (f": {reason}" if reason else "")
            + (f" ({shown}{' there' if bad else ''})" if shown else ""))


def unbroadcast(grad: Any, shape: Shape) -> Any:
    """Sum a gradient over the axes its input was broadcast along, back to the input's shape."""
    return summed_to(np, grad, shape)


def _broadcast_note(name: str, shape: Shape, out: Shape) -> str | None:
    if shape == out:
        return None
    if not shape:
        where = f"{out[0]} entries" if len(out) == 1 else f"every entry of {describe_shape(out)}"
        return f"{name} was broadcast over {where}: its gradient sums them"
    if len(shape) < len(out):
        return f"{name} was broadcast over {out[0]} rows: its gradient sums them"
    if len(out) == 1:
        return f"{name} was broadcast over {out[0]} entries: its gradient sums them"
    axes = [f"{out[k]} {'rows' if k == 0 else 'columns'}" for k, (a, b) in enumerate(zip(shape, out)) if a == 1 and b != 1]
    return f"{name} was broadcast over {' and '.join(axes)}: its gradient sums them"


def backward(graph: Graph, values: Sequence[Any], shapes: Sequence[Shape], seed: Any = 1.0,
             remarks: Sequence[str] = ()) -> Trace:
    """The reverse sweep: each gate's vector-Jacobian product, summed where gradients meet."""
    n = len(graph.ops)
    labels = graph.labels()
    grads: list[Any] = [None] * n
    grads[graph.output] = seed
    steps: list[BackwardStep] = []
    notes: dict[int, str] = {}
    with np.errstate(all="ignore"):  # the whole sweep, the sums of gradients too
        for index in range(graph.output, -1, -1):
            upstream = grads[index]
            op = graph.ops[index]
            if upstream is None or op == INPUT or op == CONST:
                continue
            gate = GATES[op]
            args = graph.args[index]
            xs = [values[j] for j in args]
            out = values[index]
            names = [labels[j] for j in args]
            scalar = gate.elementwise and not shapes[index] and not any(shapes[j] for j in args)
            if gate.elementwise:
                locals_ = gate.vlocal(np, *xs, out)  # type: ignore[misc]
                # upstream * 1.0 is upstream: no copy (the locals of add and sub)
                contributions = [None if d is None else upstream if type(d) is float and d == 1.0 else upstream * d
                                 for d in locals_]
            else:
                locals_ = [None] * len(args)
                contributions = list(gate.vjp(np, upstream, *xs, out))  # type: ignore[misc]
            if scalar and gate.kink is not None and (note := gate.kink(*map(float, xs), float(out))):
                notes[index] = note
            for k, parent in enumerate(args):
                part = contributions[k]
                if part is None or graph.ops[parent] == CONST:
                    continue
                if gate.elementwise and np.shape(part) != shapes[index]:
                    part = np.broadcast_to(part, shapes[index])
                part = unbroadcast(part, shapes[parent])
                total = part if grads[parent] is None else grads[parent] + part
                if not _finite(total):  # grads[parent] is finite, so a finite total means a finite part
                    if not _finite(part):
                        local = locals_[k]
                        if local is not None and not _finite(np.asarray(local, dtype=float)):
                            raise _fail(graph, index, _bad_local(gate, names, k, local, xs, shapes[index]))
                        if np.isnan(part).any():
                            raise _fail(graph, index, "the chain-rule product is not a number (NaN)")
                        raise _fail(graph, index, "overflow in the chain-rule product")
                    raise _fail(graph, index, f"overflow in the sum of the gradients of {names[k]}")
                grads[parent] = total
                note = _broadcast_note(names[k], shapes[parent], shapes[index]) if gate.elementwise else None
                if scalar:
                    local = float(locals_[k])  # type: ignore[arg-type]
                    steps.append(BackwardStep(graph.ids[index], graph.ids[parent], float(upstream), local, float(part),
                                              float(total), gate.formula(k, names, graph.ids[index])))
                else:
                    steps.append(BackwardStep(graph.ids[index], graph.ids[parent], upstream, None, part, total,  # type: ignore[arg-type]
                                              gate.formula(k, names, graph.ids[index]),
                                              rule=gate.rule(k, names, graph.ids[index]), note=note))
    zero = {i: 0.0 if not shapes[i] else np.zeros(shapes[i]) for i, g in enumerate(grads) if g is None}
    grads = [zero[i] if g is None else g for i, g in enumerate(grads)]
    records = tuple(
        NodeRecord(graph.ids[i], op, tuple(graph.ids[j] for j in graph.args[i]), values[i], grads[i], graph.text(i),
                   labels[i] if op in (INPUT, CONST) else GATES[op].expression([labels[j] for j in graph.args[i]]),
                   notes.get(i), shapes[i])
        for i, op in enumerate(graph.ops)
    )
    return Trace(
        expression=graph.source,
        output=graph.ids[graph.output],
        value=values[graph.output],
        inputs={name: values[i] for name, i in graph.inputs.items()},
        gradients={name: grads[i] for name, i in graph.inputs.items()},
        nodes=records,
        backward=tuple(steps),
        seed=seed,
        arrays=True,
        remarks=tuple(remarks),
    )


def run_arrays(graph: Graph, values: Mapping[str, Any], seed: object = 1.0) -> Trace:
    """Shapes, forward and backward for a graph with array values (already bound)."""
    shapes, remarks = infer_shapes(graph, values)
    start = seed_value(seed, shapes[graph.output], graph.ids[graph.output])
    computed = forward(graph, values, shapes)
    return backward(graph, computed, shapes, start, remarks)


def loss_and_gradients(graph: Graph, values: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Only the output and the inputs' gradients (no records): for training loops and checks."""
    trace = run_arrays(graph, values)
    return trace.value, trace.gradients


def forward_value(graph: Graph, values: Mapping[str, Any], shapes: Sequence[Shape] | None = None) -> Any:
    """The output alone (for finite differences)."""
    if shapes is None:
        shapes, _ = infer_shapes(graph, values)
    return forward(graph, values, shapes)[graph.output]


__all__ = ["BpropError", "Span", "array_value", "infer_shapes", "is_array_value", "run_arrays", "show_shape"]
