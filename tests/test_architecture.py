"""Fences: the computation never imports presentation or heavy modules; start-up stays light."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bprop_cli"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_renderers_and_cli_import_rich(path: Path) -> None:
    rel = path.relative_to(PACKAGE)
    may_use_rich = rel.parts[0] == "render" or rel.name == "cli.py"
    if not may_use_rich:
        assert not {"rich", "typer"} & imported_modules(path), f"{rel} must not import rich or typer"


def test_no_eval_of_user_text() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile", "sympify"), f"{path.name} calls {node.func.id}"


@pytest.mark.parametrize("fmt", ["table", "plain", "json"])
def test_eval_imports_no_heavy_modules(fmt: str) -> None:
    code = (
        "import sys, json\n"
        "from bprop_cli.cli import main\n"
        f"sys.argv = ['bprop', 'eval', '(x+y)*z', 'x=-2', 'y=5', 'z=-4', '--format', '{fmt}']\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    loaded = set(json.loads(r.stderr))
    heavy = ["sympy", "pydantic", "numpy", "rich.markdown", "hypothesis"]
    if fmt != "table":
        heavy.append("rich")  # plain text and JSON are written without Rich
    for name in heavy:
        assert name not in loaded, f"bprop eval --format {fmt} imported {name}"
