"""The trace: everything a forward and backward pass computed, and the single contract
between the engine and every renderer (tables, plain lines, JSON, narration, pictures)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Iterator, NamedTuple

from bprop_cli.gates.registry import GATES

from .geometry import geometry

if TYPE_CHECKING:
    from .graph import Graph

SCHEMA_VERSION = 1


# Records are NamedTuples rather than frozen dataclasses: as immutable, but a dataclass costs
# milliseconds to define each time bprop starts.
class NodeRecord(NamedTuple):
    id: str
    op: str  # "input", "const" or a gate name
    inputs: tuple[str, ...]
    value: float
    grad: float
    text: str  # the source text this node computes
    expression: str  # the node written over its inputs' ids, e.g. "q * z"
    note: str | None = None  # set when a subgradient convention was used here
    shape: tuple[int, ...] = ()  # () for a number; value and grad are NumPy arrays otherwise

    def to_dict(self, plain: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        """This node's entry in the JSON "nodes" array (arrays as nested lists, or as `plain`
        makes them, with "shape" in a trace of an array program)."""
        plain = plain or _plain
        entry = {"id": self.id, "op": self.op, "inputs": list(self.inputs), "value": plain(self.value),
                 "grad": plain(self.grad), "text": self.text, "expression": self.expression}
        if self.note:
            entry["note"] = self.note
        return entry


class BackwardStep(NamedTuple):
    """One chain-rule product: d out/d input += upstream * local."""

    node: str
    input: str
    upstream: float
    local: float
    product: float
    total: float  # the input's gradient so far, after adding this product
    formula: str  # the local derivative as a formula over ids, e.g. "z"
    rule: str | None = None  # an array gate's rule in matrix form (then local is None)
    note: str | None = None  # e.g. how a broadcast operand's gradient was summed

    def to_dict(self, plain: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        """This step's entry in the JSON "backward" array (arrays as `plain` makes them)."""
        if self.rule is not None:
            plain = plain or _plain
            entry = {"node": self.node, "input": self.input, "upstream": plain(self.upstream), "rule": self.rule,
                     "product": plain(self.product), "total": plain(self.total)}
            if self.note:
                entry["note"] = self.note
            return entry
        return {"node": self.node, "input": self.input, "upstream": self.upstream, "local": self.local,
                "product": self.product, "total": self.total, "formula": self.formula}


def _plain(x: Any) -> Any:
    """A number as is; an array as nested lists of floats (for JSON)."""
    return x.tolist() if hasattr(x, "tolist") and not isinstance(x, float) else x


class Tape:
    """What the passes computed, column by column: a value and a gradient per node of the graph,
    and per chain-rule product its node, which input of it, the local derivative and the input's
    running total. Records (NodeRecord, BackwardStep) are made from it only when asked for, so a
    million-node trace costs a few flat arrays, not millions of objects."""

    __slots__ = ("graph", "values", "grads", "notes", "explain", "step_node", "step_arg", "step_local",
                 "step_total", "_labels", "_index")

    def __init__(self, graph: Graph, values: Sequence[float], grads: Sequence[float], notes: dict[int, str],
                 explain: bool, step_node: Sequence[int], step_arg: Sequence[int], step_local: Sequence[float],
                 step_total: Sequence[float]) -> None:
        self.graph, self.values, self.grads, self.notes, self.explain = graph, values, grads, notes, explain
        self.step_node, self.step_arg, self.step_local, self.step_total = step_node, step_arg, step_local, step_total
        self._labels: list[str] | None = None
        self._index: dict[str, int] | None = None

    def index_of(self, id: str) -> int:
        """The index of the node with this id (KeyError if none)."""
        if self._index is None:
            self._index = {node_id: i for i, node_id in enumerate(self.graph.ids)}
        return self._index[id]

    @property
    def labels(self) -> list[str]:
        """How each node is written in formulas: its id, or a constant's value."""
        if self._labels is None:
            self._labels = self.graph.labels()
        return self._labels

    def expression(self, i: int) -> str:
        """Node i written over its inputs' labels, e.g. "q * z" ("" when not explaining)."""
        op = self.graph.ops[i]
        if not self.explain:
            return ""
        if op == "input" or op == "const":
            return self.labels[i]
        labels = self.labels
        return GATES[op].expression([labels[j] for j in self.graph.args[i]])

    def formula(self, j: int) -> str:
        """Step j's local derivative as a formula over labels, e.g. "z"."""
        i = self.step_node[j]
        labels = self.labels
        names = [labels[p] for p in self.graph.args[i]]
        return GATES[self.graph.ops[i]].formula(self.step_arg[j], names, self.graph.ids[i])

    def record(self, i: int) -> NodeRecord:
        g = self.graph
        ids = g.ids
        return NodeRecord(ids[i], g.ops[i], tuple([ids[p] for p in g.args[i]]), self.values[i], self.grads[i],
                          g.text(i), self.expression(i), self.notes.get(i))

    def step(self, j: int) -> BackwardStep:
        i = self.step_node[j]
        upstream, local = self.grads[i], self.step_local[j]
        parent = self.graph.args[i][self.step_arg[j]]
        return BackwardStep(self.graph.ids[i], self.graph.ids[parent], upstream, local, upstream * local,
                            self.step_total[j], self.formula(j))


