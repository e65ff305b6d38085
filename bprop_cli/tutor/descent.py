"""`bprop explain gradient-descent EXPR NAME=VALUE... [--params NAMES] [--lr RATE]`: one
gradient-descent step narrated on the user's own program (the canned lesson uses the
perceptron). Builds tutor Blocks; prints nothing."""

from __future__ import annotations

import shlex
from typing import Mapping, Sequence

from bprop_cli.engine.geometry import norm, parse_params
from bprop_cli.errors import ValueBindingError
from bprop_cli.text import num

from .blocks import Block

DEFAULT_LR = 0.1


def _p(x: float) -> str:
    return f"({num(x)})" if x < 0 else num(x)


def descent_lesson(source: str, given: Mapping[str, object], args: Sequence[str], params: str | None,
                   lr: float | None) -> list[Block]:
    from bprop_cli.engine.run import run
    alpha = DEFAULT_LR if lr is None else lr
    if not alpha > 0:
        raise ValueBindingError(f"--lr must be a positive number, not {lr}")
    before = run(source, given)
    names = parse_params(params, list(before.gradients)) if params is not None else tuple(before.gradients)
    if not names:
        raise ValueBindingError("the program has no variables: there is nothing to learn")
    data = [n for n in before.gradients if n not in names]
    stepped = {**before.inputs, **{n: before.inputs[n] - alpha * before.gradients[n] for n in names}}
    after = run(source, stepped)
    out = before.output
    length = norm(before.gradients, names)
    rows = tuple((n, f"{num(before.inputs[n])} - {num(alpha)} * {_p(before.gradients[n])} = {num(stepped[n])}")
                 for n in names)
    predicted = -alpha * length * length
    blocks = [
        Block("title", "A gradient-descent step on your program"),
        Block("text", f"The gradient points uphill: d{out}/dw says how {out} grows when w grows. Gradient "
                      "descent moves every parameter a small step the other way, scaled by the learning rate a:"),
        Block("step", "", 0, "", (("update", f"w <- w - a * d{out}/dw"), ("a", num(alpha)))),
        Block("text", f"At your values {out} = {num(before.value)}; |∇{out}| = {num(length)} over "
                      f"{', '.join(names)}." + (f" {', '.join(data)} stay fixed (data, not parameters)." if data else "")),
        Block("step", "", 0, "", rows),
        Block("text", f"Feeding the new values forward again: {out} = {num(after.value)} (was {num(before.value)}, "
                      f"a change of {num(after.value - before.value)}). To first order the change is "
                      f"-a * |∇{out}|^2 = {num(predicted)}" + (
                          "; a smaller a tracks that more closely." if after.value < before.value else
                          f"; here {out} went up, so a = {num(alpha)} is too large a step for this program.")),
        Block("text", "Repeating the step is training: bprop train runs it as many times as you ask, "
                      "and shows the loss falling."),
    ]
    command = ["bprop", "train", *args, "--params", ",".join(names), "--lr", repr(alpha), "--steps", "100"]
    blocks.append(Block("try", shlex.join(command)))
    return blocks
