"""Views of array traces: --format plain/markdown/csv/tsv, --grad of an array input, the layer
narration of `explain` (its deltas checked against NumPy written out by hand), and `graph`
drawing a matrix as one node with its shape."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from conftest import bprop

from bprop_cli.engine.run import run
from bprop_cli.views.delimited import render_delimited
from bprop_cli.views.plain import render_plain

MAZUR = {"W1": "[[0.15,0.2],[0.25,0.3]]", "b1": "[0.35,0.35]", "W2": "[[0.4,0.45],[0.5,0.55]]",
         "b2": "[0.6,0.6]", "x": "[0.05,0.1]", "t": "[0.01,0.99]"}
MAZUR_PROGRAM = "z1 = W1 @ x + b1; y1 = sigmoid(z1); z2 = W2 @ y1 + b2; y2 = sigmoid(z2); E = sum((t - y2)^2)/2"
EXAMPLES = ("mazur", "two-layer-relu", "logistic-batch")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def mazur_by_hand() -> dict[str, np.ndarray]:
    """Mazur's network forward and backward in NumPy, written out from the published equations."""
    W1, b1 = np.array([[0.15, 0.2], [0.25, 0.3]]), np.array([0.35, 0.35])
    W2, b2 = np.array([[0.4, 0.45], [0.5, 0.55]]), np.array([0.6, 0.6])
    x, t = np.array([0.05, 0.1]), np.array([0.01, 0.99])
    y1 = sigmoid(W1 @ x + b1)
    y2 = sigmoid(W2 @ y1 + b2)
    delta2 = (y2 - t) * y2 * (1 - y2)  # Mazur's δ of the output layer, dE/dz2 (the appendix's Δσ2)
    delta1 = (W2.T @ delta2) * y1 * (1 - y1)  # of the hidden layer, dE/dz1 (Δσ1)
    return {"y1": y1, "y2": y2, "delta2": delta2, "delta1": delta1, "dW2": np.outer(delta2, y1),
            "dW1": np.outer(delta1, x), "x": x}


# -- line formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("fmt", ["plain", "markdown", "csv", "tsv", "table", "json"])
def test_every_format_of_every_array_example_runs(example: str, fmt: str) -> None:
    r = bprop("eval", "--example", example, "--format", fmt)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "array(" not in r.stdout and "None" not in r.stdout and "Traceback" not in r.stdout


def test_plain_writes_arrays_as_json_lists_at_full_precision() -> None:
    trace = run(MAZUR_PROGRAM, MAZUR)
    lines = [line.split("\t") for line in render_plain(trace)]
    grads = {cells[1]: json.loads(cells[2]) for cells in lines if cells[0] == "grad"}
    np.testing.assert_array_equal(grads["W2"], trace.gradients["W2"])  # exactly, not to 6 digits
    np.testing.assert_allclose(grads["W2"], mazur_by_hand()["dW2"], rtol=1e-12)
    shapes = {cells[1]: cells[2] for cells in lines if cells[0] == "shape"}
    assert shapes["W1"] == "2x2" and shapes["x"] == "2" and "E" not in shapes
    steps = [cells for cells in lines if cells[0] == "step"]
    assert all(len(cells) == 7 for cells in steps)
    w2 = next(cells for cells in steps if cells[2] == "W2")
    assert w2[4] == "upstream @ transpose(y1)"  # the rule stands where a scalar step has its local


def test_plain_reports_the_broadcast_note() -> None:
    r = bprop("eval", "--example", "logistic-batch", "--format", "plain")
    notes = [line.split("\t") for line in r.stdout.splitlines() if line.startswith("broadcast\t")]
    assert notes and notes[0][2] == "b" and "sums" in notes[0][3]


@pytest.mark.parametrize("sep", [",", "\t"])
def test_csv_has_a_shape_column_and_json_list_cells(sep: str) -> None:
    trace = run(MAZUR_PROGRAM, MAZUR)
    rows = list(csv.DictReader(io.StringIO(render_delimited(trace, sep)), delimiter=sep))
    assert len(rows) == len(trace.nodes)
    by_id = {row["id"]: row for row in rows}
    assert by_id["W1"]["shape"] == "2x2" and by_id["E"]["shape"] == ""
    np.testing.assert_allclose(json.loads(by_id["W1"]["grad"]), mazur_by_hand()["dW1"], rtol=1e-12)
    assert float(by_id["E"]["value"]) == trace.value


