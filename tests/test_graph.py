"""Pictures of the graph: the model behind them, DOT accepted by Graphviz, golden drawings,
escaping of user text, the missing-Graphviz message, and the `bprop graph` command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from conftest import EXAMPLES, ROOT, bprop, example_values
from rich.console import Console

from bprop_cli.engine.run import run
from bprop_cli.text import num
from bprop_cli.views.dot import render_dot
from bprop_cli.views.mermaid import render_mermaid
from bprop_cli.views.picture import build_picture
from bprop_cli.views.tree import render_graph

GOLDEN = ROOT / "tests" / "golden" / "graph"
UPDATE = bool(os.environ.get("BPROP_UPDATE_GOLDEN"))  # set it to rewrite the golden files
DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed (bash .ci/run installs it)")

# The seeds' pictures: cs231n's (x+y)*z, the sigmoid neuron of primitive gates, and fan-out.
SEEDS = {
    "cs231n": ("(x+y)*z", {"x": -2, "y": 5, "z": -4}),
    "neuron": ("1/(1+exp(-(w0*x0+w1*x1+w2)))", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}),
    "fanout": ("x*x+x", {"x": 3}),
}
HOSTILE = '# a comment is not drawn\nend = x + 1\nend*end'
# The language allows these characters only in comments, which pictures leave out, so the
# escaping is checked on a trace whose program text carries them outside a comment.
SPECIAL = '"quote" <b>tag</b> [bold red]markup[/] {brace} & %% `tick` \\ back #1;'


def hostile_picture():  # type: ignore[no-untyped-def]
    return build_picture(run(HOSTILE, {"x": 2})._replace(expression=SPECIAL + "\n" + HOSTILE))


def example_trace(path: Path):  # type: ignore[no-untyped-def]
    values = dict(v.split("=", 1) for v in example_values(path))
    return run(path.read_text(), values)


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {name}: run with BPROP_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: review, then BPROP_UPDATE_GOLDEN=1"


def terminal_text(pic, ascii: bool) -> str:  # type: ignore[no-untyped-def]
    buffer = StringIO()
    Console(file=buffer, width=80, color_system=None, highlight=False).print(render_graph(pic, ascii=ascii))
    return buffer.getvalue()


# -- the model -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_wire_gradients_add_up_to_each_nodes_gradient(path: Path) -> None:
    trace = example_trace(path)
    pic = build_picture(trace, limit=0)
    for box in pic.boxes:
        wires = pic.outgoing(box.id)
        if box.id != trace.output and wires:
            assert sum(w.grad for w in wires) == pytest.approx(box.grad), box.id
        for wire in wires:
            assert wire.value is box.value  # the very value (a number or an array) of its source


def test_fan_out_draws_one_wire_per_use() -> None:
    pic = build_picture(run(*SEEDS["fanout"]))
    wires = [(w.source, w.target, w.grad) for w in pic.wires]
    assert wires == [("x", "v1", 3), ("x", "v1", 3), ("v1", "f", 1), ("x", "f", 1)]
    assert pic.gradient_sum("x") == "3 + 3 + 1 = 7"


@pytest.mark.parametrize(
    "program, symbols",
    [
        ("1/(1+exp(-z))", ["*-1", "exp", "+1", "1/"]),
        ("x^2 - 3", ["^2", "-3"]),
        ("max(0, x) * 2 + sigmoid(x)", ["max(0, ·)", "*2", "sigmoid", "+"]),
    ],
)
def test_constants_fold_into_the_gate_symbol(program: str, symbols: list[str]) -> None:
    pic = build_picture(run(program, {"z": 1} if "z" in program else {"x": 1}))
    assert [b.symbol for b in pic.boxes if b.symbol] == symbols
    assert all(b.kind != "const" for b in pic.boxes)


# -- DOT and Graphviz -------------------------------------------------------------------------

@needs_dot
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_dot_of_every_example_is_accepted_by_graphviz_and_shows_every_value(path: Path) -> None:
    trace = example_trace(path)
    text = render_dot(build_picture(trace))
    done = subprocess.run([DOT, "-Tsvg"], input=text, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stderr
    lines = text.splitlines()
    for node in trace.nodes:
        if node.op == "const":
            continue
        mine = "\n".join(line for line in lines if line.strip().startswith(f'"{node.id}" '))
        if node.shape:  # a vector or matrix: every entry on its wires (a matrix one row a line)
            for array in (node.value, node.grad):
                entries = [num(float(v)) for v in np.ravel(array)]
                assert all(re.search(rf"(&#91;|, | ){re.escape(e)}(,|&#93;)", mine) for e in entries), node.id
            continue
        from bprop_cli.views.dot import html  # brackets are written as HTML entities

        assert f">{html(num(node.value))}<" in mine, f"value of {node.id} missing"
        grad = html(num(node.grad))
        # (a sum over many wires ends with their count: "... = 138.834 (7 wires)")
        assert f">{grad}<" in mine or f"= {grad}<" in mine or f"= {grad} (" in mine, f"gradient of {node.id} missing"


@needs_dot
def test_dot_escapes_user_text() -> None:
    text = render_dot(hostile_picture())
    assert "<b>tag</b>" not in text and "&lt;b&gt;tag&lt;/b&gt;" in text
    done = subprocess.run([DOT, "-Tsvg"], input=text, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert "&lt;b&gt;tag&lt;/b&gt;" in done.stdout  # shown literally in the picture


def test_dot_quotes_versioned_ids() -> None:
    text = render_dot(build_picture(run("x = x*2; x = x + 1", {"x": 1})))
    assert '"x@2" -> "x@3"' in text


# -- golden drawings ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", SEEDS)
def test_terminal_drawing_golden(name: str) -> None:
    pic = build_picture(run(*SEEDS[name]))
    plain, fancy = terminal_text(pic, ascii=True), terminal_text(pic, ascii=False)
    golden(f"{name}.txt", plain)
    golden(f"{name}.utf8.txt", fancy)
    assert plain.isascii()
    assert max(len(line) for line in (plain + fancy).splitlines()) <= 80


@pytest.mark.parametrize("name", SEEDS)
def test_mermaid_golden(name: str) -> None:
    golden(f"{name}.mmd", render_mermaid(build_picture(run(*SEEDS[name]))))


def test_mermaid_escapes_user_text_and_avoids_keywords() -> None:
    text = render_mermaid(hostile_picture())
    assert "tag" in text and "a comment" not in text
    for line in text.splitlines():
        labels = line.split('"')[1::2]
        assert line.count('"') % 2 == 0
        for label in labels:
            assert not set(label) & set('<>#&`'), label
    # 'end' is a Mermaid keyword: chart ids are n0, n1, ... and the name stays in the label
    assert not any(line.strip().startswith("end") for line in text.splitlines())
    assert '"+1 (end): grad 3 + 3 = 6"' in text


@pytest.mark.parametrize("ascii", [True, False])
def test_terminal_shows_rich_markup_literally(ascii: bool) -> None:
    assert '"quote" <b>tag</b> [bold red]markup[/]' in terminal_text(hostile_picture(), ascii)
    r = bprop("graph", HOSTILE, "x=2")
    assert r.returncode == 0 and "a comment" not in r.stdout and "end = x + 1; end*end" in r.stdout


# -- the command ---------------------------------------------------------------------------------

def test_graph_command_draws_the_terminal_picture() -> None:
    r = bprop("graph", "(x+y)*z", "x=-2", "y=5", "z=-4")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout == (GOLDEN / "cs231n.txt").read_text()  # a pipe gets the plain drawing


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_graph_of_every_example_fits_80_columns(path: Path) -> None:
    r = bprop("graph", "-f", str(path), *example_values(path))
    assert r.returncode == 0, r.stderr
    assert max(map(len, r.stdout.splitlines())) <= 80


def test_graph_reads_programs_like_eval() -> None:
    by_stdin = bprop("graph", "-", "x=3", "--format", "mermaid", stdin="x*x+x")
    assert by_stdin.stdout == (GOLDEN / "fanout.mmd").read_text()
    minus = bprop("graph", "-x*x", "x=2", "--format", "dot")
    assert minus.returncode == 0 and '"*-1"' not in minus.stdout and "digraph bprop" in minus.stdout
    fmt_first = bprop("graph", "--format", "dot", "-x*x", "x=2")
    assert fmt_first.stdout == minus.stdout


def test_eval_graph_shows_the_picture_after_the_tables() -> None:
    r = bprop("eval", "x*x+x", "x=3", "--graph")
    assert r.returncode == 0
    tables, _, picture = r.stdout.partition("\nx*x+x\n")
    assert "Backward pass" in tables and "x: 3 + 3 + 1 = 7" in picture
    assert bprop("eval", "x", "x=1", "--graph", "--json").returncode == 2


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF-")])
def test_image_files(tmp_path: Path, suffix: str, magic: bytes) -> None:
    target = tmp_path / f"neuron{suffix}"
    r = bprop("graph", *_neuron_args(), "-o", str(target))
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stderr
    assert target.read_bytes().startswith(magic)


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_missing_graphviz_is_one_clear_message(tmp_path: Path, suffix: str) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    target = tmp_path / f"neuron{suffix}"
    r = bprop("graph", *_neuron_args(), "-o", str(target), env={"PATH": str(empty)})
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "needs the Graphviz program 'dot', which is not installed" in r.stderr
    assert "apt-get install graphviz" in r.stderr and "brew install graphviz" in r.stderr
    assert not target.exists()


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (("-o", "g.jpg"), 2, "cannot tell which picture"),
        (("--format", "mermaid", "-o", "g.dot"), 2, "does not match"),
        (("-o", "/nonexistent-dir/g.dot"), 1, "cannot write"),
        (("--format", "svg"), 2, "invalid value"),
    ],
)
def test_graph_output_errors(args: tuple[str, ...], code: int, fragment: str) -> None:
    r = bprop("graph", "x*y", "x=1", "y=2", *args)
    assert r.returncode == code and fragment in r.stderr and "Traceback" not in r.stderr


def test_large_graphs_are_summarised() -> None:
    chain = "\n".join(["x = sin(x) + x"] * 300)
    r = bprop("graph", "-", "x=0.5", stdin=chain)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) < 200 and max(map(len, lines)) <= 80
    assert "more nodes not drawn" in r.stdout and "continued below" in r.stdout
    full = bprop("graph", "-", "x=0.5", "--max-nodes", "0", "--format", "mermaid", stdin=chain)
    assert full.stdout.count("-->") == 3 * 300 + 1  # x -> sin, sin -> +, x -> + per line, and the result


def _neuron_args() -> tuple[str, ...]:
    program, values = SEEDS["neuron"]
    return (program, *(f"{k}={v}" for k, v in values.items()))


def test_readme_shows_the_real_terminal_picture() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Draw it", 1)[1]
    block = section.split("```text\n", 1)[1].split("\n```", 1)[0]
    assert block + "\n" == (GOLDEN / "cs231n.txt").read_text()


def test_every_handout_picture_may_be_a_pdf() -> None:
    """graph -o and train --plot both take .pdf, as they take .svg and .png."""
    from bprop_cli.errors import ValueBindingError
    from bprop_cli.views.loss_plot import check_plot_path
    from bprop_cli.views.pictures import SUFFIXES

    assert SUFFIXES[".pdf"] == "pdf"
    check_plot_path(Path("loss.pdf"))
    with pytest.raises(ValueBindingError):
        check_plot_path(Path("loss.jpg"))
