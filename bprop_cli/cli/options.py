"""The Typer side of inputs.py: the shared parameters every program-taking command declares,
the command class that splits its arguments, and the one place where Click's own errors
(unknown command, bad option value) become bprop's one-line messages.

A new command that takes a program declares the shared parameters by name and reads the
program and its values with one call:

    @app.command("train", cls=ProgramCommand, epilog=...)
    def train(args: Optional[List[str]] = PROGRAM, file: Optional[Path] = FILE,
              example: Optional[str] = EXAMPLE, values_file: Optional[Path] = VALUES,
              seed_grad: Optional[str] = SEED_GRAD, expand: bool = EXPAND, all_rows: bool = ALL_ROWS,
              scalarize: bool = SCALARIZE, traceback: bool = TRACEBACK, ...its own options...) -> None:
        with error_boundary(traceback=traceback):
            source, values = program_and_values(args, file, example, values_file)
            ...
"""

from __future__ import annotations

import difflib
import sys
from typing import Any

import typer
from typer.core import TyperCommand

from bprop_cli.errors import ExitStatus

from . import inputs
from .inputs import Opt, OptionError, split_arguments


def option(opt: Opt, default: Any) -> Any:
    """The Typer parameter for one of inputs.py's declarations."""
    return typer.Option(default, *opt.flags, help=opt.help, metavar=opt.metavar if opt.takes_value else None,
                        hidden=opt.hidden, show_default=False)


# Shared parameters (Typer reads these defaults; one object may serve many commands).
PROGRAM = typer.Argument(
    None, metavar="EXPR [NAME=VALUE]...",
    help="The program ('-' reads it from stdin), then a value for every variable, e.g. x=-2 w=-pi/4.",
)
FILE = option(inputs.FILE, None)
EXAMPLE = option(inputs.EXAMPLE, None)
VALUES = option(inputs.VALUES, None)
SEED_GRAD = option(inputs.SEED_GRAD, None)
EXPAND = option(inputs.EXPAND, False)
ALL_ROWS = option(inputs.ALL_ROWS, False)
SCALARIZE = option(inputs.SCALARIZE, False)
TRACEBACK = option(inputs.TRACEBACK, False)


class ProgramCommand(TyperCommand):
    """A command whose positional arguments are a program and NAME=VALUE pairs.

    An expression that starts with '-' (like "-x^2") is an argument, not an option; an unknown
    `--name` is "no such option" with a did-you-mean. The splitting is inputs.split_arguments,
    which cli's fast path for `bprop eval` uses too.
    """

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            for opt in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())):
                if opt.startswith("-"):
                    takes_value[opt] = not getattr(param, "is_flag", False) and not getattr(param, "count", False)
        try:
            options, positional = split_arguments(args, takes_value)
        except OptionError as err:
            where = _elsewhere(ctx, getattr(err, "option", None)) if err.hint else None  # none when a did-you-mean
            message = err.message + (f" ({where})" if where else "")
            raise _click_exceptions().UsageError(message, ctx) from None  # run_app: one line, exit 2
        return super().parse_args(ctx, [*options, "--", *positional] if positional else options)


def _elsewhere(ctx, option: str | None) -> str | None:  # type: ignore[no-untyped-def]
    """What to say after an unknown option: which other commands have it (or the option it
    looks like a slip for); that `--quiz` is a command; else where this command's options are."""
    if not option:
        return None
    group = ctx.parent.command if ctx.parent is not None else None
    commands = dict(sorted(getattr(group, "commands", {}).items()))
    name = ctx.info_name
    owned: dict[str, list[str]] = {}
    for other, command in commands.items():
        for param in command.params if other != name else ():
            for flag in param.opts:
                if flag.startswith("--") and not getattr(param, "hidden", False):
                    owned.setdefault(flag, []).append(other)
    slip = ""
    if option not in owned:
        close = difflib.get_close_matches(option, owned, n=1, cutoff=0.7)
        if option[2:] in commands:
            return f"{option[2:]} is a command: bprop {option[2:]} EXPR NAME=VALUE..."
        if not close:
            return f"bprop {name} --help lists its options"
        option, slip = close[0], f"did you mean {close[0]}? "
    owners = owned[option]
    listed = owners[0] if len(owners) == 1 else ", ".join(owners[:-1]) + " and " + owners[-1]
    return f"{slip}bprop {listed} {'has' if len(owners) == 1 else 'have'} it"


ExpressionFirstCommand = ProgramCommand  # the earlier name


def run_app(app: typer.Typer) -> None:
    """Run the Typer application with Click's errors as one line on stderr, exit 2."""
    from .terminal import print_error

    exceptions = _click_exceptions()
    try:
        status = app(prog_name="bprop", standalone_mode=False)
    except exceptions.ClickException as err:
        if type(err).__name__ == "NoArgsIsHelpError":  # `bprop` alone: the help is already printed
            raise SystemExit(int(ExitStatus.USAGE_ERROR)) from None
        print_error(f"usage error: {_usage_message(err, exceptions)}")
        raise SystemExit(int(ExitStatus.USAGE_ERROR)) from None
    except typer.Abort:
        sys.stderr.write("\nAborted!\n")
        raise SystemExit(1) from None
    if isinstance(status, int) and status:
        raise SystemExit(status)


def _click_exceptions():  # type: ignore[no-untyped-def]
    try:
        from typer._click import exceptions  # Typer vendors Click
    except ImportError:  # pragma: no cover - a Typer that uses Click installed beside it
        from click import exceptions  # type: ignore[no-redef]
    return exceptions


def _usage_message(err, exceptions) -> str:  # type: ignore[no-untyped-def]
    """Click's message in bprop's words: lower case, one line, did-you-mean in parentheses."""
    import re

    if isinstance(err, exceptions.NoSuchOption):
        close = sorted(err.possibilities or ())
        return f"no such option {err.option_name}" + (f" (did you mean {close[0]}?)" if close else "")
    message = " ".join(err.format_message().split())
    command = re.fullmatch(r"No such command ('.*'|\".*\")\.(?: Did you mean '([^']*)'.*)?", message)
    if command:
        # Click quoted the name with repr() already: quoting it again would double every backslash
        return f"no such command {command[1]}" + (f" (did you mean {command[2]}?)" if command[2] else
                                                  " (bprop --help lists the commands)")
    return message[:1].lower() + message[1:]
