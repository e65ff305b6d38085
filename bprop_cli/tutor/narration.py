"""The tutor's narration: a Trace told as numbered plain-English steps, worded from each gate's
registry entry. Produces Blocks (data); renderers in views/story.py lay them out. Never prints.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Callable

from bprop_cli.engine.trace import BackwardStep, NodeRecord, Trace
from bprop_cli.gates.registry import GATES, Gate
from bprop_cli.text import num, shape_text, visible

from .blocks import Block

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*(?:@\d+)?")  # W1[0][1]: an entry (--scalarize)


def substitute(formula: str, values: dict[str, float]) -> str:
    """Write `formula` with every node id replaced by its value: 'z * -1/v7^2' -> '-4 * -1/1.36788^2'."""

    def value(match: re.Match[str]) -> str:
        name = match.group(0)
        if name not in values:
            return name
        text = num(values[name])
        inside = match.start() > 0 and formula[match.start() - 1] == "(" and formula[match.end():match.end() + 1] in (")", ",")
        whole = match.start() == 0 and match.end() == len(formula)
        return text if not text.startswith("-") or inside or whole else f"({text})"

    return _ID.sub(value, formula)


def generic_names(gate: Gate) -> list[str]:
    """The names a gate's rule is written over: x for one input, a and b for two (x and c for a
    constant power), a, b, c for max and min."""
    if gate.arity == 1:
        return ["x"]
    if gate.arity == 0:
        return ["a", "b", "c"]
    if gate.parameters:  # sum(X, axis=k)
        return ["X", "k"]
    if gate.array_domain is not None:  # scores and labels: pick(Z, y)
        return ["Z", "y"]
    if gate.arity == 3:  # batchnorm(X, gamma, beta)
        return ["X", "gamma", "beta"]
    return {"pow": ["x", "c"], "pow_var": ["x", "y"]}.get(gate.name, ["a", "b"])


# Letters a rule may be written in instead, when the program uses the usual ones itself.
_OTHER_LETTERS = {"x": "uts", "y": "vw", "a": "pgh", "b": "qrm", "c": "kn"}


def rule_names(gate: Gate, taken: set[str]) -> list[str]:
    """generic_names, with any letter the program uses itself replaced by one it does not use,
    so that `d(a * b)/da = b` never reads as a statement about the program's own a and b."""
    usual = generic_names(gate)
    names: list[str] = []
    for n in usual:
        if n in taken:
            n = next((o for o in _OTHER_LETTERS.get(n, "") if o not in taken and o not in usual and o not in names), n)
        names.append(n)
    return names


def rename_letters(text: str, usual: list[str], names: list[str]) -> str:
    """`text` (a gate's pattern) written over `names` instead of its usual letters."""
    mapping = {u: n for u, n in zip(usual, names) if u != n}
    if not mapping:
        return text
    return re.sub(r"(?<![A-Za-z_'])(" + "|".join(map(re.escape, mapping)) + r")(?![A-Za-z_'])",
                  lambda m: mapping[m.group(1)], text)


def gate_rules(gate: Gate, names: list[str] | None = None) -> list[str]:
    """The local-derivative rule of a gate as formulas, e.g. ['d(x * y)/dx = y', 'd(x * y)/dy = x']."""
    names = names or generic_names(gate)
    expression = gate.expression(names)
    count = 1 if gate.arity == 0 else gate.arity - gate.parameters  # (an axis gets no gradient)
    rules = []
    if not gate.elementwise:  # the gates over arrays: their rules in matrix notation
        return [f"gradient of {names[i]} = {gate.rule(i, names, 'out')}" for i in range(count)]
    for i in range(count):
        formula = gate.formula(i, names, expression)
        if formula:
            rules.append(f"d({expression})/d{names[i]} = {formula}")
    if gate.arity == 0:
        rules.append("and the same for every other input")
    return rules


def expansion_gates(gate: Gate) -> list[str]:
    """The primitive gates a composite gate expands into, in forward order (e.g. neg, exp, add, div)."""
    from bprop_cli.engine.run import run

    if gate.array_only:  # (cross_entropy): on its example's arrays, which is the gate alone
        from bprop_cli.engine.values import parse_assignments

        program, *values = gate.example
        trace = run(program, parse_assignments(values), expand=True)
        return [n.op for n in trace.nodes if n.op not in ("input", "const")]
    names = generic_names(gate)[: max(gate.arity, 1)]
    trace = run(gate.expression(names), {n: 0.5 for n in names}, expand=True)
    return [n.op for n in trace.nodes if n.op not in ("input", "const")]


