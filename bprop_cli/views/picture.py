"""The computational graph as a picture: the boxes, the wires, and what each wire carries.

Every picture format (terminal, DOT, Mermaid, SVG/PNG) draws this one model, built only from
a Trace. Constants are folded into their gate's symbol (`+1`, `^2`, `1/`); every wire carries
the forward value of its source and the gradient that flows back along it (one chain-rule
product), so a node used twice has two wires whose gradients add up to the node's gradient.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from bprop_cli.engine.trace import NodeRecord, Trace
from bprop_cli.gates.registry import GATES
from bprop_cli.text import num, one_line

from . import DEFAULT_LIMIT

INPUT, GATE, OUTPUT, CONST, CUT = "input", "gate", "output", "const", "cut"

# Hand-drawn circuits (the CS231n notes) draw negation as a multiply-by-minus-one gate.
SYMBOLS = {"neg": "*-1"}
COMMUTATIVE = {"add", "mul"}

SUM_TERMS = 4  # terms of a fan-out sum written out before it is shortened

SMALL = 6  # entries of an array written out on a wire; a bigger one shows its shape only

LEGEND_VALUE = "value (forward)"
LEGEND_GRAD = "gradient (flowing back)"


# NamedTuples and a plain class rather than dataclasses: defining a dataclass costs milliseconds
# each time bprop starts (as in trace.py), and `bprop graph` starts for every picture.
class Box(NamedTuple):
    id: str
    kind: str  # INPUT, GATE, OUTPUT, CONST (a constant output) or CUT (stands for hidden nodes)
    symbol: str  # the gate's symbol with constants folded in; "" for inputs
    value: float
    grad: float
    expression: str
    note: str | None = None
    uses: int = 0  # wires leaving this node in the whole graph, drawn or not
    shape: tuple[int, ...] = ()  # a vector's or matrix's shape; () for a number

    @property
    def size(self) -> str:
        """The shape as people write it, '2x2', '3'; '' for a number."""
        return "x".join(map(str, self.shape))


class Wire(NamedTuple):
    source: str
    target: str
    value: float  # the source's forward value
    grad: float  # the chain-rule product that flows back along this wire


class Picture:
    __slots__ = ("_index", "_out", "arrays", "boxes", "expression", "hidden", "inputs", "output", "seed", "wires")

    def __init__(self, expression: str, inputs: dict[str, float], output: str, seed: float, boxes: list[Box],
                 wires: list[Wire], hidden: int = 0, arrays: bool = False) -> None:
        self.expression = expression
        self.inputs = inputs
        self.output = output
        self.seed = seed
        self.boxes = boxes  # forward (topological) order
        self.wires = wires
        self.hidden = hidden  # nodes left out to keep a large graph legible
        self.arrays = arrays  # a program over vectors and matrices: boxes and wires carry shapes
        self._out: dict[str, list[Wire]] = {}
        self._index: dict[str, Box] = {}

    def box(self, id: str) -> Box:
        if not self._index:
            self._index.update((b.id, b) for b in self.boxes)
        return self._index[id]

    def outgoing(self, id: str) -> list[Wire]:
        """The wires leaving a box; more than one means its gradients add up here."""
        if not self._out:
            for wire in self.wires:
                self._out.setdefault(wire.source, []).append(wire)
        return self._out.get(id, [])

    def gradient_sum(self, id: str) -> str:
        """How a fanned-out node's gradient is made: '3 + 3 + 1 = 7' ('' for a single use)."""
        box = self.box(id)
        if box.uses < 2:
            return ""
        terms = [num(w.grad) for w in self.outgoing(id)]
        if len(terms) > SUM_TERMS:  # keep the label short: first terms, last term, and the count
            terms = [*terms[: SUM_TERMS - 1], "...", terms[-1]]
        hidden = box.uses - len(self.outgoing(id))
        if hidden:
            terms.append(f"{hidden} wire{'s' * (hidden > 1)} not drawn")
        parts = " + ".join(terms).replace("+ -", "- ")
        count = f" ({box.uses} wires)" if box.uses > SUM_TERMS else ""
        return f"{parts} = {num(box.grad)}{count}"

    def title(self, limit: int) -> str:
        """The program on one line, without comments, shortened to `limit` characters."""
        # Split at line feeds only, as the lexer does: splitlines() would also split a comment
        # at a carriage return or U+2028 and show its second half as code.
        lines = (line.split("#", 1)[0].strip() for line in self.expression.split("\n"))
        text = one_line("; ".join(line for line in lines if line))
        return text if len(text) <= limit else text[: max(limit - 4, 1)] + " ..."

    def at(self) -> str:
        return ", ".join(f"{name} = {num(v)}" for name, v in self.inputs.items())

    def inputs_line(self) -> str:
        """'at x = -2, y = 5'; for an array program the inputs' shapes, 'inputs: W1 2x2, x 2, b a
        number' (their values are on the wires)."""
        if not self.arrays:
            return f"at {self.at()}"
        return "inputs: " + ", ".join(f"{name} {'x'.join(map(str, shape_of(v))) or 'a number'}"
                                      for name, v in self.inputs.items())


