"""Composes the outputs of --check, --symbolic, --exact and --latex from their renderers."""

from __future__ import annotations

import json
from typing import Any, Iterator

from rich.console import Group, RenderableType

from bprop_cli.engine.trace import SCHEMA_VERSION
from bprop_cli.trust.wiring import TrustResult


def trust_tables(result: TrustResult, all_rows: bool = False, width: int = 80) -> RenderableType:
    parts: list[RenderableType] = []
    if result.symbolic is not None:
        from .symbolic import render_symbolic_table

        parts.append(render_symbolic_table(result.symbolic, all_rows, width))
    elif result.trace is not None:
        from .table import render_table

        parts.append(render_table(result.trace, all_rows, width))
    if result.check is not None:
        from .gradient_check import render_check_table

        parts.append(render_check_table(result.check, all_rows))
    return Group(*parts)


def trust_plain(result: TrustResult, latex: bool = False) -> Iterator[str]:
    if latex and result.symbolic is not None:
        from .latex import render_latex

        yield render_latex(result.symbolic)
    else:
        if result.trace is not None:
            from .plain import render_plain

            yield from render_plain(result.trace)
        if result.symbolic is not None:
            from .symbolic import render_symbolic_plain

            yield from render_symbolic_plain(result.symbolic)
    if result.check is not None:
        from .gradient_check import render_check_plain

        yield from render_check_plain(result.check)


def trust_json(result: TrustResult, latex: bool = False) -> str:
    """SPEC §5 JSON with a "check" and an "exact" section; without numbers (free symbols) the
    object has mode "symbolic" and every value is a formula string."""
    data: dict[str, Any]
    sym = result.symbolic
    if result.trace is not None:
        data = result.trace.to_dict()
        if sym is not None:
            data["exact"] = sym.to_dict()
    else:
        assert sym is not None
        data = {"bprop": SCHEMA_VERSION, "expression": sym.expression, "output": sym.output, **sym.to_dict()}
    if result.check is not None:
        data["check"] = result.check.to_dict()
    if latex and sym is not None:
        from .latex import render_latex

        data["latex"] = render_latex(sym)
    return json.dumps(data, indent=2, allow_nan=False)
