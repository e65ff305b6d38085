"""The graph in the terminal: a tree hanging from the output, every line one wire.

Each line shows the node that feeds its parent, the value it sends forward (green) and the
gradient that flows back along that wire (red). A node used twice appears twice, and a
footer shows how its gradients add up. Without colour (NO_COLOR, TERM=dumb, a pipe) the
drawing uses plain ASCII characters and the legend says which column is which.
"""

from __future__ import annotations

from collections import deque

from rich.console import Group, RenderableType
from rich.text import Text

from . import num
from .fold import fold_items
from .picture import CONST, GATE, INPUT, OUTPUT, Box, Picture, wire_text

VALUE_STYLE = "green"
GRAD_STYLE = "red"
FOOTER = 12  # fan-out sums listed before the rest are counted
MAX_DEPTH = 9  # deeper subtrees are drawn separately below, so lines stay within 80 columns

UNICODE = {"tee": "├─ ", "last": "└─ ", "pipe": "│  ", "space": "   ", "sep": "│", "dot": "·"}
ASCII = {"tee": "|- ", "last": "`- ", "pipe": "|  ", "space": "   ", "sep": "|", "dot": "."}


def shape(box: Box, glyphs: dict[str, str]) -> str:
    """Inputs in brackets, gates in parentheses, the output in double parentheses."""
    sym = box.symbol.replace("·", glyphs["dot"])
    if box.shape:  # a vector or matrix: one box, with its shape
        return _shaped(box, sym)
    if box.kind == INPUT:
        return f"[{box.id}]"
    if box.kind == OUTPUT:
        return f"(({sym})) {box.id}" if sym else f"(({box.id}))"
    if box.kind == GATE:
        return f"({sym}) {box.id}"
    if box.kind == CONST:
        return f"[{box.expression}]"
    return f"{box.id} ..."  # CUT


def _shaped(box: Box, sym: str) -> str:
    """'[W1 2x2]', '(@) v1 2', '((sigmoid)) y 4'."""
    if box.kind == INPUT:
        return f"[{box.id} {box.size}]"
    if box.kind == OUTPUT:
        return f"(({sym})) {box.id} {box.size}" if sym else f"(({box.id} {box.size}))"
    if box.kind == GATE:
        return f"({sym}) {box.id} {box.size}"
    return f"{box.id} {box.size} ..."


def _fit(prefix: str, label: str, value: object, grad: object, width: int, extra: str = "") -> tuple[str, str]:
    """A wire's value and gradient as text: numbers as num() writes them; arrays written out
    when the line still fits in `width`, else the longer of the two, then both, as shapes."""
    if not getattr(value, "shape", ()) and not getattr(grad, "shape", ()):
        return num(value), num(grad)  # type: ignore[arg-type]
    texts = [wire_text(value, room=width), wire_text(grad, room=width)]
    room = width - len(prefix) - len(label) - 2 - 3 - (len(extra) + 4 if extra else 0)
    for k in sorted((0, 1), key=lambda k: -len(texts[k])):
        if len(texts[0]) + len(texts[1]) <= room:
            break
        texts[k] = wire_text((value, grad)[k], small=0)
    return texts[0], texts[1]


class _Line:
    __slots__ = ("id", "prefix", "label", "value", "grad", "extra")

    def __init__(self, id: str, prefix: str, label: str, value: str, grad: str, extra: str = "") -> None:
        self.id, self.prefix, self.label, self.value, self.grad, self.extra = id, prefix, label, value, grad, extra


def _tree_lines(pic: Picture, glyphs: dict[str, str], width: int = 80) -> list[list[_Line]]:
    """Trees of lines: the output's tree, then subtrees continued from too deep a level."""
    incoming: dict[str, list] = {}
    for wire in pic.wires:
        incoming.setdefault(wire.target, []).append(wire)
    boxes = {b.id: b for b in pic.boxes}
    drawn: set[str] = set()  # expanded already, or queued to be expanded below
    trees: list[list[_Line]] = []
    queued: set[str] = set()
    roots = deque([(pic.output, pic.seed)])
    while roots:
        root, root_grad = roots.popleft()
        lines: list[_Line] = []
        # (box id, gradient on its wire, prefix of its line, prefix of its children, depth)
        stack = [(root, root_grad, "", "", 0)]
        while stack:
            id, grad, prefix, child_prefix, depth = stack.pop()
            box = boxes[id]
            label = shape(box, glyphs)
            extra = ""
            if box.uses > 1 and id != root:
                extra = f"share of {num(box.grad)}"
            kids = incoming.get(id, [])
            if id in drawn and kids and depth:
                where = "continued below" if id in queued else "drawn above"
                lines.append(_Line(id, prefix, label, *_fit(prefix, label, box.value, grad, width, _join(extra, where)),
                                   _join(extra, where)))
                continue
            if kids and depth >= MAX_DEPTH:
                where = _join(extra, "continued below")
                lines.append(_Line(id, prefix, label, *_fit(prefix, label, box.value, grad, width, where), where))
                roots.append((id, box.grad))
                drawn.add(id)
                queued.add(id)
                continue
            queued.discard(id)
            drawn.add(id)
            lines.append(_Line(id, prefix, label, *_fit(prefix, label, box.value, grad, width, extra), extra))
            for i in range(len(kids) - 1, -1, -1):  # pushed in reverse: first input drawn first
                last = i == len(kids) - 1
                stack.append((kids[i].source, kids[i].grad,
                              child_prefix + glyphs["last" if last else "tee"],
                              child_prefix + glyphs["space" if last else "pipe"], depth + 1))
        trees.append(lines)
    return trees