def fused_note(gate: Gate) -> str:
    """Why one fused gate is cheaper than the chain of primitive gates it stands for."""
    chain = expansion_gates(gate)
    names = generic_names(gate)
    written = f"{gate.expression(names)} = {gate.expand.format(*names)}"
    if len(chain) <= 2:  # a - b = a + -b: nothing to gain but fewer nodes
        return f"With --expand it becomes {written}: {' and '.join(chain)} gates."
    return (
        f"Why fused: written out, {written} takes {len(chain)} primitive gates ({', '.join(chain)}), "
        f"each a node to cache and a chain-rule product to compute. As one gate it is one node and "
        f"one product, and its local derivative is a short formula over values the forward pass "
        f"already computed (as Deep Learning and the Game of Go puts it, a step without parameters can do its backward pass 'in one "
        f"go'). Add --expand to see the chain."
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[0].upper() + text[1:]) if text else text


def _at(trace: Trace) -> str:
    return ", ".join(f"{name} = {num(v)}" for name, v in trace.inputs.items())


LINE = 300  # longer program lines are shortened in the header


def _header(trace: Trace, expand: bool) -> list[Block]:
    program = visible(trace.expression.strip())
    lines = [line.rstrip() for line in program.splitlines() if line.strip() and not line.startswith("# at:")]
    lines = [line if len(line) <= LINE else f"{line[:LINE - 30]} ... ({len(line):,} characters)" for line in lines]
    if len(lines) > 25:  # a long program: its beginning and end are enough to recognise it
        lines = [*lines[:20], f"... ({len(lines) - 25:,} more lines)", *lines[-5:]]
    blocks = [Block("title", "Backpropagation, step by step")]
    blocks.append(Block("code", "\n".join(lines)))
    if expand:
        from bprop_cli.engine.graph import build_graph
        from bprop_cli.lang.parser import parse

        ops = {n.op for n in build_graph(parse(trace.expression)).nodes}  # the program as written
        used = [g for g in GATES.values() if g.expand and g.name in ops]
        if used:
            shown = "; ".join(f"{g.expression(generic_names(g))} = {g.expand.format(*generic_names(g))}"
                              for g in used)
            blocks.append(Block("text", f"Composite gates are expanded into primitive gates: {shown}."))
    return blocks


# Each pass is built as a list of steps not yet written (thunks), so that a long pass only
# spends time on the steps it shows.
Later = Callable[[], Block]


def _forward_step(n: NodeRecord, values: dict[str, float], output: str, number: int) -> Block:
    shown = substitute(n.expression, values)
    equation = f"{n.id} = {n.expression}" + ("" if shown == num(n.value) else f" = {shown}")
    equation += f" = {num(n.value)}" + (" (the output)" if n.id == output else "")
    if _rounding(n, values):
        equation += (f"; the exact answer is 0: {num(n.value)} is rounding error, because decimals "
                     "such as 0.1 have no exact binary form")
    return Block("step", equation, number, n.id)


def _rounding(n: NodeRecord, values: dict[str, float]) -> bool:
    """A sum or difference that comes out tiny next to its inputs: floating-point noise
    (0.1 + 0.2 - 0.3 = 5.55e-17), which the walkthrough should not present as a result."""
    if n.op not in ("add", "sub") or not isinstance(n.value, float) or n.value == 0:
        return False
    scale = max((abs(v) for k, v in values.items() if k in n.inputs and isinstance(v, float)), default=0.0)
    return scale > 0 and abs(n.value) < 1e-12 * scale


