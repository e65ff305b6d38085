"""run(): a program's text and values in, its Trace out: parse, bind, forward and backward,
by the scalar engine or (for vectors and matrices) the array engine. The Python API's entry."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Callable, Mapping

from bprop_cli.errors import ValueBindingError

from .graph import compile_program
from .scalar import backward, forward
from .values import bind, has_arrays, seed_gradient

if TYPE_CHECKING:
    from .trace import Trace


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
        read = seed_gradient(seed, "the seed gradient")
        if isinstance(read, float):
            return read
    raise ValueBindingError(f"the output {output} is a number, so --seed-grad must be a number")


def _quiet(phase: str) -> None:
    pass
