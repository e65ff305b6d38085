"""The tables of --check, symbolic, --exact and --latex, as a user sees them in an 80-column
terminal without colour (golden files; regenerate with BPROP_REGOLD=1 after a deliberate change)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import bprop

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "check_cs231n": ("(x+y)*z", "x=-2", "y=5", "z=-4", "--check"),
    "check_kink": ("relu(x) + 2*x", "x=0", "--check"),
    "symbolic_cs231n": ("(x+y)*z",),
    "symbolic_partial": ("x*y + z", "x=1/2", "--symbolic"),
    "exact_issue": ("x/3 + y^2", "x=1", "y=1/2", "--exact"),
    "exact_sigmoid": ("sigmoid(w*x+b)", "w=2", "x=1", "b=-1", "--exact"),
    "latex_sigmoid": ("sigmoid(w*x+b)", "--latex"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    r = bprop("eval", *CASES[name])
    assert r.returncode == 0, r.stderr
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("BPROP_REGOLD"):
        path.write_text(r.stdout)
    assert r.stdout == path.read_text()
    if not name.startswith("latex"):
        assert max(map(len, r.stdout.splitlines())) <= 80
        assert "\x1b[" not in r.stdout  # NO_COLOR: no escape codes


def test_readme_shows_the_real_check_table() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("Check: each gradient", 1)[1].split("```", 1)[0]
    out = bprop("eval", "(x+y)*z", "x=-2", "y=5", "z=-4", "--check").stdout
    real = out.split("Check: each gradient", 1)[1]
    shown = [line.rstrip() for line in block.strip("\n").splitlines()]
    assert [line.rstrip() for line in real.splitlines()[: len(shown)]] == shown
