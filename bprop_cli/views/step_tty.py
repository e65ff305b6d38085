"""`bprop explain ... --step` on a terminal: the walkthrough one step per key press, under a
drawing of the graph that lights up as it goes (values appear as the forward pass reaches
them, gradients as the backward pass sends them down each wire; the step's node is marked).

Keys: Enter, Space or the right arrow show the next step; the left arrow or Backspace go back;
q (or Ctrl-C, Ctrl-D) quits. Reading single keys needs a POSIX terminal (termios).
"""

from __future__ import annotations

import os
import re
import sys
from typing import Callable, Sequence

from rich.console import Console, Group, RenderableType
from rich.text import Text

from bprop_cli.engine.trace import Trace
from bprop_cli.text import num
from bprop_cli.tutor.blocks import Block

from .fold import fold_program_line
from .picture import build_picture, wire_text
from .story import story_plain, story_rich
from .tree import ASCII, UNICODE, _tree_lines

NEXT, BACK, QUIT = "next", "back", "quit"
KEYS = {b"\r": NEXT, b"\n": NEXT, b" ": NEXT, b"\x1b[C": NEXT, b"\x1bOC": NEXT, b"l": NEXT,
        b"\x1b[D": BACK, b"\x1bOD": BACK, b"\x7f": BACK, b"\x08": BACK, b"h": BACK,
        b"q": QUIT, b"Q": QUIT, b"\x03": QUIT, b"\x04": QUIT, b"\x1b": QUIT}


class Frame:
    """What one step reveals: the step's block, its heading, and the graph's lit parts so far."""

    __slots__ = ("block", "heading", "values", "wires", "node")

    def __init__(self, block: Block, heading: str, values: frozenset[str], wires: frozenset[str], node: str) -> None:
        self.block, self.heading, self.values, self.wires, self.node = block, heading, values, wires, node


def frames(blocks: Sequence[Block], trace: Trace) -> tuple[list[Block], list[Frame]]:
    """The blocks shown above every step (title, program), and one frame per numbered step.

    A step reveals what it computed: a forward step its node's value (a layer's step every node of
    the layer: its product, its sum with the bias, its activation); a backward step the gradients
    on the wires into the gates it visited (a layer's step all of the layer's gates)."""
    from bprop_cli.tutor.layers import find_layers

    head: list[Block] = []
    out: list[Frame] = []
    heading = ""
    values = {n.id for n in trace.nodes if n.op in ("input", "const")}
    sent: set[str] = set()  # gates whose products have gone down their input wires ("start:f": the seed)
    layer_nodes = {layer.output: layer.nodes for layer in find_layers(trace)}
    backward = False
    for b in blocks:
        if b.kind == "heading":
            heading = b.text
            backward = backward or b.text.startswith("Backward")
            continue
        if b.kind != "step":
            if not out:
                head.append(b)
            continue
        layer = layer_nodes.get(b.node, ()) if b.text.startswith("Layer ") else ()
        if not backward and b.node:
            values.update(layer or (b.node,))
        elif backward and b.node:
            if layer:
                sent.update(layer)
            else:
                sent.add(b.node if b.rows and b.rows[0][0] == "rule" else f"start:{b.node}")
        if heading.startswith("Result"):
            values.update(n.id for n in trace.nodes)
        out.append(Frame(b, heading, frozenset(values), frozenset(sent), b.node))
    return head, out


MARKER = "   <- {}"  # beside the step's node when there is no reverse video to show it
SHORT_MARKER = "  <-"


