"""SPEC §5 JSON: one object, full double precision."""

from __future__ import annotations

import json

from ..trace import Trace


def render_json(trace: Trace) -> str:
    return json.dumps(trace.to_dict(), indent=2, allow_nan=False)
