"""`bprop explain --step`'s screens, drawn without a terminal: the lit graph shows a value once a
step has computed it and a gradient once a step has sent it (never before), and every screen
fits 80 columns and 40 rows. (tests/test_quiz_tty.py drives the real thing in tmux.)"""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from bprop_cli.engine.run import run
from bprop_cli.lang.catalog import example
from bprop_cli.tutor.narration import narrate
from bprop_cli.views.step_tty import _draw, frames, lit_graph

BAR = "  |  "


def trace_of(name: str):  # type: ignore[no-untyped-def]
    ex = example(name)
    return run(ex.program, dict(v.split("=", 1) for v in ex.values))


def graph_rows(trace, frame, width: int = 80) -> dict[str, list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    """What the lit graph shows, by node id: (value, gradient) for each line drawing that node."""
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    console.print(lit_graph(trace, frame, ascii=True, width=width))
    rows: dict[str, list[tuple[str, str]]] = {}
    for line in console.file.getvalue().splitlines()[1:]:
        left, right = line.rsplit(BAR, 1)
        found = re.search(r"\(+[^)]*\)+ ([A-Za-z_]\w*)|\[([A-Za-z_]\w*)", left)  # "(@) v1 2", "[W1 2x2]"
        node = found.group(1) or found.group(2)
        value = re.split(r"\s{2,}", left.rstrip())[-1]  # right-justified after at least two spaces
        rows.setdefault(node, []).append((value, right.split("  <-")[0].strip()))
    return rows


@pytest.mark.parametrize("name", ["mazur", "two-layer-relu", "logistic-batch"])
def test_every_value_a_step_has_computed_is_lit(name: str) -> None:
    """After each forward step, every node named on the left of a row so far ('z1 = v1 + b1')
    shows its value, and nothing shows a gradient."""
    trace = run_example = trace_of(name)
    _, steps = frames(narrate(run_example), trace)
    computed: set[str] = set()
    for frame in steps:
        if frame.heading.startswith("Backward"):
            break
        computed |= {label.split(" = ")[0] for label, _ in frame.block.rows if " = " in label}
        computed.add(frame.node)
        rows = graph_rows(trace, frame)
        for node in computed & rows.keys():
            assert all(value != "?" for value, _ in rows[node]), (frame.block.number, node, rows[node])
        assert all(grad == "?" for shown in rows.values() for _, grad in shown), frame.block.number


def test_a_gradient_appears_only_once_its_step_has_sent_it() -> None:
    """Mazur's network: at the backward pass's first step only the output's gradient (the seed)
    is known; v1, drawn as a tree of its own, gets its gradient with layer 1's step, not before;
    and the numbers shown are the trace's gradients."""
    trace = trace_of("mazur")
    _, steps = frames(narrate(trace), trace)
    start = next(k for k, f in enumerate(steps) if f.heading.startswith("Backward"))
    rows = graph_rows(trace, steps[start])
    assert {node for node, shown in rows.items() if any(g != "?" for _, g in shown)} == {trace.output}
    layer1 = next(k for k, f in enumerate(steps) if f.block.text.startswith("Layer 1") and "backwards" in f.block.text)
    for k in range(start, layer1):
        assert all(g == "?" for _, g in graph_rows(trace, steps[k])["v1"]), steps[k].block.number
    shown = graph_rows(trace, steps[layer1])
    assert all(g != "?" for _, g in shown["v1"]) and all(g != "?" for _, g in shown["W1"])
    # each lit layer-2 gradient is the trace's, to the 3 digits the graph shows
    grads = {n.id: n.grad for n in trace.nodes}
    layer2 = next(k for k, f in enumerate(steps) if f.block.text.startswith("Layer 2") and "backwards" in f.block.text)
    for node in ("z2", "v2", "b2", "y1"):
        (_, g), *_ = graph_rows(trace, steps[layer2])[node]
        assert [float(x) for x in re.findall(r"-?[\d.]+(?:e-?\d+)?", g)] == pytest.approx(list(grads[node]), rel=5e-3)


@pytest.mark.parametrize("name", ["mazur", "two-layer-relu", "logistic-batch", "mazur-scalar", "cs231n"])
def test_every_screen_fits_80_columns_and_40_rows(name: str) -> None:
    trace = trace_of(name)
    head, steps = frames(narrate(trace), trace)
    for at in range(len(steps)):
        console = Console(file=io.StringIO(), width=80, height=40, color_system=None, highlight=False)
        _draw(console, head, steps, at, trace, ascii=True)
        screen = console.file.getvalue().splitlines()
        assert max(map(len, screen)) <= 80, (at, max(screen, key=len))
        assert len(screen) <= 40, (at, len(screen))
        assert screen[-1].startswith(f"step {at + 1} of {len(steps)}")
        graph = [line for line in screen if BAR in line]
        if graph:  # drawn: its step's node is pointed at, on its own line
            assert any("<-" in line.rsplit(BAR, 1)[1] for line in graph) or steps[at].node not in " ".join(graph)
