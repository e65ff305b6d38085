"""views/story.py's story_ansi writes lessons and walkthroughs on a colour terminal without
importing Rich. Whatever it writes must be the very bytes Rich prints for story_rich (Rich is the
oracle here: padding spaces and colour codes included), and whatever it cannot lay out the same
way it must leave to Rich. In a pipe, `bprop explain` and `bprop examples` print what they
printed before, without Rich."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text
from test_ansi import NO_RICH, run_on_pty
from test_render_fuzz import programs

from bprop_cli.cli.listing import examples_blocks
from bprop_cli.engine.run import run
from bprop_cli.engine.values import parse_assignments
from bprop_cli.errors import BpropError
from bprop_cli.gates.registry import GATES
from bprop_cli.lang.catalog import examples
from bprop_cli.tutor.blocks import Block
from bprop_cli.tutor.descent import descent_lesson
from bprop_cli.tutor.lessons import TOPICS, index, lesson
from bprop_cli.tutor.narration import narrate
from bprop_cli.views import ansi
from bprop_cli.views.story import story_ansi, story_plain, story_rich

WIDTHS = (40, 60, 80, 88, 120)


def by_rich(blocks, width: int, colour: bool, system: str = "standard") -> str:  # type: ignore[no-untyped-def]
    """What terminal.tell printed through Rich for these blocks on a screen `width` wide."""
    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False,
                      **({"force_terminal": True, "color_system": system} if colour else {"color_system": None}))
    console.print(story_rich(blocks, width=width))
    return out.getvalue()


def by_ansi(blocks, width: int, colour: bool) -> str | None:  # type: ignore[no-untyped-def]
    return story_ansi(blocks, ansi.Screen(width, colour))


LESSONS = {"index": index(), **{name: lesson(name) for name in TOPICS}, **{name: lesson(name) for name in GATES}}


def _walkthroughs() -> dict[str, list[Block]]:
    found: dict[str, list[Block]] = {"examples": examples_blocks()}
    for name, e in examples().items():
        values = parse_assignments(list(e.values))
        found[name] = narrate(run(e.program, values))
        if "\n" not in e.program:
            found[f"{name} --expand"] = narrate(run(e.program, values, expand=True), expand=True)
    found["gradient-descent"] = descent_lesson("(x+y)*z", {"x": "-2", "y": "5", "z": "-4"},
                                               ["(x+y)*z", "x=-2", "y=5", "z=-4"], None, None)
    long_chain = "\n".join(["y0 = x"] + [f"y{i} = y{i - 1} * 1.5 + x" for i in range(1, 70)])
    found["a long chain, summarised"] = narrate(run(long_chain, {"x": 0.5}))
    return found


WALKTHROUGHS = _walkthroughs()


def _check_all(stories: dict[str, list[Block]], width: int, colour: bool) -> int:
    written = 0
    for name, blocks in stories.items():
        mine = by_ansi(blocks, width, colour)
        if mine is not None:
            written += 1
            assert mine == by_rich(blocks, width, colour), (name, width, colour)
    return written


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("colour", [True, False])
def test_every_lesson_is_written_in_riches_bytes(width: int, colour: bool) -> None:
    written = _check_all(LESSONS, width, colour)
    if width >= 80:  # the point of it: `bprop explain TOPIC` needs no Rich
        assert written == len(LESSONS)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("colour", [True, False])
def test_every_walkthrough_and_the_examples_list_are_written_in_riches_bytes(width: int, colour: bool) -> None:
    written = _check_all(WALKTHROUGHS, width, colour)
    if width >= 80:
        assert written >= 0.9 * len(WALKTHROUGHS), (written, len(WALKTHROUGHS))
        assert by_ansi(WALKTHROUGHS["examples"], width, colour) is not None


@pytest.mark.parametrize("system", ["256", "truecolor"])
def test_the_colour_codes_are_riches_in_every_colour_system(system: str) -> None:
    shown = ""
    for blocks in (LESSONS["mul"], LESSONS["index"], WALKTHROUGHS["cs231n"], WALKTHROUGHS["mazur"]):
        mine = by_ansi(blocks, 80, True)
        assert mine is not None and mine == by_rich(blocks, 80, True, system=system)
        shown += mine
    for sgr in ("1;4", "1;35", "2", "1", "1;32", "32"):  # title, node, label, number, command, code
        assert f"\x1b[{sgr}m" in shown, sgr


def test_what_rich_must_lay_out_is_left_to_it() -> None:
    assert by_ansi(LESSONS["mul"], 12, True) is None  # too narrow to be sure of Rich's squeezing
    assert by_ansi([Block("text", "a café ☕ in the text")], 80, True) is None  # Rich measures these itself
    assert by_ansi([Block("text", "tab\there")], 80, True) is None  # Rich expands a tab itself
    tabbed = [Block("step", "tab\there", 1)]  # the prose wrap has made it spaces already
    assert by_ansi(tabbed, 80, True) == by_rich(tabbed, 80, True)
    assert by_ansi([Block("step", "", 1000, "", (("a", "b"),))], 80, True) is None  # '1000.' overflows the gutter
    long_label = (("l" * 80, "x = 1"),)
    assert by_ansi([Block("step", "", 1, "", long_label)], 80, True) is None  # labels wider than the column


@given(programs(), st.sampled_from(WIDTHS), st.booleans(), st.booleans())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_walkthroughs_are_written_in_riches_bytes(program, width: int, colour: bool,  # type: ignore[no-untyped-def]
                                                            expand: bool) -> None:
    source, values = program
    try:
        blocks = narrate(run(source, values, expand=expand), expand=expand)
    except BpropError:
        return
    mine = by_ansi(blocks, width, colour)
    if mine is not None:
        assert mine == by_rich(blocks, width, colour)


# Text made to find the edges of the layout: spaces in runs, ' = ' (kept whole by the prose
# wrap), long words (folded), brackets and commas (where formulas break), node ids, blank lines.
_WORDS = st.sampled_from(["x", "y2", "a", "=", " = ", "*", "+", "(x + y)", "1.5", "-4", "dx/dy", "ab", "x@2",
                          "alongwordwithoutanyspacesatallthatgoeson", ",", ", ", ".", "  ", " ", "Σ", "∂f/∂x"])
texts = st.lists(_WORDS, max_size=40).map("".join)
lines_of = st.lists(texts, min_size=1, max_size=3).map("\n".join)


@st.composite
def blocks(draw):  # type: ignore[no-untyped-def]
    made = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["title", "heading", "code", "text", "try", "step", "step"]))
        if kind != "step":
            made.append(Block(kind, draw(lines_of if kind in ("code", "try") else texts)))
            continue
        rows = draw(st.lists(st.tuples(st.sampled_from(["forward", "local", "dx", "d(a * b)/da", "Δ2 = dL/dp", ""]),
                                       texts | lines_of.map(lambda t: "m = [[1  2]\n      [3  4]]" + t)),
                             max_size=4))
        made.append(Block("step", draw(texts), draw(st.integers(0, 120)), draw(st.sampled_from(["", "x", "y2", "a"])),
                          tuple(rows)))
    return made


@given(blocks(), st.sampled_from(WIDTHS), st.booleans())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_blocks_are_written_in_riches_bytes(made, width: int, colour: bool) -> None:  # type: ignore[no-untyped-def]
    mine = by_ansi(made, width, colour)
    if mine is not None:
        assert mine == by_rich(made, width, colour)


@given(st.lists(st.sampled_from(list("ab -=*\n,.") + ["  ", "Σ", "word" * 6]), max_size=60).map("".join),
       st.integers(1, 50))
@settings(max_examples=500, deadline=None)
def test_wrapped_is_riches_word_wrap(text: str, width: int) -> None:
    console = Console(file=io.StringIO(), width=200)
    theirs = [line.plain for line in Text(text).wrap(console, width, justify="default", overflow="fold")]
    assert ansi.wrapped(text, width) == theirs


# End to end: the command as a person runs it, on a pseudo-terminal and in a pipe.

def _run(code: str, tty: bool, env: dict[str, str] | None = None, columns: int = 90) -> str:
    full = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}
    full["TERM"] = "xterm-256color"
    full.update(env or {})
    if not tty:
        r = subprocess.run([sys.executable, "-c", code], stdin=subprocess.DEVNULL, capture_output=True, env=full, check=False,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout.decode()
    shown, status = run_on_pty(code, full, columns)
    assert status == 0, shown
    return shown



def _main(argv: list[str], before: str = "", after: str = "") -> str:
    return f"import sys; sys.argv = {['bprop', *argv]!r}\n{before}from bprop_cli.cli.entry import main\nmain()\n{after}"


RICH_LAYS_IT_OUT = "import bprop_cli.views.story as s\ns.story_ansi = lambda *a: None\n"
RICH_DECIDES = "import bprop_cli.views.ansi as a\na.screen = lambda: None\n"  # the code before story_ansi


@pytest.mark.parametrize("argv", [["explain", "mul"], ["examples"], ["explain", "(x+y)*z", "x=-2", "y=5", "z=-4"]],
                         ids=" ".join)
@pytest.mark.parametrize("columns", [90, 60])
def test_on_a_terminal_explain_and_examples_print_riches_bytes_without_rich(argv: list[str], columns: int) -> None:
    fast = _run(_main(argv, after=NO_RICH), tty=True, columns=columns)
    slow = _run(_main(argv, before=RICH_LAYS_IT_OUT), tty=True, columns=columns)
    assert "\x1b[1m" in fast  # in colour
    assert fast == slow


@pytest.mark.parametrize("argv", [["explain", "mul"], ["explain"], ["examples"]], ids=" ".join)
@pytest.mark.parametrize("how", [{"tty": False}, {"tty": False, "env": {"COLUMNS": "50"}},
                                 {"tty": True, "env": {"NO_COLOR": "1"}}], ids=["pipe", "pipe-50", "no-colour-tty"])
def test_without_colour_the_text_is_todays_and_rich_is_not_imported(argv: list[str], how: dict) -> None:  # type: ignore[type-arg]
    fast = _run(_main(argv, after=NO_RICH), **how)
    slow = _run(_main(argv, before=RICH_DECIDES), **how)
    assert fast == slow
    assert "\x1b" not in fast
    blocks = examples_blocks() if argv == ["examples"] else (lesson("mul") if argv[1:] else index())
    width = int(how.get("env", {}).get("COLUMNS", 90 if how["tty"] else 80))
    assert fast.replace("\r\n", "\n") == story_plain(blocks, width=min(width, 80))
