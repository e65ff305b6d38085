"""Graphviz DOT, written as plain text (no Graphviz needed to produce it).

Left to right like the hand-drawn circuits of the CS231n notes: inputs are rounded boxes,
gates circles with their symbol, the output a double circle. Each wire is labelled with its forward value (green, above) and the
gradient flowing back along it (red, below); a node used more than once shows how its
gradients add up.
"""

from __future__ import annotations

from bprop_cli.text import num

from .picture import CUT, INPUT, LEGEND_GRAD, LEGEND_VALUE, OUTPUT, Box, Picture, shape_of, wire_text

VALUE_COLOUR = "#1a7f37"  # green
GRAD_COLOUR = "#cf222e"  # red
FONT = "Helvetica"
WIRE_ENTRIES = 16  # entries of an array written on a wire (a matrix one row a line); more: its shape


def html(text: str) -> str:
    """Text for a DOT HTML-like label: markup characters become entities, one line."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    text = text.replace("]", "&#93;").replace("[", "&#91;")
    return "".join(ch if ch.isprintable() else " " for ch in text)


def quoted(id: str) -> str:
    """A DOT identifier in double quotes."""
    return '"' + id.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pair(value: float, grad: float, sep: str = "<br/>") -> str:
    if shape_of(value) or shape_of(grad):  # a vector or matrix: its shape on the wire, then its arrays
        size = "x".join(map(str, shape_of(value)))
        head = f'<font point-size="9" color="#555555">{size}</font><br/>' if size else ""
        return (f'{head}<font color="{VALUE_COLOUR}">{_array(value)}</font>{sep}'
                f'<font color="{GRAD_COLOUR}">{_array(grad)}</font>')
    return (f'<font color="{VALUE_COLOUR}">{html(num(value))}</font>{sep}'
            f'<font color="{GRAD_COLOUR}">{html(num(grad))}</font>')


def _array(value: object) -> str:
    """A value on a wire: a number; a small vector on one line; a small matrix one row a line;
    a bigger array as its shape."""
    shape = shape_of(value)
    if len(shape) == 2 and value.size <= WIRE_ENTRIES:  # type: ignore[attr-defined]
        rows = [num(row) for row in value]  # type: ignore[attr-defined]
        if max(map(len, rows)) <= 64:
            return "<br/>".join(html(row) for row in rows)
    return html(wire_text(value, small=WIRE_ENTRIES, room=64))


def _size(box: Box) -> str:
    """The shape of a vector or matrix under its name: '2x2'."""
    return f'<br/><font point-size="10" color="#555555">{box.size}</font>' if box.shape else ""


def _box(pic: Picture, box: Box) -> str:
    name = f"<b>{html(box.id)}</b>"
    fan = pic.gradient_sum(box.id)
    totals = ""  # shown in the node where the wires alone do not tell it
    if fan:
        totals = (f'<br/><font point-size="10" color="{VALUE_COLOUR}">{html(num(box.value))}</font>'
                  f'<br/><font point-size="10" color="{GRAD_COLOUR}">{html(fan)}</font>')
    elif not pic.outgoing(box.id) and box.kind != OUTPUT:
        totals = f'<br/><font point-size="10">{_pair(box.value, box.grad, " ")}</font>'
    note = "<br/>*" if box.note else ""
    if box.kind == INPUT:
        return (f'{quoted(box.id)} [shape=box, style="rounded,filled", fillcolor="#eef2f7", '
                f'label=<{name}{_size(box)}{totals}>]')
    if box.kind == CUT:
        return (f'{quoted(box.id)} [shape=box, style=dashed, label=<{name} ...{totals}'
                f'<br/><font point-size="9">{html(box.expression)}</font>>]')
    sym = f'<font point-size="16"><b>{html(box.symbol or box.expression)}</b></font>'
    size = f" {box.size}" if box.shape else ""
    label = f'{sym}<br/><font point-size="10">{html(box.id)}{size}</font>{note}'
    shape = "circle" if len(box.symbol) <= 3 and len(box.id + size) <= 5 else "ellipse"  # keep circles small
    extra = ', peripheries=2, fillcolor="#fff4d6"' if box.kind == OUTPUT else ', fillcolor="#ffffff"'
    if totals:  # beside the gate, so the circle stays the size of its symbol
        extra += f", xlabel=<{totals.removeprefix('<br/>')}>"
    return f'{quoted(box.id)} [shape={shape}, style=filled{extra}, margin=0.02, label=<{label}>]'


def render_dot(pic: Picture) -> str:
    title = html(pic.title(160))
    at = html(pic.inputs_line()) if pic.inputs else ""
    legend = (f'<font color="{VALUE_COLOUR}">green, above: {LEGEND_VALUE}</font>    '
              f'<font color="{GRAD_COLOUR}">red, below: {LEGEND_GRAD} d{html(pic.output)}/d(wire)</font>')
    hidden = f"<br/>{pic.hidden:,} more nodes not drawn (dashed boxes stand for them)" if pic.hidden else ""
    lines = [
        "digraph bprop {",
        f'  graph [rankdir=LR, fontname="{FONT}", fontsize=12, labelloc=t, ordering=in, nodesep=0.45, ranksep=0.6,',
        f'         label=<<b>{title}</b>{"<br/>" + at if at else ""}<br/>{legend}{hidden}<br/> >]',
        f'  node [fontname="{FONT}", fontsize=12, width=0.5]',
        f'  edge [fontname="{FONT}", fontsize=11, color="#555555", arrowsize=0.7]',
    ]
    lines += ["  " + _box(pic, box) for box in pic.boxes]
    for wire in pic.wires:
        lines.append(f"  {quoted(wire.source)} -> {quoted(wire.target)} [label=<{_pair(wire.value, wire.grad)}>]")
    out = pic.box(pic.output)
    end = quoted(pic.output + " (result)")
    lines.append(f'  {end} [shape=none, label=<<b>{html(pic.output)}</b>>, width=0, height=0]')
    lines.append(f"  {quoted(out.id)} -> {end} [label=<{_pair(out.value, pic.seed)}>]")
    lines.append("}")
    return "\n".join(lines) + "\n"


