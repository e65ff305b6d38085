"""Every invalid program in tests/data/invalid and its exact message.

NAME.bp is the program (one trailing new line is dropped), NAME.args the optional NAME=VALUE
arguments (shell words), NAME.err the exit code on its first line ("exit 2") and then the exact
message bprop prints on stderr. BPROP_REGENERATE=1 rewrites the .err files from the current
output (review the diff before committing it).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from bprop_cli.engine.run import run
from bprop_cli.engine.values import parse_assignments
from bprop_cli.errors import BpropError

DATA = Path(__file__).resolve().parent / "data" / "invalid"
CASES = sorted(DATA.glob("*.bp"))


def _error_text(case: Path) -> str:
    source = case.read_text(encoding="utf-8")
    source = source[:-1] if source.endswith("\n") else source
    args_file = case.with_suffix(".args")
    args = shlex.split(args_file.read_text(encoding="utf-8")) if args_file.exists() else []
    with pytest.raises(BpropError) as info:
        run(source, parse_assignments(args))
    return f"exit {int(info.value.status)}\n{info.value}\n"


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 40, "the invalid-program corpus has gone missing"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_invalid_program_message(case: Path) -> None:
    actual = _error_text(case)
    expected_file = case.with_suffix(".err")
    if os.environ.get("BPROP_REGENERATE"):
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.exists(), f"{case.name} has no .err file (run with BPROP_REGENERATE=1)"
    assert actual == expected_file.read_text(encoding="utf-8")
    assert "Traceback" not in actual


@pytest.mark.parametrize("case", [c for c in CASES if c.stem in ("dangling_power", "spaced_assignment", "log_of_zero")],
                         ids=lambda p: p.stem)
def test_cli_prints_the_same_message(case: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    expected = case.with_suffix(".err").read_text(encoding="utf-8")
    code, message = expected.split("\n", 1)
    args_file = case.with_suffix(".args")
    args = shlex.split(args_file.read_text(encoding="utf-8")) if args_file.exists() else []
    r = run_cli("eval", case.read_text(encoding="utf-8").rstrip("\n"), *args)
    assert f"exit {r.returncode}" == code
    assert r.stderr == message and r.stdout == ""
