"""Values from files: a JSON object of NAME: value, and batches of many rows (CSV, TSV or JSON
Lines) read one row at a time, so a batch of any length runs in constant memory.

The program is parsed and lowered once; each row only binds values and runs both passes.
Never prints: the CLI decides what a row's result or error looks like.
"""

from __future__ import annotations

import csv
import difflib
import json
import math
import os
import re
import stat
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import IO, Callable, Iterator, Mapping, NamedTuple

from bprop_cli.engine.graph import Graph, build_graph
from bprop_cli.engine.number import constant_value
from bprop_cli.engine.scalar import backward, forward
from bprop_cli.engine.trace import Trace
from bprop_cli.engine.values import bind
from bprop_cli.errors import BpropError, ValueBindingError, clip
from bprop_cli.lang.parser import parse

Value = float | str
_PLAIN_NUMBER = re.compile(r"\s*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*")


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not a number bprop accepts (values must be finite)")


def not_a_number(name: str, value: object, every_row: bool = False) -> ValueBindingError | None:
    """The error for a vector or matrix where a batch takes one number (a row's field, or with
    `every_row` a value given for every row); None for anything else. A batch runs the program
    on numbers, row by row: points that are arrays are evaluated one at a time, or stacked as a
    mini-batch."""
    if isinstance(value, str):
        text = value.lstrip()
        if not text.startswith("["):
            return None
        kind, shown = ("matrix" if text[1:].lstrip().startswith("[") else "vector"), repr(clip(value.strip()))
    elif isinstance(value, list):
        kind, shown = ("matrix" if any(isinstance(v, list) for v in value) else "vector"), clip(json.dumps(value))
    else:
        return None
    problem = ("--batch runs the program on numbers" if every_row else "a batch file takes one number per field")
    return ValueBindingError(
        f"the value of {name}, {shown}, is a {kind}, but {problem}",
        hint=f"for vectors and matrices, evaluate each point on its own ({name}=[...] or --values FILE), "
             "or stack the points as the rows of one matrix (a mini-batch)")


def _json_value(name: str, value: object, where: str, arrays: bool = False) -> Value:
    if isinstance(value, list):
        if arrays:
            return value  # type: ignore[return-value]  # a vector or matrix, checked when bound
        raise not_a_number(name, value)  # type: ignore[misc]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueBindingError(
            f"{where}: the value of {name} must be a number or a string such as \"-pi/4\", not {json.dumps(value)}"
        )
    if isinstance(value, int):
        value = float(value)  # a huge JSON integer: refuse it here, not as an OverflowError later
    return value


def _as_value(value: object, name: str = "", where: str = "") -> Value:
    if isinstance(value, float) and not math.isfinite(value):  # a JSON number such as 1e400
        raise ValueBindingError(f"{where + ': ' if where else ''}the value of {name} is too large for double precision"
                                if name else "a number too large for double precision")
    return value  # type: ignore[return-value]


def _no_duplicates(where: str) -> Callable[[list[tuple[str, object]]], dict[str, object]]:
    """A JSON object hook that refuses a name given twice (JSON would silently keep the last)."""
    def hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        data: dict[str, object] = {}
        for key, value in pairs:
            if key in data:
                raise ValueBindingError(f"{where} names {clip(key)} twice: give each name one value")
            data[key] = value
        return data
    return hook


def json_problem(err: Exception) -> str:
    """What is wrong with a JSON text, in a user's words rather than the decoder's (which speaks
    of recursion depth and of sys.set_int_max_str_digits)."""
    if isinstance(err, RecursionError):
        return "its brackets are nested too deeply"
    if "integer string conversion" in str(err):
        return "it holds a whole number too long to read (more than 4,300 digits)"
    return str(err)


def load_values(path: Path) -> dict[str, Value]:
    """A JSON file holding one object {"x": -2, "w": "-pi/4"}; anything else is a usage error."""
    try:
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff")  # a byte-order mark, as --batch allows
    except (OSError, UnicodeDecodeError) as err:
        raise ValueBindingError(f"cannot read the values file {str(path)!r}: {getattr(err, 'strerror', None) or err}") from None
    try:
        data = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates(repr(str(path))))
    except BpropError:
        raise
    except (ValueError, RecursionError) as err:
        raise ValueBindingError(f"the values file {str(path)!r} is not valid JSON: {json_problem(err)}",
                                hint='write one object, as in {"x": -2, "y": 5}') from None
    if not isinstance(data, dict):
        raise ValueBindingError(f"the values file {str(path)!r} must hold one JSON object of NAME: value",
                                hint='as in {"x": -2, "y": 5}')
    try:
        return {name: _as_value(_json_value(name, v, str(path), arrays=True), name, repr(str(path)))
                for name, v in data.items()}
    except OverflowError:
        raise ValueBindingError(f"{str(path)!r} holds a number too large for double precision") from None


class Row(NamedTuple):  # a NamedTuple: made for every row, and cheaper to make than a frozen dataclass
    """One data row: its 1-based number (header not counted), the line it starts on, and either
    its values or the error that reading it raised."""

    number: int
    line: int
    values: dict[str, Value] | None = None
    error: BpropError | None = None


