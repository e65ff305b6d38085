"""bprop: a backpropagation calculator and tutor.

Python API::

    >>> from bprop_cli import run
    >>> trace = run("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    >>> trace.value, trace.gradients
    (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
"""

from __future__ import annotations

import gc
from typing import Mapping

from .engine import backward, forward
from .errors import BpropError, EvalError, ExitStatus, ParseError
from .graph import Graph, build_graph
from .parser import parse
from .trace import Trace
from .values import bind

__version__ = "0.1.0"
__all__ = [
    "BpropError", "EvalError", "ExitStatus", "Graph", "ParseError", "Trace",
    "__version__", "backward", "bind", "build_graph", "forward", "parse", "run",
]


def run(program: str, values: Mapping[str, float | str], seed: float = 1.0, *, expand: bool = False) -> Trace:
    """Parse `program`, run it forward at `values` and backward from its output; return the trace."""
    # The graph holds no reference cycles, so the cyclic collector only costs time here
    # (it rescans the growing heap again and again on big programs).
    enabled = gc.isenabled()
    gc.disable()
    try:
        graph = build_graph(parse(program), expand=expand)
        return backward(graph, forward(graph, bind(graph, values)), seed)
    finally:
        if enabled:
            gc.enable()
