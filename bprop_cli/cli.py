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
from .progress import Progress
from .render import Format

EVAL_EXAMPLES = """\
Examples:

  bprop eval "(x+y)*z" x=-2 y=5 z=-4

  bprop eval "q = x + y; f = q * z" x=-2 y=5 z=-4 --json

  echo "x1*x2 + c" | bprop eval - x1=2 x2=5 c=3 --format plain

  bprop eval -f examples/sigmoid_neuron.bp w0=2 x0=-1 w1=-3 x1=-2 w2=-3
"""


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


def _stderr_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


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


def _write(text: str | Callable[[TextIO], None]) -> None:
    """Write a line of text, or let a writer stream into stdout; a closed pipe ends quietly."""
    try:
        if callable(text):
            text(sys.stdout)
        else:
            sys.stdout.write(text + "\n")
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
    fmt: Format = typer.Option(Format.table, "--format", help="table (for people), plain (one fact per line) or json."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    seed: float = typer.Option(1.0, "--seed-grad", help="Gradient of the output to start the backward pass from."),
    all_rows: bool = typer.Option(False, "--all-rows", help="Print every row of long tables instead of a summary."),
    traceback: bool = typer.Option(False, "--traceback", hidden=True, help="Show Python tracebacks (for debugging bprop)."),
) -> None:
    """Run the forward and backward passes and show every step."""
    fmt = Format.json if as_json else fmt
    with error_boundary(json_errors=fmt is Format.json, traceback=traceback), Progress(sys.stderr) as progress:
        from . import run
        from .values import parse_assignments

        positional = list(args or [])
        program = None if file is not None or not positional else positional.pop(0)
        source = _read_program(program, file)
        trace = run(source, parse_assignments(positional), seed=seed, on_phase=progress)
        if sys.stdout.isatty():
            progress.pause()  # the output goes to the same screen
        progress("writing the output")
        _show(trace, fmt, all_rows)


def _show(trace, fmt: Format, all_rows: bool) -> None:  # type: ignore[no-untyped-def]
    if fmt is Format.json:
        from .render.json import write_json

        _write(lambda out: write_json(trace, out))
    elif fmt is Format.plain:
        from .render.plain import render_plain

        _write(lambda out: out.writelines(line + "\n" for line in render_plain(trace)))
    else:
        from rich.console import Console

        from .render.table import render_table

        try:
            Console(highlight=False).print(render_table(trace, all_rows))
        except BrokenPipeError:
            _write("")


def main() -> None:
    """Entry point of the `bprop` script and `python -m bprop_cli`."""
    app(prog_name="bprop")
