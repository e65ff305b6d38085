"""Wiring of the trust features (--check, --symbolic, --exact, --latex): which traces to compute.

sympy is imported inside `evaluate` only, so `needs_symbolic` costs the plain path nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

from bprop_cli.engine.graph import Graph, build_graph
from bprop_cli.engine.trace import Trace
from bprop_cli.engine.values import bind, has_arrays
from bprop_cli.errors import ValueBindingError
from bprop_cli.lang.parser import parse

if TYPE_CHECKING:
    from .crosscheck import CheckReport
    from .symbolic import SymTrace


@dataclass(frozen=True, slots=True)
class TrustResult:
    graph: Graph
    trace: Trace | None  # the float engine's trace; None when some variable is a free symbol
    symbolic: SymTrace | None  # exact or symbolic trace, when asked for or when values are missing
    check: CheckReport | None


def needs_symbolic(source: str, given: Mapping[str, str]) -> bool:
    """A program with variables but no values at all (none given, none stated as in a = 2.0)
    is traced symbolically."""
    if given:
        return False
    graph = build_graph(parse(source))
    return bool(graph.inputs) and not graph.defaults


def evaluate(source: str, given: Mapping[str, str], *, seed: float = 1.0, check: bool = False,
             symbolic: bool = False, exact: bool = False, latex: bool = False, eps: float | None = None,
             difference: str = "central", nodes: bool = False) -> TrustResult:
    """Run what the flags ask for; variables without values stay symbols unless a number is needed."""
    from bprop_cli.engine.run import run

    graph = build_graph(parse(source))
    given = {**graph.defaults, **given}  # the values the program states (a = 2.0) are given too
    missing = [name for name in graph.inputs if name not in given]
    partial = bool(missing) and (symbolic or not given) and not (check or exact)
    trace = None
    if partial and has_arrays(graph, {}):
        raise ValueBindingError("this program multiplies matrices (@): symbols stand for numbers, so it needs values",
                                hint=f"give every variable a value, e.g. {missing[0]}=[[1,2],[3,4]] or {missing[0]}=[1,2]")
    if not partial:
        try:
            trace = run(source, given, seed=seed)  # validates domains and names the failing node
        except ValueBindingError as err:
            if missing and (check or exact) and err.message.startswith("no value given"):
                flag = "--check" if check else "--exact"
                err.hint = f"{flag} needs a number for every variable: add {' '.join(f'{m}=1' for m in missing)}"
            raise
    if trace is not None and trace.arrays:
        if symbolic or exact or latex:
            flag = "--symbolic" if symbolic else "--exact" if exact else "--latex"
            raise ValueBindingError(f"{flag} works on programs of numbers, not on vectors and matrices",
                                    hint="--scalarize writes the program in numbers, one gate per entry")
        from .entries import check_entries

        return TrustResult(graph, trace, None, check_entries(graph, bind(graph, given), trace) if check else None)
    sym = None
    if partial or symbolic or exact or latex:
        from .symbolic import bind_exact, exact_limits, symbolic_trace

        notes = {n.id: n.note for n in trace.nodes if n.note} if trace else {}
        with exact_limits():  # a value such as (1/3)^100000 is folded exactly too
            bound = bind_exact(graph, given, partial=partial)
        sym = symbolic_trace(graph, bound, seed, notes)
    report = None
    if check:
        from .crosscheck import crosscheck

        assert trace is not None
        report = crosscheck(graph, bind(graph, given), trace, eps=eps, difference=difference, nodes=nodes)
    return TrustResult(graph, trace, sym, report)
