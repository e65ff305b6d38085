"""Layers in an array trace, and their narration in the notation of the backpropagation
appendix and Mazur's example: forward z_i = W_i·y_i + b_i, y_(i+1) = σ(z_i); backward the
appendix's deltas Δ_i = dL/dy_i (the gradient with respect to a layer's input: one meaning of
"delta" in every walkthrough and lesson), made through Δσ = dL/dz_i = Δ_(i+1) ⊙ σ'(z_i) (what
Mazur calls a neuron's δ), dL/dW_i, dL/db_i, and Δ_i = W_iᵀ·Δσ.

A layer is found from the trace's structure alone, never from names: a matrix product whose only
use is an add of a bias (an input), or an activation (sigmoid, relu, tanh), or both in that order;
a bare matrix product also counts when one factor is the previous layer's output. Only reads
traces; the tutor (tutor.narrate) calls it and falls back to its gate-by-gate narration when a
program has no layer with an activation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from bprop_cli.engine.trace import BackwardStep, NodeRecord, Trace
from bprop_cli.text import grid, num, shape_text

from .blocks import Block

ACTIVATIONS = ("sigmoid", "relu", "tanh")
GRID_WIDTH = 64  # a matrix in a narrated row shows fewer columns rather than run past 80 characters


@dataclass(frozen=True, slots=True)
class Layer:
    number: int  # 1, 2, ... in forward order
    matmul: str  # the node of the matrix product
    factors: tuple[str, str]  # its two operands, as written (left @ right)
    input: str | None  # the factor that is the previous layer's output (None for the first layer)
    add: str | None  # the node adding the bias, if any
    bias: str | None
    activation: str | None  # the activation node, if any
    output: str  # what the layer hands on: the activation, else the add, else the product
    last: bool = False  # the output layer (its output feeds no other layer)

    @property
    def z(self) -> str:
        """The layer's value before the activation: z_i."""
        return self.add or self.matmul

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(n for n in (self.activation, self.add, self.matmul) if n)


def find_layers(trace: Trace) -> list[Layer]:
    """The layers of an array program in forward order ([] when it has none with an activation)."""
    if not trace.arrays:
        return []
    nodes = list(trace.nodes)
    records = {n.id: n for n in nodes}
    users: dict[str, list[str]] = {}
    for n in nodes:
        for p in n.inputs:
            users.setdefault(p, []).append(n.id)

    def only_user(name: str) -> NodeRecord | None:
        used = users.get(name, [])
        return records[used[0]] if len(used) == 1 and name != trace.output else None

    found: list[dict[str, Any]] = []
    outputs: dict[str, int] = {}  # a layer's output id -> its index in `found`
    for n in nodes:
        if n.op != "matmul" or len(n.inputs) != 2:
            continue
        add = bias = activation = None
        after = only_user(n.id)
        if after is not None and after.op == "add":
            other = [p for p in after.inputs if p != n.id]
            if len(other) == 1 and records[other[0]].op == "input":
                add, bias = after.id, other[0]
                after = only_user(after.id)
        if after is not None and after.op in ACTIVATIONS:
            activation = after.id
        previous = [p for p in n.inputs if p in outputs]
        if not (add or activation or previous):
            continue
        output = activation or add or n.id
        outputs[output] = len(found)
        found.append(dict(matmul=n.id, factors=tuple(n.inputs), input=previous[0] if previous else None, add=add,
                          bias=bias, activation=activation, output=output))
    if not any(f["activation"] for f in found):
        return []
    fed = {f["input"] for f in found}
    return [Layer(number=k + 1, **f, last=f["output"] not in fed and k == len(found) - 1)  # type: ignore[arg-type]
            for k, f in enumerate(found)]


# -- what the loss sends back ------------------------------------------------------------------


