"""bprop: a backpropagation calculator and tutor.

Python API::

    >>> from bprop_cli import run
    >>> trace = run("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    >>> trace.value, trace.gradients
    (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .errors import BpropError, EvalError, ExitStatus, ParseError, ValueBindingError

if TYPE_CHECKING:
    from .engine import backward, forward
    from .graph import Graph, build_graph, compile_program
    from .parser import parse
    from .trace import Trace
    from .values import bind

# The API's names from the engine's modules, imported when first used: every command imports
# this package first, and `bprop --help`, `bprop examples` and the like never run a program.
_LAZY = {"backward": "engine", "forward": "engine", "Graph": "graph", "build_graph": "graph",
         "compile_program": "graph", "parse": "parser", "Trace": "trace", "bind": "values"}

__version__ = "0.1.0"
__all__ = [
    "BpropError", "EvalError", "ExitStatus", "Graph", "ParseError", "Trace",
    "__version__", "backward", "bind", "build_graph", "compile_program", "forward", "parse", "run",
]


def run(
    program: str, values: Mapping[str, object], seed: object = 1.0, *, expand: bool = False,
    on_phase: Callable[[str], None] | None = None, scalarize: bool = False,
) -> Trace:
    """Parse `program`, run it forward at `values` and backward from its output; return the trace.

    A value may be a vector or a matrix ('[1, 2]', a nested list or a NumPy array): then the
    array engine runs (NumPy), and the trace's values and gradients of array nodes are arrays;
    a non-scalar output needs `seed`, an array of its shape.
    `scalarize` lowers an array program to scalar gates, one node per entry (W1[0][1], ...).
    `expand` lowers composite gates (sigmoid, tanh, ...) into their primitive gates;
    `on_phase`, if given, is called with the name of each step as it starts (for progress).
    """
    from .engine import backward, forward
    from .graph import compile_program
    from .values import bind, has_arrays

    phase = on_phase or _quiet
    # The graph holds no reference cycles, so the cyclic collector only costs time here
    # (it rescans the growing heap again and again on big programs).
    enabled = gc.isenabled()
    gc.disable()
    try:
        phase("parsing")
        graph = compile_program(program, expand=expand)  # parsed straight into the graph
        bound = bind(graph, values)
        if scalarize and has_arrays(graph, bound):
            from .scalarize import scalarize as lower

            graph, bound = lower(graph, bound)  # one scalar gate per entry, for the scalar engine
        elif has_arrays(graph, bound):
            from .arrays import run_arrays  # NumPy is loaded only for programs over arrays

            phase("forward and backward pass")
            return run_arrays(graph, bound, seed)
        phase("forward pass")
        computed = forward(graph, bound)
        phase("backward pass")
        return backward(graph, computed, _scalar_seed(seed, graph.ids[graph.output]))
    finally:
        if enabled:
            gc.enable()


def _scalar_seed(seed: object, output: str) -> float:
    """The seed of a program whose output is a number: a number or its text, read as
    --seed-grad is (a huge int, NaN or inf is a BpropError); an array is a mistake here."""
    if isinstance(seed, str) or (isinstance(seed, (int, float)) and not isinstance(seed, bool)):
        from .inputs import seed_gradient

        read = seed_gradient(seed, "the seed gradient")
        if isinstance(read, float):
            return read
    raise ValueBindingError(f"the output {output} is a number, so --seed-grad must be a number")


def _quiet(phase: str) -> None:
    pass


def __getattr__(name: str) -> Any:
    """`bprop_cli.parse`, `bprop_cli.Trace`, ...: imported from their module on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
