"""--scalarize: a program over vectors and matrices lowered to scalar gates, one node per entry,
so the scalar tables show every single product, as Mazur's example does by hand.

Each array node becomes a NumPy object array of graph items (node indexes or folded constants)
built with the same GraphBuilder that lowers scalar programs; entries are named after their
array and position (W1[0][1], z1[1]). The matrix product becomes sums of products, sum and mean
chains of adds, softmax a max, subtractions, exps, a sum and divisions (each entry shifted by
its row's largest, as the array engine computes it, so that exp cannot overflow nor the sum be
0), mse squares, a sum and a divide; a reduction along an axis (sum(X, axis=0), max, min, mean,
logsumexp) reduces each line along that axis the same way. The result is an ordinary scalar Graph, run by the
scalar engine; tests check that both engines agree, extreme values included.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from bprop_cli.errors import ShapeError
from bprop_cli.gates.registry import GATES

from .arrays import infer_shapes
from .graph import CONST, INPUT, Graph, GraphBuilder, _Const

Item = Any  # int (a node index) or _Const


def _entry(name: str, index: tuple[int, ...]) -> str:
    return name + "".join(f"[{k}]" for k in index)


def scalarize(graph: Graph, values: Mapping[str, Any]) -> tuple[Graph, dict[str, float]]:
    """The same program in scalar gates, and the value of every scalar input."""
    shapes, _ = infer_shapes(graph, values)
    if shapes[graph.output]:
        raise ShapeError("--scalarize needs a program whose output is one number",
                         hint="end the program with sum(...) or mse(..., target)")
    b = GraphBuilder(graph.source)
    scalar_values: dict[str, float] = {}
    items: list[Any] = []  # per node of `graph`: an item (a number's node) or an object array of items
    for i, op in enumerate(graph.ops):
        start, end = graph.starts[i], graph.ends[i]
        if op == INPUT:
            name = graph.ids[i]
            value = np.asarray(values[name], dtype=float)
            cells = np.empty(value.shape, dtype=object)
            for index in np.ndindex(value.shape):
                entry = _entry(name, index)
                node = b.add(INPUT, (), start, end, id=entry)
                b.inputs[entry] = node
                b.names[node] = entry
                b.taken.add(entry)
                scalar_values[entry] = float(value[index])
                cells[index] = node
            items.append(cells if value.shape else cells[()])
            continue
        if op == CONST:
            items.append(_Const(graph.consts[i], graph.text(i), start, end))
            continue
        args = [items[j] for j in graph.args[i]]
        if op in ("pick", "cross_entropy"):  # which entries are picked is read off the labels' values
            args[1] = _picks(graph, graph.args[i][1], values, args[1], shapes[graph.args[i][0]])
        out = _lower(b, op, args, shapes[i], [shapes[j] for j in graph.args[i]], start, end)
        name = graph.names.get(i)
        if name is not None:
            for index in np.ndindex(shapes[i]):
                item = out[index] if shapes[i] else out
                if type(item) is int and item not in b.names:
                    b.claim(item, _entry(name, index) if shapes[i] else name)
        items.append(out)
    b.result = items[graph.output]
    return b.finish(), scalar_values


def _cells(item: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Any item as an object array of the given (broadcast) shape."""
    if isinstance(item, np.ndarray):
        return np.broadcast_to(item, shape)
    cells = np.empty((), dtype=object)
    cells[()] = item
    return np.broadcast_to(cells, shape)


def _picks(graph: Graph, j: int, values: Mapping[str, Any], item: Any, scores: tuple[int, ...]) -> Any:
    """The labels of pick or cross_entropy as one-hot rows: numbers (weights) when the labels are
    given as whole numbers, the items themselves when they are rows of the scores' shape."""

    given = np.asarray(values[graph.ids[j]], dtype=float) if graph.ops[j] == INPUT else None
    if given is not None and given.shape == scores:
        return item
    if given is None:
        raise ShapeError("--scalarize needs the labels of pick and cross_entropy given as values",
                         hint="give them as NAME=VALUE, not computed in the program")
    problem = GATES["pick"].array_domain(np, np.zeros(scores), given)  # type: ignore[misc]
    if problem:
        raise ShapeError(problem)
    eye = np.zeros(scores)
    np.put_along_axis(eye, given.astype(int)[..., None], 1.0, axis=-1)
    out = np.empty(scores, dtype=object)
    for index in np.ndindex(scores):
        out[index] = float(eye[index])
    return out


def _reduce_line(b: GraphBuilder, name: str, cells: list[Item], start: int, end: int) -> Item:
    """One line of a reduction in scalar gates: a chain of adds (and a divide, for mean), one
    max or min of every entry, or logsumexp as the array engine computes it, m + log(sum(exp(x - m)))
    with m the largest entry (a gate of its own, as in softmax)."""
    if name in ("sum", "mean"):
        total = _chain(b, "add", cells, start, end)
        if name == "mean" and len(cells) > 1:
            total = b.gate_node("div", [total, _Const(float(len(cells)), str(len(cells)), start, end)], start, end)
        return total
    if len(cells) == 1:
        return cells[0]
    if name in ("max", "min"):
        return b.gate_node(name, cells, start, end)
    top = b.gate_node("max", cells, start, end)
    exps = [b.gate_node("exp", [b.gate_node("sub", [x, top], start, end)], start, end) for x in cells]
    return b.gate_node("add", [top, b.gate_node("log", [_chain(b, "add", exps, start, end)], start, end)], start, end)


def _chain(b: GraphBuilder, op: str, terms: list[Item], start: int, end: int) -> Item:
    acc = terms[0]
    for term in terms[1:]:
        acc = b.gate_node(op, [acc, term], start, end)
    return acc