def squared_error(trace: Trace, y: str) -> tuple[str, str] | None:
    """(t, formula) when the output y meets a target t in a squared error and dL/dy is c·(y - t)
    for a constant c, checked entry by entry: ('t', 'y2 - t'), ('y', '2(p - y)/4'); else None."""
    import numpy as np

    records = {n.id: n for n in trace.nodes}
    users = [n for n in trace.nodes if y in n.inputs]
    if len(users) != 1:
        return None
    use = users[0]
    if use.op not in ("sub", "mse") or len(use.inputs) != 2 or use.inputs[0] == use.inputs[1]:
        return None
    target = use.inputs[1] if use.inputs[0] == y else use.inputs[0]
    if records[target].op not in ("input", "const"):
        return None
    averaged = use.op == "mse"
    if use.op == "sub":  # (t - y) or (y - t) must be squared next
        squares = [n for n in trace.nodes if use.id in n.inputs]
        if len(squares) != 1 or squares[0].op != "pow" or records[squares[0].inputs[1]].value != 2:
            return None
        averaged = any(n.op == "mean" and squares[0].id in n.inputs for n in trace.nodes)
    out, t = np.asarray(records[y].value, float), np.asarray(records[target].value, float)
    gap = np.broadcast_to(out - t, out.shape)
    g = np.asarray(records[y].grad, float)
    if g.shape != gap.shape or not np.any(gap):
        return None
    c = float(np.sum(g * gap) / np.sum(gap * gap))
    if not np.allclose(g, c * gap, rtol=1e-9, atol=1e-300):
        return None
    text = f"{y} - {target}"
    size = gap.size
    # the forms a squared error's gradient takes: of a mean, 2(y - t)/n; of a sum, halved or not
    for k, n in ([(2, size)] if averaged else []) + [(1, 1), (2, 1)]:
        if math.isclose(c, k / n, rel_tol=1e-12):
            lead = "" if k == 1 else f"{k}"
            tail = "" if n == 1 else f"/{n}"
            return target, (text if not lead and not tail else f"{lead}({text}){tail}")
    return target, f"{num(c)}({text})"


# -- the narration -----------------------------------------------------------------------------


def shown(value: Any, prefix: str = "") -> str:
    """`prefix` and a value for a row: on one line, or a matrix (grid) whose later lines are
    indented to stand under its first: 'rule = [[1  2]\n        [3  4]]'."""
    first, *more = grid(value, width=GRID_WIDTH).split("\n")
    return "\n".join([prefix + first, *(" " * len(prefix) + line for line in more)])


def _role(layer: Layer) -> str:
    return "the output layer" if layer.last else "a hidden layer"


def _z_text(layer: Layer, records: dict[str, NodeRecord]) -> str:
    """z written with the product spelled out: 'W1 @ x + b1'."""
    product = records[layer.matmul].expression
    if not layer.add:
        return product
    return re.sub(rf"(?<![\w@]){re.escape(layer.matmul)}(?![\w@])", lambda m: product, records[layer.add].expression)


def forward_step(trace: Trace, layer: Layer, number: int) -> Any:
    records = {n.id: n for n in trace.nodes}
    left, right = layer.factors
    z = _z_text(layer, records)
    text = (f"Layer {layer.number}, {_role(layer)}: {layer.z} = {z}, the matrix product of {left} "
            f"({_shape(records[left])}) and {right} ({_shape(records[right])})")
    text += f" plus the bias {layer.bias}" if layer.bias else ""
    if layer.activation:
        op = records[layer.activation].op
        text += f", then {layer.activation} = {op}({layer.z}) entry by entry"
    text += "."
    if layer.number == 1:
        text += " (In the appendix's notation: z_i = W_i·y_i + b_i, y_(i+1) = σ(z_i).)"
    rows = [(f"{n} = {records[n].expression}", shown(records[n].value))
            for n in (layer.matmul, layer.add, layer.activation) if n]
    return Block("step", text, number, layer.output, tuple(rows))


def _shape(n: NodeRecord) -> str:
    return shape_text(n.shape) or "a number"


def _by_input(steps: list[BackwardStep]) -> dict[str, BackwardStep]:
    return {s.input: s for s in steps}


