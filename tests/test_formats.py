"""Markdown, CSV and TSV output, --grad NAME and --values FILE.json."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import bprop

from bprop_cli.engine.run import run
from bprop_cli.views.delimited import render_delimited
from bprop_cli.views.markdown import cell, fence, render_markdown

CS231N = ("(x+y)*z", "x=-2", "y=5", "z=-4")
GOLDEN = Path(__file__).resolve().parent / "data" / "golden"


def test_markdown_golden() -> None:
    r = bprop("eval", *CS231N, "--format", "markdown")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout == (GOLDEN / "cs231n.md").read_text()


def test_markdown_tables_have_one_cell_per_column() -> None:
    text = render_markdown(run("f = max(x, y) # a|b `c`", {"x": 1, "y": 1}))
    for block in text.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("| ")]
        widths = {len(line.replace("\\|", "").split("|")) for line in rows}
        assert len(widths) <= 1, block
    assert "```text" in text and "a|b `c`" in text  # the program is shown verbatim in a code block
    assert "\\*" in text  # the tie of max is marked


def test_markdown_escaping() -> None:
    assert cell("a|b\\c\nd") == "a\\|b\\\\c d"
    assert fence("x ```` y")[0] == "`````text"


def test_csv_one_row_per_node() -> None:
    r = bprop("eval", *CS231N, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["id"] for row in rows] == ["x", "y", "v1", "z", "f"]
    assert {row["id"]: float(row["grad"]) for row in rows} == {"x": -4, "y": -4, "v1": -4, "z": 3, "f": 1}
    assert rows[2]["inputs"] == "x y" and rows[2]["expression"] == "x + y"


def test_tsv_matches_csv() -> None:
    trace = run("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4})
    assert render_delimited(trace, "\t").replace("\t", ",") == render_delimited(trace, ",")


@pytest.mark.parametrize("name, number", [("x", "-4.0"), ("z", "3.0"), ("v1", "-4.0")])
def test_grad_prints_just_the_number(name: str, number: str) -> None:
    r = bprop("eval", *CS231N, "--grad", name)
    assert (r.returncode, r.stdout, r.stderr) == (0, number + "\n", "")


def test_grad_of_an_unknown_name() -> None:
    r = bprop("eval", *CS231N, "--grad", "zz")
    assert r.returncode == 2 and r.stdout == ""
    assert "no input or node called zz" in r.stderr and "did you mean z?" in r.stderr


def test_values_file(tmp_path: Path) -> None:
    values = tmp_path / "inputs.json"
    values.write_text(json.dumps({"x": -2, "y": "10/2", "z": 7}))
    r = bprop("eval", "(x+y)*z", "--values", str(values), "z=-4", "--json")  # an argument wins over the file
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["inputs"] == {"x": -2.0, "y": 5.0, "z": -4.0} and data["gradients"]["z"] == 3.0


@pytest.mark.parametrize(
    "content, fragment",
    [
        ('{"x": NaN}', "not valid JSON"),
        ("[1, 2]", "must hold one JSON object"),
        ('{"x": true}', "must be a number or a string"),
        ('{"x": 1e999}', "the value of x is too large for double precision"),
        ('{"x": "3cm"}', "has a unit"),
        ("{", "not valid JSON"),
    ],
)
def test_bad_values_file(tmp_path: Path, content: str, fragment: str) -> None:
    values = tmp_path / "v.json"
    values.write_text(content)
    r = bprop("eval", "x", "--values", str(values))
    assert r.returncode == 2 and fragment in r.stderr and "Traceback" not in r.stderr


def test_missing_values_file() -> None:
    r = bprop("eval", "x", "--values", "no/such/file.json")
    assert r.returncode == 2 and "cannot read the values file" in r.stderr


def test_progress_bar_leaves_stdout_alone(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console

    from bprop_cli.views import progress_bar as progress

    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    shown = io.StringIO()
    with progress.progress_bar(100, Console(file=shown, force_terminal=True, width=60)) as update:
        update(10, 1)
        print("1,-2.0")  # a batch row: must reach stdout, not the bar's console
    assert capsys.readouterr().out == "1,-2.0\n"
    assert "rows 1" in shown.getvalue()


@pytest.mark.parametrize("example, override", [("cs231n", "x=1"), ("mazur-scalar", "w1=0.3"), ("mazur", "x=[1,2]")])
def test_markdown_shows_only_the_values_it_used(example: str, override: str) -> None:
    """An example's '# at: ...' line holds its own values, not those given on the command line: the
    handout must not show both (the values used are those of --json)."""
    md = bprop("eval", "--example", example, override, "--format", "markdown").stdout
    used = json.loads(bprop("eval", "--example", example, override, "--json").stdout)["inputs"]
    assert "# at:" not in md
    name, _, value = override.partition("=")
    if "[" not in value:
        assert f"`{name}` = {used[name]:g}" in md
    else:  # arrays: the forward table's row of the input
        assert f"| `{name}` | input | 2 | {', '.join(f'{v:g}' for v in used[name]).join('[]')} |" in md


def test_markdown_array_rows_write_the_chain_rule_out() -> None:
    """A scalar gate in an array program: 'df/dv1 = df/dv * dv/dv1 = upstream × local', whose
    product is the row's product and whose numbers are the trace's (from --json)."""
    args = ("eval", "v = sum(x)*3; f = v/2 + 1", "x=[1,2]")
    md = bprop(*args, "--format", "markdown").stdout
    steps = json.loads(bprop(*args, "--json").stdout)["backward"]
    scalar = [s for s in steps if "local" in s]
    rows = [line for line in md.splitlines() if " × " in line]
    assert len(rows) == len(scalar)
    for s, row in zip(scalar, rows):
        gate, rule, product = [c.strip() for c in row.strip("|").split(" | ")]
        assert rule.startswith(f"`df/d{s['input']} = df/d{s['node']} * d{s['node']}/d{s['input']}` = ")
        upstream, local = (float(x) for x in rule.rsplit(" = ", 1)[1].split(" × "))
        assert (upstream, local, float(product)) == pytest.approx((s["upstream"], s["local"], s["product"]))


def test_latex_gives_the_decimal_beside_an_exact_number() -> None:
    """--latex at given values: every exact gradient that is not an integer is followed by its
    decimal, and that decimal is the float trace's gradient (from --json)."""
    import re

    args = ("eval", "sigmoid(w*x) + x/3", "w=2", "x=-1")
    tex = bprop(*args, "--latex").stdout
    grads = json.loads(bprop(*args, "--json").stdout)["gradients"]
    block = tex.split("% gradients")[1]
    shown = dict(re.findall(r"\\partial (\w+)\} &= .*? \\approx (-?[\d.e-]+) \\\\", block))
    assert shown.keys() == grads.keys()
    assert {k: float(v) for k, v in shown.items()} == pytest.approx(grads, rel=1e-5)
    assert r"v_{1} &= w x = -2 \\" in tex  # an integer needs no decimal