def _join(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def render_graph(pic: Picture, ascii: bool = False, width: int = 80) -> RenderableType:
    """The picture as Rich text; `ascii` for plain output (no box-drawing characters)."""
    glyphs = ASCII if ascii else UNICODE
    trees = _tree_lines(pic, glyphs, width)
    every = [line for tree in trees for line in tree]
    forward, back = ("value ->", "<- gradient") if ascii else ("value →", "← gradient")
    back += f" d{pic.output}/d(wire)"
    left = max(max(len(line.prefix) + len(line.label) for line in every), 10)
    vwidth = max(max(len(line.value) for line in every), len(forward))
    gwidth = max(max(len(line.grad) for line in every), len(back))
    if left + 2 + vwidth + 3 + gwidth > width:
        left = 0  # too wide to align: let the columns follow the labels
    sep = f" {glyphs['sep']} "

    parts: list[RenderableType] = [Text(pic.title(width), style="bold")]
    if pic.inputs:
        parts.append(Text(fold_items(pic.inputs_line(), min(width, 88))))  # folded between assignments
    parts.append(Text("[x] input  (op) gate  ((op)) output; each line is a wire into the line above it", style="dim"))
    if pic.arrays:
        parts.append(Text("W 2x3: a matrix of 2 rows, 3 columns; x 3: a vector of 3 entries", style="dim"))
    head = Text(" " * (left + 2) if left else "")
    head.append(forward.rjust(vwidth) if left else forward, style=VALUE_STYLE)
    head.append(sep)
    head.append(back, style=GRAD_STYLE)
    parts += [Text(""), head]
    for t, tree in enumerate(trees):
        if t:
            parts.append(Text(""))
        for line in tree:
            parts.append(_text(line, left, vwidth, sep, width))
    footer: list[str] = []
    reached = {line.id for line in every}
    for box in pic.boxes:
        if box.id in reached and (fan := pic.gradient_sum(box.id)):
            footer.append(f"{box.id}: {fan}")
    if footer:
        parts.append(Text("\ngradients add where a value is used more than once:"))
        parts += [Text("  " + f, style=GRAD_STYLE) for f in footer[:FOOTER]]
        if len(footer) > FOOTER:
            parts.append(Text(f"  ... and {len(footer) - FOOTER} more", style="dim"))
    unused = [b for b in pic.boxes if b.id not in reached]
    if unused:
        parts.append(Text(f"\nnot used by {pic.output} (gradient 0): " + ", ".join(
            f"{b.id} (input) = {num(b.value)}" if b.kind == INPUT else f"{b.id} = {b.expression} = {num(b.value)}"
            for b in unused)))
    if pic.hidden:
        parts.append(Text(f"\n{pic.hidden:,} more nodes not drawn ('...' stands for them; --max-nodes 0 draws all)"))
    notes = [f"* {b.id}: {b.note}" for b in pic.boxes if b.note]
    parts += [Text(n, style="yellow") for n in notes]
    return Group(*parts)


def _text(line: _Line, left: int, vwidth: int, sep: str, width: int = 80) -> Text:
    text = Text()
    text.append(line.prefix, style="dim")
    label = line.label
    text.append(label, style="bold" if not line.prefix else "cyan")
    pad = left - len(line.prefix) - len(label) if left else 0
    text.append(" " * (pad + 2))
    text.append(line.value.rjust(vwidth) if left else line.value, style=VALUE_STYLE)
    text.append(sep)
    text.append(line.grad, style=GRAD_STYLE)
    if line.extra:  # beside the gradient if it fits, else on a line of its own under it
        room = len(text.plain) + 4 + len(line.extra) <= width
        if room:
            text.append(f"  ({line.extra})", style="dim")
        else:  # the tree's lines go on through it: the wire's own branch becomes a plain pipe
            tail = line.prefix[-3:]
            going_on = line.prefix[:-3] + ("|  " if tail == "|- " else "│  " if tail == "├─ " else "   ")
            text.append("\n" + going_on, style="dim")
            text.append(" " * (len(text.plain.split("\n")[0]) - len(line.grad) - len(going_on)))
            text.append(f"({line.extra})", style="dim")
    return text