class _Records(Sequence):  # type: ignore[type-arg]
    """A read-only sequence of records made on demand: reading one record makes just that one;
    iterating makes them all, once (later passes reuse them)."""

    __slots__ = ("_make", "_len", "_all")

    def __init__(self, make: Any, length: int) -> None:
        self._make, self._len = make, length
        self._all: tuple[Any, ...] | None = None

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        if self._all is not None:
            return self._all[index]
        if isinstance(index, slice):
            return tuple(self._make(i) for i in range(*index.indices(self._len)))
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError(index)
        return self._make(index)

    def __iter__(self) -> Iterator[Any]:
        if self._all is None:
            self._all = tuple(map(self._make, range(self._len)))
        return iter(self._all)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (tuple, _Records)) and tuple(self) == tuple(other)

    def __repr__(self) -> str:
        return f"<{self._len} records>"


class NodeRecords(_Records):
    """Trace.nodes of a traced Graph: NodeRecord i is made when it is read."""

    __slots__ = ("tape",)

    def __init__(self, tape: Tape) -> None:
        super().__init__(tape.record, len(tape.values))
        self.tape = tape


class BackwardSteps(_Records):
    """Trace.backward of a traced Graph: BackwardStep j is made when it is read."""

    __slots__ = ("tape",)

    def __init__(self, tape: Tape) -> None:
        super().__init__(tape.step, len(tape.step_node))
        self.tape = tape


class Trace(NamedTuple):
    expression: str
    output: str
    value: float
    inputs: dict[str, float]
    gradients: dict[str, float]
    nodes: Sequence[NodeRecord]  # a tuple, or NodeRecords made on demand
    backward: Sequence[BackwardStep]
    seed: Any = 1.0  # an array for an array output
    arrays: bool = False  # a program over vectors and matrices (records hold NumPy arrays)
    remarks: tuple[str, ...] = ()  # notes for stderr, e.g. that * between a matrix and a vector is not @

    def node(self, id: str) -> NodeRecord:
        if isinstance(self.nodes, NodeRecords):
            tape = self.nodes.tape
            return tape.record(tape.index_of(id))
        for record in self.nodes:
            if record.id == id:
                return record
        raise KeyError(id)

    def non_constant_nodes(self) -> Sequence[NodeRecord]:
        """The nodes a forward table lists (constants are shown inside their gates' formulas);
        read lazily, so a summarised table of a huge trace makes only the rows it shows."""
        if isinstance(self.nodes, NodeRecords):
            tape = self.nodes.tape
            keep = [i for i, op in enumerate(tape.graph.ops) if op != "const"]
            return _Records(lambda k: tape.record(keep[k]), len(keep))
        return tuple(n for n in self.nodes if n.op != "const")

    def noted_nodes(self) -> list[NodeRecord]:
        """Nodes where a subgradient convention was used, in node order."""
        if isinstance(self.nodes, NodeRecords):
            tape = self.nodes.tape
            return [tape.record(i) for i in sorted(tape.notes)]
        return [n for n in self.nodes if n.note]

    def step_inputs(self) -> list[str]:
        """The input id of every backward step, in order (without making the steps)."""
        if isinstance(self.backward, BackwardSteps):
            tape = self.backward.tape
            ids, args = tape.graph.ids, tape.graph.args
            return [ids[args[i][k]] for i, k in zip(tape.step_node, tape.step_arg)]
        return [s.input for s in self.backward]

    def fan_in(self) -> dict[str, int]:
        """How many products flow into each node that receives any (more than one: they add)."""
        counts: dict[str, int] = {}
        if isinstance(self.backward, BackwardSteps):
            tape = self.backward.tape
            ids, args = tape.graph.ids, tape.graph.args
            for i, k in zip(tape.step_node, tape.step_arg):
                name = ids[args[i][k]]
                counts[name] = counts.get(name, 0) + 1
            return counts
        for step in self.backward:
            counts[step.input] = counts.get(step.input, 0) + 1
        return counts

    def head(self, plain: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        """The JSON object's keys other than the per-node and per-step arrays (arrays as nested
        lists, or as `plain` makes them)."""
        plain = plain or _plain
        return {
            "bprop": SCHEMA_VERSION,
            "expression": self.expression,
            "output": self.output,
            "value": plain(self.value),
            "seed": plain(self.seed),
            "inputs": {k: plain(v) for k, v in self.inputs.items()},
            "gradients": {k: plain(v) for k, v in self.gradients.items()},
            **geometry(self.gradients).to_dict(plain),  # gradient_norm, gradient_direction
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (for an array program every node also has its "shape")."""
        nodes = [n.to_dict() for n in self.nodes]
        if self.arrays:
            for entry, n in zip(nodes, self.nodes):
                entry["shape"] = list(n.shape)
        return {**self.head(), "nodes": nodes, "backward": [s.to_dict() for s in self.backward]}