def test_scalar_csv_is_unchanged_by_the_array_columns() -> None:
    text = render_delimited(run("(x+y)*z", {"x": -2, "y": 5, "z": -4}), ",")
    assert text.splitlines()[0] == "id,op,inputs,value,grad,expression,note"


def test_markdown_of_an_array_trace_has_shapes_and_rules() -> None:
    r = bprop("eval", "--example", "mazur", "--format", "markdown")
    assert r.returncode == 0, r.stderr
    assert "| `W1` | input | 2x2 | [[0.15, 0.2], [0.25, 0.3]] |" in r.stdout
    assert "`dE/dW2 = dE/dv2 @ transpose(y1)`" in r.stdout
    for block in r.stdout.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("| ")]
        assert len({len(line.replace("\\|", "").split("|")) for line in rows}) <= 1, block


def test_grad_of_an_array_input_prints_a_json_list() -> None:
    r = bprop("eval", "--example", "mazur", "--grad", "W1")
    assert r.returncode == 0, r.stderr
    np.testing.assert_allclose(json.loads(r.stdout), mazur_by_hand()["dW1"], rtol=1e-12)
    r = bprop("eval", "--example", "mazur", "--grad", "z2")  # an intermediate node: the output delta
    np.testing.assert_allclose(json.loads(r.stdout), mazur_by_hand()["delta2"], rtol=1e-12)


# -- explain: layers and deltas --------------------------------------------------------------------

import re  # noqa: E402

