"""Lowering: a parsed Program becomes a Graph of gate nodes in topological (statement) order.

Each variable and each named intermediate is one node, however often it is used (fan-out).
Sub-expressions made only of constants are folded into one constant node. Ids are stable:
the user's names where given (a reassigned name gets `name@2`, `name@3`, ...), `v1, v2, ...`
for anonymous intermediates, `c1, c2, ...` for constants, and `f` for an unnamed output.
"""

from __future__ import annotations

import math
import re
from array import array
from typing import TYPE_CHECKING, NamedTuple

from bprop_cli.errors import EvalError, NameResolutionError, ParseError, Span
from bprop_cli.gates.registry import AXIS_CALLS, BINARY_GATES, CONSTANTS, FUNCTIONS, GATES, Gate
from bprop_cli.lang.parser import parse, parse_expression, parse_into
from bprop_cli.lang.syntax import Assign, Binary, Call, Expr, Name, Num, Program, Unary, children

if TYPE_CHECKING:
    from collections.abc import Sequence

INPUT, CONST = "input", "const"


class Node(NamedTuple):
    """One node of a Graph, as an object (the graph itself keeps its nodes column by column)."""

    id: str
    op: str  # INPUT, CONST or a gate name
    inputs: tuple[int, ...]
    text: str  # source text this node computes
    span: Span | None
    value: float = 0.0  # constants only

    @property
    def gate(self) -> Gate:
        return GATES[self.op]


class Graph:
    """Gate nodes in topological (statement) order, stored column by column: node i is
    ops[i] applied to the nodes args[i], written at source[starts[i]:ends[i]]."""

    __slots__ = ("ops", "args", "starts", "ends", "ids", "consts", "output", "inputs", "source", "names", "defaults",
                 "_nodes")

    def __init__(self, ops: list[str], args: list[tuple[int, ...]], starts: Sequence[int], ends: Sequence[int],
                 ids: list[str], consts: dict[int, float], output: int, inputs: dict[str, int], source: str,
                 names: dict[int, str], defaults: dict[str, str] | None = None) -> None:
        self.ops, self.args, self.starts, self.ends, self.ids = ops, args, starts, ends, ids
        self.consts = consts  # node index -> value, for the constant nodes
        self.output = output
        self.inputs = inputs  # variable name -> node index, in order of first use
        self.source = source
        self.names = names  # node index -> user name it was bound to
        # input name -> the value the program states for it (`a = 2.0`), as a constant
        # expression's text: used when the command line gives none
        self.defaults = defaults or {}
        self._nodes: list[Node] | None = None

    def __len__(self) -> int:
        return len(self.ops)

    def text(self, index: int) -> str:
        """The source text node `index` computes (shortened in the middle when long)."""
        start, end = self.starts[index], self.ends[index]
        if start < 0:
            return self.ids[index]
        return self.source[start:end] if end - start <= TEXT_LIMIT else source_text(self.source, Span(start, end))

    def span(self, index: int) -> Span | None:
        start = self.starts[index]
        return None if start < 0 else Span(start, self.ends[index])

    @property
    def nodes(self) -> list[Node]:
        """Every node as a Node object (built on first use; the passes read the columns)."""
        if self._nodes is None:
            consts = self.consts
            self._nodes = [Node(self.ids[i], op, self.args[i], self.text(i), self.span(i), consts.get(i, 0.0))
                           for i, op in enumerate(self.ops)]
        return self._nodes

    def label(self, index: int) -> str:
        """How a node is written inside another node's formula: constants by value, others by id."""
        if self.ops[index] == CONST:
            text = self.text(index).strip()
            return text if _simple(text) else _num(self.consts[index])
        return self.ids[index]

    def written(self, index: int) -> str:
        """How the user wrote node `index`, for messages: its name if it has one (h, not h@2),
        a constant's value, else its source text (a.T, W1 @ x) rather than its id (v1)."""
        if self.ops[index] == CONST:
            return self.label(index)
        return self.names.get(index) or self.text(index).strip()

    def labels(self) -> list[str]:
        """label(i) for every node."""
        labels = list(self.ids)
        for i in self.consts:
            labels[i] = self.label(i)
        return labels


TEXT_LIMIT = 60  # longer sub-expressions are shortened, so long chains stay linear in size
_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # as the lexer reads one
_PLAIN_NUMBER = re.compile(r"[+-]?\s*" + _NUMBER.pattern)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def source_text(source: str, span: Span) -> str:
    """The text a node computes, shortened in the middle when long (O(1), not O(length))."""
    if span.end - span.start <= TEXT_LIMIT:
        return source[span.start : span.end]
    return f"{source[span.start : span.start + 40]} ... {source[span.end - 15 : span.end]}"


