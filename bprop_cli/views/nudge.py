"""What --nudge shows: the output before and after, the first-order prediction and the miss."""

from __future__ import annotations

import json
from typing import Iterator, Sequence

from bprop_cli.engine.nudge import Nudge
from bprop_cli.text import full, num


def nudge_lines(output: str, nudges: Sequence[Nudge]) -> Iterator[str]:
    """For people (tables and markdown alike): a few sentences per nudge."""
    for k, n in enumerate(nudges):
        if k:
            yield ""
        yield f"nudge {n.name} = {num(n.value)} by h = {num(n.h)} (to {num(n.value + n.h)})"
        yield f"  {output}: {num(n.before)} -> {num(n.after)}, a change of {num(n.change)}"
        yield f"  predicted d{output}/d{n.name} * h = {num(n.gradient)} * {num(n.h)} = {num(n.predicted)}"
        linear = abs(n.error) <= 1e-9 * max(1.0, abs(n.change))
        yield f"  difference, actual - predicted = {num(n.error)}" + (
            " (rounding only)" if linear else " (curvature the slope misses)")


def nudge_plain(output: str, nudges: Sequence[Nudge]) -> Iterator[str]:
    """'nudge NAME H BEFORE AFTER CHANGE PREDICTED DIFFERENCE', full precision."""
    for n in nudges:
        yield "\t".join(("nudge", n.name, *map(full, (n.h, n.before, n.after, n.change, n.predicted, n.error))))


def nudge_json(trace, nudges: Sequence[Nudge]) -> str:  # type: ignore[no-untyped-def]
    return json.dumps({"bprop": 1, "expression": trace.expression, "output": trace.output, "value": trace.value,
                       "inputs": dict(trace.inputs), "nudges": [n.to_dict() for n in nudges]},
                      indent=2, allow_nan=False)