from bprop_cli.tutor.layers import find_layers, squared_error  # noqa: E402
from bprop_cli.tutor.narration import narrate  # noqa: E402
from bprop_cli.views.story import story_plain  # noqa: E402

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def layer_rows(trace) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every row of the layer steps of the narration, by label ('Δσ2 = dE/dz2': 'Δ3 ⊙ ... = [...]')."""
    rows = {}
    for block in narrate(trace):
        if block.kind == "step" and block.text.startswith("Layer ") and "backwards" in block.text:
            rows.update(dict(block.rows))
    return rows


def numbers_after_equals(formula: str) -> np.ndarray:
    """The entries of the array a row ends with: everything after its last ' = '."""
    return np.array([float(x) for x in NUMBER.findall(formula.rsplit(" = ", 1)[-1])])


def test_mazur_output_delta_is_named_and_equals_the_hand_computed_one() -> None:
    by_hand = mazur_by_hand()
    trace = run(MAZUR_PROGRAM, MAZUR)
    text = story_plain(narrate(trace))
    flat = " ".join(text.split())
    assert "Δσ2 = dE/dz2, Mazur's δ for the output neurons: (y2 - t) ⊙ y2 ⊙ (1 - y2)." in flat
    assert "Δσ1 = dE/dz1, Mazur's δ for layer 1's neurons, made from layer 2's: (transpose(W2) @ Δσ2) ⊙ y1 ⊙ (1 - y1)." in flat
    rows = layer_rows(trace)
    np.testing.assert_allclose(numbers_after_equals(rows["Δσ2 = dE/dz2"]), by_hand["delta2"], rtol=1e-5)
    np.testing.assert_allclose(numbers_after_equals(rows["Δσ1 = dE/dz1"]), by_hand["delta1"], rtol=1e-5)
    np.testing.assert_allclose(numbers_after_equals(rows["dE/dW2"]), by_hand["dW2"].ravel(), rtol=1e-5)
    np.testing.assert_allclose(numbers_after_equals(rows["dE/dW1"]), by_hand["dW1"].ravel(), rtol=1e-5)
    np.testing.assert_allclose(numbers_after_equals(rows["dE/db2"]), by_hand["delta2"], rtol=1e-5)
    np.testing.assert_allclose(numbers_after_equals(rows["Δ2 = dE/dy1"]),
                               np.array([[0.4, 0.45], [0.5, 0.55]]).T @ by_hand["delta2"], rtol=1e-5)
    # the output delta's formula, evaluated independently, is the number the narration shows
    y2, t = by_hand["y2"], np.array([0.01, 0.99])
    np.testing.assert_allclose(numbers_after_equals(rows["Δσ2 = dE/dz2"]), (y2 - t) * y2 * (1 - y2), rtol=1e-5)
    assert rows["Δσ2 = dE/dz2"].startswith("Δ3 ⊙ y2 ⊙ (1 - y2) = ")
    assert rows["dE/dW2"].startswith("Δσ2 @ transpose(y1) = ")


def test_layers_are_found_from_structure_not_names() -> None:
    """The same network with every name changed (and the bias written first) reads the same."""
    program = "a = k + P @ q; c = sigmoid(a); d = R @ c + m; g = sigmoid(d); loss = sum((g - u)^2)/2"
    values = {"P": MAZUR["W1"], "q": MAZUR["x"], "k": MAZUR["b1"], "R": MAZUR["W2"], "m": MAZUR["b2"],
              "u": MAZUR["t"]}
    trace = run(program, values)
    layers = find_layers(trace)
    assert [(layer.z, layer.bias, layer.activation, layer.input, layer.last) for layer in layers] == [
        ("a", "k", "c", None, False), ("d", "m", "g", "c", True)]
    assert squared_error(trace, "g") == ("u", "g - u")
    rows = layer_rows(trace)
    np.testing.assert_allclose(numbers_after_equals(rows["Δσ2 = dloss/dd"]), mazur_by_hand()["delta2"], rtol=1e-5)
    assert "Δσ2 = dloss/dd, Mazur's δ for the output neurons" in " ".join(story_plain(narrate(trace)).split())


@pytest.mark.parametrize("program, target, formula", [
    ("y = sigmoid(W @ x + b); L = sum((y - t)^2)", "t", "2(y - t)"),
    ("y = sigmoid(W @ x + b); L = mean((t - y)^2)", "t", "2(y - t)/2"),
    ("y = tanh(W @ x + b); L = mse(y, t)", "t", "2(y - t)/2"),
    ("y = sigmoid(W @ x + b); L = sum((t - y)^2)/2", "t", "y - t"),
])
def test_the_loss_gradient_is_recognised_and_checked(program: str, target: str, formula: str) -> None:
    values = {"W": "[[0.3,-0.2],[0.1,0.4]]", "x": "[1,2]", "b": "[0.1,-0.1]", "t": "[0.2,0.7]"}
    trace = run(program, values)
    assert squared_error(trace, "y") == (target, formula)
    y, t = trace.node("y").value, np.array([0.2, 0.7])
    scale = {"y - t": 1, "2(y - t)": 2, "2(y - t)/2": 1}[formula]
    np.testing.assert_allclose(trace.node("y").grad, scale * (y - t), rtol=1e-12)  # the claim, independently


def test_a_loss_that_is_not_a_squared_error_is_not_given_one() -> None:
    trace = run("y = sigmoid(W @ x + b); L = sum(y * t)", {"W": "[[1,2],[3,4]]", "x": "[1,-1]", "b": "[0,0]",
                                                        "t": "[1,2]"})
    assert squared_error(trace, "y") is None
    flat = " ".join(story_plain(narrate(trace)).split())
    assert "Δσ1 = dL/dv2, Mazur's δ for the output neurons" in flat and "dL/dy ⊙ y ⊙ (1 - y)" in flat


def test_tanh_and_relu_layers_use_their_own_derivative() -> None:
    trace = run("h = relu(W1 @ x + b1); y = tanh(W2 @ h + b2); L = sum((y - t)^2)/2",
                {"W1": "[[1,-1],[0.5,2]]", "x": "[0.5,0.25]", "b1": "[0,-1]", "W2": "[[0.3,0.2],[-0.1,0.4]]",
                 "b2": "[0.1,0.1]", "t": "[0.5,-0.5]"})
    W1, x, b1 = np.array([[1, -1], [0.5, 2]]), np.array([0.5, 0.25]), np.array([0, -1])
    W2, b2, t = np.array([[0.3, 0.2], [-0.1, 0.4]]), np.array([0.1, 0.1]), np.array([0.5, -0.5])
    z1 = W1 @ x + b1
    h = np.maximum(z1, 0)
    y = np.tanh(W2 @ h + b2)
    delta2 = (y - t) * (1 - y ** 2)
    delta1 = (W2.T @ delta2) * (z1 > 0)
    rows = layer_rows(trace)
    assert rows["Δσ2 = dL/dv4"].startswith("Δ3 ⊙ (1 - y^2) = ")
    np.testing.assert_allclose(numbers_after_equals(rows["Δσ2 = dL/dv4"]), delta2, rtol=1e-5)
    np.testing.assert_allclose(numbers_after_equals(rows["Δσ1 = dL/dv2"]), delta1, rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize("sizes", [(3, 1), (2, 3, 2), (4, 3, 3, 2)])
def test_deltas_of_deeper_sigmoid_networks_follow_the_appendix_recursion(sizes: tuple[int, ...]) -> None:
    """Δσ_L = (y - t) ⊙ σ'(z_L); Δσ_i = (W_(i+1)ᵀ Δσ_(i+1)) ⊙ σ'(z_i): NumPy by hand vs the narration."""
    rng = np.random.default_rng(sum(sizes))
    Ws = [rng.normal(size=(m, n)).round(3) for n, m in zip(sizes, sizes[1:])]
    bs = [rng.normal(size=m).round(3) for m in sizes[1:]]
    x, t = rng.normal(size=sizes[0]).round(3), rng.uniform(size=sizes[-1]).round(3)
    lines, values, prev = [], {"x": x.tolist(), "t": t.tolist()}, "x"
    for i, (W, b) in enumerate(zip(Ws, bs), 1):
        lines.append(f"z{i} = W{i} @ {prev} + b{i}; y{i} = sigmoid(z{i})")
        values[f"W{i}"], values[f"b{i}"], prev = W.tolist(), b.tolist(), f"y{i}"
    lines.append(f"E = sum((t - {prev})^2)/2")
    trace = run("; ".join(lines), {k: json.dumps(v) for k, v in values.items()})
    ys, zs = [x], []
    for W, b in zip(Ws, bs):
        zs.append(W @ ys[-1] + b)
        ys.append(sigmoid(zs[-1]))
    deltas = [(ys[-1] - t) * ys[-1] * (1 - ys[-1])]
    for k in range(len(Ws) - 1, 0, -1):
        deltas.insert(0, (Ws[k].T @ deltas[0]) * ys[k] * (1 - ys[k]))
    rows = layer_rows(trace)
    assert len(find_layers(trace)) == len(Ws)
    for i, delta in enumerate(deltas, 1):
        np.testing.assert_allclose(numbers_after_equals(rows[f"Δσ{i} = dE/dz{i}"]), delta, rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(numbers_after_equals(rows[f"dE/dW{i}"]), np.outer(delta, ys[i - 1]).ravel(),
                                   rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("program, values", [
    ("f = sum(W @ x)", {"W": "[[1,2],[3,4]]", "x": "[1,2]"}),  # a product with no bias and no activation
    ("f = sum(sigmoid(W * x))", {"W": "[[1,2],[3,4]]", "x": "[1,2]"}),  # no matrix product at all
])
def test_programs_without_layers_get_the_gate_by_gate_narration(program: str, values: dict[str, str]) -> None:
    trace = run(program, values)
    assert find_layers(trace) == []
    text = story_plain(narrate(trace))
    assert "Layer " not in text and "Δ" not in text and "is a matmul gate" in text or "is a mul gate" in text


def test_layer_narration_fits_80_columns_and_big_arrays_are_summarised() -> None:
    rng = np.random.default_rng(0)
    values = {"W1": json.dumps(rng.normal(size=(20, 30)).round(2).tolist()), "x": json.dumps([0.1] * 30),
              "b1": json.dumps([0.0] * 20), "W2": json.dumps(rng.normal(size=(3, 20)).round(2).tolist()),
              "t": "[0,1,0]"}
    trace = run("h = relu(W1 @ x + b1); y = sigmoid(W2 @ h); E = sum((y - t)^2)/2", values)
    text = story_plain(narrate(trace))
    assert max(map(len, text.splitlines())) <= 80
    assert "..." in text and "Layer 2, the output layer, backwards" in text
    assert len(text.splitlines()) < 200


# -- the array table ---------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
def test_array_tables_keep_every_column_and_entry_at_80_columns(example: str) -> None:
    r = bprop("eval", "--example", example)
    lines = r.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert "…" not in r.stdout  # no entry cut short
    assert any(line.startswith("node ") and "computes" in line and "shape" in line for line in lines)
    assert not any(line.startswith("# at:") for line in lines)  # the values are in the table already


def test_matrix_entries_stand_on_the_decimal_point() -> None:
    from bprop_cli.text import grid

    lines = grid(np.array([[1.5, -0.25], [-10.125, 3.0]])).splitlines()
    assert lines == ["[[  1.5    -0.25]", " [-10.125   3   ]]"]
    points = {line.index(".") for line in lines}
    assert len(points) == 1  # first column: the points stand under each other


def test_a_wide_matrix_drops_columns_to_fit_a_width() -> None:
    from bprop_cli.text import grid

    wide = np.full((3, 40), -0.0123456)
    assert max(map(len, grid(wide).splitlines())) > 64
    narrow = grid(wide, width=64)
    assert max(map(len, narrow.splitlines())) <= 64 and "..." in narrow


# -- graph: a matrix is one node with its shape ------------------------------------------------------

import shutil  # noqa: E402
import subprocess  # noqa: E402

from bprop_cli.text import num  # noqa: E402
from bprop_cli.views.dot import render_dot  # noqa: E402
from bprop_cli.views.mermaid import render_mermaid  # noqa: E402
from bprop_cli.views.picture import build_picture  # noqa: E402


def run_example(name: str):  # type: ignore[no-untyped-def]
    from bprop_cli.engine.values import parse_assignments
    from bprop_cli.lang.catalog import example

    chosen = example(name)
    return run(chosen.program, parse_assignments(chosen.values))


def big_trace():  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    return run("h = relu(W1 @ x + b1); E = sum(h)", {"W1": rng.normal(size=(20, 30)), "x": rng.normal(size=30),
                                                     "b1": np.zeros(20)})


def test_terminal_graph_draws_each_array_once_with_its_shape() -> None:
    r = bprop("graph", "--example", "mazur")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert "inputs: W1 2x2, x 2, b1 2, W2 2x2, b2 2, t 2" in lines
    assert sum("[W1 2x2]" in line for line in lines) == 1 and any("(@) v2 2" in line for line in lines)
    t_line = next(line for line in lines if "[t 2]" in line)
    assert "[0.01, 0.99] | [-0.741365, 0.217072]" in t_line  # a small array written out on its wire


def test_terminal_graph_shows_a_big_array_as_its_shape() -> None:
    from rich.console import Console

    from bprop_cli.views.tree import render_graph

    console = Console(width=80, record=True, color_system=None)
    console.print(render_graph(build_picture(big_trace()), ascii=True))
    text = console.export_text()
    assert "[W1 20x30]" in text and "[20x30 matrix] | [20x30 matrix]" in text and "[30-vector]" in text
    assert max(map(len, text.splitlines())) <= 80


def test_dot_and_mermaid_show_shapes_on_nodes_and_wires() -> None:
    pic = build_picture(run(MAZUR_PROGRAM, MAZUR))
    dot = render_dot(pic)
    w1 = next(line for line in dot.splitlines() if line.strip().startswith('"W1" ['))
    assert '<b>W1</b><br/><font point-size="10" color="#555555">2x2</font>' in w1
    wire = next(line for line in dot.splitlines() if line.strip().startswith('"W1" -> "v1"'))
    assert ">2x2</font><br/>" in wire and "&#91;0.15, 0.2&#93;<br/>&#91;0.25, 0.3&#93;" in wire  # one row a line
    by_hand = mazur_by_hand()["dW1"]
    assert all(num(float(v)) in wire for v in by_hand.ravel())  # the gradient, entry by entry
    mermaid = render_mermaid(pic)
    assert 'n0["W1 2x2"]' in mermaid and '"@ (v1 2)"' in mermaid
    assert '"[[0.15, 0.2], [0.25, 0.3]]"' in mermaid
    big = render_dot(build_picture(big_trace()))
    wire = next(line for line in big.splitlines() if line.strip().startswith('"W1" -> "v1"'))
    assert wire.count("&#91;20x30 matrix&#93;") == 2 and not re.search(r"\d\.\d", wire)  # no entries written


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("example", EXAMPLES)
def test_array_pictures_render_as_svg_and_png(example: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for suffix in ("svg", "png"):
        out = tmp_path / f"net.{suffix}"
        r = bprop("graph", "--example", example, "-o", str(out))
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert out.stat().st_size > 1000
    svg = (tmp_path / "net.svg").read_text()
    shapes = {"x".join(map(str, np.shape(v))) for v in run_example(example).inputs.values() if np.ndim(v)}
    assert shapes and all(f">{size}<" in svg for size in shapes)  # every input's shape is drawn
    dot = render_dot(build_picture(big_trace()))
    done = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr


def test_graph_and_explain_take_a_values_file() -> None:
    for command in ("graph", "explain"):
        r = bprop(command, "-f", "examples/mazur.bp", "--values", "examples/mazur.json")
        assert r.returncode == 0, r.stderr
        assert "W1" in r.stdout and "2x2" in r.stdout


@pytest.mark.parametrize("example", EXAMPLES)
def test_colour_narration_keeps_matrix_rows_whole_at_80_columns(example: str) -> None:
    from rich.console import Console

    from bprop_cli.views.story import story_rich

    console = Console(width=80, record=True, color_system=None, force_terminal=True)
    console.print(story_rich(narrate(run_example(example))))
    lines = console.export_text().splitlines()
    assert max(map(len, lines)) <= 80
    for grad in run_example(example).gradients.values():
        if np.ndim(grad) == 2:  # every row of every gradient matrix on one line of its own
            from bprop_cli.text import grid

            for row in grid(grad).splitlines():
                assert any(row.strip() in line for line in lines), row


def test_scalarized_narration_substitutes_the_entries_values() -> None:
    r = bprop("explain", "--example", "mazur", "--scalarize")
    assert r.returncode == 0, r.stderr
    assert "v1 = W1[0][0] * x[0] = 0.15 * 0.05 = 0.0075" in r.stdout


@pytest.mark.parametrize("columns, side_by_side", [("80", False), ("140", True)])
def test_array_tables_choose_their_layout_from_the_width(columns: str, side_by_side: bool) -> None:
    r = bprop("eval", "--example", "mazur", env={"COLUMNS": columns})
    lines = r.stdout.splitlines()
    assert max(map(len, lines)) <= int(columns)
    header = next(line for line in lines if line.startswith("gate "))
    assert ("product under it" not in header) == side_by_side
    w2 = next(i for i, line in enumerate(lines) if line.startswith("v2 = W2 @ y1"))
    first_row = "[[ 0.082167    0.0826676]"
    assert (first_row in lines[w2]) == side_by_side and first_row in lines[w2] + lines[w2 + 1]


@pytest.mark.parametrize("program, values", [
    ("z1 = W1 @ x + b1; y1 = sigmoid(z1); z2 = W2 @ y1 + b2; y2 = sigmoid(z2); E = sum((t - y2)^2)/2",
     {"W1": [[0.15, 0.2], [0.25, 0.3]], "b1": [0.35, 0.35], "W2": [[0.4, 0.45], [0.5, 0.55]], "b2": [0.6, 0.6],
      "x": [0.05, 0.1], "t": [0.01, 0.99]}),
    ("h = relu(X @ W + b); sum(h * h) + sum(W)", {"X": np.linspace(-1, 1, 40 * 30).reshape(40, 30).tolist(),
                                                  "W": np.linspace(-2, 1, 30 * 20).reshape(30, 20).tolist(),
                                                  "b": 0.5}),
])
def test_array_json_is_to_dict_with_each_array_on_one_line(program: str, values: dict) -> None:
    """The array JSON writer encodes each array once and lays it on one line; what it writes
    must still parse back to exactly Trace.to_dict() (the reference, through json.dumps)."""
    from bprop_cli.views.json import render_json

    trace = run(program, values)
    text = render_json(trace)
    assert json.loads(text) == json.loads(json.dumps(trace.to_dict()))
    assert len(text.splitlines()) <= 20 + len(trace.nodes) + len(trace.backward) + 3 * len(values)
