"""Coverage-guided fuzzing of bprop's whole pipeline with atheris (run on demand, not in CI).

    .venv/bin/pip install -e ".[fuzz]"
    mkdir -p /tmp/bprop-fuzz && cp fuzz/corpus/* /tmp/bprop-fuzz/
    .venv/bin/python fuzz/fuzz_parser.py /tmp/bprop-fuzz -dict=fuzz/bprop.dict -max_total_time=300

Any exception other than BpropError is a bug (a crash input is written as crash-*); so are NaN
or infinity in a successful result, and unparse output that does not parse back to the same tree.
"""

from __future__ import annotations

import math
import sys

import atheris

with atheris.instrument_imports():
    import io

    from bprop_cli import backward, bind, build_graph, forward, parse
    from bprop_cli.batch import Batch, BatchReader
    from bprop_cli.errors import BpropError
    from bprop_cli.render.json import render_json
    from bprop_cli.syntax import sexpr
    from bprop_cli.unparse import unparse_program
    from bprop_cli.values import constant_value, parse_assignments


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    check_values(text)
    try:
        program = parse(text)
    except BpropError as err:
        str(err)  # drawing the caret line must not fail either
        return
    again = parse(unparse_program(program.statements))
    assert [sexpr(s) for s in again.statements] == [sexpr(s) for s in program.statements], text
    try:
        graph = build_graph(program)
        trace = backward(graph, forward(graph, bind(graph, {name: 0.7 for name in graph.inputs})))
    except BpropError as err:
        str(err)
        return
    assert all(math.isfinite(n.value) and math.isfinite(n.grad) for n in trace.nodes), text
    render_json(trace)  # refuses NaN


def check_values(text: str) -> None:
    """The other ways text gets in: NAME=VALUE arguments, constant values and batch rows."""
    for attempt in (lambda: parse_assignments(text.split(" ")), lambda: constant_value(text, "x"),
                    lambda: list(Batch("x*y", {}, []).results(BatchReader(io.StringIO(text), "-")))):
        try:
            attempt()
        except BpropError as err:
            str(err)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
