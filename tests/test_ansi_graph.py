"""`bprop graph` on a terminal without importing Rich: graph.picture_text writes the picture in
the very bytes Rich prints for the same picture (Rich is the oracle here) whenever it returns
anything, and leaves to Rich (None) whatever it cannot write the same way: a line Rich would
wrap, a character whose width Rich measures from its own tables."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from test_ansi import bprop_on_pty, run_on_pty
from test_architecture import loaded_modules
from test_render_fuzz import array_programs, programs

from bprop_cli.engine.run import run
from bprop_cli.errors import BpropError
from bprop_cli.lang.catalog import examples
from bprop_cli.views import ansi
from bprop_cli.views.picture import build_picture
from bprop_cli.views.pictures import picture_text, terminal_picture
from bprop_cli.views.tree import ASCII, UNICODE, graph_lines

WIDTHS = (40, 60, 80, 120)
LIMITS = (60, 0, 4, 12)  # the default, everything, and cut trees with '...' boxes


def by_rich(pic, width: int, colour: bool, system: str = "standard") -> str:  # type: ignore[no-untyped-def]
    """What terminal.picture prints through Rich (show_renderable) on a console of this width."""
    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False, emoji=False, soft_wrap=False,
                      **({"force_terminal": True, "color_system": system} if colour else {"color_system": None}))
    console.print(terminal_picture(pic, width, plain=not colour))
    return ansi.strip_trailing(out.getvalue())


def by_ansi(pic, width: int, colour: bool) -> str | None:  # type: ignore[no-untyped-def]
    return picture_text(pic, ansi.Screen(width, colour))


def same_or_left_to_rich(pic, width: int, colour: bool) -> bool:  # type: ignore[no-untyped-def]
    """Whatever picture_text writes is Rich's bytes; True if it wrote something."""
    mine = by_ansi(pic, width, colour)
    if mine is not None:
        assert mine == by_rich(pic, width, colour), (width, colour)
    return mine is not None


def traces(arrays: bool) -> list[tuple[str, object]]:
    found = []
    for name, e in examples().items():
        trace = run(e.program, dict(v.split("=", 1) for v in e.values))  # type: ignore[arg-type]
        if bool(trace.arrays) == arrays:
            found.append((name, trace))
    return found


SCALAR, ARRAY = traces(False), traces(True)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("colour", [False, True])
def test_every_scalar_example_is_written_in_riches_bytes(width: int, colour: bool) -> None:
    written = sum(same_or_left_to_rich(build_picture(trace, limit), width, colour)
                  for _, trace in SCALAR for limit in LIMITS)
    if width >= 80:  # the point of it: at a usual width nearly every picture needs no Rich at all
        assert written >= 0.9 * len(SCALAR) * len(LIMITS), written
    elif width == 60:  # the legend is folded as Rich folds it, so most still need none
        assert written >= 0.6 * len(SCALAR) * len(LIMITS), written


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("colour", [False, True])
def test_every_array_example_is_written_in_riches_bytes(width: int, colour: bool) -> None:
    written = sum(same_or_left_to_rich(build_picture(trace, limit), width, colour)
                  for _, trace in ARRAY for limit in LIMITS)
    if width >= 80:
        assert written >= 0.5 * len(ARRAY) * len(LIMITS), written


@pytest.mark.parametrize("system", ["standard", "256", "truecolor"])
def test_the_colour_codes_are_riches_in_every_colour_system(system: str) -> None:
    for name, trace in SCALAR[:5] + ARRAY[:1]:
        pic = build_picture(trace)
        mine = by_ansi(pic, 80, True)
        assert mine is not None, name
        assert mine == by_rich(pic, 80, True, system=system), name


# Pictures with every part the drawing has: trees cut at MAX_DEPTH and continued below, wires
# into a node drawn above, notes beside a gradient or on a line of their own, the footer of
# fan-out sums (and its '... and N more'), inputs not used, nodes not drawn, kink notes.
DEEP = "\n".join(["v0 = x * y"] + [f"v{i} = v{i - 1} * x + y" for i in range(1, 14)])
MANY_FANS = " + ".join(f"a{i}*a{i}" for i in range(15))
SHAPES = [
    (DEEP, {"x": "0.5", "y": "-1.25"}),
    (MANY_FANS, {f"a{i}": str(i - 7) for i in range(15)}),
    ("u = y * 2\nf = x * 2", {"x": "3", "y": "4"}),
    ("relu(x) + abs(y) + x*y", {"x": "0", "y": "0"}),
    ("q = exp(x) * x\nr = tanh(q) + sigmoid(q) * q\nf = log(r + 2) / (1 + r*r)", {"x": "-0.75"}),
]


@pytest.mark.parametrize("source,values", SHAPES, ids=["deep", "many-fans", "unused", "kinks", "shared"])
def test_every_part_of_the_drawing_is_riches(source: str, values: dict[str, str]) -> None:
    trace = run(source, values)  # type: ignore[arg-type]
    written = 0
    for limit in (0, 3, 8, 60):
        pic = build_picture(trace, limit)
        for width in (*WIDTHS, 100, 200):
            for colour in (False, True):
                written += same_or_left_to_rich(pic, width, colour)
    assert written >= 8  # at 80 columns and wider, in colour and not, at least


def test_the_parts_are_written_without_rich_at_80_columns() -> None:
    """The drawing's rarer parts really go through the writer (not only to Rich)."""
    seen = ""
    for source, values in SHAPES:
        trace = run(source, values)  # type: ignore[arg-type]
        for limit in (0, 8):
            for colour in (False, True):
                pic = build_picture(trace, limit)
                mine = by_ansi(pic, 80, colour)
                assert mine is not None, (source, limit, colour)
                assert mine == by_rich(pic, 80, colour)
                seen += mine
    for part in ("continued below", "drawn above", "share of", "gradients add where a value is used more than once",
                 "more\x1b[0m", "not used by f", "more nodes not drawn", "* v1: not differentiable at 0",
                 "└─ ", "├─ ", "│  ", "`- ", "|- ", "\x1b[2m", "\x1b[36m", "\x1b[32m", "\x1b[31m", "\x1b[33m"):
        assert part in seen, part


