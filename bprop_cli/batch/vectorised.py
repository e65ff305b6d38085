"""--batch in columns: a chunk of rows evaluated at once, each node a numpy array of its values
over the chunk's rows, so the per-row cost is one pass of C loops instead of one of Python.

Every number is, bit for bit, what the row-by-row engine computes: a gate's array rules
(Gate.vforward, .vlocal) are used only where they are the same IEEE operations as its scalar
rules (Gate.exact_vforward, .exact_vlocal: +, -, *, comparisons, ...); every other rule (exp,
log, sin, sigmoid, pow, div, ...) is applied to each element as the scalar rule itself (math's
own functions, so no last-bit differences from numpy's). A row that is not plain numbers, or that meets a domain
error, an overflow or anything else not finite, is handed back to the row-by-row engine, which
gives its result or its exact error. Imported only by --batch: it is the one user of numpy.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Iterator, Protocol, Sequence

import numpy as np

from bprop_cli.engine.graph import CONST, INPUT
from bprop_cli.errors import BpropError
from bprop_cli.gates.registry import GATES

from .read import _PLAIN_NUMBER, Batch, BatchReader, Row


class Lines(Protocol):
    """What turns columns of numbers into output lines (views.rows.RowWriter): the caller's
    choice of format, so this engine only computes."""

    def lines(self, numbers: list[int], inputs: list[list[float]], values: list[float],
              grads: list[list[float]]) -> list[str]: ...


CHUNK = 4096  # rows per chunk: memory stays flat in the number of rows
_MATH_ERRORS = (OverflowError, ValueError, ZeroDivisionError)
_NAN = math.nan

# (row, its output line or None, its error or None); both None: for the row-by-row engine.
Outcome = tuple[Row, "str | None", "BpropError | None"]
# A character that no plain decimal number (with spaces or tabs around) has: without one, a cell
# that float() reads is a plain decimal number, as batch._PLAIN_NUMBER reads it (float() alone
# would also take 'nan', 'inf', '1_000' and other digits and spaces than ASCII ones).
_NOT_PLAIN = re.compile(r"[^0-9eE+\-. \t\n]")


def _safe(fn: Callable[..., Any], width: int) -> Callable[..., Any]:
    """fn, giving NaN(s) instead of raising a math error (the row is then redone row by row)."""
    failed = _NAN if width == 0 else (_NAN,) * width

    def call(*xs: float) -> Any:
        try:
            return fn(*xs)
        except _MATH_ERRORS:
            return failed
    return call


def _each(fn: Callable[..., float], columns: Sequence[Any], n: int) -> Any:
    """fn applied to each row's elements: the scalar rule, exactly."""
    lists = [c.tolist() for c in columns]
    try:
        return np.fromiter(map(fn, *lists), dtype=np.float64, count=n)
    except _MATH_ERRORS:
        return np.fromiter(map(_safe(fn, 0), *lists), dtype=np.float64, count=n)


def _each_local(fn: Callable[..., tuple], columns: Sequence[Any], out: Any, arity: int) -> list[Any]:
    lists = [c.tolist() for c in columns] + [out.tolist()]
    try:
        locals_ = list(map(fn, *lists))
    except _MATH_ERRORS:
        locals_ = list(map(_safe(fn, arity), *lists))
    return [list(k) for k in zip(*locals_)] if locals_ else [[] for _ in range(arity)]


