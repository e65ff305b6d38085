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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement loads: the one it names, and for `from P import N` also
    P.N where that is a module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [base, *(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)]


def _imports(module: str, tree: ast.AST, in_functions: bool) -> list[tuple[ast.Import | ast.ImportFrom, list[str]]]:
    """The import statements run when the module is imported (in_functions=False), or those
    inside its functions (True)."""
    found = []

    def visit(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)) and inside == in_functions:
                found.append((child, _targets(module, child)))
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            visit(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


def _loaded_by_importing(module: str) -> set[str]:
    """Every module that importing `module` loads, as far as bprop's own top-level imports tell
    (a third-party module's own imports are not followed)."""
    loaded: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for k in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
            prefix = ".".join(parts[:k])
            if prefix in loaded:
                continue
            loaded.add(prefix)
            if prefix in MODULES:
                todo.extend(t for _, targets in _imports(prefix, ast.parse(MODULES[prefix].read_text()), False)
                            for t in targets)
    return loaded


def needless_imports(module: str, source: str | None = None) -> list[str]:
    """The imports inside the module's functions whose modules are loaded anyway when the module
    itself is imported: they defer nothing, so they belong at the top."""
    tree = ast.parse(source if source is not None else MODULES[module].read_text())
    loaded = _loaded_by_importing(module)
    return [f"{module}:{node.lineno}: {ast.unparse(node)}" for node, targets in _imports(module, tree, True)
            if all(t in loaded for t in targets)]


def test_every_import_inside_a_function_defers_a_module() -> None:
    """An import inside a function is there for start-up time: it must name a module that
    importing its own module does not load already (or it defers nothing and goes to the top)."""
    assert [line for module in sorted(MODULES) for line in needless_imports(module)] == []


def test_a_needless_import_inside_a_function_is_found() -> None:  # the test above can fail
    source = MODULES["bprop_cli.cli.listing"].read_text() + (
        "\n\ndef planted():\n    from bprop_cli.errors import BpropError\n    from .terminal import write\n"
        "    import numpy\n    return BpropError, write, numpy\n")
    assert [line.split(": ", 1)[1] for line in needless_imports("bprop_cli.cli.listing", source)] == [
        "from bprop_cli.errors import BpropError", "from .terminal import write"]
