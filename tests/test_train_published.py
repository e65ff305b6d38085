"""bprop train --example: one name is one program in every command, and the published figures
are compared only with the publication's own run (one SGD step at lr 0.5 from Mazur's start
values); any other run keeps its numbers under truthful labels and says why the comparison is
left out. The losses are checked against Mazur's network written by hand in NumPy."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import bprop

W1 = np.array([[0.15, 0.2], [0.25, 0.3]])
W2 = np.array([[0.4, 0.45], [0.5, 0.55]])
B1, B2 = np.array([0.35, 0.35]), np.array([0.6, 0.6])
X, T = np.array([0.05, 0.1]), np.array([0.01, 0.99])


def mazur_losses(steps: int, lr: float, w1: np.ndarray = W1) -> list[float]:
    """Plain SGD on W1 and W2 (biases fixed) by hand: E = sum((t - y2)^2)/2, as in the post."""
    a, b = w1.copy(), W2.copy()
    losses = []
    for k in range(steps + 1):
        y1 = 1 / (1 + np.exp(-(a @ X + B1)))
        y2 = 1 / (1 + np.exp(-(b @ y1 + B2)))
        losses.append(float(np.sum((T - y2) ** 2) / 2))
        if k == steps:
            break
        d2 = (y2 - T) * y2 * (1 - y2)  # Mazur's delta for the output neurons
        d1 = (b.T @ d2) * y1 * (1 - y1)
        a, b = a - lr * np.outer(d1, X), b - lr * np.outer(d2, y1)
    return losses


def test_the_publications_run_is_compared() -> None:
    data = json.loads(bprop("train", "--example", "mazur", "--json").stdout)
    assert data["losses"] == pytest.approx(mazur_losses(1, 0.5), rel=1e-12)
    rows = {row["label"]: row for row in data["published"]}
    assert rows["total error before the step"]["published"] == 0.298371109
    assert rows["total error after one step"]["published"] == 0.291027924
    assert "published_left_out" not in data


@pytest.mark.parametrize("example", ["mazur", "mazur-scalar"])
def test_more_steps_are_labelled_truthfully_and_not_compared(example: str) -> None:
    r = bprop("train", "--example", example, "--steps", "3", "--no-chart")
    assert r.returncode == 0, r.stderr
    ours = mazur_losses(3, 0.5)
    assert "after one step" not in r.stdout and "0.291027924" not in r.stdout
    row = next(line for line in r.stdout.splitlines() if line.startswith("total error after 3 steps"))
    assert row.split()[-2:] == ["-", f"{ours[3]:.9g}"]
    first = next(line for line in r.stdout.splitlines() if line.startswith("total error before the first step"))
    assert first.split()[-2:] == ["0.298371109", f"{ours[0]:.9g}"]  # the same start: still compared
    assert ("* left out (-): the published figures are for 1 step of sgd at lr 0.5 from the\n"
            "published start values; this run: 3 steps") in r.stdout


def test_another_rate_and_start_leave_every_figure_out_in_json() -> None:
    data = json.loads(bprop("train", "--example", "mazur", "--lr", "0.1", "W1=[[0.2,0.2],[0.25,0.3]]",
                            "--json").stdout)
    w1 = np.array([[0.2, 0.2], [0.25, 0.3]])
    assert data["losses"] == pytest.approx(mazur_losses(1, 0.1, w1), rel=1e-12)
    assert [(row["label"], row["published"]) for row in data["published"]] == [
        ("total error before the step", None), ("total error after 1 step", None)]
    assert [row["bprop"] for row in data["published"]] == data["losses"]
    assert data["published_left_out"].endswith("this run: other start values, lr 0.1")


def test_the_same_values_typed_again_are_still_the_publications_run() -> None:
    data = json.loads(bprop("train", "--example", "mazur", "W1=[[0.15,0.2],[0.25,0.3]]", "--lr", "0.5",
                            "--steps", "1", "--json").stdout)
    assert "published_left_out" not in data and data["published"][1]["published"] == 0.291027924


def test_the_10000_step_run_cut_short_names_its_steps() -> None:
    r = bprop("train", "--example", "mazur-scalar-10000", "--steps", "20", "--no-chart", "--json")
    data = json.loads(r.stdout)
    assert data["losses"][-1] == pytest.approx(mazur_losses(20, 0.5)[-1], rel=1e-12)
    labels = [row["label"] for row in data["published"]]
    assert labels == ["total error after 20 steps", "output o1 after 20 steps", "output o2 after 20 steps"]
    assert all(row["published"] is None for row in data["published"])
    assert "10,000 steps of sgd" in data["published_left_out"]


# -- one name, one program --------------------------------------------------------------------

def test_mazur_is_the_matrix_network_in_eval_and_train() -> None:
    evaluated = json.loads(bprop("eval", "--example", "mazur", "--json").stdout)
    trained = json.loads(bprop("train", "--example", "mazur", "--json").stdout)
    assert set(trained["params"]) == {"W1", "W2"} and set(evaluated["inputs"]) >= {"W1", "W2"}
    assert trained["initial"]["W1"] == evaluated["inputs"]["W1"]
    assert trained["losses"][0] == evaluated["value"]
    scalar = json.loads(bprop("train", "--example", "mazur-scalar", "--json").stdout)
    assert set(scalar["params"]) == {f"w{i}" for i in range(1, 9)}
    assert scalar["losses"][0] == pytest.approx(json.loads(
        bprop("eval", "--example", "mazur-scalar", "--json").stdout)["value"], rel=1e-15)
    assert scalar["losses"] == pytest.approx(trained["losses"], rel=1e-12)


@pytest.mark.parametrize("old, new", [("mazur-matrix", "mazur"), ("mazur-10000", "mazur-scalar-10000")])
def test_the_old_names_still_work_with_a_note(old: str, new: str) -> None:
    r = bprop("train", "--example", old, "--steps", "2", "--json")
    assert r.returncode == 0
    assert r.stderr == f"note: the training example {old} is now called {new}\n"
    assert json.loads(r.stdout)["losses"] == json.loads(
        bprop("train", "--example", new, "--steps", "2", "--json").stdout)["losses"]


def test_the_listing_and_help_name_the_training_examples() -> None:
    listing = " ".join(bprop("examples").stdout.split())
    assert "(train it: bprop train --example mazur-scalar)" in listing
    helptext = " ".join(bprop("train", "--help").stdout.split())
    assert "mazur-scalar" in helptext and "mazur-matrix" not in helptext


def test_a_trained_matrix_lines_up_its_rows() -> None:
    lines = bprop("train", "--example", "mazur", "--no-chart").stdout.splitlines()
    at = next(k for k, line in enumerate(lines) if "[[0.15" in line and "[[0.149781" in line)  # the final table
    first, second = lines[at], lines[at + 1]
    # the second row of each matrix starts one column right of the first row's '[['
    assert second.index("[0.25") == first.index("[[0.15") + 1
    assert second.index("[0.249751") == first.index("[[0.149781") + 1
