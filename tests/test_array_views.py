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

from bprop_cli import run
from bprop_cli.render.delimited import render_delimited
from bprop_cli.render.plain import render_plain

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
    delta2 = (y2 - t) * y2 * (1 - y2)  # the output layer's delta, dE/dz2
    delta1 = (W2.T @ delta2) * y1 * (1 - y1)  # the hidden layer's, dE/dz1
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