def test_at_80_columns_no_example_is_laid_out_wider() -> None:
    """The layout keeps within the width it is given, so Rich has nothing to wrap (a note on a
    line of its own moves left rather than run past the edge)."""
    for name, trace in SCALAR + ARRAY:
        for width in (80, 120):
            for plain in (False, True):
                for line in graph_lines(build_picture(trace), plain, width):
                    assert sum(len(text) for text, _ in line) <= width, (name, width, line)


def test_what_does_not_fit_is_left_to_rich() -> None:
    pic = build_picture(run("(x+y)*z", {"x": -2.0, "y": 5.0, "z": -4.0}))
    assert by_ansi(pic, 80, True) is not None
    assert by_ansi(pic, 60, True) is not None  # the legend is folded as Rich would fold it
    assert by_ansi(pic, 20, True) is None  # a wire's line would wrap: Rich wraps it
    assert ansi.spans_lines([[("x = ", None), ("中", "red")]], ansi.Screen(80, True)) is None  # two cells wide
    assert ansi.spans_lines([[("e\u0301", None)]], ansi.Screen(80, False)) is None  # a combining accent
    assert ansi.spans_lines([[("a\tb", None)]], ansi.Screen(80, False)) is None  # Rich expands tabs
    assert ansi.spans_lines([[("abc", None), ("de", "red")]], ansi.Screen(5, True)) == ["abc\x1b[31mde\x1b[0m"]
    assert ansi.spans_lines([[("abc", None), ("def", "red")]], ansi.Screen(5, True)) is None


def test_the_drawings_characters_are_one_cell_for_rich() -> None:
    for glyphs in (UNICODE, ASCII):
        for glyph in glyphs.values():
            assert ansi.simple(glyph) and cell_len(glyph) == len(glyph), glyph
    for arrow in ("value →", "← gradient"):
        assert ansi.simple(arrow) and cell_len(arrow) == len(arrow)


@given(programs(), st.sampled_from(WIDTHS), st.sampled_from(LIMITS), st.booleans())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_programs_are_drawn_in_riches_bytes(program, width: int, limit: int, colour: bool) -> None:  # type: ignore[no-untyped-def]
    source, values = program
    try:
        trace = run(source, values)
    except BpropError:
        return
    pic = build_picture(trace, limit)
    same_or_left_to_rich(pic, width, colour)
    same_or_left_to_rich(pic, 120, colour)  # where most of them are written


@given(array_programs(), st.sampled_from((80, 120)), st.sampled_from(LIMITS), st.booleans())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_array_programs_are_drawn_in_riches_bytes(program, width: int, limit: int, colour: bool) -> None:  # type: ignore[no-untyped-def]
    source, values = program
    try:
        trace = run(source, values)
    except BpropError:
        return
    same_or_left_to_rich(build_picture(trace, limit), width, colour)


@pytest.mark.parametrize("argv", [["graph", "(x+y)*z", "x=-2", "y=5", "z=-4"], ["graph", "--example", "mazur-scalar"]],
                         ids=["cs231n", "mazur"])
@pytest.mark.parametrize("no_color", [False, True])
def test_on_a_terminal_graph_prints_riches_bytes_without_rich(argv: list[str], no_color: bool) -> None:
    """End to end on a pseudo-terminal: the same bytes as the Rich path, and Rich never imported."""
    env = {"NO_COLOR": "1"} if no_color else {}
    fast, slow = bprop_on_pty(argv, rich=False, env=env), bprop_on_pty(argv, rich=True, env=env)
    if no_color:  # ASCII lines, no escape at all
        assert "\x1b" not in fast[0] and "|- " in fast[0]
    else:  # in colour, with the tree's box-drawing lines
        assert "\x1b[36m" in fast[0] and "├─ " in fast[0]
    assert fast == slow and fast[1] == 0


def test_on_a_terminal_a_cut_tree_is_riches_bytes() -> None:
    """--max-nodes goes through the Typer app (which loads Rich itself): the bytes only."""
    argv = ["graph", "--example", "mazur-scalar", "--max-nodes", "20"]
    main = f"import sys; sys.argv = {['bprop', *argv]!r}\nfrom bprop_cli.cli.entry import main\nmain()\n"
    fast = run_on_pty(main)
    slow = run_on_pty("import bprop_cli.views.pictures as g\ng.picture_text = lambda *a: None\n" + main)
    assert "more nodes not drawn" in fast[0] and "\x1b[36m" in fast[0]
    assert fast == slow and fast[1] == 0


def test_on_a_narrow_terminal_rich_still_draws_the_graph() -> None:
    argv = ["graph", "(x+y)*z", "x=-2", "y=5", "z=-4"]
    main = f"import sys; sys.argv = {['bprop', *argv]!r}\nfrom bprop_cli.cli.entry import main\nmain()\n"
    text, code = run_on_pty(main + "assert 'rich.console' in sys.modules\n", {"COLUMNS": "20"})
    assert code == 0 and "├─ " in text and "\x1b[31m" in text


def test_graph_in_a_pipe_loads_no_rich() -> None:
    loaded = loaded_modules("graph", "(x+y)*z", "x=-2", "y=5", "z=-4")
    assert "bprop_cli.views.tree" in loaded  # the picture was drawn
    assert not {m for m in loaded if m == "rich" or m.startswith("rich.")}
