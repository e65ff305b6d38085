"""Mermaid flowchart text, for pasting into Markdown on code hosts that render ```mermaid blocks.

Only long-supported syntax is used (no HTML or entity codes in labels, which some hosts strip,
refuse or show raw):
every wire is drawn twice between the same two nodes, a solid green arrow labelled with the
forward value and a dotted red line labelled with the gradient flowing back. Node ids in the
chart are n0, n1, ... (so no user name can clash with a Mermaid keyword); labels show the
trace's ids.
"""

from __future__ import annotations

from .picture import CUT, INPUT, OUTPUT, Box, Picture, wire_text

VALUE_COLOUR = "#1a7f37"
GRAD_COLOUR = "#cf222e"
# Characters that could end a quoted label or be read as an entity, HTML or Markdown become
# look-alikes: Mermaid's own #code; entities are not decoded by every renderer.
_LOOKALIKE = str.maketrans({'"': "'", "`": "'", "#": "//", "&": "and", "<": "‹", ">": "›", "\n": " ",
                            "\r": " ", "\t": " "})


def text(label: str) -> str:
    """A quoted Mermaid label that shows `label` literally."""
    label = "".join(ch if ch.isprintable() else " " for ch in label.translate(_LOOKALIKE))
    return f'"{label}"'


def _node(key: str, box: Box, fan: str) -> str:
    if fan:  # gradients from several wires add up here
        fan = f": grad {fan}"
    name = f"{box.id} {box.size}" if box.shape else box.id  # a vector or matrix: one node, with its shape
    if box.kind == INPUT:
        return f"{key}[{text(name + fan)}]"
    if box.kind == CUT:
        return f"{key}[{text(name + ' ...')}]"
    label = text((f"{box.symbol} ({name})" if box.symbol else name) + fan)
    return f"{key}((({label})))" if box.kind == OUTPUT else f"{key}(({label}))"


def render_mermaid(pic: Picture) -> str:
    keys = {box.id: f"n{i}" for i, box in enumerate(pic.boxes)}
    program = pic.title(120)
    at = f" {pic.inputs_line()}" if pic.inputs else ""
    out = pic.output
    legend = f"Green arrows: forward value. Red dotted: gradient d{out}/d(wire) flowing back."
    lines = [
        "flowchart LR",
        f"  legend>{text(f'{program}{at}. {legend}')}]",
    ]
    if pic.hidden:
        lines.append(f"  hidden>{text(f'{pic.hidden} more nodes not drawn; boxes ending in ... stand for them')}]")
    lines += ["  " + _node(keys[box.id], box, pic.gradient_sum(box.id)) for box in pic.boxes]
    links = [(keys[w.source], keys[w.target], w.value, w.grad) for w in pic.wires]
    links.append((keys[out], "result", pic.box(out).value, pic.seed))
    lines.append(f"  result[{text(out)}]")
    green: list[str] = []
    red: list[str] = []
    count = 0
    for source, target, value, grad in links:
        lines.append(f"  {source} -->|{text(wire_text(value, room=64))}| {target}")
        lines.append(f"  {source} -.-|{text('← ' + wire_text(grad, room=64))}| {target}")
        green.append(str(count))
        red.append(str(count + 1))
        count += 2
    lines.append(f"  linkStyle {','.join(green)} stroke:{VALUE_COLOUR},color:{VALUE_COLOUR}")
    lines.append(f"  linkStyle {','.join(red)} stroke:{GRAD_COLOUR},color:{GRAD_COLOUR}")
    inputs = [keys[b.id] for b in pic.boxes if b.kind == INPUT]
    lines.append("  classDef input fill:#eef2f7,stroke:#555555")
    lines.append("  classDef output fill:#fff4d6,stroke:#555555")
    lines.append("  classDef note fill:#ffffff,stroke:#bbbbbb,color:#333333")
    if inputs:
        lines.append(f"  class {','.join(inputs)} input")
    lines.append(f"  class {keys[out]} output")
    notes = ["legend", *(["hidden"] if pic.hidden else [])]
    lines.append(f"  class {','.join(notes)} note")
    lines.append("  style result fill:none,stroke:none")
    return "\n".join(lines) + "\n"
