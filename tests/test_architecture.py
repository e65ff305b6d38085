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
    may_use_rich = rel.parts[0] == "views" or (rel.parts[0] == "cli" and rel.name in ("app.py", "options.py", "terminal.py"))
    if not may_use_rich:
        assert not {"rich", "typer"} & imported_modules(path), f"{rel} must not import rich or typer"


def test_no_eval_of_user_text() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile", "sympify"), f"{path.name} calls {node.func.id}"


def loaded_modules(*args: str) -> set[str]:
    """Every module a fresh interpreter has imported after running `bprop ARGS`."""
    code = (
        "import sys, json\n"
        "from bprop_cli.cli.entry import main\n"
        f"sys.argv = ['bprop', *{list(args)!r}]\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "sys.stderr.write('\\nMODULES' + json.dumps(sorted(sys.modules)))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return set(json.loads(r.stderr.rpartition("MODULES")[2]))


# Modules that import sympy; only the trust features (--check, --symbolic, --exact, --latex) load them.
SYMPY_MODULES = {"trust.sympy_gates", "trust.symbolic", "trust.crosscheck", "views.symbolic", "views.latex",
                 "views.gradient_check", "views.trust"}


@pytest.mark.parametrize("args", [
    ("eval", "(x+y)*z", "x=-2", "y=5", "z=-4"),
    ("eval", "(x+y)*z", "x=-2", "y=5", "z=-4", "--json"),
    ("eval", "x*y", "x=1", "y=1/3", "--format", "plain"),
    ("eval", "2 + 3"),  # no variables: nothing to keep symbolic
    ("eval", "x*y", "x=1"),  # a missing value is still an error, not a reason to load sympy
    ("eval", "log(x)", "x=0"),
], ids=lambda a: " ".join(a[1:]))
def test_eval_imports_no_heavy_modules(args: tuple[str, ...]) -> None:
    loaded = loaded_modules(*args)
    assert "bprop_cli.engine.scalar" in loaded  # the command really ran
    for heavy in ("sympy", "pydantic", "numpy", "rich.markdown", "hypothesis", "mpmath"):
        assert heavy not in loaded, f"bprop eval imported {heavy}"
    assert not {f"bprop_cli.{m}" for m in SYMPY_MODULES} & loaded


def test_trust_features_do_load_sympy() -> None:  # the fence above is not vacuous
    assert "sympy" in loaded_modules("eval", "x*y", "x=1", "y=2", "--check")


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_trust_modules_import_sympy_at_the_top(path: Path) -> None:
    rel = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    top = {
        alias.name.split(".")[0] if isinstance(node, ast.Import) else (node.module or "").split(".")[0]
        for node in ast.parse(path.read_text()).body if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    if rel not in SYMPY_MODULES:
        assert "sympy" not in top, f"{rel} imports sympy at start-up; import it inside the feature that needs it"


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_plain_and_json_are_written_without_rich(fmt: str) -> None:
    assert "rich" not in loaded_modules("eval", "(x+y)*z", "x=-2", "y=5", "z=-4", "--format", fmt)


def _relative_imports(path: Path) -> set[str]:
    """The bprop_cli modules `path` imports (`from .x import ...`, `from . import x`), anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", ["app", "options", "commands", "inputs", "terminal"])
def test_nothing_imports_the_entry_point(module: str) -> None:
    """cli/entry.py is the entry point (and the fast path); it may import the Typer app, never the
    other way round: no module below it imports entry."""
    assert "entry" not in _relative_imports(PACKAGE / "cli" / f"{module}.py")


@pytest.mark.parametrize("module", ["inputs", "commands", "terminal", "entry"])
def test_the_fast_path_modules_do_not_import_typer(module: str) -> None:
    assert "typer" not in imported_modules(PACKAGE / "cli" / f"{module}.py")


ROOT = PACKAGE.parent


def run_tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept() -> None:
    """import-linter: the folders are layers, no circles, and the fenced libraries stay fenced."""
    pytest.importorskip("importlinter")
    r = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " 0 broken" in r.stdout, r.stdout[-3000:]


def test_ruff_is_clean() -> None:
    """ruff: pyflakes errors, import order and the banned-api fence (no sympify or parse_expr)."""
    pytest.importorskip("ruff")
    r = run_tool("ruff", "check", "--no-cache", ".")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
