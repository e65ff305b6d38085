"""The command line: thin Typer commands wired to the engine and the renderers.

Results go to stdout, messages to stderr; every BpropError is caught in one place and mapped
to the exit codes of SPEC §6.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, List, Optional, TextIO

import typer
from typer.core import TyperCommand

from . import __version__
from .errors import BpropError, ExitStatus, ValueBindingError
from .gates import GATES
from .progress import Progress
from .render import Format
from .render.graph import GraphFormat
from .render.picture import DEFAULT_LIMIT

EVAL_EXAMPLES = """\
Examples:

  bprop eval "(x+y)*z" x=-2 y=5 z=-4

  bprop eval "q = x + y; f = q * z" x=-2 y=5 z=-4 --json

  echo "x1*x2 + c" | bprop eval - x1=2 x2=5 c=3 --format plain

  bprop eval -f examples/sigmoid_neuron.bp w0=2 x0=-1 w1=-3 x1=-2 w2=-3

  bprop eval "(x+y)*z" x=-2 y=5 z=-4 --grad x

  bprop eval "(x+y)*z" --batch points.csv

  bprop eval --example sigmoid-neuron

  bprop eval "sigmoid(w0*x0+w1*x1+w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 --expand

  bprop eval "(x+y)*z" x=-2 y=5 z=-4 --check

  bprop eval "(x+y)*z"                     (no values: a symbolic trace)

  bprop eval "x/3 + y^2" x=1 y=1/2 --exact
"""

EXPLAIN_EXAMPLES = """\
Examples:

  bprop explain "(x+y)*z" x=-2 y=5 z=-4

  bprop explain "sigmoid(w0*x0+w1*x1+w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 --expand

  bprop explain                       (topics, gates and examples)

  bprop explain chain-rule            (a topic; or a gate: bprop explain mul)

  bprop explain --example sigmoid-neuron
"""


EXAMPLE_HELP = "Run a built-in example (bprop examples lists them); arguments NAME=VALUE change its inputs."
EXPAND_HELP = "Expand composite gates ({}) into the primitive gates they are made of.".format(
    ", ".join(g.name for g in GATES.values() if g.expand))


class ExpressionFirstCommand(TyperCommand):
    """Lets an expression that starts with '-' (like "-x^2") through as an argument.

    Every argument that is not exactly one of the command's options (or `--long=value`) is
    moved behind a `--`, keeping the order of the positional arguments.
    """

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            for opt in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())):
                if opt.startswith("-"):
                    takes_value[opt] = not getattr(param, "is_flag", False) and not getattr(param, "count", False)
        options: list[str] = []
        positional: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                positional.extend(args[i + 1 :])
                break
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if name in takes_value:
                options.append(arg)
                if takes_value[name] and "=" not in arg and i + 1 < len(args):
                    options.append(args[i + 1])
                    i += 1
            else:
                positional.append(arg)
            i += 1
        return super().parse_args(ctx, [*options, "--", *positional] if positional else options)


app = typer.Typer(
    name="bprop",
    help="bprop: a backpropagation calculator and tutor. Try: bprop eval \"(x+y)*z\" x=-2 y=5 z=-4",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bprop {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """bprop: see every step of backpropagation, for any expression."""


def _console(stderr: bool = False):  # type: ignore[no-untyped-def]
    """Rich picks colour only for a terminal (FORCE_COLOR forces it, TERM=dumb drops it);
    NO_COLOR (any non-empty value) wins over both and removes every escape, bold included."""
    from rich.console import Console

    plain = bool(os.environ.get("NO_COLOR"))
    return Console(stderr=stderr, highlight=False, soft_wrap=stderr, no_color=plain,
                   **({"color_system": None} if plain else {}))


def _stderr_console():  # type: ignore[no-untyped-def]
    return _console(stderr=True)


@contextmanager
def error_boundary(json_errors: bool = False, traceback: bool = False) -> Iterator[None]:
    """Turn any BpropError into one message on stderr and the SPEC's exit code."""
    try:
        yield
    except BpropError as err:
        if traceback:
            raise
        if json_errors:
            _write(json.dumps({"error": {"kind": err.kind, "message": err.message, "hint": err.hint,
                                         "position": err.position()}}))
        from rich.text import Text

        console = _stderr_console()
        console.print(Text(str(err)), style="red" if console.is_terminal else None)
        raise typer.Exit(int(err.status)) from None
    except RecursionError:  # pragma: no cover - every pass is iterative; kept as a last guard
        if traceback:
            raise
        typer.echo("error: the program is nested too deeply", err=True)
        raise typer.Exit(int(ExitStatus.USAGE_ERROR)) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as err:  # a bug in bprop: still one line, never a traceback
        if traceback:
            raise
        typer.echo(f"internal error: {type(err).__name__}: {err} (a bug in bprop; --traceback shows where)", err=True)
        raise typer.Exit(int(ExitStatus.EVAL_ERROR)) from None


