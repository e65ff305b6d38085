"""`bprop explain TOPIC`: concept lessons, one lesson per gate, and the index of both.

Every lesson ends with a command that works (the tests run each one). Numbers quoted in a
lesson are computed by the engine when the lesson is shown, so they cannot drift from it.
"""

from __future__ import annotations

import difflib
import re
import shlex
from typing import Callable, NamedTuple

from bprop_cli.errors import BpropError
from bprop_cli.gates.registry import GATES, Gate
from bprop_cli.text import num

from .narration import Block, fused_note, gate_rules, generic_names, local_formula, substitute


class UnknownTopic(BpropError):
    kind = "usage error"


class Topic(NamedTuple):
    name: str
    summary: str  # one line for the index
    build: Callable[[], list[Block]]


def _run(program: str, **values: float):  # type: ignore[no-untyped-def]
    from bprop_cli.engine.run import run

    return run(program, values)


def _try(*commands: tuple[str, ...], command: str = "explain") -> Block:
    """`bprop explain ARGS` (or another command) for each argument tuple, as a user would type it."""
    return Block("try", "\n".join(shlex.join(["bprop", command, *c]) for c in commands))


CS231N = ("(x+y)*z", "x=-2", "y=5", "z=-4")


def _p(x: float) -> str:
    """A number inside a product: negative ones in parentheses."""
    return f"({num(x)})" if x < 0 else num(x)


def _chain_rule() -> list[Block]:
    t = _run("q = x + y; f = q * z", x=-2, y=5, z=-4)
    q = t.node("q")
    return [
        Block("title", "The chain rule"),
        Block("text", "If f depends on q and q depends on x, a nudge of x moves q, and that moves f. "
              "The rates multiply: df/dx = df/dq * dq/dx. Backpropagation is this rule applied "
              "node by node, from the output back to the inputs: every gate multiplies the gradient "
              "arriving from above (the upstream gradient) by its own local derivative."),
        Block("text", "In f = (x+y)*z at x = -2, y = 5, z = -4, name q = x + y:"),
        Block("step", "", 0, "q", (
            ("forward", f"q = x + y = {num(q.value)}, f = q * z = {num(t.value)}"),
            ("local", "df/dq = z = -4, dq/dx = 1"),
            ("chain", f"df/dx = df/dq * dq/dx = {num(q.grad)} * 1 = {num(t.gradients['x'])}"),
        )),
        _try(CS231N),
    ]


def _computational_graph() -> list[Block]:
    return [
        Block("title", "The computational graph"),
        Block("text", "bprop turns a program into a graph: every input, every named value and every "
              "operation is a node, and an edge runs from each value to the gates that use it. The "
              "forward pass computes the nodes in order, from the inputs to the output; the backward "
              "pass visits them in reverse. Unnamed intermediates get the ids v1, v2, ...; naming "
              "one (q = x + y) gives its node your name."),
        Block("text", "Split a function into gates as small as you like, as long as you know each "
              "gate's local derivative (the CS231n notes)."),
        _try(("q = x + y; f = q * z", "x=-2", "y=5", "z=-4"), command="eval"),
    ]


def _gates() -> list[Block]:
    rows = tuple((name, GATES[name].pattern) for name in ("add", "mul", "max", "exp", "neg", "div"))
    return [
        Block("title", "Gates and their patterns"),
        Block("text", "Each gate needs only two things: how to compute its output (forward) and its "
              "local derivative with respect to each input (backward). A few patterns cover most of "
              "what you will meet:"),
        Block("step", "", 0, "", rows),
        Block("text", "bprop explain with no argument lists every gate; bprop explain GATE shows one."),
        _try(("mul",)),
    ]


def _fan_out() -> list[Block]:
    t = _run("x*x + x", x=3)
    return [
        Block("title", "Fan-out: gradients add"),
        Block("text", "When a value is used more than once, a nudge of it reaches the output along "
              "every use. So its gradient is the sum of the gradients flowing back along each use "
              "(in code: grad += ..., never grad = ...)."),
        Block("step", "", 0, "x", (
            ("example", "f = x*x + x at x = 3 uses x three times"),
            ("sum", f"df/dx = 1 + 3 + 3 = {num(t.gradients['x'])}  (= 2x + 1)"),
        )),
        _try(("x*x + x", "x=3")),
    ]


