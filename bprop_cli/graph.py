"""Lowering: a parsed Program becomes a Graph of gate nodes in topological (statement) order.

Each variable and each named intermediate is one node, however often it is used (fan-out).
Sub-expressions made only of constants are folded into one constant node. Ids are stable:
the user's names where given (a reassigned name gets `name@2`, `name@3`, ...), `v1, v2, ...`
for anonymous intermediates, `c1, c2, ...` for constants, and `f` for an unnamed output.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field

from .errors import EvalError, NameResolutionError, Span
from .gates import BINARY_GATES, CONSTANTS, FUNCTIONS, GATES, Gate
from .parser import parse_expression
from .syntax import Assign, Binary, Call, Expr, Name, Num, Program, Unary, children

INPUT, CONST = "input", "const"

# What learners type for a function bprop spells differently.
FUNCTION_ALIASES = {
    "ln": "log", "log_e": "log", "sigm": "sigmoid", "logistic": "sigmoid", "sig": "sigmoid",
    "sqr": "x^2", "pow": "x^y", "power": "x^y", "maximum": "max", "minimum": "min",
    "fabs": "abs", "expm1": "exp(x) - 1", "log10": "log(x)/log(10)", "log2": "log(x)/log(2)",
}


@dataclass(slots=True)
class Node:
    id: str
    op: str  # INPUT, CONST or a gate name
    inputs: tuple[int, ...]
    text: str  # source text this node computes
    span: Span | None
    value: float = 0.0  # constants only

    @property
    def gate(self) -> Gate:
        return GATES[self.op]


@dataclass(slots=True)
class Graph:
    nodes: list[Node]
    output: int
    inputs: dict[str, int]  # variable name -> node index, in order of first use
    source: str
    names: dict[int, str] = field(default_factory=dict)  # node index -> user name it was bound to

    def label(self, index: int) -> str:
        """How a node is written inside another node's formula: constants by value, others by id."""
        node = self.nodes[index]
        if node.op == CONST:
            text = node.text.strip()
            return text if _simple(text) else _num(node.value)
        return node.id


TEXT_LIMIT = 60  # longer sub-expressions are shortened, so long chains stay linear in size


def source_text(source: str, span: Span) -> str:
    """The text a node computes, shortened in the middle when long (O(1), not O(length))."""
    if span.end - span.start <= TEXT_LIMIT:
        return source[span.start : span.end]
    return f"{source[span.start : span.start + 40]} ... {source[span.end - 15 : span.end]}"


def _simple(text: str) -> bool:
    return text.replace(".", "", 1).isalnum() and not text.startswith("-")


def _num(value: float) -> str:
    return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"


# A lowered sub-expression is either a node index or a not-yet-materialised constant.
@dataclass(frozen=True, slots=True)
class _Const:
    value: float
    text: str
    span: Span


