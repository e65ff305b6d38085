"""Render everything: random programs with hostile comments, names and values, through every
output format, the narration and every picture. Whatever the input, rendering either works or
raises a BpropError; no raw control byte from user text reaches the output (only the colour
codes Rich writes itself, when asked for colour); JSON parses and keeps the SPEC's invariants.
"""

from __future__ import annotations

import io
import json
import re

from conftest import assert_json_invariants
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from bprop_cli.engine.run import run
from bprop_cli.errors import BpropError
from bprop_cli.tutor.narration import narrate
from bprop_cli.views.delimited import render_delimited
from bprop_cli.views.json import render_json
from bprop_cli.views.markdown import render_markdown
from bprop_cli.views.picture import build_picture
from bprop_cli.views.pictures import graph_text
from bprop_cli.views.plain import render_plain
from bprop_cli.views.story import story_plain, story_rich
from bprop_cli.views.table import render_table
from bprop_cli.views.tree import render_graph

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
SGR = re.compile("\x1b\\[[0-9;]*m")  # Rich's own colour codes
NASTY = "\x00\x07\x08\x0b\x0c\r\x1b\x7f\x85\x9b\u061c\u200e\u202e\u2028\u2066\ufeff`|\\*_<>&\"'{}[]#\t"

comments = st.text(st.sampled_from(NASTY) | st.characters(codec="utf-8"), max_size=20).map(
    lambda s: s.replace("\n", " "))
_LETTERS = "abcxyzABQZ_"
names = st.builds(lambda a, b: a + b, st.sampled_from(_LETTERS), st.text(_LETTERS + "019", max_size=4)).filter(
    lambda n: n not in ("pi", "e", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "softplus",
                        "relu", "abs", "max", "min"))
values = st.sampled_from([0.0, -0.0, 5e-324, -1e-320, 1e-300, 1e-160, 0.5, 1.0, -2.0, 30.0, 709.0, 1e154,
                          1e300, -1e300]) | st.floats(allow_nan=False, allow_infinity=False)
