"""Start-up of the Typer commands: help is drawn without importing the parts of Rich that Typer
loads for it but does not use (rich.markdown, rich.traceback, rich._emoji_codes), and says exactly
the same; the commands that run no program do not import the engine."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from test_architecture import loaded_modules

RUN_MAIN = "import sys\nfrom bprop_cli.cli.entry import main\nsys.argv = ['bprop', *sys.argv[1:]]\nmain()\n"
REAL_FIRST = "import rich.markdown, rich.traceback, rich._emoji_codes\n"  # imported for real first: no stand-ins


def _run(code: str, *args: str, colour: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(COLUMNS="80", **({"FORCE_COLOR": "1"} if colour else {"NO_COLOR": "1"}))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=60)


@pytest.mark.parametrize("args", [("--help",), ("eval", "--help"), ("graph", "-h"), ("explain", "--help"),
                                  ("eval", "--nonsense"), ("frobnicate",)], ids=" ".join)
@pytest.mark.parametrize("colour", [False, True], ids=["no-colour", "colour"])
def test_help_and_usage_errors_are_the_same_with_the_stand_ins(args: tuple[str, ...], colour: bool) -> None:
    deferred = _run(RUN_MAIN, *args, colour=colour)
    real = _run(REAL_FIRST + RUN_MAIN, *args, colour=colour)
    assert (deferred.stdout, deferred.stderr, deferred.returncode) == (real.stdout, real.stderr, real.returncode)
    assert deferred.stdout or deferred.stderr


@pytest.mark.parametrize("args", [("--help",), ("eval", "--help"), ("examples",), ("explain", "chain-rule")],
                         ids=" ".join)
def test_typer_commands_load_neither_markdown_nor_pygments(args: tuple[str, ...]) -> None:
    loaded = loaded_modules(*args)
    assert ("typer" in loaded) == (args[-1] == "--help")  # help is Typer's; examples and topics take the fast path
    assert not {m for m in loaded if m.split(".")[0] in ("markdown_it", "pygments")}
    assert "bprop_cli.views.picture" not in loaded  # the picture code is only for pictures


def test_a_stand_in_becomes_the_real_module_when_used() -> None:
    code = (
        "import sys\n"
        "import bprop_cli.cli.deferred\n"
        "from rich.markdown import Markdown\n"
        "assert 'markdown_it' not in sys.modules\n"
        "from rich.console import Console\n"
        "console = Console(width=40, color_system=None)\n"
        "with console.capture() as out:\n"
        "    console.print(Markdown('# Title\\n\\n*some* text'))\n"
        "assert 'markdown_it' in sys.modules and 'Title' in out.get() and '*' not in out.get()\n"
        "import rich.traceback\n"
        "assert callable(rich.traceback.install)\n"  # any other name: the real module's
        "import rich.markdown\n"
        "assert rich.markdown.Markdown.__module__ == 'rich.markdown'\n"
        "print('ok')\n"
    )
    assert_prints_ok(code)


def test_the_emoji_codes_are_read_only_for_text_with_a_code() -> None:
    code = (
        "import sys\n"
        "import bprop_cli.cli.deferred\n"
        "from rich.console import Console\n"
        "console = Console(width=40, color_system=None)\n"
        "def loaded():\n"
        "    return isinstance(sys.modules['rich._emoji_codes'].EMOJI, dict)\n"
        "with console.capture() as out:\n"
        "    console.print('bprop: no code here, x:y')\n"
        "assert not loaded() and out.get() == 'bprop: no code here, x:y\\n'\n"
        "with console.capture() as out:\n"
        "    console.print('I :heart: it :no-such-code:')\n"
        "assert loaded() and out.get() == 'I \u2764 it :no-such-code:\\n', out.get()\n"
        "print('ok')\n"
    )
    assert_prints_ok(code)


def test_a_stand_in_mapping_reads_as_the_real_one() -> None:
    code = (
        "import sys\n"
        "import bprop_cli.cli.deferred\n"
        "from rich._emoji_codes import EMOJI as deferred\n"
        "assert not isinstance(deferred, dict)\n"
        "real = dict(deferred)\n"
        "assert isinstance(sys.modules['rich._emoji_codes'].EMOJI, dict)\n"
        "assert real == sys.modules['rich._emoji_codes'].EMOJI and len(deferred) == len(real) > 1000\n"
        "assert deferred['smile'] == real['smile'] and 'smile' in deferred and 'no-such' not in deferred\n"
        "print('ok')\n"
    )
    assert_prints_ok(code)


@pytest.mark.parametrize("args", [("--help",), ("eval", "--help"), ("quiz", "--help"), ("examples",), ("--version",)],
                         ids=" ".join)
def test_commands_that_run_no_program_do_not_load_the_engine(args: tuple[str, ...]) -> None:
    loaded = loaded_modules(*args)
    assert ("typer" in loaded) == (args not in (("examples",), ("--version",)))  # Typer ran, but for the fast path's
    assert not {"bprop_cli.engine.scalar", "bprop_cli.engine.graph", "bprop_cli.lang.parser", "bprop_cli.cli.commands"} & loaded


def test_the_package_api_is_imported_when_used() -> None:
    code = (
        "import sys\n"
        "import bprop_cli\n"
        "assert 'bprop_cli.engine.scalar' not in sys.modules\n"
        "from bprop_cli import Trace, parse, backward, forward, bind, build_graph, compile_program, Graph\n"
        "from bprop_cli.engine.trace import Trace as T\n"
        "assert Trace is T and bprop_cli.Trace is T\n"
        "t = bprop_cli.run('(x+y)*z', {'x': -2, 'y': 5, 'z': -4})\n"
        "assert (t.value, t.gradients) == (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})\n"
        "try:\n    bprop_cli.no_such_name\nexcept AttributeError:\n    print('ok')\n"
    )
    assert_prints_ok(code)


def _story_texts(width: int | None) -> list[str]:
    from rich.console import Console

    from bprop_cli.engine.run import run
    from bprop_cli.engine.values import parse_assignments
    from bprop_cli.gates.registry import GATES
    from bprop_cli.lang.catalog import examples
    from bprop_cli.tutor.lessons import index, lesson
    from bprop_cli.tutor.narration import narrate
    from bprop_cli.views.story import story_rich

    stories = [index(), lesson("chain-rule"), *(lesson(name) for name in GATES)]
    stories += [narrate(run(e.program, parse_assignments(list(e.values)))) for e in examples().values()]
    texts = []
    for blocks in stories:
        for columns in (80, 60):
            console = Console(file=io.StringIO(), width=columns, force_terminal=True, color_system="256",
                              highlight=False)
            console.print(story_rich(blocks, width=columns if width else None))
            texts.append("\n".join(line.rstrip() for line in console.file.getvalue().splitlines()))
    return texts


def test_lessons_on_a_terminal_look_the_same_with_the_width_given() -> None:
    """explain on a terminal tells Rich the text column's width instead of letting it measure the
    nested tables: the same picture (but for spaces at the ends of lines)."""
    assert _story_texts(width=80) == _story_texts(width=None)


def assert_prints_ok(code: str) -> None:
    """Run `code` in a fresh Python (nothing imported yet) and check that it got to print('ok')."""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.stdout.strip() == "ok", r.stderr