class _Builder:
    def __init__(self, program: Program, expand: bool = False) -> None:
        self.expand = expand  # lower composite gates (sigmoid, tanh, ...) into primitive ones
        self.span_override: Span | None = None  # set while lowering an expansion template
        self.source = program.source
        self.nodes: list[Node] = []
        self.inputs: dict[str, int] = {}
        self.env: dict[str, int | _Const] = {}  # names bound by assignment
        self.names: dict[int, str] = {}
        self.versions: dict[str, int] = {}
        self.taken: set[str] = set()  # every name the program uses; generated ids avoid them
        self.counters = {"v": 0, "c": 0}

    # -- node creation ---------------------------------------------------------------------
    def fresh(self, prefix: str) -> str:
        while True:
            self.counters[prefix] += 1
            candidate = f"{prefix}{self.counters[prefix]}"
            if candidate not in self.taken:
                return candidate

    def add(self, op: str, inputs: tuple[int, ...], span: Span | None, value: float = 0.0, id: str = "") -> int:
        span = self.span_override or span
        text = source_text(self.source, span) if span else id
        self.nodes.append(Node(id, op, inputs, text, span, value))
        return len(self.nodes) - 1

    def materialise(self, item: int | _Const) -> int:
        if isinstance(item, _Const):
            return self.add(CONST, (), item.span, item.value)  # numbered c1, c2, ... at the end
        return item

    def claim(self, index: int, name: str) -> None:
        """Give a node the user's name; a name used before gets a version suffix."""
        if index in self.names:
            return  # an alias such as r = q: the node keeps its first name
        version = self.versions.get(name, 0) + 1
        self.versions[name] = version
        self.nodes[index].id = name if version == 1 else f"{name}@{version}"
        self.names[index] = name

    # -- lowering ----------------------------------------------------------------------------
    def name(self, node: Name) -> int | _Const:
        self.taken.add(node.id)
        if node.id in self.env:
            return self.env[node.id]
        if node.id in CONSTANTS:
            return _Const(CONSTANTS[node.id], node.id, node.span)
        if node.id in FUNCTIONS:
            raise NameResolutionError(
                f"{node.id} is a function: call it with an argument, as in {node.id}(x)",
                self.source, node.span,
            )
        if node.id not in self.inputs:
            index = self.add(INPUT, (), node.span, id=node.id)
            self.inputs[node.id] = index
            self.claim(index, node.id)
        return self.inputs[node.id]

    def gate_node(self, gate: str, args: list[int | _Const], span: Span) -> int | _Const:
        consts = sum(isinstance(a, _Const) for a in args)
        if gate == "pow" and not isinstance(args[1], _Const):
            gate = "pow_var"  # the exponent depends on a variable: log of the base is needed
        if consts == len(args):
            return self.fold(GATES[gate], args, span)  # type: ignore[arg-type]
        if self.expand and GATES[gate].expand:
            return self.expansion(GATES[gate], args, span)
        inputs = tuple(self.materialise(a) for a in args) if consts else tuple(args)  # type: ignore[arg-type]
        return self.add(gate, inputs, span)

    def expansion(self, gate: Gate, args: list[int | _Const], span: Span) -> int | _Const:
        """Lower a composite gate as its template, every new node pointing at the user's call."""
        saved_env, saved_span = self.env, self.span_override
        self.env = {_placeholder(i): arg for i, arg in enumerate(args)}
        self.span_override = saved_span or span
        try:
            return self.expr(expansion_template(gate.name))
        finally:
            self.env, self.span_override = saved_env, saved_span

    def fold(self, gate: Gate, args: list[_Const], span: Span) -> _Const:
        span = self.span_override or span
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
        return _Const(value, text, span)

    def expr(self, root: Expr) -> int | _Const:
        """Lower one expression bottom-up with an explicit stack (no recursion)."""
        results: list[int | _Const] = []  # lowered sub-expressions, in post-order
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            kids = children(node)
            if kids and not expanded:
                stack.append((node, True))
                stack.extend([(kid, False) for kid in reversed(kids)])  # left child lowered first
                continue
            if kids:
                args = results[-len(kids):]
                del results[-len(kids):]
            else:
                args = []
            results.append(self.lower_one(node, args))
        return results[0]

    def lower_one(self, node: Expr, args: list[int | _Const]) -> int | _Const:
        if isinstance(node, Num):
            return _Const(node.value, node.text, node.span)
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Unary):
            return args[0] if node.op == "+" else self.gate_node("neg", args, node.span)
        if isinstance(node, Binary):
            return self.gate_node(BINARY_GATES[node.op], args, node.span)
        assert isinstance(node, Call)
        gate = self.function(node)
        return self.gate_node(gate.name, args, node.span)

    def function(self, call: Call) -> Gate:
        if call.func not in FUNCTIONS:
            raise NameResolutionError(
                f"unknown function {call.func!r}", self.source, call.name_span, hint=_function_hint(call.func)
            )
        gate = GATES[FUNCTIONS[call.func]]
        n = len(call.args)
        if gate.arity == 0 and n < 2:
            raise NameResolutionError(
                f"{call.func} needs two or more arguments, as in {call.func}(0, x)", self.source, call.span
            )
        if gate.arity and n != gate.arity:
            raise NameResolutionError(
                f"{call.func} takes {gate.arity} argument{'s' * (gate.arity > 1)}, got {n}", self.source, call.span
            )
        return gate

    def statement(self, stmt: Assign | Expr) -> int | _Const:
        if isinstance(stmt, Assign):
            self.taken.add(stmt.target)
            if stmt.target in FUNCTIONS:
                raise NameResolutionError(
                    f"{stmt.target} is a function and cannot be assigned", self.source, stmt.target_span,
                    hint="choose another name for the value",
                )
            value = self.expr(stmt.value)
            if isinstance(value, int):
                self.claim(value, stmt.target)
            self.env[stmt.target] = value
            return value
        return self.expr(stmt)


def _function_hint(name: str) -> str | None:
    if name in FUNCTION_ALIASES:
        return f"write {FUNCTION_ALIASES[name]}"
    if name.lower() in FUNCTIONS:
        return f"did you mean {name.lower()}? (names are case-sensitive)"
    close = difflib.get_close_matches(name, FUNCTIONS, n=1)
    if close:
        return f"did you mean {close[0]}?"
    return f"to multiply, write {name}*(...); functions: {', '.join(FUNCTIONS)}"


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
    b = _Builder(program, expand)
    result: int | _Const = 0
    for stmt in program.statements:
        result = b.statement(stmt)
    output = b.materialise(result)
    if output not in b.names:  # an unnamed final expression is called f, as in the seeds
        name = next((n for n in ("f", "out", "output") if n not in b.taken), None)
        if name is not None:
            b.claim(output, name)
    # Constants and anonymous intermediates are numbered in forward order, once every name the
    # program uses is known (so that no generated id collides with one).
    for node in b.nodes:
        if not node.id:
            node.id = b.fresh("c" if node.op == CONST else "v")
    return Graph(b.nodes, output, b.inputs, program.source, b.names)