numbers = st.sampled_from(["2", "0.5", "1e-300", "1e300", "0", "3.25", "1e16"])
UNARY = ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "softplus", "relu", "abs", "-"]
BINARY = ["+", "-", "*", "/", "^"]


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return (st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"-({t[1]})" if t[0] == "-" else f"{t[0]}({t[1]})")
            | st.tuples(inner, st.sampled_from(BINARY), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
            | st.tuples(st.sampled_from(["max", "min"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"))


# Built once (a recursive strategy is costly to make): '@k' stands for the k-th name defined so far.
EXPRESSIONS = st.recursive(st.integers(0, 5).map(lambda k: f"@{k}") | numbers, _extend, max_leaves=6)
_SLOT = re.compile(r"@(\d)")


@st.composite
def programs(draw):  # type: ignore[no-untyped-def]
    """(source, values): a few named statements with comments, their inputs bound to edge values."""
    inputs = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    lines: list[str] = [f"# {draw(comments)}"] if draw(st.booleans()) else []
    known = list(inputs)
    for _ in range(draw(st.integers(1, 3))):
        expr = _SLOT.sub(lambda m: known[int(m.group(1)) % len(known)], draw(EXPRESSIONS))
        target = draw(names.filter(lambda n: n not in known))
        lines.append(f"{target} = {expr}  # {draw(comments)}")
        known.append(target)
    given = {name: draw(values) for name in inputs}
    if draw(st.booleans()):  # a hostile value text instead of a number
        given[inputs[0]] = draw(st.sampled_from(["1e-400", "1" + "0" * 400, "\x1b[2J", "\u202e1", "pi/0", "nan"]))
    return "\n".join(lines), given


def _console(colour: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    if colour:
        return Console(file=out, width=80, force_terminal=True, color_system="truecolor", highlight=False,
                       emoji=False), out
    return Console(file=out, width=80, color_system=None, highlight=False, emoji=False), out


def _printed(renderable, colour: bool) -> str:  # type: ignore[no-untyped-def]
    console, out = _console(colour)
    console.print(renderable)
    text = out.getvalue()
    return SGR.sub("", text) if colour else text


def _no_raw(what: str, text: str) -> None:
    found = RAW.search(text)
    assert found is None, f"{what}: raw {found.group()!r} in {text!r}"


def every_output(source: str, given: dict[str, object]) -> dict[str, str]:
    trace = run(source, given)  # type: ignore[arg-type]
    data = json.loads(render_json(trace))
    assert_json_invariants(data)
    assert data["expression"] == source
    pic = build_picture(trace, 40)
    blocks = narrate(trace)
    return {
        "table": _printed(render_table(trace), colour=False),
        "table in colour": _printed(render_table(trace, all_rows=True), colour=True),
        "plain": "\n".join(render_plain(trace)),
        "markdown": render_markdown(trace),
        "csv": render_delimited(trace, ","),
        "tsv": render_delimited(trace, "\t"),
        "explain": story_plain(blocks, width=80),
        "explain in colour": _printed(story_rich(blocks), colour=True),
        "graph": graph_text(pic, "terminal"),
        "graph in colour": _printed(render_graph(pic, ascii=False, width=80), colour=True),
        "dot": graph_text(pic, "dot"),
        "mermaid": graph_text(pic, "mermaid"),
    }


@given(programs())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_output_of_a_hostile_program_is_safe(program: tuple[str, dict[str, object]]) -> None:
    source, values_ = program
    try:
        outputs = every_output(source, values_)
    except BpropError as err:
        _no_raw("error", str(err).replace("\n", " "))
        return
    for what, text in outputs.items():
        tsv_tabs = text.replace("\t", " ") if what in ("plain", "tsv") else text
        _no_raw(what, tsv_tabs.replace("\n", " "))


@given(st.text(st.sampled_from(NASTY) | st.characters(codec="utf-8"), max_size=40))
@settings(max_examples=150, deadline=None)
def test_any_text_as_a_program_renders_safely(text: str) -> None:
    """Arbitrary text (mostly not a program): the error, or every output, shows no raw control."""
    try:
        outputs = every_output(f"x + 1 # {text}\n{text}", {"x": 0.5})
    except BpropError as err:
        _no_raw("error", str(err).replace("\n", " "))
        return
    for what, text_out in outputs.items():
        _no_raw(what, text_out.replace("\n", " ").replace("\t", " "))


@given(programs())
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_trust_outputs_of_a_hostile_program_are_safe(program: tuple[str, dict[str, object]]) -> None:
    """--check, --exact and --latex (sympy): few examples, as each costs a symbolic computation."""
    from bprop_cli.trust.wiring import evaluate
    from bprop_cli.views.trust import trust_json, trust_plain, trust_tables

    source, values_ = program
    given_text = {k: repr(v) if isinstance(v, float) else str(v) for k, v in values_.items()}
    try:
        result = evaluate(source, given_text, check=True, exact=True, latex=True)
        outputs = {"json": trust_json(result, True), "plain": "\n".join(trust_plain(result, True)),
                   "tables": _printed(trust_tables(result), colour=True)}
    except BpropError as err:
        _no_raw("error", str(err).replace("\n", " "))
        return
    json.loads(outputs["json"])
    for what, text in outputs.items():
        _no_raw(what, text.replace("\n", " ").replace("\t", " "))


def test_the_fuzz_harness_passes_on_its_corpus() -> None:
    """fuzz/fuzz_parser.py's checks (parse, run at edge values, render everything) on its saved
    inputs, so the harness keeps working between fuzzing runs (it needs no atheris to replay)."""
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("fuzz_parser", ROOT / "fuzz" / "fuzz_parser.py")
    assert spec is not None and spec.loader is not None
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    corpus = sorted((ROOT / "fuzz" / "corpus").iterdir())
    assert len(corpus) >= 10
    for path in corpus:
        harness.test_one_input(path.read_bytes())


@st.composite
def array_programs(draw):  # type: ignore[no-untyped-def]
    """The same programs over vectors: every input a vector of edge values, the output summed."""
    source, given_ = draw(programs())
    size = draw(st.integers(1, 3))
    arrays = {name: "[" + ", ".join(repr(draw(values)) for _ in range(size)) + "]" for name in given_}
    last = source.rstrip().rsplit("\n", 1)[-1].split("=", 1)[0].strip()
    return f"{source}\nout = sum({last})  # {draw(comments)}", arrays


@given(array_programs())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_output_of_a_hostile_array_program_is_safe(program: tuple[str, dict[str, object]]) -> None:
    source, values_ = program
    try:
        trace = run(source, values_)  # type: ignore[arg-type]
        outputs = {
            "json": render_json(trace), "table": _printed(render_table(trace), colour=True),
            "plain": "\n".join(render_plain(trace)), "markdown": render_markdown(trace),
            "csv": render_delimited(trace, ","), "explain": story_plain(narrate(trace), width=80),
        }
    except BpropError as err:
        _no_raw("error", str(err).replace("\n", " "))
        return
    assert json.loads(outputs["json"])["expression"] == source
    for what, text in outputs.items():
        _no_raw(what, text.replace("\n", " ").replace("\t", " "))