def _forward(trace: Trace, start: int, layers: list | None = None) -> list[Later]:
    values = {n.id: n.value for n in trace.nodes}
    steps: list[Later] = []
    if trace.inputs and trace.arrays:  # vectors and matrices: each input on rows of its own, aligned
        steps.append(partial(_array_inputs, trace, start))
    elif trace.inputs:
        steps.append(partial(Block, "step", f"Start from the inputs: {_at(trace)}.", start))
    in_layer = {}
    if layers:
        from .layers import forward_step

        in_layer = {name: layer for layer in layers for name in layer.nodes}
    for n in trace.nodes:
        if n.id in in_layer:  # a layer is told once, where its matrix product is computed
            layer = in_layer[n.id]
            if n.id == layer.matmul:
                steps.append(partial(forward_step, trace, layer, start + len(steps)))
        elif n.op not in ("input", "const"):
            steps.append(partial(_forward_step, n, values, trace.output, start + len(steps)))
    return steps


def _array_inputs(trace: Trace, number: int) -> Block:
    """The inputs of an array program, one row each with its shape; matrices as aligned grids."""
    from .layers import shown

    rows = []
    for name, value in trace.inputs.items():
        shape = shape_text(getattr(value, "shape", ()))
        rows.append((f"{name} ({shape})" if shape else name, shown(value)))
    return Block("step", "Start from the inputs (shapes in brackets, rows x columns):", number, "", tuple(rows))


def _gate_step(trace: Trace, node: NodeRecord, steps: list[BackwardStep], uses: list[int], number: int,
               values: dict[str, float], fan_in: dict[str, int], told: set[str]) -> Block:
    out = trace.output
    gate = GATES[node.op]
    upstream = steps[0].upstream
    article = "an" if gate.name[0] in "aeiou" else "a"
    taken = {n.id for n in trace.nodes}
    names = rule_names(gate, taken)
    pattern = rename_letters(gate.pattern, generic_names(gate), names)
    text = (f"{node.id} = {node.expression} is {article} {gate.name} gate. {_sentence(pattern)}. "
            f"Upstream gradient: d{out}/d{node.id} = {num(upstream)}.")
    if gate.expand and gate.name not in told:  # composite gates left fused: say once why that is cheaper
        told.add(gate.name)
        text += " " + fused_note(gate)
    if node.note:
        text += f" Note: {node.note}."
    rows: list[tuple[str, str]] = [("rule", "; ".join(gate_rules(gate, names)))]
    if any(s.rule is not None for s in steps):
        return _array_gate_step(trace, node, gate, steps, uses, number, text, fan_in)
    for s, use in zip(steps, uses):
        symbols = f"d{out}/d{node.id} * d{node.id}/d{s.input}"
        numbers = f"{_factor(s.upstream)} * {_factor(s.local)} = {num(s.product)}"
        chain = f"d{out}/d{s.input} = {symbols} = {numbers}"
        if fan_in[s.input] > 1:
            chain = f"d{out}/d{s.input} += {symbols} = {numbers} (use {use} of {fan_in[s.input]})"
        rows += [("local", local_formula(s, values)), ("chain", chain)]
    return Block("step", text, number, node.id, tuple(rows))


def _array_gate_step(trace: Trace, node: NodeRecord, gate: Gate, steps: list[BackwardStep], uses: list[int],
                     number: int, text: str, fan_in: dict[str, int]) -> Block:
    """A gate over arrays: its rule in matrix notation, with the upstream gradient named, and the
    array it sends back to each input."""
    out = trace.output
    rows: list[tuple[str, str]] = []
    for s, use in zip(steps, uses):
        rule = (s.rule or s.formula).replace("upstream", f"d{out}/d{node.id}")
        adds = "+=" if fan_in[s.input] > 1 else "="
        rows.append(("rule", f"d{out}/d{s.input} {adds} {rule}"))
        chain = f"= {num(s.product)}" + (f" (use {use} of {fan_in[s.input]})" if fan_in[s.input] > 1 else "")
        rows.append(("chain", chain))
        if s.note:
            rows.append(("note", s.note))
    return Block("step", text, number, node.id, tuple(rows))


def _factor(x: float) -> str:
    """A number inside a product: negative ones in parentheses, so '* -1' reads '* (-1)'."""
    text = num(x)
    return f"({text})" if text.startswith("-") else text


_CASES = re.compile(r"(.+) if (.+), else (.+)")


