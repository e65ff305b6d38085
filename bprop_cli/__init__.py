"""bprop: a backpropagation calculator and tutor.

Python API::

    >>> from bprop_cli import run
    >>> trace = run("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    >>> trace.value, trace.gradients
    (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import BpropError, EvalError, ExitStatus, ParseError, ValueBindingError

if TYPE_CHECKING:
    from bprop_cli.engine.graph import Graph, build_graph, compile_program
    from bprop_cli.engine.run import run
    from bprop_cli.engine.scalar import backward, forward
    from bprop_cli.engine.trace import Trace
    from bprop_cli.engine.values import bind
    from bprop_cli.lang.parser import parse

# The API's names from the engine's modules, imported when first used: every command imports
# this package first, and `bprop --help`, `bprop examples` and the like never run a program.
_LAZY = {"run": "engine.run", "backward": "engine.scalar", "forward": "engine.scalar", "Graph": "engine.graph",
         "build_graph": "engine.graph", "compile_program": "engine.graph", "parse": "lang.parser",
         "Trace": "engine.trace", "bind": "engine.values"}

__version__ = "0.1.0"
__all__ = [
    "BpropError", "EvalError", "ExitStatus", "Graph", "ParseError", "Trace",
    "ValueBindingError", "__version__", "backward", "bind", "build_graph", "compile_program", "forward", "parse", "run",
]


def __getattr__(name: str) -> Any:
    """`bprop_cli.parse`, `bprop_cli.Trace`, ...: imported from their module on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
