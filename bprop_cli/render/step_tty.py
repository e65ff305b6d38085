"""`bprop explain ... --step` on a terminal: the walkthrough one step per key press, under a
drawing of the graph that lights up as it goes (values appear as the forward pass reaches
them, gradients as the backward pass sends them down each wire; the step's node is marked).

Keys: Enter, Space or the right arrow show the next step; the left arrow or Backspace go back;
q (or Ctrl-C, Ctrl-D) quits. Reading single keys needs a POSIX terminal (termios).
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Sequence

from rich.console import Console, Group, RenderableType
from rich.text import Text

from ..trace import Trace
from ..tutor import Block
from . import num
from .picture import build_picture
from .story import story_rich
from .terminal import ASCII, UNICODE, _tree_lines

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
    """The blocks shown above every step (title, program), and one frame per numbered step."""
    head: list[Block] = []
    out: list[Frame] = []
    heading = ""
    values = {n.id for n in trace.nodes if n.op in ("input", "const")}
    sent: set[str] = set()  # gates whose products have gone down their input wires ("start:f": the seed)
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
        if not backward and b.node:
            values.add(b.node)
        elif backward and b.node:
            sent.add(b.node if b.rows and b.rows[0][0] == "rule" else f"start:{b.node}")
        if heading.startswith("Result"):
            values.update(n.id for n in trace.nodes)
        out.append(Frame(b, heading, frozenset(values), frozenset(sent), b.node))
    return head, out


def lit_graph(trace: Trace, frame: Frame, ascii: bool, marker: str = "this step") -> RenderableType:
    """The terminal drawing with only what this step has reached: '?' for the rest. A line
    shows its value if its node is in frame.values, and its wire's gradient if the gate it
    feeds is in frame.wires (every wire into it) or the wire is ("GATE>NODE")."""
    lines, parents, glyphs = _layout(trace, ascii)
    out = trace.output
    shown_label = [line.prefix + line.label for line in lines]
    left = max(len(s) for s in shown_label) + 2
    bar = "  |  " if ascii else "  \u2502  "
    arrows = ("value ->", "<- gradient") if ascii else ("value \u2192", "\u2190 gradient")
    vwidth = max(8, *(len(line.value) for line in lines))
    rows: list[RenderableType] = [Text(" " * left + arrows[0].rjust(vwidth) + bar + arrows[1], style="dim")]
    for line, parent, label in zip(lines, parents, shown_label):
        value = line.value if line.id in frame.values else "?"
        if parent:
            reached = parent in frame.wires or f"{parent}>{line.id}" in frame.wires
        else:
            reached = f"start:{out}" in frame.wires or out in frame.wires
        grad = line.grad if reached else "?"
        text = Text(line.prefix, style="dim")
        style = "reverse bold" if line.id == frame.node else ("bold" if not line.prefix else "cyan")
        text.append(label[len(line.prefix):], style=style)
        text.append(" " * (left - len(label)))
        text.append(value.rjust(vwidth), style="green" if value != "?" else "dim")
        text.append(bar, style="dim")
        text.append(grad, style="red" if grad != "?" else "dim")
        if line.id == frame.node and ascii:  # no reverse video without colour: point at it
            text.append(f"   <- {marker}")
        rows.append(text)
    return Group(*rows)


_LAYOUT: dict[tuple[int, bool], tuple[list, list[str], dict[str, str]]] = {}


def _layout(trace: Trace, ascii: bool):  # type: ignore[no-untyped-def]
    """The drawing's lines and, for each line, the node it feeds ('' for a root); made once a trace."""
    key = (id(trace), ascii)
    if key not in _LAYOUT:
        glyphs = ASCII if ascii else UNICODE
        lines = [line for tree in _tree_lines(build_picture(trace), glyphs) for line in tree]
        parents: list[str] = []
        stack: list[tuple[int, str]] = []  # (depth, id) of the lines above
        for line in lines:
            depth = len(line.prefix) // len(glyphs["tee"])
            while stack and stack[-1][0] >= depth:
                stack.pop()
            parents.append(stack[-1][1] if stack else "")
            stack.append((depth, line.id))
        _LAYOUT.clear()
        _LAYOUT[key] = (lines, parents, glyphs)
    return _LAYOUT[key]


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
    frame = steps[at]
    console.clear()
    title = [b for b in head if b.kind in ("title", "code")]
    console.print(story_rich(title))
    if trace.inputs:
        console.print(Text("at " + ", ".join(f"{k} = {num(v)}" for k, v in trace.inputs.items())))
    console.print()
    if graph_height(trace) <= max(console.height - 20, 8):  # a graph too tall for the screen is left out
        console.print(lit_graph(trace, frame, ascii))
    shown = [Block("heading", frame.heading)] if frame.heading else []
    console.print(story_rich([*shown, frame.block]))
    console.print()
    last = "Enter: finish" if at == len(steps) - 1 else "Enter/\u2192: next"
    console.print(Text(f"step {at + 1} of {len(steps)}   {last}   \u2190/Backspace: back   q: quit", style="dim"))