class _Counting:
    """Iterates over a text stream's lines and remembers how many characters it has read."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.consumed = 0
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        for text in self.stream:
            self.consumed += len(text)
            self.line += 1
            yield text


def batch_kind(name: str, first_line: str) -> str:
    """'jsonl', 'csv' or 'tsv': from the file's extension, else from its first line."""
    suffix = Path(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".tsv", ".tab"):
        return "tsv"
    if suffix == ".csv":
        return "csv"
    stripped = first_line.lstrip(" \t")
    if stripped.startswith("{"):
        return "jsonl"
    return "tsv" if "\t" in first_line else "csv"


def _blank(cells: list[str]) -> bool:
    """A blank line, which is not a row. A line of separators only (',' or a tab) is a row whose
    fields are all empty: it is numbered like any other row, and reported."""
    return not cells or (len(cells) == 1 and not cells[0].strip())


class BatchReader:
    """Rows of a batch file, one at a time; `consumed` tells how far into the stream it is."""

    def __init__(self, stream: IO[str], name: str) -> None:
        first = stream.readline()
        first = first.removeprefix("\ufeff")  # a byte-order mark from a spreadsheet export
        self.kind = batch_kind(name, first)
        self.source = _Counting(stream)
        self.source.consumed = len(first)
        self.first = first
        self.columns: list[str] = []
        if first.lstrip().startswith("["):
            raise ValueBindingError("a JSON batch is JSON Lines, one object per line, not a JSON array",
                                    hint='write {"x": 1, "y": 2} on line 1, {"x": 3, "y": 4} on line 2, ...')
        if self.kind != "jsonl":
            self.columns = self._header(first)

    @property
    def consumed(self) -> int:
        return self.source.consumed

    def _header(self, first: str) -> list[str]:
        if not first.strip():
            raise ValueBindingError("the batch file is empty: it needs a header row of variable names, as in x,y,z")
        sep = "\t" if self.kind == "tsv" else ","
        try:
            names = [n.strip() for n in next(csv.reader([first], delimiter=sep))]
        except csv.Error as err:  # e.g. a lone carriage return or a NUL in the header
            raise ValueBindingError(f"the batch file's header row is not valid CSV: {err}") from None
        for k, name in enumerate(names, 1):
            if not name.isidentifier() or not name.isascii():
                raise ValueBindingError(
                    f"column {k} of the batch header, {name!r}, is not a variable name",
                    hint="the first row names the variables, as in x,y,z",
                )
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup:
            raise ValueBindingError(f"the batch header names {dup} twice")
        return names

    def __iter__(self) -> Iterator[Row]:
        if self.kind == "jsonl":
            yield from self._json_rows()
        else:
            yield from self._csv_rows()

    def _csv_rows(self) -> Iterator[Row]:
        reader = csv.reader(self.source, delimiter="\t" if self.kind == "tsv" else ",")
        number = 0
        try:
            for cells in reader:
                line = self.source.line + 1  # the header was line 1
                if _blank(cells):
                    continue
                number += 1
                if len(cells) != len(self.columns):
                    yield Row(number, line, error=self._width_error(cells))
                    continue
                yield self.row(number, line, cells)
        except csv.Error as err:
            raise ValueBindingError(f"the batch file is not valid CSV at line {self.source.line + 1}: {err}") from None

    def row(self, number: int, line: int, cells: list[str]) -> Row:
        """The Row of a CSV/TSV line with as many fields as the header."""
        return Row(number, line, dict(zip(self.columns, map(str.strip, cells))))

    def _width_error(self, cells: list[str]) -> ValueBindingError:
        return ValueBindingError(f"{len(cells)} field{'s' * (len(cells) != 1)} where the header has "
                                 f"{len(self.columns)} ({', '.join(self.columns)})")

    def blocks(self, size: int) -> Iterator[list[Row | tuple[int, int, list[str]]]]:
        """The rows in lists of about `size`, for the column engine. A CSV/TSV row with every
        field of the header and not blank comes as (number, line, cells), its cells unstripped,
        without a Row object; every other row (and every JSON Lines row) as the Row that
        iterating gives, with the same numbers and lines."""
        if self.kind == "jsonl":
            rows = iter(self)
            while block := list(islice(rows, size)):
                yield block  # type: ignore[misc]
            return
        reader = csv.reader(self.source, delimiter="\t" if self.kind == "tsv" else ",")
        width = len(self.columns)
        number = 0
        block: list[Row | tuple[int, int, list[str]]] = []
        try:
            for cells in reader:
                line = self.source.line + 1  # the header was line 1
                if _blank(cells):
                    continue
                if len(cells) == width:
                    number += 1
                    block.append((number, line, cells))
                else:
                    number += 1
                    block.append(Row(number, line, error=self._width_error(cells)))
                if len(block) >= size:
                    yield block
                    block = []
        except csv.Error as err:
            raise ValueBindingError(f"the batch file is not valid CSV at line {self.source.line + 1}: {err}") from None
        if block:
            yield block

    def _json_rows(self) -> Iterator[Row]:
        number = 0
        lines = iter(self.source)
        text, line = self.first, 1
        while True:
            if text.strip():
                number += 1
                yield self._json_row(text, number, line)
            text = next(lines, None)  # type: ignore[arg-type]
            if text is None:
                return
            line = self.source.line + 1

    def _json_row(self, text: str, number: int, line: int) -> Row:
        try:
            data = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates("this row"))
        except BpropError as err:
            return Row(number, line, error=err)
        except (ValueError, RecursionError) as err:
            return Row(number, line, error=ValueBindingError(f"not valid JSON: {json_problem(err)}"))
        if not isinstance(data, dict):
            return Row(number, line, error=ValueBindingError('each line must be one JSON object, as in {"x": -2}'))
        try:
            return Row(number, line, {k: _as_value(_json_value(k, v, "this row"), k) for k, v in data.items()})
        except BpropError as err:
            return Row(number, line, error=err)
        except OverflowError:
            return Row(number, line, error=ValueBindingError("a number too large for double precision"))