def local_formula(step: BackwardStep, values: dict[str, float]) -> str:
    """'dv6/dv5 = exp(v5) = exp(-1) = 0.367879': the rule, the numbers substituted, the value.
    A rule by cases (relu, abs, max) says which case holds instead of substituting into it:
    'df/dx = 1 if x > 0, else 0; at x = 2 it is 1'."""
    if step.rule is not None:  # an array gate: its rule in matrix form, then the array it gives
        return f"gradient of {step.input} = {step.rule} = {num(step.product)}"
    formula = f"d{step.node}/d{step.input} = {step.formula}"
    if _CASES.fullmatch(step.formula):
        used = [name for name in dict.fromkeys(_ID.findall(step.formula)) if name in values]
        at = ", ".join(f"{name} = {num(values[name])}" for name in used)
        return f"{formula}; " + (f"at {at} it is " if at else "here it is ") + num(step.local)
    for extra in (substitute(step.formula, values), num(step.local)):
        if not formula.endswith(f"= {extra}"):
            formula += f" = {extra}"
    return formula


SUM_TERMS = 12  # longer sums of fan-out contributions are shown shortened in the middle


def _fan_out_step(trace: Trace, name: str, total: float, products: list[float], number: int) -> Block:
    out = trace.output
    uses = len(products)

    def term(p: float, first: bool = False) -> str:
        return num(p) if not isinstance(p, float) or p >= 0 or first else f"({num(p)})"

    if uses > SUM_TERMS:  # a value used thousands of times: show the ends of the sum
        shown = [*(term(p, i == 0) for i, p in enumerate(products[:5])), f"... ({uses - 8:,} more)",
                 *map(term, products[-3:])]
    else:
        shown = [term(p, i == 0) for i, p in enumerate(products)]
    text = (f"{name} is used {uses} times, so {uses} gradients flow back to it, one "
            f"along each use, and they add up (fan-out: gradients add).")
    return Block("step", text, number, name, (("sum", f"d{out}/d{name} = {' + '.join(shown)} = {num(total)}"),))


def _backward(trace: Trace, start: int, expand: bool, layers: list | None = None) -> list[Later]:
    out = trace.output
    if not trace.backward:
        return [partial(Block, "step", "The output depends on no variable, so there is nothing to differentiate.",
                        start, out)]
    if isinstance(trace.seed, (int, float)):
        begin = (f"Start at the output {out} with the gradient d{out}/d{out} = {num(trace.seed)}: "
                 f"a nudge of {out} changes {out} by the same amount.")
    else:  # an array output, seeded with --seed-grad S: the gradients are those of sum(S ⊙ out)
        begin = (f"Start at the output {out}, an array, with the seed S = {num(trace.seed)} given by "
                 f"--seed-grad: every gradient below is then that of {seeded_output(trace)}.")
    steps: list[Later] = [partial(
        Block, "step", f"{begin} Then visit the gates from the "
        f"output backwards; each one multiplies the gradient arriving from above by its local "
        f"derivative (the chain rule) and passes the product on to its inputs.", start, out)]
    records = {n.id: n for n in trace.nodes}
    values = {n.id: n.value for n in trace.nodes}
    fan_in = trace.fan_in()
    told: set[str] = set() if not expand else {g for g in GATES if GATES[g].expand}
    seen: dict[str, int] = {}
    products: dict[str, list[float]] = {}
    groups: list[list[BackwardStep]] = []
    for s in trace.backward:  # consecutive products of one gate form one step
        if groups and groups[-1][0].node == s.node:
            groups[-1].append(s)
        else:
            groups.append([s])
    in_layer, by_node = {}, {}
    if layers:
        from .layers import backward_step

        in_layer = {name: layer for layer in layers for name in layer.nodes}
        for group in groups:
            by_node[group[0].node] = group
    told_layers: set[int] = set()
    for group in groups:
        uses = []
        for s in group:
            seen[s.input] = seen.get(s.input, 0) + 1
            uses.append(seen[s.input])
            products.setdefault(s.input, []).append(s.product)
        layer = in_layer.get(group[0].node)
        if layer is not None:  # a layer is told once, as its deltas, where its backward pass begins
            if layer.number not in told_layers:
                told_layers.add(layer.number)
                steps.append(partial(backward_step, trace, layer, by_node, layers, start + len(steps)))
        else:
            steps.append(partial(_gate_step, trace, records[group[0].node], group, uses, start + len(steps),
                                 values, fan_in, told))
        for name in dict.fromkeys(s.input for s in group if 1 < fan_in[s.input] == seen[s.input]):
            steps.append(partial(_fan_out_step, trace, name, records[name].grad, products[name], start + len(steps)))
    return steps


