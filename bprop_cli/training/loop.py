"""Training: gradient descent on a program's output (the loss), one optimizer step at a time.

A Problem is the program with its fixed values, the names of its parameters and, with --data,
rows of data (then the loss is the mean over a mini-batch of rows). `train` runs the steps and
returns a Result: every loss, every gradient norm, the first step in full, and why it stopped.
Computation only: it never prints; the views in views/train.py read the Result.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

from bprop_cli.engine.geometry import norm
from bprop_cli.engine.graph import compile_program
from bprop_cli.engine.number import constant_value
from bprop_cli.engine.scalar import backward, forward
from bprop_cli.engine.values import bind, has_arrays
from bprop_cli.errors import BpropError, EvalError, ValueBindingError

from .optim import Optimizer, Update

Value = Any  # float, or (once arrays exist) a numpy array


class Problem:
    """The loss to minimise: a program, its fixed values, the parameters, and optional data rows."""

    def __init__(self, source: str, given: Mapping[str, object], params: Sequence[str],
                 rows: Sequence[Mapping[str, float]] | None = None) -> None:
        self.graph = compile_program(source)
        self.params = tuple(params)
        self.rows = list(rows) if rows is not None else None
        self._columns: dict[str, Any] | None = None
        columns = set(self.rows[0]) if self.rows else set()
        for name in self.params:
            if name not in self.graph.inputs:
                from difflib import get_close_matches

                close = get_close_matches(name, list(self.graph.inputs), n=1)
                raise ValueBindingError(f"--params names {name!r}, which is not an input of the program "
                                        f"(inputs: {', '.join(self.graph.inputs) or 'none'})",
                                        hint=f"did you mean {close[0]!r}?" if close else None)
            if name in columns:
                raise ValueBindingError(f"{name} is both a parameter (--params) and a column of the data file",
                                        hint="parameters are learned; data columns stay fixed")
        # every input needs a value: from NAME=VALUE / --values, or from the data's columns
        self.fixed = bind(self.graph, {**{c: 0.0 for c in columns}, **given})
        for c in columns:
            if c not in given:
                self.fixed.pop(c, None)
        self.arrays = has_arrays(self.graph, self.fixed)
        if self.arrays and self.rows is not None:
            raise ValueBindingError("--data rows go with scalar programs; an array program takes its mini-batch "
                                    "as a matrix value (one example a row)")

    def initial(self) -> dict[str, Value]:
        return {name: self.fixed[name] for name in self.params}

    def output(self) -> str:
        return self.graph.ids[self.graph.output]

    def _one(self, values: Mapping[str, Any], grads: bool) -> tuple[float, dict[str, Any] | None]:
        if self.arrays:
            from bprop_cli.engine.arrays import run_arrays  # numpy: only for programs over vectors and matrices

            trace = run_arrays(self.graph, values, 1.0)
            return float(trace.value), {p: trace.gradients[p] for p in self.params} if grads else None
        computed = forward(self.graph, values)
        loss = computed[self.graph.output]
        if not grads:
            return loss, None
        trace = backward(self.graph, computed, 1.0, explain=False)
        return loss, {p: trace.gradients[p] for p in self.params}

    def _vectorised(self) -> bool:
        """Rows are evaluated all at once with numpy when every gate has a vector rule."""
        if self._columns is None:
            try:
                from bprop_cli.engine import columns
            except ImportError:  # no numpy: one row at a time
                self._columns = {}
                return False
            if not columns.supported(self.graph):
                self._columns = {}
                return False
            import numpy

            assert self.rows is not None
            self._columns = {c: numpy.array([row[c] for row in self.rows]) for c in self.rows[0]}
        return bool(self._columns)

    def loss(self, current: Mapping[str, Value], indices: Sequence[int] | None = None,
             grads: bool = True) -> tuple[float, dict[str, Value] | None]:
        """The loss at the current parameters (with data: the mean over the rows, or over the rows
        at `indices`) and its gradient with respect to the parameters."""
        base = {**self.fixed, **current}
        if self.rows is None:
            return self._one(base, grads)
        if self._vectorised():
            from bprop_cli.engine.columns import passes

            cols = self._columns if indices is None else {c: v[list(indices)] for c, v in self._columns.items()}  # type: ignore[union-attr]
            n = len(self.rows) if indices is None else len(indices)
            out, g = passes(self.graph, {**base, **cols}, self.params, n, grads)
            mean = float(out.sum()) / n
            return mean, None if g is None else {p: v / n for p, v in g.items()}
        rows = self.rows if indices is None else [self.rows[i] for i in indices]
        total = 0.0
        summed: dict[str, Value] | None = {p: 0.0 for p in self.params} if grads else None
        for row in rows:
            loss, g = self._one({**base, **row}, grads)
            total += loss
            if summed is not None and g is not None:
                for p in self.params:
                    summed[p] = summed[p] + g[p]
        n = len(rows)
        return total / n, None if summed is None else {p: v / n for p, v in summed.items()}


def batches(n: int, size: int | None, seed: int | None) -> Iterator[list[int]]:
    """Row indices of each mini-batch, endlessly: the rows in file order, or shuffled once per
    pass (epoch) by random.Random(seed); a last short batch of a pass is used as it is."""
    order = list(range(n))
    rng = random.Random(seed) if seed is not None else None
    size = n if size is None else min(size, n)
    while True:
        if rng is not None:
            rng.shuffle(order)
        for start in range(0, n, size):
            yield order[start:start + size]


@dataclass
class ParamStep:
    """One parameter at one step: what the optimizer saw and did."""

    name: str
    value: Value
    grad: Value
    update: Update


@dataclass
class FirstStep:
    lr: float
    loss_before: float
    loss_after: float
    params: list[ParamStep]
    batch: list[int] | None = None  # 0-based row indices of step 1's mini-batch (with --data)


@dataclass
class Result:
    optimizer: str
    lr: float
    steps: int  # steps asked for
    initial: dict[str, Value]
    params: dict[str, Value]
    losses: list[float]  # losses[k]: the loss after k steps (losses[0]: at the initial parameters)
    norms: list[float] = field(default_factory=list)  # norms[k-1]: |∇| over the parameters used at step k
    rates: list[float] = field(default_factory=list)  # the learning rate of each step
    first: FirstStep | None = None
    stopped: str | None = None  # "interrupted" when Ctrl-C ended the run early
    error: BpropError | None = None  # a step that failed (NaN/inf); the run stopped before it

    @property
    def done(self) -> int:
        return len(self.losses) - 1


def _finite(value: Value) -> bool:
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return bool(getattr(value, "size", 1) == 0 or abs(value).max() < math.inf)  # type: ignore[union-attr]


def train(problem: Problem, optimizer: Optimizer, rate: Callable[[int, int], float], steps: int, *,
          batch_size: int | None = None, shuffle_seed: int | None = None,
          on_step: Callable[[int, float, float], None] | None = None,
          on_first: Callable[[FirstStep], None] | None = None,
          should_stop: Callable[[], bool] = lambda: False) -> Result:
    """Run `steps` optimizer steps (fewer if should_stop() says so after a step, or a step fails)."""
    current = problem.initial()
    result = Result(optimizer.name, rate(0, steps), steps, dict(current), dict(current), [])
    rows = problem.rows
    mini = rows is not None and (batch_size is not None and batch_size < len(rows) or shuffle_seed is not None)
    picks = batches(len(rows), batch_size, shuffle_seed) if rows is not None else None
    step = 0
    try:
        loss, grads = problem.loss(current)
        result.losses.append(loss)
        for k in range(steps):
            step = k + 1
            chosen = next(picks) if picks is not None else None
            if mini:
                assert rows is not None and chosen is not None
                _, grads = problem.loss(current, chosen)
            assert grads is not None
            lr = rate(k, steps)
            optimizer.begin_step()
            moved: list[ParamStep] = []
            for name in problem.params:
                update = optimizer.update(name, current[name], grads[name], lr)
                if not _finite(update.value):
                    raise EvalError(f"the update of {name} is not a finite number "
                                    f"(gradient {grads[name]!r}, learning rate {lr!r}): the rate is too large")
                moved.append(ParamStep(name, current[name], grads[name], update))
            result.norms.append(norm(grads, problem.params))
            result.rates.append(lr)
            current = {m.name: m.update.value for m in moved}
            if mini:
                loss, _ = problem.loss(current, grads=False)  # the whole data's loss, comparable step to step
            else:
                loss, grads = problem.loss(current)
            result.losses.append(loss)
            result.params = dict(current)
            if k == 0:
                result.first = FirstStep(lr, result.losses[0], loss, moved, chosen if mini else None)
                if on_first is not None:
                    on_first(result.first)
            if on_step is not None:
                on_step(step, loss, result.norms[-1])
            if should_stop():
                result.stopped = "interrupted"
                break
    except EvalError as err:
        err.message = f"step {step}: {err.message}" if step else f"at the initial parameters: {err.message}"
        result.error = err
    return result


def load_rows(path: str, stdin: Any = None) -> list[dict[str, float]]:
    """Every row of a CSV, TSV or JSON Lines file with a header of input names (as --batch reads
    them); a bad row is a usage error naming its line."""
    from bprop_cli.batch.read import BatchReader, _fast, not_a_number, open_batch

    rows: list[dict[str, float]] = []
    with open_batch(path, stdin) as stream:
        reader = BatchReader(stream, path)
        for row in reader:
            if row.error is None and row.values is not None:
                row = row._replace(error=next(filter(None, (not_a_number(k, v) for k, v in row.values.items())), None))
            if row.error is not None or row.values is None:
                raise ValueBindingError(f"{path}, row {row.number} (line {row.line}): "
                                        f"{row.error.message if row.error is not None else 'no values'}",
                                        hint=row.error.hint if row.error is not None else None)
            try:
                rows.append({k: v if isinstance(v, float) else constant_value(str(v), k)
                             for k, v in _fast(row.values).items()})
            except BpropError as err:
                raise ValueBindingError(f"{path}, row {row.number} (line {row.line}): {err.message}") from None
    if not rows:
        raise ValueBindingError(f"the data file {path!r} has no rows")
    columns = set(rows[0])
    for number, row in enumerate(rows, 1):
        if set(row) != columns:
            raise ValueBindingError(f"{path}, row {number}: its names ({', '.join(row)}) differ from the first row's")
    return rows
