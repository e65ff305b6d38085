"""Coverage-guided fuzzing of bprop's whole pipeline with atheris (run on demand, not in CI).

    .venv/bin/pip install -e ".[fuzz]"
    mkdir -p /tmp/bprop-fuzz && cp fuzz/corpus/* /tmp/bprop-fuzz/
    .venv/bin/python fuzz/fuzz_parser.py /tmp/bprop-fuzz -dict=fuzz/bprop.dict -max_total_time=300

Without atheris, `python fuzz/fuzz_parser.py --replay FILE_OR_DIR...` runs the same checks on
saved inputs (the corpus, or a crash-* file), e.g. to confirm a fix.

Each input is a program, then (after a NUL byte, if any) bytes that choose its inputs' values
from a table of edge cases (signed zeros, subnormals, 1e-300 ... 1e300, saturation points).
The program is parsed, run and then rendered in every output format, the narration and every
picture. Any exception other than BpropError is a bug (a crash input is written as crash-*);
so are NaN or infinity in a successful result, unparse output that does not parse back to the
same tree, JSON that breaks the SPEC's invariants, and a raw control character from user text
in any output or message.
"""

from __future__ import annotations

import math
import re
import sys

try:
    import atheris
except ImportError:  # --replay works without it
    atheris = None


def _instrumented():  # type: ignore[no-untyped-def]
    if atheris is None:
        from contextlib import nullcontext

        return nullcontext()
    return atheris.instrument_imports()


with _instrumented():
    import io
    import json

    from rich.console import Console

    from bprop_cli import backward, bind, build_graph, forward, parse
    from bprop_cli.batch.read import Batch, BatchReader
    from bprop_cli.engine.values import constant_value, parse_assignments
    from bprop_cli.errors import BpropError
    from bprop_cli.lang.syntax import sexpr
    from bprop_cli.lang.unparse import unparse_program
    from bprop_cli.tutor.narration import narrate
    from bprop_cli.views.delimited import render_delimited
    from bprop_cli.views.json import render_json
    from bprop_cli.views.markdown import render_markdown
    from bprop_cli.views.picture import build_picture
    from bprop_cli.views.pictures import graph_text
    from bprop_cli.views.plain import render_plain
    from bprop_cli.views.story import story_plain
    from bprop_cli.views.table import render_table

EDGES = [0.7, 0.0, -0.0, 5e-324, -1e-320, 2.2250738585072014e-308, 1e-300, 1e-160, 1e-20, 0.5, 1.0, -1.0, 2.0,
         -3.0, 30.0, -30.0, 709.7, -745.0, 1e16, 1e154, 1e300, -1e300, 1.7976931348623157e308]
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def test_one_input(data: bytes) -> None:
    program_bytes, _, choices = data.partition(b"\0")
    text = program_bytes.decode("utf-8", errors="replace")
    check_values(text)
    try:
        program = parse(text)
    except BpropError as err:
        safe("error", str(err))  # drawing the caret line must not fail either
        return
    again = parse(unparse_program(program.statements))
    assert [sexpr(s) for s in again.statements] == [sexpr(s) for s in program.statements], text
    try:
        graph = build_graph(program)
        values = {name: EDGES[choices[k] % len(EDGES)] if k < len(choices) else 0.7
                  for k, name in enumerate(graph.inputs)}
        trace = backward(graph, forward(graph, bind(graph, values)))
    except BpropError as err:
        safe("error", str(err))
        return
    assert all(math.isfinite(n.value) and math.isfinite(n.grad) for n in trace.nodes), text
    render_all(trace, text)


def render_all(trace, text: str) -> None:  # type: ignore[no-untyped-def]
    """Every output format, the narration and every picture: safe text, valid JSON."""
    data = json.loads(render_json(trace))  # render_json refuses NaN
    assert data["expression"] == text
    ids = [n["id"] for n in data["nodes"]]
    assert len(ids) == len(set(ids)) and data["output"] in ids, text
    for step in data["backward"]:
        assert step["product"] == step["upstream"] * step["local"], text
    out = io.StringIO()
    Console(file=out, width=80, color_system=None, highlight=False, emoji=False).print(render_table(trace))
    pic = build_picture(trace, 40)
    outputs = {
        "table": out.getvalue(), "plain": "\n".join(render_plain(trace)), "markdown": render_markdown(trace),
        "csv": render_delimited(trace, ","), "explain": story_plain(narrate(trace), width=80),
        "graph": graph_text(pic, "terminal"), "dot": graph_text(pic, "dot"), "mermaid": graph_text(pic, "mermaid"),
    }
    for what, shown in outputs.items():
        safe(what, shown)


def safe(what: str, shown: str) -> None:
    found = RAW.search(shown.replace("\n", " ").replace("\t", " "))
    assert found is None, f"{what}: raw {found.group()!r} in the output"


def check_values(text: str) -> None:
    """The other ways text gets in: NAME=VALUE arguments, constant values and batch rows."""
    for attempt in (lambda: parse_assignments(text.split(" ")), lambda: constant_value(text, "x"),
                    lambda: list(Batch("x*y", {}, []).results(BatchReader(io.StringIO(text), "-")))):
        try:
            attempt()
        except BpropError as err:
            safe("error", str(err))


def replay(paths: list[str]) -> int:
    """Run the checks on saved inputs (files, or every file in a folder); the number that failed."""
    from pathlib import Path

    files = [f for p in map(Path, paths) for f in (sorted(p.iterdir()) if p.is_dir() else [p]) if f.is_file()]
    failed = 0
    for path in files:
        try:
            test_one_input(path.read_bytes())
        except Exception as err:  # noqa: BLE001 - report every failing input, then the count
            failed += 1
            print(f"{path}: {type(err).__name__}: {err}", file=sys.stderr)
    print(f"{len(files) - failed} of {len(files)} inputs passed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--replay"]:
        raise SystemExit(replay(sys.argv[2:]))
    if atheris is None:
        raise SystemExit('atheris is not installed: pip install -e ".[fuzz]" (or use --replay FILES)')
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
