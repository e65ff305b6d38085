"""The README is for users: its set-up lines are the ones that work, and every command in
every other `sh` block runs, as typed, with exit 0 (through a `bprop` on the PATH that runs
this checkout)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```sh\n(.*?)\n```", README, re.S)
SETUP = 'python3 -m venv .venv && . .venv/bin/activate && pip install . && bprop eval "(x+y)*z" x=-2 y=5 z=-4'
TESTS = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"


def test_the_set_up_lines_come_first_and_leave_bprop_runnable() -> None:
    assert BLOCKS[0] == SETUP  # activates the environment, so `bprop` runs right after
    assert BLOCKS[1] == TESTS
    assert TESTS in (ROOT / ".ci" / "run").read_text()  # the same command CI runs
    assert README.index("## Set up") < README.index("## A tour") < README.index("## Usage by task")


def test_the_tour_goes_eval_explain_graph() -> None:
    tour = BLOCKS[2].splitlines()
    assert [line.split()[1] for line in tour[:3]] == ["eval", "explain", "graph"]


def _commands() -> list[str]:
    lines = []
    for block in BLOCKS[2:]:
        for line in block.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                lines.append(line)
    return lines


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("readme")
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "bprop"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m bprop_cli "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    (tmp / "program.bp").write_text("# at: x=-2 y=5 z=-4\n(x+y)*z\n")
    (tmp / "inputs.json").write_text('{"x": -2, "y": "10/2", "z": -4}\n')
    (tmp / "points.csv").write_text("x,y,z\n-2,5,-4\n1,2,3\n")
    return tmp


@pytest.mark.parametrize("line", _commands())
def test_every_readme_command_runs(line: str, workdir) -> None:  # type: ignore[no-untyped-def]
    if re.search(r"-o \S+\.(svg|png)", line) and shutil.which("dot") is None:
        pytest.skip("needs Graphviz's dot")
    env = {**os.environ, "PATH": f"{workdir / 'bin'}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1",
           "COLUMNS": "80"}
    env.pop("FORCE_COLOR", None)
    r = subprocess.run(["bash", "-c", f"set -o pipefail; {line}"], cwd=workdir, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, f"{line}\n{r.stderr}"
    assert "Traceback" not in r.stderr