def _sigmoid_neuron() -> list[Block]:
    return [
        Block("title", "The sigmoid neuron"),
        Block("text", "A neuron with two inputs computes f = sigmoid(w0*x0 + w1*x1 + w2). The CS231n notes "
              "draw the sigmoid as four primitive gates, *-1, exp, +1 and 1/x, and walks back "
              "through them: -0.53, -0.53, -0.2, 0.2, and then the add and multiply gates give "
              "dw0 = -0.2 and dx0 = 0.4. The example below is that program; the fused version "
              "(sigmoid-neuron-fused) gives the same gradients with one sigmoid gate."),
        _try(("--example", "sigmoid-neuron")),
    ]


def _fused_gates() -> list[Block]:
    return [
        Block("title", "Fused and primitive gates"),
        Block("text", fused_note(GATES["sigmoid"])),
        Block("text", "bprop can show either view of sigmoid, tanh, softplus and subtraction: "
              "--expand rewrites them into primitive gates; the gradients are the same."),
        _try(("sigmoid(w0*x0+w1*x1+w2)", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3", "--expand")),
    ]


def _gradient_descent() -> list[Block]:
    at = {"x1": 0.5, "x2": -1, "x3": 2, "x4": 1, "w1": 0.1, "w2": -0.2, "w3": 0.3, "w4": 0.4, "b": 0.1, "y": 1}
    from bprop_cli.lang.catalog import example

    program = example("perceptron-mse").program
    from bprop_cli.engine.run import run

    before = run(program, at)
    alpha = 0.5
    stepped = {k: v - alpha * before.gradients[k] if k[0] in "wb" else v for k, v in at.items()}
    after = run(program, stepped)
    g = before.gradients["w1"]
    return [
        Block("title", "A gradient-descent step"),
        Block("text", "The gradient points uphill: it says how the loss L grows when a weight grows. "
              "Gradient descent moves every weight a small step the other way, scaled by the "
              "learning rate a (Jorge Cardete's article \"Backpropagation\" works it through):"),
        Block("step", "", 0, "", (("update", "w <- w - a * dL/dw"),)),
        Block("text", f"That article's perceptron (4 inputs, a sigmoid, squared error) has L = "
              f"{num(before.value)}. With a = {num(alpha)}:"),
        Block("step", "", 0, "", (
            ("w1", f"{num(at['w1'])} - {num(alpha)} * {_p(g)} = {num(stepped['w1'])}"),
            ("loss", f"after updating every weight and b: L = {num(after.value)} (was {num(before.value)})"),
        )),
        _try(("--example", "perceptron-mse")),
    ]


def _layers_and_deltas() -> list[Block]:
    from bprop_cli.engine.run import run
    from bprop_cli.lang.catalog import example

    ex = example("two-layer")
    t = run(ex.program, dict(v.split("=") for v in ex.values))
    n = {r.id: r for r in t.nodes}
    s1, s2 = (n[y].value * (1 - n[y].value) for y in ("y1", "y2"))
    return [
        Block("title", "Layers and deltas"),
        Block("text", "Deep Learning and the Game of Go (appendix B) writes a layer as z_i = W_i·y_i + b_i, "
              "y_(i+1) = σ(z_i), and calls the gradient of the loss with respect to a layer's input its "
              "delta: Δ_i = dL/dy_i. Deltas travel backwards exactly like gradients do: through the "
              "activation, Δσ = Δ_(i+1) ⊙ σ'(z_i) = dL/dz_i, then through the weights, Δ_i = W_iᵀ·Δσ. "
              "The parameter gradients are read off Δσ: dL/dW_i = Δσ·y_iᵀ and dL/db_i = Δσ."),
        Block("text", "Mazur's step-by-step example calls dE/dnet of a neuron its δ: an entry of Δσ, not of Δ. "
              "Mazur's δ of layer i is dL/dz_i, and the appendix's Δ_i = W_iᵀ·δ."),
        Block("text", "With one neuron per layer (z1 = w1*x + b1, y1 = sigmoid(z1), z2 = w2*y1 + b2, "
              "y2 = sigmoid(z2), L = 0.5*(y2 - t)^2):"),
        Block("step", "", 0, "", (
            ("Δ3", f"dL/dy2 = y2 - t = {num(n['y2'].grad)}"),
            ("Δσ2", f"dL/dz2 = Δ3 * y2*(1-y2) = {_p(n['y2'].grad)} * {_p(s2)} = {num(n['z2'].grad)}"),
            ("dL/dw2", f"Δσ2 * y1 = {num(t.gradients['w2'])};  dL/db2 = Δσ2 = {num(t.gradients['b2'])}"),
            ("Δ2", f"dL/dy1 = w2 * Δσ2 = {_p(n['w2'].value)} * {_p(n['z2'].grad)} = {num(n['y1'].grad)}"),
            ("Δσ1", f"dL/dz1 = Δ2 * y1*(1-y1) = {_p(n['y1'].grad)} * {_p(s1)} = {num(n['z1'].grad)}"),
            ("dL/dw1", f"Δσ1 * x = {num(t.gradients['w1'])};  dL/db1 = Δσ1 = {num(t.gradients['b1'])}"),
            ("Δ1", f"dL/dx = w1 * Δσ1 = {_p(n['w1'].value)} * {_p(n['z1'].grad)} = {num(t.gradients['x'])}"),
        )),
        Block("text", "Treating the affine step and the sigmoid as one unit is the fused-gate idea: "
              "see bprop explain fused-gates."),
        _try(("--example", "two-layer")),
    ]


def _gradient_check() -> list[Block]:
    from bprop_cli.engine.run import run
    from bprop_cli.lang.catalog import example

    ex = example("sigmoid-neuron")
    at = dict(v.split("=") for v in ex.values)
    base = run(ex.program, at)
    h = 1e-5
    w0 = float(at["w0"])
    up = run(ex.program, {**at, "w0": w0 + h}).value
    down = run(ex.program, {**at, "w0": w0 - h}).value
    numeric = (up - down) / (2 * h)
    nudged = run(ex.program, {**at, "w0": w0 + 0.001}).value
    return [
        Block("title", "Gradient checking"),
        Block("text", "A gradient can be checked without any calculus: nudge one input by a small h "
              "both ways and measure the slope, (f(x+h) - f(x-h)) / (2h). It should agree with the "
              "backpropagated gradient to many digits; if it does not, a local derivative is wrong."),
        Block("step", "", 0, "", (
            ("backprop", f"df/dw0 = {base.gradients['w0']:.10g} (sigmoid neuron)"),
            ("numeric", f"(f(w0+h) - f(w0-h)) / 2h = {numeric:.10g} with h = 1e-5"),
            ("nudge", f"w0 = 2.001: f = {num(nudged)}, about {num(base.value)} + 0.001 * "
                      f"({num(base.gradients['w0'])})"),
        )),
        _try(("--example", "sigmoid-neuron", "w0=2.001"), command="eval"),
    ]


TOPICS: dict[str, Topic] = {t.name: t for t in (
    Topic("chain-rule", "why local derivatives multiply", _chain_rule),
    Topic("computational-graph", "nodes, edges, forward and backward order", _computational_graph),
    Topic("gates", "add distributes, mul swaps, max routes, ...", _gates),
    Topic("fan-out", "a value used twice: gradients add", _fan_out),
    Topic("sigmoid-neuron", "the CS231n neuron, gate by gate", _sigmoid_neuron),
    Topic("fused-gates", "one sigmoid gate or four primitive ones", _fused_gates),
    Topic("gradient-descent", "w <- w - a * dL/dw, one step", _gradient_descent),
    Topic("layers-and-deltas", "deltas passed back layer by layer", _layers_and_deltas),
    Topic("gradient-check", "compare with a central difference", _gradient_check),
)}

SYMBOLS = {"+": "add", "*": "mul", "/": "div", "^": "pow", "**": "pow"}  # '-' alone means stdin


def gate_lesson(gate: Gate) -> list[Block]:
    from bprop_cli.engine.run import run
    from bprop_cli.engine.values import parse_assignments

    names = generic_names(gate)
    expression = gate.expression(names)
    blocks = [
        Block("title", f"The {gate.name} gate: {expression}"),
        Block("text", gate.pattern[0].upper() + gate.pattern[1:] + "."),
        Block("step", "", 0, "", (("forward", f"out = {expression}"),
                                  *(("local", rule) for rule in gate_rules(gate)))),
        Block("text", gate.lesson),
    ]
    commands = [gate.example]
    if gate.expand:
        if "--expand" not in gate.lesson:  # (sub's lesson already says what --expand does)
            blocks.append(Block("text", fused_note(gate)))
        commands.append((*gate.example, "--expand"))
    program, *values = gate.example
    trace = run(program, parse_assignments(values))
    node = next(n for n in trace.nodes if n.op == gate.name)
    shown = {n.id: n.value for n in trace.nodes}
    parts = [f"{node.id} = {node.expression}", substitute(node.expression, shown), num(node.value)]
    parts = [p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1]]  # -x = -2, not -x = -2 = -2
    rows = [("forward", " = ".join(parts))]
    rows += [("local", local_formula(s, shown)) for s in trace.backward if s.node == node.id]
    at = ", ".join(f"{k} = {num(v)}" for k, v in trace.inputs.items())
    blocks += [Block("text", f"A tiny example, at {at}:"), Block("step", "", 0, node.id, tuple(rows)),
               _try(*commands)]
    return blocks


def index() -> list[Block]:
    from bprop_cli.lang.catalog import examples

    gates = tuple((f"bprop explain {g.name}", f"{g.expression(generic_names(g))}: {g.pattern}") for g in GATES.values()
                  if not g.name.endswith("_keepdims"))  # (its lesson is the axis gate's, with a sentence more)
    return [
        Block("title", "bprop explain: lessons, gates and worked examples"),
        Block("text", "Narrate backpropagation for any expression: bprop explain EXPR NAME=VALUE ..."),
        Block("heading", "Topics"),
        Block("step", "", 0, "", tuple((f"bprop explain {t.name}", t.summary) for t in TOPICS.values())),
        Block("heading", "Gates"),
        Block("step", "", 0, "", gates),
        Block("heading", "Worked examples (bprop examples lists them)"),
        Block("step", "", 0, "", tuple((f"--example {e.name}", e.description) for e in examples().values())),
        _try(CS231N, ("--example", "sigmoid-neuron")),
    ]


def _key(word: str) -> str:
    return re.sub(r"[\s_]+", "-", word.strip().lower())


def is_topic_like(arg: str) -> bool:
    """True for a single argument that names (or misspells) a topic or gate rather than a program."""
    return arg.strip() in SYMBOLS or re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", arg.strip()) is not None


def topic_words(args: list[str]) -> None:
    """Refuse `bprop explain chain rule`: words after a topic, none of them NAME=VALUE.
    (A program with values, `bprop explain x x=1`, passes.)"""
    if len(args) < 2 or not is_topic_like(args[0]) or any("=" in a for a in args[1:]):
        return
    joined = _key("-".join(args))
    choices = [*TOPICS, *GATES]
    close = joined if joined in choices else next(iter(difflib.get_close_matches(joined, choices, n=1)), None)
    raise UnknownTopic(f"a topic is one word, not {len(args)}: {' '.join(args)!r}",
                       hint=(f"bprop explain {close}" if close else
                             "bprop explain with no argument lists every topic and gate; to narrate an "
                             "expression, give it values: bprop explain EXPR NAME=VALUE ..."))


def lesson(word: str) -> list[Block]:
    """The lesson for a topic, a gate name or a gate's symbol; UnknownTopic with a suggestion otherwise."""
    key = _key(word)
    if key in TOPICS:
        return TOPICS[key].build()
    name = SYMBOLS.get(word.strip(), key.replace("-", "_"))
    if name in GATES:
        return gate_lesson(GATES[name])
    choices = [*TOPICS, *GATES]
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    hint = (f"did you mean {close[0]}? (bprop explain with no argument lists every topic and gate)" if close
            else "bprop explain with no argument lists every topic and gate; to narrate an expression, "
                 "give it values: bprop explain EXPR NAME=VALUE ...")
    raise UnknownTopic(f"no topic or gate called {word!r}", hint=hint)
