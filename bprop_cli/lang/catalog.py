"""The built-in worked examples: the published walkthroughs' programs in bprop_cli/examples/*.bp (package data).

Each file states its inputs on its first line (`# at: x=-2 y=5 z=-4`) and describes itself on
the second; its name on the command line is the file name with '-' for '_' (sigmoid-neuron).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import NamedTuple

from bprop_cli.errors import ValueBindingError

# The package's own folder, not importlib.resources: that import costs more than reading the
# files (bprop is installed as files, never run from a zip).
FOLDER = Path(__file__).parent.parent / "examples"


class Example(NamedTuple):  # a NamedTuple: a frozen dataclass costs milliseconds to define at start-up
    name: str  # sigmoid-neuron
    file: str  # sigmoid_neuron.bp
    description: str  # one line
    program: str  # the whole file, comments included
    values: tuple[str, ...]  # NAME=VALUE arguments from the '# at:' line


def _load(path) -> Example:  # type: ignore[no-untyped-def]
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    values = tuple(lines[0].removeprefix("# at:").split()) if lines and lines[0].startswith("# at:") else ()
    description = lines[1].lstrip("# ").strip() if len(lines) > 1 and lines[1].startswith("#") else ""
    return Example(path.name.removesuffix(".bp").replace("_", "-"), path.name, description, text, values)


def examples() -> dict[str, Example]:
    """Every built-in example by name, sorted by name."""
    found = sorted(FOLDER.glob("*.bp"), key=lambda p: p.name)
    return {e.name: e for e in map(_load, found)}


def example(name: str) -> Example:
    """One example by name; a usage error with a suggestion when there is none by that name."""
    known = examples()
    key = name.removesuffix(".bp").replace("_", "-")
    if key in known:
        return known[key]
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]}?" if close else f"the examples are: {', '.join(known)}"
    raise ValueBindingError(f"there is no built-in example called {name!r}", hint=hint + " (bprop examples lists them)")