def backward_step(trace: Trace, layer: Layer, steps: dict[str, list[BackwardStep]], layers: list[Layer],
                  number: int) -> Any:
    """One layer, backwards: what arrives (Δ_(i+1) = dL/d(output)), the delta Δσ = dL/dz, the
    gradients of the two factors and of the bias, and what it passes on (Δ_i)."""
    out = trace.output
    records = {n.id: n for n in trace.nodes}
    k = layer.number
    y = layer.output
    arriving = records[y].grad
    rows: list[tuple[str, str]] = []
    notes: list[str] = []
    later = next((m for m in layers if m.input == y), None)
    loss = squared_error(trace, y) if layer.last else None
    if later is not None:
        came = f"from layer {later.number}"
    elif loss is not None:
        came = f"from the squared error against {loss[0]}: d{out}/d{y} = {loss[1]}"
    else:
        came = "from the gates above it"
    delta = f"Δσ{k}" if layer.activation else f"Δ{k + 1}"
    rows.append((f"Δ{k + 1} = d{out}/d{y}", shown(arriving)))
    if layer.activation:
        s = steps[layer.activation][0]
        rule = (s.rule or "").replace("upstream", f"Δ{k + 1}")
        rows.append((f"Δσ{k} = d{out}/d{layer.z}", _eq(rule, records[layer.z].grad)))
    factors = _by_input(steps[layer.matmul])
    for name, s in factors.items():  # the weights (both factors in the first layer)
        if name != layer.input:
            rows.append((f"d{out}/d{name}", _eq((s.rule or "").replace("upstream", delta), s.product)))
    for name, s in _by_input(steps.get(layer.add, []) if layer.add else []).items():
        if name == layer.bias:
            rule = (s.rule or "upstream").replace("upstream", delta)
            if s.note:  # a broadcast bias: its gradient sums the entries it was copied to
                rule = f"sum({delta})" if not records[name].shape else f"{rule} summed where {name} was broadcast"
                notes.append(s.note)
            rows.append((f"d{out}/d{name}", _eq(rule, s.product)))
    if layer.input in factors:  # what the layer passes back to the one before it
        s = factors[layer.input]
        rows.append((f"Δ{k} = d{out}/d{layer.input}", _eq((s.rule or "").replace("upstream", delta), s.product)))
    if layer.input and layer.input in records and trace.fan_in().get(layer.input, 0) > 1:
        notes.append(f"{layer.input} is used more than once: Δ{k} is only this layer's share of d{out}/d{layer.input}")
    text = f"Layer {k}, {_role(layer)}, backwards. Its Δ{k + 1} = d{out}/d{y} arrives {came}."
    text += " " + identify(trace, layer, layers, loss)
    if layer.last:
        text += (" In the appendix's notation the delta Δ_i is the gradient with respect to layer i's input "
                 "(so Δ_(i+1) is that of its output): a layer turns the Δ it receives into "
                 "Δσ = Δ_(i+1)\u00a0⊙\u00a0σ'(z_i) = dL/dz_i, reads off dL/dW_i = Δσ·y_iᵀ and dL/db_i = Δσ, and "
                 "passes Δ_i = W_iᵀ·Δσ back. Mazur's δ (∂E/∂net of a neuron) is an entry of Δσ, not of Δ.")
    if notes:
        text += " Note: " + "; ".join(notes) + "."
    return Block("step", text, number, layer.output, tuple(rows))


def _eq(rule: str, value: Any) -> str:
    return shown(value, f"{rule} = ")


def identify(trace: Trace, layer: Layer, layers: list[Layer], loss: tuple[str, str] | None) -> str:
    """What the layer's Δσ = dL/dz is, written out: 'Δσ2 = dE/dz2, Mazur's δ for the output
    neurons: (y2 - t) ⊙ y2 ⊙ (1 - y2)' (the delta itself, Δ, is the gradient of a layer's input)."""
    out = trace.output
    if not layer.activation:
        to = "its bias and its matrix product" if layer.bias else "its matrix product"
        return f"A layer without an activation passes d{out}/d{layer.z} = Δ{layer.number + 1} straight to {to}."
    rule = next(s.rule for s in trace.backward if s.node == layer.activation and s.rule)
    later = next((m for m in layers if m.input == layer.output), None)
    neurons = "the output neurons" if layer.last else f"layer {layer.number}'s neurons"
    which = f"Mazur's δ for {neurons}"
    if layer.last and loss is not None:
        arriving = f"({loss[1]})"
    elif later is not None:
        left, right = later.factors
        after = f"Δσ{later.number}" if later.activation else f"d{out}/d{later.z}"
        if trace.fan_in().get(layer.output, 0) > 1:  # used elsewhere too: the sum of its shares
            arriving = f"d{out}/d{layer.output}"
        elif later.input == right:  # W @ y sends transpose(W) @ upstream back to y
            arriving = f"(transpose({left}) @ {after})"
        else:  # y @ W sends upstream @ transpose(W)
            arriving = f"({after} @ transpose({right}))"
        which += f", made from layer {later.number}'s"
    else:
        arriving = f"d{out}/d{layer.output}"
    formula = rule.replace("upstream", arriving)
    return f"Δσ{layer.number} = d{out}/d{layer.z}, {which}: {formula}."