def lit_graph(trace: Trace, frame: Frame, ascii: bool, marker: str = "this step", width: int = 80) -> RenderableType:
    """The terminal drawing with only what this step has reached: '?' for the rest. A line
    shows its value if its node is in frame.values, and its wire's gradient if the gate it
    feeds is in frame.wires (every wire into it) or the wire is ("GATE>NODE"); a line that
    starts a tree of its own (a part continued from above) shows its node's whole gradient
    once every gate it feeds has sent its share. Every line fits in `width` columns: an
    array too long for its column is written as its shape, as the graph drawing does."""
    lines, parents, glyphs = _layout(trace, ascii)
    out = trace.output
    records = {n.id: n for n in trace.nodes}
    users: dict[str, set[str]] = {}
    for n in trace.nodes:
        for p in n.inputs:
            users.setdefault(p, set()).add(n.id)
    shown_label = [line.prefix + line.label for line in lines]
    left = max(len(s) for s in shown_label) + 2
    bar = "  |  " if ascii else "  \u2502  "
    arrows = ("value ->", "<- gradient") if ascii else ("value \u2192", "\u2190 gradient")
    values = [line.value for line in lines]
    grads = [line.grad for line in lines]
    tail = MARKER.format(marker) if ascii else ""
    room = width - left - len(bar) - len(tail)
    wide = max(8, *map(len, values)) + max(len(arrows[1]), *map(len, grads))
    if ascii and wide > room:
        tail = SHORT_MARKER
        room = width - left - len(bar) - len(tail)
    # Too wide: the arrays of the longer column with 3 significant digits, then those of the other;
    # then, longest first, as their shapes ([2-vector]). The step's text below has every digit.
    for shorten in (_short_numbers, lambda text, k: wire_text(records[lines[k].id].value, small=0)):
        for column in sorted((values, grads), key=lambda c: -max(map(len, c))):
            if max(8, *map(len, values)) + max(len(arrows[1]), *map(len, grads)) <= room:
                break
            other = grads if column is values else values
            cap = max(room - max(8, *map(len, other)), room // 2)
            for k, text in enumerate(column):
                if len(text) > cap and records[lines[k].id].shape:
                    column[k] = shorten(text, k)
    vwidth = max(8, *map(len, values))
    rows: list[RenderableType] = [Text(" " * left + arrows[0].rjust(vwidth) + bar + arrows[1], style="dim")]
    for line, parent, label, value, grad in zip(lines, parents, shown_label, values, grads):
        value = value if line.id in frame.values else "?"
        if line.id == out and not parent:
            reached = f"start:{out}" in frame.wires or out in frame.wires
        elif parent:
            reached = parent in frame.wires or f"{parent}>{line.id}" in frame.wires
        else:  # continued from above: its gradient is the sum over every gate it feeds
            reached = bool(users.get(line.id)) and all(u in frame.wires or f"{u}>{line.id}" in frame.wires
                                                       for u in users[line.id])
        grad = grad if reached else "?"
        text = Text(line.prefix, style="dim")
        style = "reverse bold" if line.id == frame.node else ("bold" if not line.prefix else "cyan")
        text.append(label[len(line.prefix):], style=style)
        text.append(" " * (left - len(label)))
        text.append(value.rjust(vwidth), style="green" if value != "?" else "dim")
        text.append(bar, style="dim")
        text.append(grad, style="red" if grad != "?" else "dim")
        if line.id == frame.node and ascii:  # no reverse video without colour: point at it
            text.append(tail)
        rows.append(text)
    return Group(*rows)


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _short_numbers(text: str, k: int = 0) -> str:
    """An array's text with every entry to 3 significant digits: '[0.751, 0.773]'."""
    return _NUMBER.sub(lambda m: f"{float(m.group()):.3g}", text)


_LAYOUT: dict[tuple[int, bool], tuple[Trace, list, list[str], dict[str, str]]] = {}


def _layout(trace: Trace, ascii: bool):  # type: ignore[no-untyped-def]
    """The drawing's lines and, for each line, the node it feeds ('' for a root); made once a trace."""
    key = (id(trace), ascii)
    if key not in _LAYOUT or _LAYOUT[key][0] is not trace:  # an id is reused once its trace is gone
        glyphs = ASCII if ascii else UNICODE
        # every value written out (lit_graph fits them to the screen): the drawing's own fitting
        # would make room for notes ('continued below') that lit_graph does not show
        lines = [line for tree in _tree_lines(build_picture(trace), glyphs, width=10**6) for line in tree]
        parents: list[str] = []
        stack: list[tuple[int, str]] = []  # (depth, id) of the lines above
        for line in lines:
            depth = len(line.prefix) // len(glyphs["tee"])
            while stack and stack[-1][0] >= depth:
                stack.pop()
            parents.append(stack[-1][1] if stack else "")
            stack.append((depth, line.id))
        _LAYOUT.clear()
        _LAYOUT[key] = (trace, lines, parents, glyphs)
    return _LAYOUT[key][1:]


def graph_height(trace: Trace) -> int:
    return len(_layout(trace, True)[0]) + 1


def read_key(fd: int) -> str | None:
    """One key press as NEXT, BACK or QUIT (None for any other key)."""
    import select

    data = os.read(fd, 1)
    if data == b"\x1b":  # an arrow key sends more bytes right behind it
        while select.select([fd], [], [], 0.05)[0]:
            data += os.read(fd, 1)
            if len(data) >= 3:
                break
    if not data:
        return QUIT
    return KEYS.get(data)


def step_through(blocks: Sequence[Block], trace: Trace, console: Console | None = None,
                 keys: Callable[[], str | None] | None = None) -> None:
    """Show the walkthrough one step per key press until the last step or q."""
    console = console or Console(highlight=False, emoji=False)
    head, steps = frames(blocks, trace)
    if not steps:
        console.print(story_rich(blocks))
        return
    ascii = console.no_color or console.color_system is None
    if keys is not None:
        _loop(console, head, steps, trace, ascii, keys)
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        console.show_cursor(False)
        _loop(console, head, steps, trace, ascii, lambda: read_key(fd))
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        console.show_cursor(True)


def _loop(console: Console, head: list[Block], steps: list[Frame], trace: Trace, ascii: bool,
          keys: Callable[[], str | None]) -> None:
    at = 0
    while True:
        _draw(console, head, steps, at, trace, ascii)
        key = keys()
        if key == QUIT:
            break
        if key == NEXT:
            if at == len(steps) - 1:
                break
            at += 1
        elif key == BACK:
            at = max(0, at - 1)
    console.print()


def _draw(console: Console, head: list[Block], steps: list[Frame], at: int, trace: Trace, ascii: bool) -> None:
    """One screen: the title and the program, the values the program is run at, the lit graph,
    the step and the keys, every line within the console's width. When they would not fit its
    height, the program is left out first (the graph draws it too), then the graph."""
    frame = steps[at]
    width = console.width
    console.clear()
    title = [b for b in head if b.kind == "title"]
    code = [Block("code", "\n".join(part for line in b.text.splitlines() for part in fold_program_line(line, width - 4)))
            for b in head if b.kind == "code"]
    at_line = _at_lines(trace, width)
    shown = [Block("heading", frame.heading)] if frame.heading else []
    step_height = len(story_plain([*shown, frame.block], width).splitlines())
    graph = graph_height(trace)
    code_height = sum(len(b.text.splitlines()) for b in code)
    if len(title) + code_height + len(at_line) + 1 + graph + step_height + 2 > console.height:
        code = []  # the graph draws the program too
    if len(title) + len(at_line) + 1 + graph + step_height + 2 > console.height:
        title, at_line = [], []
    if graph + step_height + 2 > console.height:
        graph = 0  # a graph too tall for the screen beside this step is left out
    if title or code:
        console.print(story_rich([*title, *code]))
    for line in at_line:
        console.print(Text(line))
    if title or at_line:
        console.print()
    if graph:
        console.print(lit_graph(trace, frame, ascii, width=width))
    console.print(story_rich([*shown, frame.block]))
    console.print()
    last = "Enter: finish" if at == len(steps) - 1 else "Enter/\u2192: next"
    console.print(Text(f"step {at + 1} of {len(steps)}   {last}   \u2190/Backspace: back   q: quit", style="dim"))


def _at_lines(trace: Trace, width: int) -> list[str]:
    """'at x = 1, y = 2' folded between the inputs, later lines indented under the first's."""
    if not trace.inputs:
        return []
    items = [f"{k} = {num(v)}" for k, v in trace.inputs.items()]
    lines = ["at " + items[0]]
    for item in items[1:]:
        if len(lines[-1]) + 2 + len(item) + 1 <= width:
            lines[-1] += ", " + item
        else:
            lines[-1] += ","
            lines.append("   " + item)
    return lines
