"""The graph in the terminal: a tree hanging from the output, every line one wire.

Each line shows the node that feeds its parent, the value it sends forward (green) and the
gradient that flows back along that wire (red). A node used twice appears twice, and a
footer shows how its gradients add up. Without colour (NO_COLOR, TERM=dumb, a pipe) the
drawing uses plain ASCII characters and the legend says which column is which.

The picture is made once, as lines of styled spans (`graph_lines`), with no Rich in it: Rich
prints them as Text (`render_graph`), and views/ansi.py writes the same bytes itself when
every line fits the screen (`graph.picture_text`), so the two cannot drift apart.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from bprop_cli.text import num

from .ansi import wrapped
from .fold import fold_formula, fold_items
from .picture import CONST, GATE, INPUT, OUTPUT, Box, Picture, wire_text

if TYPE_CHECKING:
    from rich.console import RenderableType

Span = tuple[str, str | None]  # a piece of a line and its style (None: unstyled)
Line = list[Span]  # one line on the screen, no line feed in it

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
    """The picture as Rich text (one Text a line); `ascii` for plain output (no box-drawing characters)."""
    from rich.console import Group
    from rich.text import Text

    texts = []
    for line in graph_lines(pic, ascii, width):
        text = Text()
        for piece, style in line:
            text.append(piece, style=style)
        texts.append(text)
    return Group(*texts)


def graph_lines(pic: Picture, ascii: bool = False, width: int = 80) -> list[Line]:
    """The picture as lines of styled spans, laid out for `width` columns (wider lines are
    Rich's to wrap); `ascii` for plain output (no box-drawing characters)."""
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

    out: list[Line] = _styled(pic.title(width), "bold")
    if pic.inputs:
        out += _styled(fold_items(pic.inputs_line(), min(width, 88)))  # folded between assignments
    legend = "[x] input  (op) gate  ((op)) output; each line is a wire into the line above it"
    out += [[(line, "dim")] for line in wrapped(legend, width) or [legend]]  # as Rich would wrap it
    if pic.arrays:
        out += _styled("W 2x3: a matrix of 2 rows, 3 columns; x 3: a vector of 3 entries", "dim")
    out.append([])
    out.append([(" " * (left + 2) if left else "", None), (forward.rjust(vwidth) if left else forward, VALUE_STYLE),
                (sep, None), (back, GRAD_STYLE)])
    for t, tree in enumerate(trees):
        if t:
            out.append([])
        for line in tree:
            out += _wire(line, left, vwidth, sep, width)
    footer: list[str] = []
    reached = {line.id for line in every}
    for box in pic.boxes:
        if box.id in reached and (fan := pic.gradient_sum(box.id)):
            footer.append(f"{box.id}: {fan}")
    if footer:
        out += [[], [("gradients add where a value is used more than once:", None)]]
        out += [[("  " + piece, GRAD_STYLE)] for f in footer[:FOOTER]  # a long sum broken before its '='
                for piece in fold_formula(f, width - 2).split("\n")]
        if len(footer) > FOOTER:
            out.append([(f"  ... and {len(footer) - FOOTER} more", "dim")])
    unused = [b for b in pic.boxes if b.id not in reached]
    if unused:
        out += [[], *_styled(fold_items(f"not used by {pic.output} (gradient 0): " + ", ".join(
            f"{b.id} (input) = {num(b.value)}" if b.kind == INPUT else f"{b.id} = {b.expression} = {num(b.value)}"
            for b in unused), width))]
    if pic.hidden:
        out += [[], [(f"{pic.hidden:,} more nodes not drawn ('...' stands for them; --max-nodes 0 draws all)", None)]]
    for b in pic.boxes:
        if b.note:
            out += _styled(f"* {b.id}: {b.note}", "yellow")
    return out


def _styled(text: str, style: str | None = None) -> list[Line]:
    """A text of one or more lines, each line in one style."""
    return [[(piece, style)] for piece in text.split("\n")]


def _wire(line: _Line, left: int, vwidth: int, sep: str, width: int = 80) -> list[Line]:
    """A wire's line: the tree's branches dim, the label bold (the output) or cyan, the value,
    the gradient; a note such as 'share of 3' beside it, or on a line of its own under it."""
    label = line.label
    pad = left - len(line.prefix) - len(label) if left else 0
    first: Line = [(line.prefix, "dim"), (label, "bold" if not line.prefix else "cyan"), (" " * (pad + 2), None),
                   (line.value.rjust(vwidth) if left else line.value, VALUE_STYLE), (sep, None),
                   (line.grad, GRAD_STYLE)]
    if not line.extra:
        return [first]
    used = sum(len(piece) for piece, _ in first)
    if used + 4 + len(line.extra) <= width:
        return [first + [(f"  ({line.extra})", "dim")]]
    # the tree's lines go on through it: the wire's own branch becomes a plain pipe; the note
    # starts under the gradient, or further left if it would not end within the width
    tail = line.prefix[-3:]
    going_on = line.prefix[:-3] + ("|  " if tail == "|- " else "│  " if tail == "├─ " else "   ")
    note = f"({line.extra})"
    pad = max(1, min(used - len(line.grad), width - len(note)) - len(going_on))
    return [first, [(going_on, "dim"), (" " * pad, None), (note, "dim")]]
