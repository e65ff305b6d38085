"""views/ansi.py writes the table report without importing Rich. Whatever it writes must be
the very bytes Rich prints for the same report (Rich is the oracle here), and whatever it cannot
write the same way it must leave to Rich. Also: the width and colour it picks are the ones the
console Rich would have made picks, in a pipe and on a pseudo-terminal."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from test_render_fuzz import programs

from bprop_cli.engine.run import run
from bprop_cli.errors import BpropError
from bprop_cli.lang.catalog import examples
from bprop_cli.views import ansi
from bprop_cli.views.report import table_parts
from bprop_cli.views.table import render_table

WIDTHS = (40, 60, 80, 120)


def by_rich(trace, width: int, colour: bool, all_rows: bool = False, system: str = "standard") -> str:  # type: ignore[no-untyped-def]
    """What the table format printed through Rich (commands.show_renderable) looks like."""
    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False, emoji=False, soft_wrap=False,
                      **({"force_terminal": True, "color_system": system} if colour else {"color_system": None}))
    console.print(render_table(trace, all_rows, width))
    return ansi.strip_trailing(out.getvalue())


def by_ansi(trace, width: int, colour: bool, all_rows: bool = False) -> str | None:  # type: ignore[no-untyped-def]
    screen = ansi.Screen(width, colour)
    return ansi.report_text(table_parts(trace, all_rows, width), all_rows, screen)


def scalar_examples() -> list[tuple[str, object]]:
    found = []
    for name, e in examples().items():
        values = dict(v.split("=", 1) for v in e.values)
        trace = run(e.program, values)  # type: ignore[arg-type]
        if not trace.arrays:
            found.append((name, trace))
    return found


EXAMPLES = scalar_examples()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("colour", [False, True])
def test_every_example_is_written_in_riches_bytes(width: int, colour: bool) -> None:
    written = 0
    for name, trace in EXAMPLES:
        mine = by_ansi(trace, width, colour)
        if mine is not None:
            written += 1
            assert mine == by_rich(trace, width, colour), (name, width, colour)
    if width >= 80:  # the point of it: at a usual width most examples need no Rich at all
        assert written >= 0.8 * len(EXAMPLES), (written, len(EXAMPLES))


@pytest.mark.parametrize("system", ["standard", "256", "truecolor"])
def test_the_colour_codes_are_riches_in_every_colour_system(system: str) -> None:
    for name, trace in EXAMPLES[:6]:
        mine = by_ansi(trace, 80, True)
        if mine is not None:
            assert mine == by_rich(trace, 80, True, system=system), name


def test_a_summarised_table_and_its_gap_row() -> None:
    program = "\n".join(["y0 = x"] + [f"y{i} = y{i - 1} * 1.0001 + x" for i in range(1, 70)])
    trace = run(program, {"x": 2.0})
    for colour in (False, True):
        mine = by_ansi(trace, 100, colour)
        assert mine is not None and "more rows (--all-rows shows them)" in mine
        assert mine == by_rich(trace, 100, colour)


def test_what_does_not_fit_is_left_to_rich() -> None:
    trace = run("f = sigmoid(w0*x0 + w1*x1 + w2) * tanh(w3*x0 - w4*x1) + relu(w5*x0*x1)",
                {n: 0.5 for n in ("w0", "w1", "w2", "w3", "w4", "w5", "x0", "x1")})
    assert by_ansi(trace, 120, False) is not None
    assert by_ansi(trace, 24, False) is None  # the backward table would fold: Rich lays it out
    trace = run("f = x * 2  # café ☕", {"x": 1.0})
    assert by_ansi(trace, 80, True) is None  # a character Rich measures from its own tables


@given(programs(), st.sampled_from(WIDTHS), st.booleans())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_programs_are_written_in_riches_bytes(program, width: int, colour: bool) -> None:  # type: ignore[no-untyped-def]
    source, values = program
    try:
        trace = run(source, values)
    except BpropError:
        return
    mine = by_ansi(trace, width, colour)
    if mine is not None:
        assert mine == by_rich(trace, width, colour)


@given(st.lists(st.tuples(st.text("ab -=*\n0123456789", max_size=14), st.sampled_from([None, "dim", "red"])),
                min_size=3, max_size=3), st.permutations(["left", "right", "left"]),
       st.lists(st.sampled_from([None, "cyan", "bold red", "green"]), min_size=3, max_size=3),
       st.lists(st.integers(0, 6), min_size=3, max_size=3), st.booleans())
@settings(max_examples=300, deadline=None)
def test_a_table_of_any_cells_is_riches(cells, justify, styles, mins, colour) -> None:  # type: ignore[no-untyped-def]
    from rich import box
    from rich.table import Table
    from rich.text import Text

    columns = [ansi.Col(f"h{k}", justify[k], styles[k], mins[k]) for k in range(3)]
    rows = [[ansi.Cell(text, style) for text, style in cells], [ansi.Cell("x"), ansi.Cell(""), ansi.Cell("1\n2")]]
    mine = ansi.table_lines(columns, rows, ansi.Screen(60, colour))
    assert mine is not None
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for c in columns:
        table.add_column(c.header, justify=c.justify, style=c.style, min_width=c.min_width, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(Text(c.text, style=c.style or "") for c in row))
    out = io.StringIO()
    Console(file=out, width=60, highlight=False, emoji=False,
            **({"force_terminal": True, "color_system": "standard"} if colour else {"color_system": None})).print(table)
    assert "\n".join(mine) + "\n" == out.getvalue()


def test_the_styles_codes_are_riches() -> None:
    for style in ("bold", "dim", "cyan", "green", "red", "yellow", "magenta", "bold red", "bold magenta",
                  "bold underline", "bold cyan", "bold green", "dim cyan", "italic blue"):
        assert ansi.codes(style) == Style.parse(style)._make_ansi_codes(None), style  # type: ignore[arg-type]
    assert ansi.codes("cyan", "dim") == (Style.parse("cyan") + Style.parse("dim"))._make_ansi_codes(None)  # type: ignore[arg-type]
    assert ansi.codes("bold red", "green") == (Style.parse("bold red") + Style.parse("green"))._make_ansi_codes(None)  # type: ignore[arg-type]


def test_the_characters_taken_as_one_cell_are_one_cell_for_rich() -> None:
    for ch in ansi._ONE_CELL:
        assert cell_len(ch) == 1, ch
    assert all(ansi.simple(chr(c)) for c in range(32, 127))
    assert not any(ansi.simple(ch) for ch in "\t\x1b\x7f\u200b中é")


PROBE = (
    "import json, sys\n"
    "from bprop_cli.views import ansi\n"
    "from bprop_cli.cli.terminal import console\n"
    "c = console()\n"
    "s = ansi.screen()\n"
    "print(json.dumps([None if s is None else list(s), [c.width, bool(c.color_system) and not c.no_color]]),"
    " file=sys.stderr)\n"
)


def _probe(env: dict[str, str], tty: bool, columns: int = 100) -> tuple[object, list[object]]:
    full = {k: v for k, v in os.environ.items()
            if k not in ("COLUMNS", "NO_COLOR", "FORCE_COLOR", "TERM", "TTY_COMPATIBLE", "COLORTERM")}
    full.update(env)
    if tty:
        import fcntl
        import pty
        import struct
        import termios

        main_fd, sub_fd = pty.openpty()
        fcntl.ioctl(sub_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
        try:
            r = subprocess.run([sys.executable, "-c", PROBE], stdin=subprocess.DEVNULL, stdout=sub_fd,
                               stderr=subprocess.PIPE, env=full, timeout=60, text=True)
        finally:
            os.close(sub_fd)
            os.close(main_fd)
    else:
        r = subprocess.run([sys.executable, "-c", PROBE], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=full, timeout=60, text=True)
    mine, rich_ = json.loads(r.stderr.strip().splitlines()[-1])
    return mine, rich_


@pytest.mark.parametrize("tty", [False, True])
@pytest.mark.parametrize("env", [{}, {"COLUMNS": "40"}, {"COLUMNS": "wide"}, {"NO_COLOR": "1"}, {"NO_COLOR": ""},
                                 {"TERM": "xterm-256color"}, {"TERM": "xterm", "COLORTERM": "truecolor"},
                                 {"TERM": "dumb"}, {"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "0"}])
def test_the_screen_is_the_one_riches_console_sees(env: dict[str, str], tty: bool) -> None:
    mine, rich_ = _probe(env, tty)
    if mine is not None:
        assert mine == rich_
    else:  # only where Rich has its own say
        assert set(env) & {"FORCE_COLOR", "TTY_COMPATIBLE", "TERM"}
    if tty and not env:
        assert mine == [100, True]


def run_on_pty(code: str, env: dict[str, str] | None = None, columns: int = 90) -> tuple[str, int]:
    """Run Python `code` with stdout and stderr on one pseudo-terminal of `columns` columns: what
    it shows and its exit code."""
    import fcntl
    import pty
    import struct
    import termios

    main_fd, sub_fd = pty.openpty()
    fcntl.ioctl(sub_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
    full = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}
    full.update({"TERM": "xterm-256color", **(env or {})})
    chunks = []
    with subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL, stdout=sub_fd,
                          stderr=sub_fd, env=full) as p:
        os.close(sub_fd)
        while True:
            try:
                data = os.read(main_fd, 65536)
            except OSError:  # the terminal's other end has closed
                break
            if not data:
                break
            chunks.append(data)
    os.close(main_fd)
    return b"".join(chunks).decode(), p.returncode


NO_RICH = "\nassert not [m for m in sys.modules if m == 'rich' or m.startswith('rich.')], 'rich was imported'\n"
BY_RICH = "import bprop_cli.views.ansi as a\na.screen = lambda stream=None: None\n"  # Rich decides everything


def bprop_on_pty(argv: list[str], rich: bool, env: dict[str, str] | None = None) -> tuple[str, int]:
    main = f"import sys; sys.argv = {['bprop', *argv]!r}\nfrom bprop_cli.cli.entry import main\n"
    if rich:
        return run_on_pty(BY_RICH + main + "main()\n", env)
    return run_on_pty(main + "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
                      + NO_RICH + "sys.exit(code)\n", env)


def test_on_a_terminal_eval_prints_riches_bytes_without_rich() -> None:
    """End to end on a pseudo-terminal: the same bytes as the Rich path, and Rich never imported."""
    argv = ["eval", "(x+y)*z", "x=-2", "y=5", "z=-4"]
    fast, slow = bprop_on_pty(argv, rich=False), bprop_on_pty(argv, rich=True)
    assert "\x1b[36m" in fast[0]  # in colour
    assert fast == slow and fast[1] == 0


@pytest.mark.parametrize("argv", [["eval", "(x+y))", "x=1", "y=2"], ["eval", "log(x)", "x=-1"], ["eval", "sigmod(x)", "x=1"],
                                  ["eval", "x*y", "x=1"], ["--version"]])
@pytest.mark.parametrize("no_color", [False, True])
def test_on_a_terminal_errors_are_riches_red_without_rich(argv: list[str], no_color: bool) -> None:
    env = {"NO_COLOR": "1"} if no_color else {}
    fast, slow = bprop_on_pty(argv, rich=False, env=env), bprop_on_pty(argv, rich=True, env=env)
    assert fast == slow
    if argv != ["--version"]:
        assert fast[1] == 2 or fast[1] == 1
        assert ("\x1b[31m" in fast[0]) == (not no_color)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "utf-16"])
@pytest.mark.parametrize("argv", [["eval", "(x+y)*z", "x=-2", "y=5", "z=-4"], ["graph", "(x+y)*z", "x=-2", "y=5", "z=-4"],
                                  ["explain", "mul"], ["examples"], ["eval", "(x+y", "x=1"]], ids=lambda a: " ".join(a)[:20])
def test_a_stream_that_is_not_utf8_gets_riches_output(argv: list[str], encoding: str) -> None:
    """Rich draws a table's rules in ASCII for such a stream; whatever bprop writes must match."""
    env = {**{k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}, "PYTHONIOENCODING": encoding}
    main = f"import sys; sys.argv = {['bprop', *argv]!r}\nfrom bprop_cli.cli.entry import main\nmain()\n"
    got = [subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=60)
           for code in (main, BY_RICH + main)]
    assert (got[0].stdout, got[0].stderr, got[0].returncode) == (got[1].stdout, got[1].stderr, got[1].returncode)
