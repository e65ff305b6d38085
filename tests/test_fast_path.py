"""The fast path: `bprop eval` with simple options runs without Typer, and says exactly what the
Typer application says (stdout, stderr, exit code) for every input, good or bad."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from test_architecture import loaded_modules
from typer.main import get_command

from bprop_cli.cli import entry
from bprop_cli.cli.app import app
from bprop_cli.cli.entry import FAST_COMMANDS, FAST_OPTIONS, _fast, _fast_eval
from bprop_cli.cli.environment import Environment, run
from bprop_cli.cli.terminal import as_rich_writes
from bprop_cli.views import Format

# The Typer application on its own, skipping main()'s fast path.
TYPER_APP = "import sys\nfrom bprop_cli.cli.app import main\nsys.argv[0] = 'bprop'\nmain()\n"
EXPR = ("(x+y)*z", "x=-2", "y=5", "z=-4")
NEURON = ("sigmoid(w0*x0+w1*x1+w2)", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-pi/4")


def _run(argv: list[str], args: tuple[str, ...], stdin: str | None, env: dict[str, str]) -> tuple[str, str, int]:
    """A process of its own: for what only a process shows (colours on a terminal, start-up)."""
    full_env = {**{k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}, "NO_COLOR": "1", "COLUMNS": "80", **env}
    r = subprocess.run([*argv, *args], input=stdin, capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=60)
    return r.stdout, r.stderr, r.returncode


def _both(args: tuple[str, ...], stdin: str | None = None) -> tuple[tuple[str, str, int], tuple[str, str, int]]:
    """The command line run in this process twice (cli/environment.run, whose output is a
    process's, tests/test_in_process.py): as main() runs it, fast path first, and as the Typer
    application alone runs it (main() with the fast path turned down)."""
    env = {**{k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}, "NO_COLOR": "1", "COLUMNS": "80"}
    fast = run(list(args), Environment(stdin, env, ROOT))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(entry, "_fast", lambda argv: None)
        typer = run(list(args), Environment(stdin, env, ROOT))
    return (fast.stdout, fast.stderr, fast.status), (typer.stdout, typer.stderr, typer.status)


@pytest.fixture(scope="module")
def files(tmp_path_factory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("fast")
    (tmp / "neuron.bp").write_text("# a neuron\nz = w*x + b\nsigmoid(z)\n")
    (tmp / "values.json").write_text(json.dumps({"w": 2, "x": "-pi/4", "b": 0.5}))
    (tmp / "bad.bp").write_bytes(b"x * \xff\n")
    return tmp


# (arguments after `eval`, stdin); {dir} is a folder holding the files above.
CORPUS = [
    *[((*EXPR, "--format", f.value), None) for f in Format],
    ((*EXPR, "--json"), None),
    ((*EXPR, "--format=csv"), None),
    ((*NEURON,), None),
    ((*NEURON, "--format", "markdown"), None),
    ((*NEURON, "--expand", "--format", "plain"), None),
    (("-x^2", "x=3"), None),  # an expression that starts with '-'
    (("-x^2", "x=-3", "--json"), None),
    (("--format", "tsv", "--", "-x*y", "x=2", "y=-1/3"), None),
    (("-", "x=2", "y=5"), "q = x*y\nq + y\n"),
    (("-", "--format", "plain"), "2 + 3\n"),
    (("-f", "{dir}/neuron.bp", "w=2", "x=-1", "b=0.5"), None),
    (("--file={dir}/neuron.bp", "--values", "{dir}/values.json", "--json"), None),
    (("-f", "{dir}/neuron.bp", "--values={dir}/values.json", "w=1"), None),
    (("-f", "{dir}/missing.bp", "x=1"), None),
    (("-f", "-", "x=1"), "x*x\n"),  # a file called '-', not stdin
    (("--example", "cs231n", "-f", "{dir}/neuron.bp"), None),  # both: refused
    (("-", "x=1", "--values", "{dir}/missing.json"), "x\n"),
    (("-f", "{dir}/bad.bp", "x=1"), None),
    ((*EXPR, "--grad", "x"), None),
    ((*EXPR, "--grad=z", "--seed-grad", "2"), None),
    (("q = x + y; q * z", "x=-2", "y=5", "z=-4", "--grad", "q"), None),
    ((*EXPR, "--grad", "w"), None),
    ((*EXPR, "--seed-grad", "nan"), None),
    ((*EXPR, "--seed-grad", "two"), None),
    ((*EXPR, "--all-rows"), None),
    (("--example", "sigmoid-neuron"), None),
    (("--example", "cs231n", "--format", "plain", "x=1"), None),
    (("--example", "no-such-example"), None),
    (("(x+", "x=1"), None),  # syntax error
    (("(x+", "x=1", "--json"), None),  # ... as JSON on stdout too
    (("x*y", "x=1"), None),  # a value is missing
    (("x*y", "x=1", "y=2", "w=3"), None),  # one too many
    (("x*y", "x", "y=2"), None),  # not NAME=VALUE
    (("x*y", "x=abc", "y=2"), None),
    (("x*y", "x=2kg", "y=2"), None),
    (("foo(x)", "x=1"), None),  # unknown function
    (("log(x)", "x=-1"), None),  # an evaluation error: exit 1
    (("log(x)", "x=-1", "--format", "csv"), None),
    (("1/x", "x=0", "--json"), None),
    ((), None),  # no program
    (("x=1",), None),
    (("2 + 3",), None),
    (("x", "x=1", "--format", "yaml"), None),  # not a format: Typer says so
    (("x", "x=1", "--json", "--json"), None),  # repeated: left to Typer
    (("x", "x=1", "--format"), None),
]


@pytest.mark.parametrize("args, stdin", CORPUS, ids=[" ".join(a) or "(nothing)" for a, _ in CORPUS])
def test_fast_path_and_typer_app_agree(args: tuple[str, ...], stdin: str | None, files) -> None:  # type: ignore[no-untyped-def]
    argv = ("eval", *(a.replace("{dir}", str(files)) for a in args))
    fast, typer = _both(argv, stdin)
    assert fast == typer
    assert "Traceback" not in fast[1]


@pytest.mark.parametrize("args", [EXPR, ("(x+", "x=1"), ("log(x)", "x=-1")], ids=["table", "syntax", "domain"])
def test_colours_on_a_terminal_agree(args: tuple[str, ...]) -> None:
    env = {"FORCE_COLOR": "1", "NO_COLOR": "", "TERM": "xterm-256color"}
    fast = _run([sys.executable, "-m", "bprop_cli"], ("eval", *args), None, env)
    typer = _run([sys.executable, "-c", TYPER_APP], ("eval", *args), None, env)
    assert fast == typer
    assert "\x1b[" in fast[0] + fast[1]  # really coloured


def test_the_corpus_takes_the_fast_path() -> None:
    """Most of the corpus above must really run without Typer, or the comparison proves little."""
    fast = [args for args, _ in CORPUS if _fast_eval(["eval", *args]) is not None]
    assert len(fast) >= len(CORPUS) - 4


@pytest.mark.parametrize("argv, expected", [
    (["eval", "-x^2", "x=1"], {"args": ["-x^2", "x=1"]}),
    (["eval", "x", "--format=plain", "--seed-grad", "-2"], {"args": ["x"], "fmt": Format.plain, "seed_grad": "-2"}),
    (["eval", "--grad", "--json", "x"], {"args": ["x"], "grad": "--json"}),  # an option's value, as Click takes it
    (["eval", "--", "--x", "--json"], {"args": ["--x", "--json"]}),
    (["eval", "x", "-fx"], {"args": ["x", "-fx"]}),  # not exactly -f: an argument, as ExpressionFirstCommand has it
    (["eval"], {"args": None}),
])
def test_fast_arguments(argv: list[str], expected: dict[str, object]) -> None:
    assert _fast_eval(argv) == expected


@pytest.mark.parametrize("argv", [
    [], ["--help"], ["--version", "--help"], ["examples", "x"], ["examples", "--help"], ["evaluate", "x"],
    ["eval", "--help"], ["eval", "x", "-h"], ["eval", "x", "x=1", "--check"], ["eval", "x", "--symbolic"],
    ["eval", "x", "--exact"], ["eval", "x", "--latex"], ["eval", "x", "--batch", "-"], ["eval", "x", "--graph"],
    ["eval", "x", "--traceback"], ["eval", "x", "--bogus"], ["eval", "--x"], ["eval", "x", "--format", "yaml"],
    ["eval", "x", "--format", "JSON"], ["eval", "x", "--json", "--format", "plain", "--format", "csv"],
    ["eval", "x", "--json=yes"], ["eval", "x", "--grad"], ["eval", "x", "--grad="],
    ["eval", "x", "-f"],
], ids=lambda a: " ".join(a) or "(nothing)")
def test_everything_else_goes_to_typer(argv: list[str]) -> None:
    assert _fast_eval(argv) is None and (argv[:1] == ["eval"] or _fast(argv) is None)


# explain and graph: a program, a topic or the picture on the terminal take the fast path too.
EXPLAIN_CORPUS = [
    (), ("mul",), ("chain-rule",), ("chain", "rule"), ("no-such-topic",), EXPR, (*EXPR, "--expand"), NEURON,
    (*NEURON, "--expand", "--all-rows"), ("--example", "mazur"), ("--example", "cs231n", "x=1"),
    ("-f", "{dir}/neuron.bp", "--values", "{dir}/values.json"), ("x*y", "x=1"), ("(x+", "x=1"), ("log(x)", "x=-1"),
    ("W @ x", "W=[[1,2],[3,4]]", "x=[1,2]", "--seed-grad", "[1,0]"), ("sum(W @ x)", "W=[[1,2],[3,4]]", "x=[1,2]", "--scalarize"),
    ("-x^2", "x=3"), (*EXPR, "--all-steps"), (*EXPR, "--seed-grad", "nan"), ("x*y",),
]
GRAPH_CORPUS = [
    EXPR, NEURON, (*NEURON, "--expand"), ("--example", "sigmoid-neuron"), ("-f", "{dir}/neuron.bp", "w=1", "x=2", "b=0"),
    ("W @ x", "W=[[1,2],[3,4]]", "x=[1,2]", "--seed-grad", "[1,0]"), ("x*y", "x=1"), ("(x+", "x=1"), ("x*y",), (),
    ("log(x)", "x=-1"), (" + ".join(f"x*{k}" for k in range(1, 40)), "x=1"),
]


@pytest.mark.parametrize("command, args", [*(("explain", a) for a in EXPLAIN_CORPUS), *(("graph", a) for a in GRAPH_CORPUS)],
                         ids=[f"explain {' '.join(a)}" for a in EXPLAIN_CORPUS] + [f"graph {' '.join(a)}" for a in GRAPH_CORPUS])
def test_explain_and_graph_fast_paths_and_typer_agree(command: str, args: tuple[str, ...], files) -> None:  # type: ignore[no-untyped-def]
    argv = (command, *(a.replace("{dir}", str(files)) for a in args))
    assert _fast(list(argv)) is not None or "--all-steps" in args
    fast, typer = _both(argv)
    assert fast == typer
    assert "Traceback" not in fast[1]


@pytest.mark.parametrize("args", [(), ("x",), ("--bogus",)])
def test_examples_fast_path_and_typer_agree(args: tuple[str, ...]) -> None:
    assert (_fast(["examples", *args]) is not None) == (not args)
    fast, typer = _both(("examples", *args))
    assert fast == typer and "Traceback" not in fast[1]


@pytest.mark.parametrize("args", [("--version",), ("--version", "--help"), ("--version", "eval")])
def test_version_fast_path_and_typer_agree(args: tuple[str, ...]) -> None:
    assert (_fast(list(args)) is not None) == (args == ("--version",))
    fast, typer = _both(args)
    assert fast == typer and fast[2] == 0 and "Traceback" not in fast[1]
    if args == ("--version",):
        assert "typer" not in loaded_modules(*args)
        with open("/dev/full", "w") as full_disk:  # a full disk: one line on stderr and exit 1
            full = subprocess.run([sys.executable, "-m", "bprop_cli", *args], stdout=full_disk, stderr=subprocess.PIPE,
                                  text=True, cwd=ROOT, timeout=60)
        assert full.returncode == 1 and full.stderr == "error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize("command, args", [("explain", EXPR), ("explain", ("mul",)), ("graph", EXPR), ("examples", ())])
def test_explain_and_graph_colours_on_a_terminal_agree(command: str, args: tuple[str, ...]) -> None:
    env = {"FORCE_COLOR": "1", "NO_COLOR": "", "TERM": "xterm-256color"}
    fast = _run([sys.executable, "-m", "bprop_cli"], (command, *args), None, env)
    typer = _run([sys.executable, "-c", TYPER_APP], (command, *args), None, env)
    assert fast == typer
    assert "\x1b[" in fast[0] + fast[1]


@pytest.mark.parametrize("argv", [
    ["explain", *EXPR, "--step"], ["explain", "gradient-descent", "--lr", "0.1"], ["explain", "--help"],
    ["graph", *EXPR, "--format", "dot"], ["graph", *EXPR, "-o", "g.svg"], ["graph", *EXPR, "--max-nodes", "3"],
    ["graph", *EXPR, "--all-rows"], ["explain", *EXPR, "--json"], ["graph", *EXPR, "--traceback"],
])
def test_the_rest_of_explain_and_graph_goes_to_typer(argv: list[str]) -> None:
    assert _fast(argv) is None


@pytest.mark.parametrize("command", ["explain", "graph", "check"])
def test_explain_and_graph_fast_options_are_their_own(command: str) -> None:
    """Every option the fast path reads for explain, graph and check is one of the command's own
    in the Typer app, with the same arity, and repeated only where Typer takes a list."""
    params = get_command(app).commands[command].params  # type: ignore[attr-defined]
    opts = {o: not getattr(p, "is_flag", False) for p in params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")}
    multiple = {p.name for p in params if getattr(p, "multiple", False)}
    spec = FAST_COMMANDS[command]
    for opt, (key, takes_value) in spec.options.items():
        assert opts.get(opt) == takes_value, opt
    assert {o for o in opts if not o.startswith("--")} <= {*spec.options, *spec.short, "-h"}  # no '-o' read as an expression
    assert {"answer" if key == "answers" else key for key in spec.many} == multiple


CHECK_CORPUS = [
    (*EXPR, "--answer", "dx=-4", "--answer", "dz=2"), (*EXPR, "--answer", "dx=-4"), (*EXPR, "--answer=dy=-4", "--json"),
    EXPR, (*EXPR, "--answer", "dx"), (*EXPR, "--answer", "dq=1"), (*EXPR, "--answer", "dx=1/0"),
    (*EXPR, "--answer", "v1=3", "--answer", "f=-12", "--answer", "dv1=-4"), ("(x+", "--answer", "dx=1"),
    ("--example", "cs231n", "--answer", "dx=-4"), ("-f", "{dir}/neuron.bp", "w=2", "x=1", "b=0", "--answer", "dw=0.1"),
    (*EXPR, "--answer", "dx=-4", "--expand", "--seed-grad", "2"), (*EXPR, "--answer"), (*EXPR, "--answr", "dx=1"),
    (*EXPR, "--answer", "dx=-4", "--json", "--json"),
    (*EXPR, "--answer", "dx=-4.0001", "--tolerance", "rel=1e-6"), (*EXPR, "--answer", "dx=-4", "--tolerance=abs=x"),
    (*EXPR, "--answer", "dx=-4", "--tolerance"), (*EXPR, "--answer", "dx=-4", "--tolerance", "abs=1", "--json"),
]


@pytest.mark.parametrize("args", CHECK_CORPUS, ids=[" ".join(a) for a in CHECK_CORPUS])
def test_check_fast_path_and_typer_agree(args: tuple[str, ...], files) -> None:  # type: ignore[no-untyped-def]
    argv = ("check", *(a.replace("{dir}", str(files)) for a in args))
    fast, typer = _both(argv)
    assert fast == typer
    assert "Traceback" not in fast[1]


def test_the_check_corpus_takes_the_fast_path() -> None:
    fast = [args for args in CHECK_CORPUS if _fast(["check", *args]) is not None]
    assert len(fast) >= len(CHECK_CORPUS) - 4
    assert _fast(["check", *EXPR, "--answer", "dx=1", "--answer", "dz=2"]) == (
        "check_command", {"args": list(EXPR), "answers": ["dx=1", "dz=2"]})
    assert "typer" not in loaded_modules("check", *EXPR, "--answer", "dx=-4")


@pytest.mark.parametrize("argv", [["explain", *EXPR], ["explain", "mul"], ["graph", *EXPR], ["examples"]])
def test_explain_and_graph_fast_paths_do_not_import_typer(argv: list[str]) -> None:
    loaded = loaded_modules(*argv)
    assert "bprop_cli.engine.scalar" in loaded or argv[1:] in (["mul"], [])
    assert not set(HEAVY) & loaded


def test_fast_options_are_evals_options() -> None:
    """Every option the fast path parses is one of eval's, with the same arity; and eval has no
    other short option that a '-...' argument could be mistaken for."""
    command = get_command(app).commands["eval"]  # type: ignore[attr-defined]
    opts: dict[str, bool] = {}
    for param in command.params:
        for opt in (*param.opts, *param.secondary_opts):
            if opt.startswith("-"):
                opts[opt] = not getattr(param, "is_flag", False)
    for opt, (_, takes_value) in FAST_OPTIONS.items():
        assert opts.get(opt) == takes_value, opt
    short = {o for o in opts if not o.startswith("--")} | {"-h"}
    assert short == {"-f", "-h"}


HEAVY = ("typer", "typer._click", "click", "pydantic", "sympy", "mpmath", "rich.markdown", "bprop_cli.cli.app")


@pytest.mark.parametrize("fmt", [f.value for f in Format])
def test_fast_path_imports_neither_typer_nor_heavy_modules(fmt: str) -> None:
    loaded = loaded_modules("eval", *EXPR, "--format", fmt)
    assert "bprop_cli.engine.scalar" in loaded  # the command really ran
    assert not set(HEAVY) & loaded
    assert not {m for m in loaded if m == "rich" or m.startswith("rich.")}  # the table too (views/ansi.py)


def test_a_table_rich_must_lay_out_still_loads_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "24")  # too narrow for the backward table unfolded
    assert "rich.table" in loaded_modules("eval", *EXPR)


def test_other_commands_still_load_typer() -> None:  # the fence above is not vacuous
    assert "typer" in loaded_modules("eval", *EXPR, "--graph")


ERROR_TEXTS = [
    "syntax error: unexpected ')'\n  (x+y))\n       ^",
    "usage error: the value of x, '2kg', has a unit ('kg')\nhint: values have no units: write just the number, x=2",
    "a [red]markup[/red] lookalike and :smile: and \\[escaped]",
    "control \x07\x08\x0b\x0c\r codes \x1b[31m and \x00\x7f",
    "wide 全角 and combining e\u0301 and bidi \u202e",
    "trailing newline\n", "\n", "", "   spaces   ",
]


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.sampled_from(ERROR_TEXTS), st.text(max_size=200)))
def test_errors_off_a_terminal_read_as_rich_writes_them(text: str) -> None:
    """Off a terminal an error skips Rich; it must still be exactly what Rich would write."""
    from rich.console import Console
    from rich.text import Text

    ours = as_rich_writes(text)
    if ours is None:  # a tab: left to Rich
        assert "\t" in text
        return
    buf = io.StringIO()
    Console(file=buf, highlight=False, soft_wrap=True, width=20).print(Text(text), style=None)
    assert ours == buf.getvalue()
