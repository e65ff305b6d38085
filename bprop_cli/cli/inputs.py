"""How a command receives a program, its values and the shared options.

Every command that takes a program (eval, explain, graph, and whatever comes next) takes it
the same way: `EXPR` (or `-` for standard input), `-f FILE` or `--example NAME`; then
`NAME=VALUE` arguments, `--values FILE.json`, `--seed-grad G`, `--expand`, `--all-rows` and
`--scalarize`. The options
are declared here once, as data: options.py turns them into Typer parameters, and cli.py's
fast path for `bprop eval` reads the same declarations, so the two cannot drift apart.

Nothing here imports Typer or Rich: `bprop eval` runs through this module on its fast path.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Iterable, Mapping, NamedTuple

from bprop_cli.errors import ValueBindingError

if TYPE_CHECKING:
    from pathlib import Path


class Opt(NamedTuple):
    """One option as users type it: the keyword of the command function it fills, its flags,
    whether it takes a value, its help and metavar, and whether `--help` shows it."""

    key: str
    flags: tuple[str, ...]
    takes_value: bool
    help: str
    metavar: str | None = None
    hidden: bool = False
    many: bool = False  # may be given more than once: the command gets a list


# --- the options every program-taking command shares ----------------------------------------
FILE = Opt("file", ("-f", "--file"), True, "Read the program from FILE; then every argument is NAME=VALUE.",
           "FILE")
EXAMPLE = Opt("example", ("--example",), True,
              "Run a built-in example (bprop examples lists them); NAME=VALUE arguments change its inputs.",
              "NAME")
VALUES = Opt("values_file", ("--values",), True,
             'Values from a JSON object, e.g. {"x": -2, "w": "-pi/4"}; NAME=VALUE arguments win.', "FILE.json")
SEED_GRAD = Opt("seed_grad", ("--seed-grad",), True,
                "Gradient of the output to start the backward pass from: a number (default 1), or an "
                "array of the output's shape for a vector or matrix output, e.g. [1,0].", "G")
EXPAND = Opt("expand", ("--expand",), False,
             "Expand composite gates (sigmoid, tanh, ...) into the primitive gates they are made of.")
ALL_ROWS = Opt("all_rows", ("--all-rows",), False,
               "Show all of a long trace (every row, step or node) instead of a summary.")
SCALARIZE = Opt("scalarize", ("--scalarize",), False,
                "Write a program over vectors and matrices in scalar gates, one node per entry (W1[0][1], "
                "...): every single product.")
TRACEBACK = Opt("traceback", ("--traceback",), False, "Show Python tracebacks (for debugging bprop).", hidden=True)

# --- eval's own options that its fast path also parses ----------------------------------------
FORMAT = Opt("fmt", ("--format",), True,
             "table (for people), plain (one fact per line), json, markdown, csv or tsv (one row per "
             "node; per input row with --batch).", "FORMAT")
JSON = Opt("as_json", ("--json",), False, "Same as --format json.")
GRAD = Opt("grad", ("--grad",), True, "Print only d(output)/d(NAME), as a bare number.", "NAME")

# --- check's own options ---------------------------------------------------------------------
ANSWER = Opt("answers", ("--answer",), True, "One of your answers, e.g. dx=-4 (repeat for more).", "NAME=VALUE",
             many=True)
CHECK_JSON = Opt("as_json", ("--json",), False, "Print the verdicts as one JSON object.")
TOLERANCE = Opt("tolerance", ("--tolerance",), True,
                "Mark an answer right within this of the exact value, instead of within 1% or 0.001 or to "
                "the digits given: rel=1e-6, abs=0.01, or both (rel=1e-6,abs=1e-9).", "rel=R,abs=A")

SHARED = (FILE, EXAMPLE, VALUES, SEED_GRAD, EXPAND, TRACEBACK)  # every program-taking command has these
VIEW = (ALL_ROWS, SCALARIZE)  # the commands that show a trace have these too
EVAL_FAST = (FILE, EXAMPLE, VALUES, SEED_GRAD, EXPAND, ALL_ROWS, SCALARIZE, FORMAT, JSON, GRAD)
# What cli's fast path also reads for explain and graph (a program, a topic, or a picture on the terminal).
EXPLAIN_FAST = (FILE, EXAMPLE, VALUES, SEED_GRAD, EXPAND, ALL_ROWS, SCALARIZE)
GRAPH_FAST = (FILE, EXAMPLE, VALUES, SEED_GRAD, EXPAND, SCALARIZE)
CHECK_FAST = (FILE, EXAMPLE, VALUES, SEED_GRAD, EXPAND, ANSWER, CHECK_JSON, TOLERANCE)

# Old spellings still accepted (not shown by --help): the first name is the one users see.
ALIASES = {"--all-steps": "--all-rows"}


class OptionError(ValueBindingError):
    """A command line whose options cannot be read."""


class MissingOptionValue(OptionError):
    def __init__(self, option: str) -> None:
        super().__init__(f"option {option} needs a value", hint=f"write {option} VALUE or {option}=VALUE")


class UnknownOption(OptionError):
    """An argument that looks like an option but is none of the command's."""

    def __init__(self, option: str, known: Iterable[str]) -> None:
        import difflib

        # 0.7, not difflib's 0.6: at 0.6 --check "might be" --traceback, a guess that misleads.
        close = difflib.get_close_matches(option, [k for k in known if k.startswith("--")], n=1, cutoff=0.7)
        self.option = option
        super().__init__(f"no such option {option}" + (f" (did you mean {close[0]}?)" if close else ""),
                         hint=None if close else "bprop COMMAND --help lists a command's options")


