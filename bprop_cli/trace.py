"""The trace: everything a forward and backward pass computed, and the single contract
between the engine and every renderer (tables, plain lines, JSON, narration, pictures)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class NodeRecord:
    id: str
    op: str  # "input", "const" or a gate name
    inputs: tuple[str, ...]
    value: float
    grad: float
    text: str  # the source text this node computes
    expression: str  # the node written over its inputs' ids, e.g. "q * z"
    note: str | None = None  # set when a subgradient convention was used here

    def to_dict(self) -> dict[str, Any]:
        """This node's entry in the JSON "nodes" array."""
        entry = {"id": self.id, "op": self.op, "inputs": list(self.inputs), "value": self.value, "grad": self.grad,
                 "text": self.text, "expression": self.expression}
        if self.note:
            entry["note"] = self.note
        return entry


@dataclass(frozen=True, slots=True)
class BackwardStep:
    """One chain-rule product: d out/d input += upstream * local."""

    node: str
    input: str
    upstream: float
    local: float
    product: float
    total: float  # the input's gradient so far, after adding this product
    formula: str  # the local derivative as a formula over ids, e.g. "z"

    def to_dict(self) -> dict[str, Any]:
        """This step's entry in the JSON "backward" array."""
        return {"node": self.node, "input": self.input, "upstream": self.upstream, "local": self.local,
                "product": self.product, "total": self.total, "formula": self.formula}


@dataclass(frozen=True, slots=True)
class Trace:
    expression: str
    output: str
    value: float
    inputs: dict[str, float]
    gradients: dict[str, float]
    nodes: tuple[NodeRecord, ...]
    backward: tuple[BackwardStep, ...]
    seed: float = 1.0

    def node(self, id: str) -> NodeRecord:
        for record in self.nodes:
            if record.id == id:
                return record
        raise KeyError(id)

    def fan_in(self) -> dict[str, int]:
        """How many products flow into each node that receives any (more than one: they add)."""
        counts: dict[str, int] = {}
        for step in self.backward:
            counts[step.input] = counts.get(step.input, 0) + 1
        return counts

    def head(self) -> dict[str, Any]:
        """The JSON object's keys other than the per-node and per-step arrays."""
        return {
            "bprop": SCHEMA_VERSION,
            "expression": self.expression,
            "output": self.output,
            "value": self.value,
            "seed": self.seed,
            "inputs": dict(self.inputs),
            "gradients": dict(self.gradients),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of SPEC §5 (plus documented extra keys)."""
        return {
            **self.head(),
            "nodes": [n.to_dict() for n in self.nodes],
            "backward": [s.to_dict() for s in self.backward],
        }