def seeded_output(trace: Trace) -> str:
    """What an array seed S makes the backward pass differentiate: sum(S ⊙ f), or f[i] when S
    picks one entry (a one-hot S: one row of the Jacobian)."""
    seed = trace.seed
    flat = [float(v) for v in seed.ravel()]  # type: ignore[union-attr]
    if sorted(flat)[-1] == 1.0 and flat.count(1.0) == 1 and flat.count(0.0) == len(flat) - 1:
        index = divmod(flat.index(1.0), seed.shape[-1]) if seed.ndim == 2 else (flat.index(1.0),)  # type: ignore[union-attr]
        return f"{trace.output}{''.join(f'[{i}]' for i in index)}"
    return f"sum(S ⊙ {trace.output})"


def _result(trace: Trace, start: int) -> list[Block]:
    out = trace.output
    blocks = [Block("heading", "Result: the gradients and what they mean")]
    if not trace.gradients:
        return blocks + [Block("step", f"{out} = {num(trace.value)}.", start, out)]
    first, g = next(iter(trace.gradients.items()))
    if trace.arrays:  # each gradient has the shape of its input, and is read entry by entry
        from .layers import shown

        moved = out if isinstance(trace.seed, (int, float)) else seeded_output(trace)
        text = (f"{out} = {num(trace.value)}. Each gradient has the shape of its input and is read entry by "
                f"entry: nudging one entry of {first} up by a small h changes {moved} by about the matching "
                f"entry of d{out}/d{first} times h.")
        rows = tuple((f"d{out}/d{name}", shown(g)) for name, g in trace.gradients.items())
        return blocks + [Block("step", text, start, out, rows)]
    text = (f"{out} = {num(trace.value)}. Each gradient says how {out} responds to a small nudge of one "
            f"input: for example, nudging {first} up by a small h changes {out} by about {_times_h(g)}.")
    rows = tuple((f"d{out}/d{name} = {num(g)}", _meaning(out, name, g)) for name, g in trace.gradients.items())
    return blocks + [Block("step", text, start, out, rows)]


def _times_h(g: float) -> str:
    if not isinstance(g, (float, int)):
        return "the matching entry of its gradient times h"
    return "0 (to first order)" if g == 0 else f"{num(g)}h"


def _meaning(out: str, name: str, g: float) -> str:
    if not isinstance(g, (float, int)):
        return f"entry by entry: {name}[i] + h moves {out} by about d{out}/d{name}[i] * h"
    if g == 0:
        return f"{name} does not move {out} (to first order)"
    return f"{name} + h moves {out} by about {num(g)}h"


HEAD, TAIL = 40, 10  # steps kept at each end of a long pass unless every step is asked for


def _window(heading: str, steps: list[Later], all_steps: bool) -> list[Block]:
    blocks = [Block("heading", heading)]
    if all_steps or len(steps) <= HEAD + TAIL + 5:
        return blocks + [step() for step in steps]
    hidden = len(steps) - HEAD - TAIL
    note = Block("text", f"... {hidden:,} more steps (--all-rows shows every step) ...")
    return [*blocks, *(step() for step in steps[:HEAD]), note, *(step() for step in steps[-TAIL:])]


def narrate(trace: Trace, expand: bool = False, all_steps: bool = False) -> list[Block]:
    """The walkthrough of `trace`: header, forward pass, backward pass, result, as numbered steps.

    A pass longer than about 55 steps keeps its first 40 and last 10 unless `all_steps`.
    """
    layers = None
    if trace.arrays:  # a layered network is told layer by layer, in the documents' notation
        from .layers import find_layers

        layers = find_layers(trace)
    forward = _forward(trace, 1, layers)
    backward = _backward(trace, 1 + len(forward), expand, layers)
    return [
        *_header(trace, expand),
        *_window("Forward pass: compute every node from its inputs", forward, all_steps),
        *_window("Backward pass: the chain rule, from the output back to the inputs", backward, all_steps),
        *_result(trace, 1 + len(forward) + len(backward)),
    ]