def _fast(values: Mapping[str, Value]) -> dict[str, Value]:
    """Plain decimal numbers become floats at once; anything else goes through bprop's parser."""
    return {k: float(v) if isinstance(v, str) and _PLAIN_NUMBER.fullmatch(v) else v for k, v in values.items()}


class Batch:
    """One program evaluated at many points: parsed and lowered once."""

    def __init__(self, source: str, common: Mapping[str, Value], columns: list[str], seed: float = 1.0) -> None:
        self.graph: Graph = build_graph(parse(source))
        for name, value in common.items():
            refused = not_a_number(name, value, every_row=True)
            if refused is not None:
                raise refused
        # Constant expressions such as "-pi/4" are worked out once, not once per row.
        self.common = {k: constant_value(v, k) if isinstance(v, str) else v for k, v in _fast(common).items()}
        self.seed = seed
        if columns:  # a header: check the names once, before any row (missing or unknown variables)
            bind(self.graph, {**{c: 0.0 for c in columns}, **{k: 0.0 for k in self.common}})

    @property
    def inputs(self) -> list[str]:
        return list(self.graph.inputs)

    @property
    def output(self) -> str:
        return self.graph.nodes[self.graph.output].id

    def evaluate(self, values: Mapping[str, Value]) -> Trace:
        """Both passes at one row's values (a row's own values win over the common ones)."""
        given = _fast({**self.common, **values})
        for name, value in given.items():
            if type(value) is str and value.lstrip().startswith("["):
                raise not_a_number(name, value)  # type: ignore[misc]  # the scalar engine takes numbers only
        bound = bind(self.graph, given)
        return backward(self.graph, forward(self.graph, bound), self.seed, explain=False)

    def grad_columns(self, grad: str | None) -> list[str]:
        """The gradients each output row shows: every input's, or only --grad NAME's."""
        if grad is None:
            return self.inputs
        check_grad_name(grad, self.inputs, [n.id for n in self.graph.nodes if n.op != "const"])
        return [grad]

    def results(self, rows: Iterator[Row] | BatchReader) -> Iterator[tuple[Row, Trace | None, BpropError | None]]:
        """(row, trace, None) for a good row, (row, None, error) for a bad one; never stops early."""
        for row in rows:
            yield self.result(row)

    def result(self, row: Row) -> tuple[Row, Trace | None, BpropError | None]:
        """One row's trace, or its error."""
        if row.error is not None or row.values is None:
            return row, None, row.error
        try:
            return row, self.evaluate(row.values), None
        except BpropError as err:
            return row, None, err


def check_grad_name(name: str, inputs: list[str], ids: list[str]) -> None:
    """--grad NAME must name an input or a node; otherwise a usage error with a did-you-mean."""
    if name in ids or name in inputs:
        return
    close = difflib.get_close_matches(name, [*inputs, *ids], n=1)
    hint = f"did you mean {close[0]}?" if close else f"the inputs are {', '.join(inputs) or 'none'}"
    raise ValueBindingError(f"--grad {name}: the program has no input or node called {name}", hint=hint)


@contextmanager
def open_batch(name: str, stdin: IO[str] | None) -> Iterator[IO[str]]:
    """The batch stream: the file `name`, or `stdin` for '-'."""
    if name == "-":
        if stdin is None:
            raise ValueBindingError("--batch - reads standard input, but there is none")
        yield stdin
        return
    try:
        stream = open(name, encoding="utf-8", newline="")
    except OSError as err:
        raise ValueBindingError(f"cannot read the batch file {name!r}: {err.strerror or err}") from None
    with stream:
        try:
            yield stream
        except UnicodeDecodeError:
            raise ValueBindingError(f"the batch file {name!r} is not UTF-8 text") from None


def file_size(stream: IO[str]) -> int | None:
    """Size of a regular file; None for a pipe, a terminal or anything else."""
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None
