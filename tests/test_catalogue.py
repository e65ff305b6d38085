"""The published examples users meet in courses: each states its source's numbers on a
`# published:` line, beside which bprop prints its own; they must agree to every digit the
source prints."""

from __future__ import annotations

import json
import re

import pytest
from conftest import bprop

from bprop_cli.cli.inputs import stated_values
from bprop_cli.engine.run import run
from bprop_cli.lang.catalog import examples

PUBLISHED = {name: e for name, e in examples().items() if "# published:" in e.program}


def published(program: str) -> list[tuple[str, str]]:
    line = next(x for x in program.splitlines() if x.startswith("# published:"))
    return [tuple(p.split(" = ")) for p in line.removeprefix("# published:").strip().split("; ")]  # type: ignore[misc]


def test_the_course_examples_are_there() -> None:
    assert {"micrograd-readme", "olah", "ng-computation-graph", "baydin", "ml-specialization-lab",
            "backprop-explainer"} <= set(PUBLISHED)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_bprop_agrees_with_the_published_numbers(name: str) -> None:
    example = PUBLISHED[name]
    values = dict(v.split("=", 1) for v in stated_values(example.program))
    trace = run(example.program, values)
    for what, number in published(example.program):
        digits = len(number.partition(".")[2])
        gradient = re.fullmatch(r"d\w+/d(\w+)", what)
        ours = trace.gradients[gradient[1]] if gradient else trace.value
        assert abs(ours - float(number)) <= 0.5 * 10 ** -digits + 1e-12, (what, ours, number)


def test_the_backprop_explainers_update_step_is_the_published_one() -> None:
    """The Backprop Explainer's concrete example also prints one gradient-descent step (lr 0.01)
    and the loss after it: bprop train takes that step from the example's own '# at:' line."""
    example = PUBLISHED["backprop-explainer"]
    line = next(x for x in example.program.splitlines() if x.startswith("# published after one step of lr = 0.01:"))
    after = dict(p.split(" = ") for p in line.partition(":")[2].strip().split("; "))
    r = bprop("train", "-f", "bprop_cli/examples/backprop_explainer.bp", *example.values,
              "--params", "w,b", "--lr", "0.01", "--steps", "1", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    for name in ("w", "b"):
        digits = len(after[name].partition(".")[2])
        assert abs(data["params"][name] - float(after[name])) <= 0.5 * 10 ** -digits + 1e-12, name
    assert data["losses"][0] == pytest.approx(3.61)  # the article's "3.61 - 2.87 = 0.74"
    assert abs(data["losses"][1] - float(after["loss"])) <= 0.005


def test_the_published_line_is_shown_beside_bprops_numbers() -> None:
    r = bprop("eval", "--example", "olah")
    assert "# published: e = 6; de/da = 2; de/db = 5" in r.stdout
    assert re.search(r"^b\s+1\s+5$", r.stdout, re.M)  # bprop's de/db in the gradient table