class Columns:
    """A Batch's program, evaluated a chunk of rows at a time; each good row's output line is
    made by `writer` from the columns."""

    def __init__(self, job: Batch, writer: Lines, grads: list[str], header: list[str]) -> None:
        self.job, self.writer = job, writer
        g = job.graph
        self.graph = g
        self.inputs = list(g.inputs)
        self.needed = set(self.inputs)
        index = {node_id: i for i, node_id in enumerate(g.ids)}
        self.grad_nodes = [g.inputs[name] if name in g.inputs else index[name] for name in grads]
        # A CSV/TSV file's rows all name the header's columns: when those and the common values
        # are exactly the program's variables, a chunk's values are read a column at a time.
        self.header = header if header and set(header) | set(job.common) == self.needed else []
        # Programs the columns do not take: array values given for every row (--values), and
        # gates that exist only for arrays; the row-by-row engine gives their results or errors.
        self.enabled = all(type(v) in (int, float) for v in job.common.values()) and not any(
            GATES[op].array_only for op in set(g.ops) if op in GATES)
        # Which nodes the output depends on: structural, the same for every row.
        live = [False] * len(g.ops)
        live[g.output] = True
        for i in range(g.output, -1, -1):
            if live[i] and g.ops[i] not in (INPUT, CONST):
                for p in g.args[i]:
                    if g.ops[p] != CONST:
                        live[p] = True
        self.live = live

    def outcomes(self, reader: BatchReader, joined: bool = False) -> Iterator[Outcome]:
        """Every row, in order, with its output line, or its error, or neither (then it is for
        the row-by-row engine). `joined`: a chunk whose every row has its line comes as one
        outcome, its last row with all the chunk's lines (one write, not thousands)."""
        if not self.enabled:
            yield from ((row, None, None) for row in reader)
            return
        for block in reader.blocks(CHUNK):
            yield from self._chunk(block, reader, joined)

    def _values(self, row: Row) -> list[float] | None:
        """The row's input values as floats, when they are plain numbers naming exactly the
        program's variables (anything else is for the row-by-row engine and its messages)."""
        if row.error is not None or row.values is None:
            return None
        given = {**self.job.common, **row.values}
        if given.keys() != self.needed:
            return None
        out = []
        for name in self.inputs:
            v = given[name]
            if isinstance(v, str):
                if not _PLAIN_NUMBER.fullmatch(v):
                    return None
                v = float(v)
            elif isinstance(v, bool) or not isinstance(v, (int, float)):
                return None
            v = float(v)
            if not math.isfinite(v):
                return None
            out.append(v)
        return out

    def _by_column(self, cells: list[list[str]]) -> list[list[float]] | None:
        """The input columns of whole CSV rows, read a column at a time; None when some cell
        is not a plain decimal number (then the rows are read one by one)."""
        texts = dict(zip(self.header, map(list, zip(*cells))))
        columns = []
        for name in self.inputs:
            if name not in texts:  # given on the command line for every row
                columns.append([float(self.job.common[name])] * len(cells))  # type: ignore[arg-type]
                continue
            column = texts[name]
            if _NOT_PLAIN.search("\n".join(column)):
                return None
            try:
                numbers = list(map(float, column))  # float() ignores the spaces around, as strip() does
            except ValueError:  # not a number: "1.2.3", "", "-", a cell holding a line break
                return None
            if not all(map(math.isfinite, numbers)):
                return None
            columns.append(numbers)
        return columns

    def _chunk(self, block: list, reader: BatchReader, joined: bool = False) -> Iterator[Outcome]:
        regular = [k for k, item in enumerate(block) if type(item) is tuple]
        columns = self._by_column([block[k][2] for k in regular]) if self.header and regular else None
        if columns is not None:
            picked = regular
            rows = [Row(item[0], item[1]) if type(item) is tuple else item for item in block]
            whole_rows = True  # the regular rows have no Row with values yet
        else:
            rows = [reader.row(*item) if type(item) is tuple else item for item in block]
            picked, columns = [], [[] for _ in self.inputs]
            for k, row in enumerate(rows):
                values = self._values(row)
                if values is not None:
                    picked.append(k)
                    for column, v in zip(columns, values):
                        column.append(v)
            whole_rows = False
        lines: dict[int, str] = {}
        if picked:
            with np.errstate(all="ignore"):
                value, grads, bad = self._evaluate([np.array(c, dtype=np.float64) for c in columns], len(picked))
            if bad.any():
                keep = [j for j, b in enumerate(bad.tolist()) if not b]
                dropped = [picked[j] for j, b in enumerate(bad.tolist()) if b]
                if whole_rows:  # their Rows, with values, for the row-by-row engine
                    for k in dropped:
                        rows[k] = reader.row(*block[k])
                picked = [picked[j] for j in keep]
                columns = [[c[j] for j in keep] for c in columns]
                value, grads = value[keep], [g[keep] for g in grads]
            made = self.writer.lines([rows[k].number for k in picked], columns, value.tolist(),
                                     [g.tolist() for g in grads])
            if joined and len(made) == len(rows):  # every row answered here (the usual case): all at once
                yield rows[-1], "\n".join(made), None
                return
            lines = dict(zip(picked, made))
        for k, row in enumerate(rows):
            if k in lines:
                yield row, lines[k], None
            elif row.error is not None or row.values is None:
                yield row, None, row.error
            else:
                yield row, None, None

    def _evaluate(self, inputs: list[Any], n: int) -> tuple[Any, list[Any], Any]:
        """Both passes over n rows: the output's values, the gradients asked for, and which
        rows went wrong (outside a domain, or a value or gradient not finite)."""
        g = self.graph
        ops, args, consts, live = g.ops, g.args, g.consts, self.live
        position = {name: k for k, name in enumerate(self.inputs)}
        bad = np.zeros(n, dtype=bool)
        values: list[Any] = []
        for i, op in enumerate(ops):
            if op == INPUT:
                values.append(inputs[position[g.ids[i]]])
                continue
            if op == CONST:
                values.append(np.full(n, consts[i]))
                continue
            gate = GATES[op]
            xs = [values[p] for p in args[i]]
            if gate.domain is not None:
                problems = list(map(gate.domain, *[x.tolist() for x in xs]))
                bad |= np.fromiter((p is not None for p in problems), dtype=bool, count=n)
            out = gate.vforward(np, *xs) if gate.exact_vforward else _each(gate.forward, xs, n)
            bad |= ~np.isfinite(out)
            values.append(out)
        grads: list[Any] = [None] * len(ops)
        grads[g.output] = np.full(n, self.job.seed)
        for i in range(g.output, -1, -1):
            op = ops[i]
            if not live[i] or op == INPUT or op == CONST:
                continue
            gate = GATES[op]
            inputs_i = args[i]
            xs = [values[p] for p in inputs_i]
            if gate.exact_vlocal:
                local = gate.vlocal(np, *xs, values[i])
            else:
                local = _each_local(gate.local, xs, values[i], len(xs))
            upstream = grads[i] if grads[i] is not None else np.zeros(n)
            for k, parent in enumerate(inputs_i):
                if ops[parent] == CONST:
                    continue
                d = local[k]
                if isinstance(d, list):
                    if any(v is None for v in d):  # no gradient for this input: row by row
                        if all(v is None for v in d):
                            continue
                        bad |= np.fromiter((v is None for v in d), dtype=bool, count=n)
                        d = [0.0 if v is None else v for v in d]
                    d = np.array(d, dtype=np.float64)
                elif d is None:
                    continue
                product = upstream * d
                so_far = grads[parent]  # None: 0.0, where the scalar engine starts every gradient
                total = (0.0 if so_far is None else so_far) + product
                bad |= ~np.isfinite(total)
                grads[parent] = total
        zero = np.zeros(n)
        out_grads = [grads[i] if grads[i] is not None else zero for i in self.grad_nodes]
        return values[g.output], out_grads, bad
