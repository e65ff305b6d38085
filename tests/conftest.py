"""Shared test helpers: running the real `bprop` command line, in this process or in its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from bprop_cli.cli.environment import Environment, run

# The same code gets the same verdict: by default (and so in CI) the property tests draw their
# examples from a fixed seed (derandomize) and keep no replay database, so neither an earlier run's
# failure nor a lucky draw changes what a run finds, and no deadline turns a busy machine into a
# failure. HYPOTHESIS_PROFILE=fuzz draws fresh random examples on every run, for the longer search
# described in docs/fuzzing.md.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, database=None, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "bprop_cli" / "examples").glob("*.bp"))


def bprop(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
          process: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `bprop ARGS` as a user would, with NO_COLOR=1 and 80 columns, capturing stdout and
    stderr separately.

    The run is in this process (cli/environment.run: the same bytes, tests/test_in_process.py
    shows it, in about 1/30 of the time) unless `process` is set, an environment variable is
    one Python reads only at start-up (PYTHON*, LC_*, LANG), or BPROP_TEST_PROCESS=1 asks
    for every run to be `python -m bprop_cli ARGS` in a process of its own.
    """
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80", **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    if process or os.environ.get("BPROP_TEST_PROCESS") == "1" or any(
            name.startswith(("PYTHON", "LC_", "LANG")) for name in (env or {})):
        return in_a_process(args, stdin, full_env)
    outcome = run(list(args), Environment(stdin=stdin, env=full_env, cwd=ROOT))
    return subprocess.CompletedProcess([sys.executable, "-m", "bprop_cli", *args], outcome.status,
                                       outcome.stdout, outcome.stderr)


def in_a_process(args, stdin: str | None, env: dict[str, str]) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """`python -m bprop_cli ARGS` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "bprop_cli", *args], input=stdin, capture_output=True, text=True,
        env=env, timeout=60, cwd=ROOT, **({"stdin": subprocess.DEVNULL} if stdin is None else {}),
    )


def example_values(path: Path) -> list[str]:
    """The NAME=VALUE list from an example's first line, '# at: x=-2 y=5 z=-4'."""
    first = path.read_text().splitlines()[0]
    assert first.startswith("# at:"), f"{path.name} must state its inputs on its first line"
    return first.removeprefix("# at:").split()


def assert_json_invariants(data: dict) -> None:
    """SPEC §5: ids unique and topological, product == upstream * local, grad == sum of products in."""
    ids = [n["id"] for n in data["nodes"]]
    assert len(ids) == len(set(ids))
    position = {i: k for k, i in enumerate(ids)}
    for node in data["nodes"]:
        assert all(position[i] < position[node["id"]] for i in node["inputs"])
    incoming: dict[str, float] = {}
    for step in data["backward"]:
        assert step["product"] == step["upstream"] * step["local"]
        incoming[step["input"]] = incoming.get(step["input"], 0.0) + step["product"]
    for node in data["nodes"]:
        expected = data["seed"] if node["id"] == data["output"] else incoming.get(node["id"], 0.0)
        assert node["grad"] == pytest.approx(expected, rel=1e-15, abs=0)
    assert data["output"] in position and data["value"] == data["nodes"][position[data["output"]]]["value"]
    assert data["gradients"] == {name: data["nodes"][position[name]]["grad"] for name in data["inputs"]}


@pytest.fixture
def run_cli():
    return bprop