def looks_like_option(arg: str) -> bool:
    """`--json`, `--all-rows`, `--format=csv`: two dashes, a letter, then letters, digits and
    dashes. An expression that starts with '-' (like "-x^2" or "--x+1") is not one; an
    expression that would be (`--x`) can still be given after `--`."""
    name = arg.split("=", 1)[0]
    return (len(name) > 2 and name.startswith("--") and name[2].isalpha()
            and all(c.isalnum() or c == "-" for c in name[2:]))


def split_arguments(args: Iterable[str], takes_value: Mapping[str, bool]) -> tuple[list[str], list[str]]:
    """Split a command line into options (with their values) and positional arguments.

    An argument that is exactly one of the options (or `--long=value`) is an option; an
    unknown `--name` is refused with a did-you-mean; everything else, including an
    expression that starts with '-', is positional; `--` ends the options. Aliases become
    the names they stand for. The Typer commands (options.ProgramCommand) and cli's fast
    path both split with this function.
    """
    args = list(args)
    options: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            positional.extend(args[i:])
            break
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        name = ALIASES.get(name, name)
        if name in takes_value:
            options.append(name + eq + value)
            if takes_value[name] and not eq:
                if i == len(args):
                    raise MissingOptionValue(name)
                options.append(args[i])
                i += 1
        elif looks_like_option(arg):
            raise UnknownOption(name, takes_value)
        else:
            positional.append(arg)
    return options, positional


# --- the program and its values -----------------------------------------------------------------

def read_program(program: str | None, file: Path | None) -> str:
    """The program's text: from FILE, from standard input ('-'), or as given; a byte-order mark
    (from a Windows editor) is dropped, as --batch does."""
    return _text_of_program(program, file).removeprefix("\ufeff")


def _text_of_program(program: str | None, file: Path | None) -> str:
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ValueBindingError(
                f"cannot read the program file {str(file)!r}: {getattr(err, 'strerror', None) or err}") from None
    if program == "-":
        if sys.stdin is None:
            raise ValueBindingError("'-' reads the program from standard input, but there is none")
        try:
            return sys.stdin.read()
        except UnicodeDecodeError:
            raise ValueBindingError("standard input is not UTF-8 text") from None
    if program is None:
        raise ValueBindingError("no program given", hint='try: bprop eval "(x+y)*z" x=-2 y=5 z=-4')
    try:
        program.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8 reach Python's argv as lone surrogates
        raise ValueBindingError("the program is not UTF-8 text",
                                hint="as a file or on standard input, a program must be UTF-8 too") from None
    return program


def stated_values(source: str) -> list[str]:
    """The NAME=VALUE list a program states on its first line, `# at: x=-2 y=5 z=-4`."""
    first = source.lstrip("\ufeff").split("\n", 1)[0].strip()
    return first.removeprefix("# at:").split() if first.startswith("# at:") else []


def program_and_values(args: Iterable[str] | None, file: Path | None = None, example: str | None = None,
                       values_file: Path | None = None, batch: str | None = None) -> tuple[str, dict[str, object]]:
    """The program (from EXPR, '-', -f FILE or --example NAME) and its values.

    Values come, weakest first, from the program's own `# at:` line, from --values FILE.json,
    then from the NAME=VALUE arguments. `batch` names --batch's input, which cannot be
    standard input as well as the program.
    """
    from bprop_cli.engine.values import parse_assignments

    positional = list(args or [])
    if example is not None:
        from bprop_cli.lang.catalog import example as builtin

        if file is not None:
            raise ValueBindingError("give either --example or -f FILE, not both")
        source = builtin(example).program
    else:
        program = None if file is not None or not positional else positional.pop(0)
        if batch == "-" and program == "-":
            raise ValueBindingError("the program and the batch cannot both come from standard input",
                                    hint="give the program as an argument or with -f FILE")
        source = read_program(program, file)
    given: dict[str, object] = dict(parse_assignments(stated_values(source)))
    if values_file is not None:
        from bprop_cli.batch.read import load_values

        given.update(load_values(values_file))
    given.update(parse_assignments(positional))
    return source, given
