"""Stand-ins for Rich's modules that Typer's help imports but does not use.

Imported by app.py before Typer (and so never by the `bprop eval` fast path).
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator, Mapping
from typing import Any, Callable


class _Deferred(type):
    """The type of a stand-in class for a class of a module not imported yet: calling it, or
    reading any attribute of it, imports the module and uses the real class. (A class, not an
    object, so that annotations such as `Markdown | Text` still work.)"""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._real()(*args, **kwargs)  # type: ignore[attr-defined]

    def __getattr__(cls, attr: str) -> Any:
        return getattr(cls._real(), attr)  # type: ignore[attr-defined]


def _stand_in_class(load: Callable[[], types.ModuleType], name: str) -> type:
    return _Deferred(name, (), {"_real": staticmethod(lambda: getattr(load(), name))})


def defer_import(module: str, *names: str) -> None:
    """Let `from MODULE import NAME...` succeed without importing MODULE until a NAME is used.

    Typer formats help with its rich_utils module, which imports rich.markdown (markdown-it:
    about 55 ms of CPU here) and rich.traceback (pygments: about 11 ms) at its top, but uses
    them only for Markdown help text and pretty tracebacks, both of which bprop turns off; so
    `bprop --help` paid for them while drawing nothing with them. With a stand-in module in
    their place the import costs nothing, and the real module is imported the moment anything
    is used (any other name of the module, or calling a deferred class).
    """
    if module in sys.modules:
        return
    package, _, child = module.rpartition(".")
    parent = importlib.import_module(package)
    stand_in = types.ModuleType(module, "bprop: a stand-in, imported for real when used")

    def real() -> types.ModuleType:
        if sys.modules.get(module) is stand_in:
            del sys.modules[module]
        loaded = importlib.import_module(module)
        setattr(parent, child, loaded)
        return loaded

    def attribute(name: str) -> Any:
        if name.startswith("__"):  # the import system asks for __path__ and such: not a use
            raise AttributeError(name)
        return getattr(real(), name)

    stand_in.__getattr__ = attribute  # type: ignore[method-assign]
    for name in names:
        setattr(stand_in, name, _stand_in_class(real, name))
    sys.modules[module] = stand_in
    setattr(parent, child, stand_in)


class _DeferredMapping(Mapping[str, Any]):
    """A read-only mapping that imports the module holding the real one when first read."""

    def __init__(self, load: Callable[[], Mapping[str, Any]]) -> None:
        self._load = load

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def defer_mapping(module: str, name: str) -> None:
    """Let `from MODULE import NAME` (a dict) succeed without importing MODULE until it is read.

    Rich replaces emoji codes such as `:smile:` in the text it prints by looking them up in
    rich._emoji_codes, a dict of some 3,600 names that costs about 3% of `bprop --help` to load;
    Rich imports it before scanning the text, though bprop's help has no emoji code, so the
    lookup never happens. (bprop's own consoles turn emoji codes off.)
    """
    if module in sys.modules:
        return
    stand_in = types.ModuleType(module, "bprop: a stand-in, imported for real when read")

    def real() -> Mapping[str, Any]:
        if sys.modules.get(module) is stand_in:
            del sys.modules[module]
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]

    setattr(stand_in, name, _DeferredMapping(real))
    sys.modules[module] = stand_in


defer_import("rich.markdown", "Markdown")
defer_import("rich.traceback", "Traceback")
defer_mapping("rich._emoji_codes", "EMOJI")