def shape_of(value: object) -> tuple[int, ...]:
    return tuple(getattr(value, "shape", ()))


def wire_text(value: object, small: int = SMALL, room: int = 40) -> str:
    """What a wire shows of a value: a number as num() writes it; a small array on one line,
    [[0.15, 0.2], [0.25, 0.3]]; a bigger one (more than `small` entries or `room` characters)
    as its shape only, [2x3 matrix] or [4-vector]."""
    shape = shape_of(value)
    if not shape:
        return num(value)  # type: ignore[arg-type]
    text = num(value)  # type: ignore[arg-type]
    if value.size <= small and len(text) <= room:  # type: ignore[attr-defined]
        return text
    return f"[{shape[0]}-vector]" if len(shape) == 1 else f"[{'x'.join(map(str, shape))} matrix]"


def symbol(node: NodeRecord, nodes: dict[str, NodeRecord]) -> str:
    """A gate's symbol, with constant inputs written into it: '+', 'exp', '+1', '^2', '1/'."""
    gate = GATES[node.op]
    consts = [nodes[i].expression if nodes[i].op == CONST else None for i in node.inputs]
    if gate.arity == 0:  # max, min
        if not any(consts):
            return gate.name
        return f"{gate.name}({', '.join(c or '·' for c in consts)})"
    if node.op in SYMBOLS:
        return SYMBOLS[node.op]
    if gate.parameters:  # sum(X, axis=1): "sum axis=1"
        return gate.show.format("", *consts[1:]).replace("(, ", " ").rstrip(")").replace(", ", " ")
    bare = gate.show.format(*[""] * len(node.inputs)).replace(" ", "")
    if bare.endswith("()"):
        return bare[:-2]  # a function: exp, log, ...
    if len(consts) == 2 and consts[1] is not None:
        return bare + consts[1]  # x^2, x+1, x/2
    if len(consts) == 2 and consts[0] is not None:
        return bare + consts[0] if node.op in COMMUTATIVE else consts[0] + bare  # 1+x -> +1; 1/x -> 1/
    return bare


def _wire_grads(trace: Trace) -> dict[tuple[str, int], float]:
    """The product flowing back along each (node, argument position): the engine records the
    products of one node consecutively, in argument order, skipping constant arguments."""
    steps: dict[str, list[float]] = {}
    for step in trace.backward:
        steps.setdefault(step.node, []).append(step.product)
    nodes = {n.id: n for n in trace.nodes}
    grads: dict[tuple[str, int], float] = {}
    for node in trace.nodes:
        products = iter(steps.get(node.id, ()))
        for k, parent in enumerate(node.inputs):
            if nodes[parent].op != CONST:
                grads[(node.id, k)] = next(products, 0.0)
    return grads


def _kept(trace: Trace, limit: int) -> set[str]:
    """The `limit` nodes nearest the output (breadth first), then unused ones while room is left."""
    nodes = {n.id: n for n in trace.nodes}
    drawn = [n.id for n in trace.nodes if n.op != CONST or n.id == trace.output]
    if limit <= 0 or len(drawn) <= limit:
        return set(drawn)
    kept: set[str] = set()
    queue = deque([trace.output])
    while queue and len(kept) < limit:
        id = queue.popleft()
        if id in kept:
            continue
        kept.add(id)
        queue.extend(i for i in nodes[id].inputs if nodes[i].op != CONST and i not in kept)
    for id in drawn:
        if len(kept) >= limit:
            break
        kept.add(id)
    return kept


def build_picture(trace: Trace, limit: int = DEFAULT_LIMIT) -> Picture:
    """The picture of a trace; past `limit` boxes, far-away nodes are replaced by stubs."""
    nodes = {n.id: n for n in trace.nodes}
    kept = _kept(trace, limit)
    wire_grads = _wire_grads(trace)
    cut: set[str] = set()
    wires: list[Wire] = []
    for node in trace.nodes:
        if node.id not in kept:
            continue
        for k, parent in enumerate(node.inputs):
            if nodes[parent].op == CONST:
                continue
            if parent not in kept:
                cut.add(parent)
            wires.append(Wire(parent, node.id, nodes[parent].value, wire_grads[(node.id, k)]))
    uses: dict[str, int] = {}
    for node in trace.nodes:
        for parent in node.inputs:
            uses[parent] = uses.get(parent, 0) + 1
    boxes: list[Box] = []
    for node in trace.nodes:
        if node.id in kept:
            if node.id == trace.output:
                kind = OUTPUT
            else:
                kind = INPUT if node.op == INPUT else CONST if node.op == CONST else GATE
            sym = symbol(node, nodes) if node.op not in (INPUT, CONST) else ""
        elif node.id in cut:
            kind, sym = CUT, ""
        else:
            continue
        boxes.append(Box(node.id, kind, sym, node.value, node.grad, node.expression, node.note, uses.get(node.id, 0),
                         tuple(node.shape)))
    total = sum(1 for n in trace.nodes if n.op != CONST or n.id == trace.output)
    hidden = total - len(kept) - len(cut)  # stubs show their own value and gradient
    return Picture(trace.expression, dict(trace.inputs), trace.output, trace.seed, boxes, wires, hidden,
                   arrays=trace.arrays)