def _write(text: str | Callable[[TextIO], None], flush: bool = True) -> None:
    """Write a line of text, or let a writer stream into stdout; a closed pipe ends quietly."""
    try:
        if callable(text):
            text(sys.stdout)
        else:
            sys.stdout.write(text + "\n")
        if flush:
            sys.stdout.flush()
    except BrokenPipeError:  # e.g. `| head`: the reader has gone; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None


def _read_program(program: str | None, file: Path | None) -> str:
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ValueBindingError(f"cannot read the program file {str(file)!r}: {getattr(err, 'strerror', None) or err}") from None
    if program == "-":
        if sys.stdin is None:
            raise ValueBindingError("'-' reads the program from standard input, but there is none")
        try:
            return sys.stdin.read()
        except UnicodeDecodeError:
            raise ValueBindingError("standard input is not UTF-8 text") from None
    if program is None:
        raise ValueBindingError("no program given", hint='try: bprop eval "(x+y)*z" x=-2 y=5 z=-4')
    return program


@app.command("eval", cls=ExpressionFirstCommand, epilog=EVAL_EXAMPLES)
def eval_(
    args: Optional[List[str]] = typer.Argument(
        None, metavar="EXPR [NAME=VALUE]...",
        help="The program ('-' reads it from stdin), then a value for every variable, e.g. x=-2 w=-pi/4.",
    ),
    file: Optional[Path] = typer.Option(None, "-f", "--file", help="Read the program from FILE; then every argument is NAME=VALUE."),
    fmt: Format = typer.Option(Format.table, "--format", help="table (for people), plain (one fact per line), json, markdown, csv or tsv (one row per node; per input row with --batch)."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    seed: float = typer.Option(1.0, "--seed-grad", help="Gradient of the output to start the backward pass from."),
    all_rows: bool = typer.Option(False, "--all-rows", help="Print every row of long tables instead of a summary."),
    graph: bool = typer.Option(False, "--graph", help="Also draw the graph (as `bprop graph` does) after the tables."),
    example: Optional[str] = typer.Option(None, "--example", help=EXAMPLE_HELP),
    expand: bool = typer.Option(False, "--expand", help=EXPAND_HELP),
    traceback: bool = typer.Option(False, "--traceback", hidden=True, help="Show Python tracebacks (for debugging bprop)."),
    grad: Optional[str] = typer.Option(None, "--grad", metavar="NAME", help="Print only d(output)/d(NAME), as a bare number."),
    values_file: Optional[Path] = typer.Option(None, "--values", metavar="FILE.json", help='Values from a JSON object, e.g. {"x": -2, "w": "-pi/4"}.'),
    batch: Optional[str] = typer.Option(None, "--batch", metavar="FILE", help="Evaluate at every row of FILE (CSV with a header, or JSON Lines; '-' is stdin)."),
    check: bool = typer.Option(False, "--check", help="Check each gradient against central differences and sympy; exit 1 if it disagrees."),
    symbolic: bool = typer.Option(False, "--symbolic", help="Trace with formulas; variables without a value stay symbols (automatic when no values are given)."),
    exact: bool = typer.Option(False, "--exact", help="Exact arithmetic: 1/3 stays 1/3, irrational parts stay symbolic, a decimal beside each value."),
    latex: bool = typer.Option(False, "--latex", help="Print LaTeX of the trace and gradients (symbolic, or exact at the given values)."),
) -> None:
    """Run the forward and backward passes and show every step."""
    fmt = Format.json if as_json else fmt
    with error_boundary(json_errors=fmt is Format.json, traceback=traceback), Progress(sys.stderr) as progress:
        if graph and fmt is not Format.table:
            raise BpropError(f"--graph draws beside the tables, not with --format {fmt.value}",
                             hint="for a picture file use: bprop graph EXPR NAME=VALUE... -o graph.svg (or .dot, .mmd)")
        if batch is not None:
            raise typer.Exit(_batch(args, file, seed, values_file, batch, fmt, grad))
        source, given = _program_and_values(args, file, seed, values_file, example=example)
        trust = check or symbolic or exact or latex
        if not trust and not given:
            from .trust import needs_symbolic

            trust = needs_symbolic(source, given)
        if trust:  # sympy is loaded on this path only
            from .trust import evaluate

            result = evaluate(source, given, seed=seed, check=check, symbolic=symbolic, exact=exact, latex=latex)
        else:
            from . import run

            trace = run(source, given, seed=seed, expand=expand, on_phase=progress)
            if grad is not None:
                from .render import full

                _write(full(_gradient(trace, grad)))
                return
    if trust:
        _show_trust(result, fmt, all_rows, latex)
        return
    _show(trace, fmt, all_rows)
    if graph:
        _write("")
        _picture(trace, DEFAULT_LIMIT)


def _trace(args: Optional[List[str]], file: Optional[Path], seed: float = 1.0,
           values_file: Optional[Path] = None, example: Optional[str] = None,
           expand: bool = False):  # type: ignore[no-untyped-def]
    """Read the program (EXPR, '-' or -f FILE) and its NAME=VALUE arguments; run both passes."""
    from . import run

    source, given = _program_and_values(args, file, seed, values_file, example=example)
    return run(source, given, seed=seed, expand=expand)


def _program_and_values(args: Optional[List[str]], file: Optional[Path], seed: float, values_file: Optional[Path],
                        batch: Optional[str] = None, example: Optional[str] = None) -> tuple[str, dict[str, object]]:
    """The program (from EXPR, '-', -f FILE or --example NAME) and its values."""
    from .values import parse_assignments

    positional = list(args or [])
    if example is not None:
        from .catalog import example as builtin

        if file is not None:
            raise ValueBindingError("give either --example or -f FILE, not both")
        chosen = builtin(example)
        given = {**parse_assignments(chosen.values), **parse_assignments(positional)}
        return chosen.program, _given_values(values_file, given, seed)
    program = None if file is not None or not positional else positional.pop(0)
    if batch == "-" and program == "-":
        raise ValueBindingError("the program and the batch cannot both come from standard input",
                                hint="give the program as an argument or with -f FILE")
    source = _read_program(program, file)
    return source, _given_values(values_file, parse_assignments(positional), seed)


def _batch(args, file, seed, values_file, name: str, fmt: Format, grad: str | None) -> int:  # type: ignore[no-untyped-def]
    """--batch: the program once, then one output row per input row; returns the exit code."""
    from .batch import Batch, BatchReader, open_batch

    source, given = _program_and_values(args, file, seed, values_file, batch=name)
    with open_batch(name, sys.stdin) as stream:
        reader = BatchReader(stream, name)
        job = Batch(source, given, reader.columns, seed=seed)
        return _run_batch(job, reader, fmt, grad, stream)


GRAPH_EXAMPLES = """\
Examples:

  bprop graph "(x+y)*z" x=-2 y=5 z=-4

  bprop graph "(x+y)*z" x=-2 y=5 z=-4 --format dot > g.dot

  bprop graph "(x+y)*z" x=-2 y=5 z=-4 --format mermaid

  bprop graph "1/(1+exp(-(w0*x0+w1*x1+w2)))" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 -o neuron.svg
"""


@app.command("graph", cls=ExpressionFirstCommand, epilog=GRAPH_EXAMPLES)
def graph_(
    args: Optional[List[str]] = typer.Argument(
        None, metavar="EXPR [NAME=VALUE]...",
        help="The program ('-' reads it from stdin), then a value for every variable, e.g. x=-2 w=-pi/4.",
    ),
    file: Optional[Path] = typer.Option(None, "-f", "--file", help="Read the program from FILE; then every argument is NAME=VALUE."),
    fmt: Optional[GraphFormat] = typer.Option(None, "--format", help="terminal (default), dot or mermaid, on stdout."),
    output: Optional[Path] = typer.Option(
        None, "-o", "--output", help="Write the picture to FILE: .svg or .png (needs Graphviz), .dot, .mmd or .txt."),
    max_nodes: int = typer.Option(DEFAULT_LIMIT, "--max-nodes", help="Summarise larger graphs (0: draw every node)."),
    traceback: bool = typer.Option(False, "--traceback", hidden=True, help="Show Python tracebacks (for debugging bprop)."),
) -> None:
    """Draw the computational graph: every wire's value (green) and gradient (red)."""
    with error_boundary(traceback=traceback):
        trace = _trace(args, file)
        if output is not None:
            from .render.graph import write_graph

            write_graph(trace, output, fmt, max_nodes)
            return
    if fmt in (GraphFormat.dot, GraphFormat.mermaid):
        from .render.graph import graph_text
        from .render.picture import build_picture

        _write(graph_text(build_picture(trace, max_nodes), fmt.value).rstrip("\n"))
    else:
        _picture(trace, max_nodes)


def _picture(trace, max_nodes: int) -> None:  # type: ignore[no-untyped-def]
    from .render.graph import terminal_picture

    try:
        terminal_picture(trace, max_nodes)
    except BrokenPipeError:
        _write("")


def _given_values(path: Path | None, args: dict[str, str], seed: float) -> dict[str, object]:
    """Values from --values FILE, then NAME=VALUE arguments (an argument wins over the file)."""
    import math

    if not math.isfinite(seed):
        raise ValueBindingError(f"--seed-grad must be a finite number, not {seed}")
    if path is None:
        return dict(args)
    from .batch import load_values

    return {**load_values(path), **args}


def _gradient(trace, name: str) -> float:  # type: ignore[no-untyped-def]
    """The gradient --grad asks for: of an input, or of any node by its id."""
    from .batch import check_grad_name

    if name in trace.gradients:
        return trace.gradients[name]
    check_grad_name(name, list(trace.gradients), [n.id for n in trace.nodes if n.op != "const"])
    return trace.node(name).grad


MAX_ROW_MESSAGES = 20  # bad rows reported one by one; beyond that only counted


def _run_batch(job, reader, fmt: Format, grad: str | None, stream) -> int:  # type: ignore[no-untyped-def]
    """Stream one output row per input row; a bad row is reported on stderr and skipped.
    Returns the exit code: 2 if any row had a bad value, else 1 if any failed to evaluate, else 0."""
    from contextlib import nullcontext

    from .batch import file_size
    from .render.rows import RowWriter

    writer = RowWriter(fmt, job.inputs, job.output, job.grad_columns(grad))
    for text in writer.header():
        _write(text)
    total = file_size(stream)  # None for a pipe: then flush every row to keep up with the producer
    err_console = _console(stderr=True)
    status, bad = 0, 0
    bar = nullcontext(lambda done, rows: None)
    if err_console.is_terminal and total is not None and total > 64 * 1024:
        from .render.progress import progress_bar

        bar = progress_bar(total, err_console)
    with bar as update:
        for row, trace, err in job.results(reader):
            if err is not None:
                bad += 1
                status = max(status, int(err.status))
                if bad <= MAX_ROW_MESSAGES:
                    err_console.print(f"row {row.number} (line {row.line}): {err}", markup=False)
            out = writer.row(row.number, trace) if trace is not None else writer.error(row.number, row.line, err)
            if out is not None:
                _write(out, flush=total is None)
            if row.number % 500 == 0:
                update(reader.consumed, row.number)
    if bad > MAX_ROW_MESSAGES:
        err_console.print(f"... and {bad - MAX_ROW_MESSAGES:,} more bad rows ({bad:,} in all)", markup=False)
    sys.stdout.flush()
    return status


@app.command("explain", cls=ExpressionFirstCommand, epilog=EXPLAIN_EXAMPLES)
def explain(
    args: Optional[List[str]] = typer.Argument(
        None, metavar="[EXPR NAME=VALUE... | TOPIC | GATE]",
        help="A program and its values to narrate, or a topic or gate name; nothing lists them all.",
    ),
    file: Optional[Path] = typer.Option(None, "-f", "--file", help="Read the program from FILE; then every argument is NAME=VALUE."),
    example: Optional[str] = typer.Option(None, "--example", help=EXAMPLE_HELP),
    expand: bool = typer.Option(False, "--expand", help=EXPAND_HELP),
    all_steps: bool = typer.Option(False, "--all-steps", help="Narrate every step of long programs instead of a summary."),
    traceback: bool = typer.Option(False, "--traceback", hidden=True, help="Show Python tracebacks (for debugging bprop)."),
) -> None:
    """Tutor: narrate backpropagation step by step, or explain a topic or a gate."""
    with error_boundary(traceback=traceback):
        from .lessons import index, is_topic_like, lesson

        positional = list(args or [])
        if file is None and example is None and len(positional) <= 1 and (not positional or is_topic_like(positional[0])):
            blocks = lesson(positional[0]) if positional else index()
        else:
            from . import run
            from .tutor import narrate

            source, values = _program_and_values(positional, file, 1.0, None, example=example)
            blocks = narrate(run(source, values, expand=expand), expand=expand, all_steps=all_steps)
    _tell(blocks)


@app.command("examples", epilog="Examples:\n\n  bprop examples\n\n  bprop eval --example sigmoid-neuron\n\n"
                                 "  bprop explain --example cs231n")
def examples_() -> None:
    """List the built-in worked examples (the seeds' programs), each with a one-line description."""
    from .catalog import examples
    from .tutor import Block

    _tell([
        Block("title", "Built-in examples (the seeds' worked examples)"),
        Block("step", "", 0, "", tuple((e.name, e.description) for e in examples().values())),
        Block("try", "bprop eval --example sigmoid-neuron\nbprop explain --example cs231n"),
    ])


def _tell(blocks) -> None:  # type: ignore[no-untyped-def]
    """Lessons and walkthroughs: Rich on a colour terminal, plain text within 80 columns otherwise."""
    from rich.console import Console

    console = Console(highlight=False)
    if console.is_terminal and not console.no_color and not console.is_dumb_terminal:
        from .render.story import story_rich

        console.print(story_rich(blocks))
    else:
        from .render.story import story_plain

        _write(story_plain(blocks, width=min(console.width, 80)).rstrip("\n"))


def _show(trace, fmt: Format, all_rows: bool) -> None:  # type: ignore[no-untyped-def]
    if fmt is Format.json:
        from .render.json import write_json

        _write(lambda out: write_json(trace, out))
    elif fmt is Format.plain:
        from .render.plain import render_plain

        _write(lambda out: out.writelines(line + "\n" for line in render_plain(trace)))
    elif fmt is Format.markdown:
        from .render.markdown import render_markdown

        _write(render_markdown(trace))
    elif fmt in (Format.csv, Format.tsv):
        from .render.delimited import SEPARATORS, render_delimited

        _write(render_delimited(trace, SEPARATORS[fmt.value]))
    else:
        from .render.table import render_table

        try:
            _console().print(render_table(trace, all_rows))
        except BrokenPipeError:
            _write("")


def _show_trust(result, fmt: Format, all_rows: bool, latex: bool) -> None:  # type: ignore[no-untyped-def]
    """Output of --check / --symbolic / --exact / --latex; exit 1 after a failed check."""
    from .render.trust import trust_json, trust_plain, trust_tables

    if fmt is Format.json:
        _write(trust_json(result, latex))
    elif fmt is Format.plain or latex:
        _write("\n".join(trust_plain(result, latex)))
    else:
        from rich.console import Console

        try:
            Console(highlight=False).print(trust_tables(result, all_rows))
        except BrokenPipeError:
            _write("")
    if result.check is not None and not result.check.passed:
        from .render.check import summary

        typer.echo(f"error: {summary(result.check)}", err=True)
        raise typer.Exit(int(ExitStatus.EVAL_ERROR))


def main() -> None:
    """Entry point of the `bprop` script and `python -m bprop_cli`."""
    app(prog_name="bprop")
