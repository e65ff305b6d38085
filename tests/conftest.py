"""Shared test helpers: running the real `bprop` program in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "bprop_cli" / "examples").glob("*.bp"))


def bprop(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m bprop_cli ARGS` as a user would, capturing stdout and stderr separately."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80", **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "bprop_cli", *args], input=stdin, capture_output=True, text=True,
        env=full_env, timeout=60, cwd=ROOT,
    )


def example_values(path: Path) -> list[str]:
    """The NAME=VALUE list from an example's first line, '# at: x=-2 y=5 z=-4'."""
    first = path.read_text().splitlines()[0]
    assert first.startswith("# at:"), f"{path.name} must state its inputs on its first line"
    return first.removeprefix("# at:").split()


@pytest.fixture
def run_cli():
    return bprop