def _simple(text: str) -> bool:
    return text.replace(".", "", 1).isalnum() and not text.startswith("-")


def _num(value: float) -> str:
    return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"


class _Const:
    """A lowered sub-expression made only of constants: folded, not yet a node."""

    __slots__ = ("value", "text", "start", "end")

    def __init__(self, value: float, text: str, start: int, end: int) -> None:
        self.value, self.text, self.start, self.end = value, text, start, end


Item = int | _Const  # what a sub-expression lowers to: a node index or a folded constant


class GraphBuilder:
    """Lowers a program into a Graph as it is parsed (the parser's Sink), or from a syntax tree.

    Each variable and each named intermediate becomes one node, however often it is used."""

    def __init__(self, source: str, expand: bool = False) -> None:
        self.expand = expand  # lower composite gates (sigmoid, tanh, ...) into primitive ones
        self.span_override: tuple[int, int] | None = None  # set while lowering an expansion template
        self.source = source
        self.ops: list[str] = []
        self.args: list[tuple[int, ...]] = []
        self.starts = array("q")  # flat arrays of machine integers: 8 bytes a node, not 36
        self.ends = array("q")
        self.ids: list[str] = []
        self.consts: dict[int, float] = {}
        self.inputs: dict[str, int] = {}
        self.env: dict[str, Item] = {}  # names bound by assignment
        self.names: dict[int, str] = {}
        self.versions: dict[str, int] = {}
        self.taken: set[str] = set()  # every name the program uses; generated ids avoid them
        self.defaults: dict[str, str] = {}  # inputs the program gives a value: a = 2.0
        self.result: Item = 0  # the value of the last statement
        self.result_name: str | None = None  # the name the last statement assigns, if any

    # -- node creation ---------------------------------------------------------------------
    def add(self, op: str, inputs: tuple[int, ...], start: int, end: int, id: str = "") -> int:
        if self.span_override is not None:
            start, end = self.span_override
        self.ops.append(op)
        self.args.append(inputs)
        self.starts.append(start)
        self.ends.append(end)
        self.ids.append(id)
        return len(self.ops) - 1

    def materialise(self, item: Item) -> int:
        if type(item) is int:
            return item
        index = self.add(CONST, (), item.start, item.end)  # numbered c1, c2, ... at the end
        self.consts[index] = item.value
        return index

    def claim(self, index: int, name: str) -> None:
        """Give a node the user's name; a name used before gets a version suffix."""
        if index in self.names:
            return  # an alias such as r = q: the node keeps its first name
        version = self.versions.get(name, 0) + 1
        self.versions[name] = version
        self.ids[index] = name if version == 1 else f"{name}@{version}"
        self.names[index] = name

    # -- the parser's Sink ---------------------------------------------------------------------
    def number(self, value: float, text: str, start: int, end: int) -> _Const:
        return _Const(value, text, start, end)

    def name(self, text: str, start: int, end: int) -> Item:
        found = self.env.get(text)  # a name assigned before (and so already taken)
        if found is not None:
            return found
        index = self.inputs.get(text)  # a variable used before
        if index is not None:
            return index
        self.taken.add(text)
        if text in CONSTANTS:
            return _Const(CONSTANTS[text], text, start, end)
        if text in FUNCTIONS:
            raise NameResolutionError(
                f"{text} is a function: call it with an argument, as in {text}(x)", self.source, Span(start, end),
            )
        index = self.add(INPUT, (), start, end, id=text)
        self.inputs[text] = index
        self.claim(index, text)
        return index

    def unary(self, op: str, operand: Item, start: int, end: int) -> Item:
        return operand if op == "+" else self.gate_node("neg", [operand], start, end)

    def binary(self, op: str, left: Item, right: Item, start: int, end: int) -> Item:
        gate = BINARY_GATES[op]
        if not self.expand:  # the common cases, quickly: gate_node() does the same, generally
            if type(right) is int:
                if gate == "pow":
                    gate = "pow_var"  # the exponent depends on a variable: log of the base is needed
                if type(left) is int:
                    return self.add(gate, (left, right), start, end)
                return self.add(gate, (self.materialise(left), right), start, end)
            if type(left) is int:
                return self.add(gate, (left, self.materialise(right)), start, end)
        return self.gate_node(gate, [left, right], start, end)

    def call(self, func: str, args: list[Item], start: int, end: int, name_end: int) -> Item:
        gate = self.function(func, len(args), start, end, name_end)
        return self.gate_node(gate.name, args, start, end)

    def statement(self, target: str | None, target_end: int, value: Item, start: int, end: int) -> None:
        if target is not None:
            self.taken.add(target)
            if target in FUNCTIONS:
                raise NameResolutionError(
                    f"{target} is a function and cannot be assigned", self.source, Span(start, target_end),
                    hint="choose another name for the value",
                )
            if type(value) is not int and target not in self.env and target not in self.inputs:
                text = self.value_text(value)
                if text is not None:  # a = 2.0, the first binding of a: an input (see stated_input)
                    value = self.stated_input(target, text, start, target_end)
            if type(value) is int:
                self.claim(value, target)
            self.env[target] = value
        self.result = value
        self.result_name = target

    def stated_input(self, target: str, text: str, start: int, end: int) -> int:
        """`a = 2.0` (or `a = -pi/4`), the first binding of `a`: the input `a`, whose value is
        that number unless the command line gives another, as micrograd's and CS231n's code
        write their inputs."""
        index = self.add(INPUT, (), start, end, id=target)
        self.inputs[target] = index
        self.defaults[target] = text
        return index

    def value_text(self, value: _Const) -> str | None:
        """The text of a constant expression that could be typed as NAME=VALUE (numbers, pi
        and e: 2.0, -3, 1/3, -pi/4); None when it uses a name the program binds (x*2 after
        x = 3), which makes it a computed constant rather than a value."""
        text = self.source[value.start : value.end].strip()
        if _PLAIN_NUMBER.fullmatch(text):
            return text
        names = _IDENTIFIER.findall(_NUMBER.sub(" ", text))
        if all(n in CONSTANTS and n not in self.env and n not in self.inputs for n in names):
            return text
        return None

    # -- lowering ----------------------------------------------------------------------------
    def gate_node(self, gate: str, args: list[Item], start: int, end: int) -> Item:
        consts = sum(type(a) is not int for a in args)
        if gate == "pow" and type(args[1]) is int:
            gate = "pow_var"  # the exponent depends on a variable: log of the base is needed
        if consts == len(args):
            return self.fold(GATES[gate], args, start, end)  # type: ignore[arg-type]
        if self.expand and GATES[gate].expand:
            return self.expansion(GATES[gate], args, start, end)
        inputs = tuple([self.materialise(a) for a in args])
        return self.add(gate, inputs, start, end)

    def expansion(self, gate: Gate, args: list[Item], start: int, end: int) -> Item:
        """Lower a composite gate as its template, every new node pointing at the user's call."""
        saved_env, saved_span = self.env, self.span_override
        self.env = {_placeholder(i): arg for i, arg in enumerate(args)}
        self.span_override = saved_span or (start, end)
        try:
            return self.lower(expansion_template(gate.name))
        finally:
            self.env, self.span_override = saved_env, saved_span

    def fold(self, gate: Gate, args: list[_Const], start: int, end: int) -> _Const:
        if self.span_override is not None:
            start, end = self.span_override
        span = Span(start, end)
        xs = [a.value for a in args]
        text = source_text(self.source, span)
        problem = gate.domain(*xs) if gate.domain else None
        value = math.nan
        if problem is None:
            try:
                value = gate.forward(*xs)
            except (OverflowError, ValueError, ZeroDivisionError):
                problem = "overflow" if gate.name in ("exp", "pow") else "math domain error"
        if problem is None and not math.isfinite(value):
            problem = "overflow: the result is too large for double precision"
        if problem is not None:
            shown = ", ".join(_num(x) for x in xs)
            raise EvalError(f"constant {text}: {problem} ({gate.name} of {shown})", self.source, span)
        return _Const(value, text, start, end)

    def function(self, func: str, n: int, start: int, end: int, name_end: int) -> Gate:
        if func in AXIS_CALLS:  # sum(X, axis=0): the parser checked the call
            return GATES[AXIS_CALLS[func]]
        if func not in FUNCTIONS:
            raise NameResolutionError(
                f"unknown function {func!r}", self.source, Span(start, name_end), hint=self.function_hint(func, name_end)
            )
        gate = GATES[FUNCTIONS[func]]
        # A wrong number of arguments is a slip in how the call is written: a syntax error, as
        # the parser's own `f()` and `.relu(x)` are (the name itself is fine).
        if gate.arity == 0 and n < 2:
            raise ParseError(
                f"{func} needs two or more arguments, as in {func}(0, x)", self.source, Span(start, end)
            )
        if gate.arity and n != gate.arity:
            raise ParseError(
                f"{func} takes {gate.arity} argument{'s' * (gate.arity > 1)}, got {n}", self.source, Span(start, end),
                hint=_SEVERAL_VALUES.get(func) if n > gate.arity else None,
            )
        return gate

    def function_hint(self, func: str, name_end: int) -> str:
        """What to write instead of the unknown function `func` called at `name_end`."""
        from bprop_cli.lang.pasted import call_arguments, function_hint

        line = self.source[self.source.rfind("\n", 0, name_end) + 1 : name_end - len(func)]
        target = re.search(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*$", line)
        paren = self.source.find("(", name_end)
        return function_hint(func, call_arguments(self.source, paren) if paren >= 0 else None,
                             target=target[1] if target else None, variable=func in self.env or func in self.inputs)

    def lower(self, root: Expr) -> Item:
        """Lower one syntax tree bottom-up with an explicit stack (no recursion)."""
        results: list[Item] = []  # lowered sub-expressions, in post-order
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            kids = children(node)
            if kids and not expanded:
                stack.append((node, True))
                stack.extend([(kid, False) for kid in reversed(kids)])  # left child lowered first
                continue
            args: list[Item] = []
            if kids:
                args = results[-len(kids):]
                del results[-len(kids):]
            start, end = node.span
            if isinstance(node, Num):
                results.append(self.number(node.value, node.text, start, end))
            elif isinstance(node, Name):
                results.append(self.name(node.id, start, end))
            elif isinstance(node, Unary):
                results.append(self.unary(node.op, args[0], start, end))
            elif isinstance(node, Binary):
                results.append(self.binary(node.op, args[0], args[1], start, end))
            else:
                assert isinstance(node, Call)
                results.append(self.call(node.func, args, start, end, node.name_span.end))
        return results[0]

    def finish(self) -> Graph:
        """The graph whose output is the value of the last statement."""
        output = self.materialise(self.result)
        if output not in self.names and self.result_name is not None:  # c = 2 after c was bound: c@2
            self.claim(output, self.result_name)
        if output not in self.names:  # an unnamed final expression is called f, as in the CS231n notes
            name = next((n for n in ("f", "out", "output") if n not in self.taken), None)
            if name is not None:
                self.claim(output, name)
        # Constants and anonymous intermediates are numbered in forward order, once every name the
        # program uses is known (so that no generated id collides with one).
        counters = {"v": 0, "c": 0}
        ids, taken = self.ids, self.taken
        for i, id in enumerate(ids):
            if not id:
                prefix = "c" if self.ops[i] == CONST else "v"
                while True:
                    counters[prefix] += 1
                    candidate = f"{prefix}{counters[prefix]}"
                    if candidate not in taken:
                        break
                ids[i] = candidate
        return Graph(self.ops, self.args, self.starts, self.ends, ids, self.consts, output, self.inputs,
                     self.source, self.names, self.defaults)


# sum(x, y) as in a spreadsheet: the array gates take one array.
_SEVERAL_VALUES = {
    "sum": "sum(A) adds the entries of one array, sum(A, axis=0) each column; for separate values write x + y",
    "mean": "mean(A) averages the entries of one array, mean(A, axis=0) each column; for separate values "
            "write (x + y) / 2",
    "logsumexp": "logsumexp(A) takes every entry of one array, logsumexp(A, axis=1) each row",
    "softmax": "softmax(v) takes one vector, as in softmax(v) with v=[1,2]",
}


def _placeholder(index: int) -> str:
    return f"_arg{index}_"


def expansion_template(name: str) -> Expr:
    """A composite gate's expansion (gates.py), parsed by bprop's own parser; cached."""
    if name not in _TEMPLATES:
        gate = GATES[name]
        _TEMPLATES[name] = parse_expression(gate.expand.format(*map(_placeholder, range(max(gate.arity, 1)))))
    return _TEMPLATES[name]


_TEMPLATES: dict[str, Expr] = {}


def build_graph(program: Program, *, expand: bool = False) -> Graph:
    """Lower a parsed program into a graph whose output is the value of the last statement.

    With `expand`, composite gates become the primitive gates of their expansion templates.
    """
    b = GraphBuilder(program.source, expand)
    for stmt in program.statements:
        if isinstance(stmt, Assign):
            b.statement(stmt.target, stmt.target_span.end, b.lower(stmt.value), stmt.span.start, stmt.span.end)
        else:
            b.statement(None, 0, b.lower(stmt), stmt.span.start, stmt.span.end)
    return b.finish()


def compile_program(source: str, *, expand: bool = False) -> Graph:
    """Parse `source` and lower it into a graph in one pass, with no syntax tree in between.

    Errors are those of parse() then build_graph(): a syntax error anywhere in the program is
    reported before a name or constant error that comes earlier in it."""
    builder = GraphBuilder(source, expand)
    try:
        parse_into(source, builder)
    except (NameResolutionError, EvalError) as err:
        if not isinstance(err, ParseError):
            parse(source)  # raises the syntax error, if there is one
        raise
    return builder.finish()