def _lower(b: GraphBuilder, op: str, args: list[Any], shape: tuple[int, ...], shapes: list[tuple[int, ...]],
           start: int, end: int) -> Any:
    out = np.empty(shape, dtype=object)
    if op == "matmul":
        a, c = (np.asarray(x, dtype=object) for x in args)
        a2 = a if a.ndim == 2 else a.reshape(1, -1)
        c2 = c if c.ndim == 2 else c.reshape(-1, 1)
        full = np.empty((a2.shape[0], c2.shape[1]), dtype=object)
        for r in range(a2.shape[0]):
            for k in range(c2.shape[1]):
                products = [b.gate_node("mul", [a2[r, j], c2[j, k]], start, end) for j in range(a2.shape[1])]
                full[r, k] = _chain(b, "add", products, start, end)
        result = full.reshape(shape) if shape else full.reshape(())
        return result if shape else result[()]
    if op == "transpose":
        return np.transpose(args[0]) if shapes[0] else args[0]
    if op in ("sum", "mean"):
        cells = list(_cells(args[0], shapes[0]).ravel())
        total = _chain(b, "add", cells, start, end)
        if op == "mean" and len(cells) > 1:
            total = b.gate_node("div", [total, _Const(float(len(cells)), str(len(cells)), start, end)], start, end)
        return total
    if op in ("log_softmax", "pick", "cross_entropy"):
        if not shapes[0]:
            return b.gate_node(op, list(args), start, end)
        rows = np.asarray(args[0], dtype=object).reshape(-1, shapes[0][-1])
        if op != "pick":  # log_softmax of each row: x - (m + log(sum(exp(x - m))))
            done = np.empty(rows.shape, dtype=object)
            for r, row in enumerate(rows):
                lse = _reduce_line(b, "logsumexp", list(row), start, end)
                for k, x in enumerate(row):
                    done[r, k] = b.gate_node("sub", [x, lse], start, end)
            if op == "log_softmax":
                return done.reshape(shape)
            rows = done
        weights = np.asarray(args[1], dtype=object).reshape(rows.shape)  # one-hot rows (from labels)
        picked = []
        for row, weight in zip(rows, weights):
            terms = []
            for x, w in zip(row, weight):
                if not isinstance(w, float):  # a one-hot row given as a value: its entries are inputs
                    terms.append(b.gate_node("mul", [x, w], start, end))
                elif w != 0.0:  # a label: the picked entry itself
                    terms.append(x if w == 1.0 else b.gate_node("mul", [x, _Const(w, repr(w), start, end)], start, end))
            picked.append(_chain(b, "add", terms, start, end) if terms else _Const(0.0, "0", start, end))
        if op == "pick":
            result = np.empty(len(picked), dtype=object)
            result[:] = picked
            return result.reshape(shape) if shape else result[0]
        mean = _reduce_line(b, "mean", picked, start, end)
        return b.gate_node("neg", [mean], start, end)
    if op == "logsumexp":
        return _reduce_line(b, "logsumexp", list(_cells(args[0], shapes[0]).ravel()), start, end)
    if op.partition("_axis")[1]:  # sum(X, axis=0), ...: each line along the axis reduced on its own
        name, axis = op.partition("_axis")[0], int(args[1].value) % len(shapes[0])
        lines = np.moveaxis(np.asarray(_cells(args[0], shapes[0]), dtype=object), axis, -1)
        reduced = np.empty(lines.shape[:-1], dtype=object)
        for index in np.ndindex(reduced.shape):
            reduced[index] = _reduce_line(b, name, list(lines[index]), start, end)
        result = reduced.reshape(shape)
        return result if shape else result[()]
    if op == "softmax":
        if not shape:
            return b.gate_node("softmax", [args[0]], start, end)
        v = np.asarray(args[0], dtype=object)
        rows = v.reshape(-1, shape[-1])
        result = np.empty(rows.shape, dtype=object)
        for r, row in enumerate(rows):
            # exp(x - max) rather than exp(x): the same quotient, but exp cannot overflow and the
            # largest term is exp(0) = 1, so the sum is never 0. The max is a gate of its own, so
            # the walkthrough shows the shift the array engine makes unseen (its gradient is 0).
            top = b.gate_node("max", list(row), start, end) if len(row) > 1 else row[0]
            exps = [b.gate_node("exp", [b.gate_node("sub", [x, top], start, end)], start, end) for x in row]
            total = _chain(b, "add", exps, start, end)
            for k, e in enumerate(exps):
                result[r, k] = b.gate_node("div", [e, total], start, end)
        return result.reshape(shape)
    if op == "mse":
        both = np.broadcast_shapes(shapes[0], shapes[1])
        if not both:
            return b.gate_node("mse", args, start, end)
        left, right = _cells(args[0], both), _cells(args[1], both)
        two = _Const(2.0, "2", start, end)
        squares = [b.gate_node("pow", [b.gate_node("sub", [left[k], right[k]], start, end), two], start, end)
                   for k in np.ndindex(both)]
        total = _chain(b, "add", squares, start, end)
        n = len(squares)
        return b.gate_node("div", [total, _Const(float(n), str(n), start, end)], start, end) if n > 1 else total
    if not GATES[op].elementwise:  # a fused gate over arrays with no lowering of its own (batchnorm)
        raise ShapeError(f"--scalarize does not write {op} entry by entry by itself",
                         hint="add --expand: its steps (means, squares, a square root) are then lowered one by one")
    # An elementwise gate: one scalar gate per entry, over the broadcast inputs.
    if not shape:
        return b.gate_node(op, list(args), start, end)
    cells = [_cells(x, shape) for x in args]
    for index in np.ndindex(shape):
        out[index] = b.gate_node(op, [c[index] for c in cells], start, end)
    return out
