"""The entry point: `bprop` and `python -m bprop_cli`.

`main()` runs the common `bprop eval|explain|graph|check EXPR NAME=VALUE... [simple options]`,
`bprop examples` and `bprop --version` without the Typer application, because importing Typer
costs more than the whole calculation; everything else goes to app.py. The fast path knows each command's options
from the same declarations app.py builds its Typer parameters from (inputs.EVAL_FAST,
EXPLAIN_FAST, GRAPH_FAST, CHECK_FAST), and splits arguments with the same function
(inputs.split_arguments). Nothing here imports Typer or Rich.
"""

from __future__ import annotations

import os
import sys
from typing import NamedTuple

from bprop_cli.views import DEFAULT_LIMIT, Format

from .inputs import CHECK_FAST, EVAL_FAST, EXPLAIN_FAST, GRAPH_FAST, Opt, OptionError, split_arguments
from .terminal import ClosedStream, output_failed, say


class Fast(NamedTuple):
    """A command that main() runs itself. Every other option (--help, --check, --batch, --step,
    -o, ...) is left to the Typer app; a short one must be named in `short`, or "-o" would be
    read as an expression, like "-x"."""

    options: dict[str, tuple[str, bool]]  # flag -> (the body's keyword, takes a value)
    body: str  # the function to call: one of commands.py, or module.function
    fixed: dict[str, object]  # keywords Typer would pass that differ from the body's defaults
    short: dict[str, bool]  # the command's other short options -> takes a value
    many: frozenset[str] = frozenset()  # keywords of the options that may be repeated (a list)


def _options(opts: tuple[Opt, ...]) -> dict[str, tuple[str, bool]]:
    return {flag: (opt.key, opt.takes_value) for opt in opts for flag in opt.flags}


FAST_COMMANDS = {
    "eval": Fast(_options(EVAL_FAST), "eval_command", {}, {}),
    "explain": Fast(_options(EXPLAIN_FAST), "explain_command", {}, {}),
    "graph": Fast(_options(GRAPH_FAST), "graph_command", {"max_nodes": DEFAULT_LIMIT}, {"-o": True}),
    "examples": Fast({}, "listing.examples_command", {}, {}),  # takes no option and no argument
    "check": Fast(_options(CHECK_FAST), "check_command", {"answers": []}, {},
                  frozenset(opt.key for opt in CHECK_FAST if opt.many)),
}
FAST_OPTIONS = FAST_COMMANDS["eval"].options
_TO_TYPER = {"-h": False, "--help": False}  # help is Typer's


def _fast_eval(argv: list[str]) -> dict[str, object] | None:
    """eval_command's arguments when `argv` is a `bprop eval` that the fast path runs."""
    found = _fast(argv)
    return found[1] if found is not None and found[0] == "eval_command" else None


def _fast(argv: list[str]) -> tuple[str, dict[str, object]] | None:
    """The command body to call and its arguments when `argv` is eval, explain, graph or
    examples with only the options above, each at most once and well-formed; None for anything
    else, which then goes to the Typer app.

    Arguments are split as options.ProgramCommand splits them (inputs.split_arguments): an
    expression that starts with '-' (like "-x^2") is a positional argument, and `--` ends
    the options.
    """
    if argv == ["--version"] and "_BPROP_COMPLETE" not in os.environ:
        return "listing.version_command", {}
    if not argv or argv[0] not in FAST_COMMANDS or "_BPROP_COMPLETE" in os.environ:  # (completion: Typer's)
        return None
    known, body, fixed, short, many = FAST_COMMANDS[argv[0]]
    if not known:  # examples: nothing may follow
        return (body, {}) if len(argv) == 1 else None
    takes_value = {flag: arity for flag, (_, arity) in known.items()}
    to_typer = {**_TO_TYPER, **short}
    try:
        options, positional = split_arguments(argv[1:], {**takes_value, **to_typer})
    except OptionError:  # another of the command's options, a typo, a missing value: Typer says which
        return None
    given: dict[str, object] = {}
    i = 0
    while i < len(options):
        name, eq, value = options[i].partition("=") if options[i].startswith("--") else (options[i], "", "")
        i += 1
        if name in to_typer:
            return None
        key, arity = known[name]
        if (key in given and key not in many) or (eq and not arity):
            return None
        if not arity:
            given[key] = True
            continue
        if not eq:
            if i == len(options):
                return None  # the value is missing
            value = options[i]
            i += 1
        if not value:
            return None
        if key in many:
            given.setdefault(key, []).append(value)  # type: ignore[union-attr]
        else:
            given[key] = value
    try:
        if "fmt" in given:
            given["fmt"] = Format(given["fmt"])
    except ValueError:
        return None
    if "file" in given or "values_file" in given:
        from pathlib import Path

        for key in ("file", "values_file"):
            if key in given:
                given[key] = Path(given[key])  # type: ignore[arg-type]
    return body, {"args": positional or None, **fixed, **given}


def main() -> None:
    """Entry point of the `bprop` script and `python -m bprop_cli`."""
    import gc

    _prepare_streams()
    try:
        fast = _fast(sys.argv[1:])
        # Importing makes some hundred thousand objects and no garbage; the collections that
        # their number sets off would only rescan them (about 2% of `bprop --help`). So the
        # collector waits, and then leaves them out of every later collection.
        enabled = gc.isenabled()
        gc.disable()
        try:
            if fast is None:
                from .app import main as typer_main
            else:
                from importlib import import_module

                module, _, name = fast[0].rpartition(".")
                body = getattr(import_module(f"{__package__}.{module or 'commands'}"), name)
        finally:
            gc.freeze()
            if enabled:
                gc.enable()
        if fast is None:
            typer_main()
            return
        try:
            body(**fast[1])
        except (EOFError, KeyboardInterrupt):  # as Click ends a command that is interrupted
            say("\nAborted!")
            raise SystemExit(1) from None
        sys.stdout.flush()  # here, where a failure is still reported, not at exit
    except OSError as err:  # output that could not be written outside any command's boundary (help, ...)
        output_failed(err)
    except SystemExit as exit_:
        if _reader_gone(exit_):  # `| head` under Rich (a table, train's lines, Typer's help)
            raise SystemExit(0) from None
        raise
    finally:
        # The process is about to end: spare Python's last garbage collection at exit a walk
        # over every object made so far (Rich's and Typer's modules included). This saves
        # 5-15 ms of every start-up; the memory goes back to the system all the same.
        gc.freeze()


def _reader_gone(exit_: SystemExit) -> bool:
    """True for the exit Rich makes when the reader of its output has gone: its Console points
    stdout at /dev/null and raises SystemExit(1) from on_broken_pipe. bprop's own writes end
    such a run quietly with 0 (terminal.write, output_failed); so must Rich's, whichever
    console (bprop's, Typer's help) wrote."""
    tb = exit_.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return exit_.code == 1 and tb is not None and tb.tb_frame.f_code.co_name == "on_broken_pipe"


def _prepare_streams() -> None:
    """A closed stdout fails as an OSError; a stdout or stderr that cannot encode every
    character (PYTHONIOENCODING=ascii, a Latin-1 terminal) shows it as an escape, never crashes."""
    if sys.stdout is None:
        sys.stdout = ClosedStream()  # type: ignore[assignment]
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - a stream that cannot change
                pass


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """`cli.app`, the Typer application, imported only when asked for."""
    if name == "app":
        from .app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
