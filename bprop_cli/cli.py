"""The command line: the commands' bodies, wired to the engine and the renderers.

Results go to stdout, messages to stderr; every BpropError is caught in one place and mapped
to the exit codes of SPEC §6. The Typer application (arguments, options, help) is in app.py;
`main()` runs the common `bprop eval EXPR NAME=VALUE... [simple options]` without it, because
importing Typer and Click costs more than the whole calculation (see `_fast_eval`).
Nothing here imports Typer, and Rich only where a table or a coloured message is drawn.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator, List, NoReturn, Optional, TextIO

from .errors import BpropError, ExitStatus, ValueBindingError
from .progress import Progress
from .render import Format

if TYPE_CHECKING:
    from pathlib import Path


def _console(stderr: bool = False):  # type: ignore[no-untyped-def]
    """Rich picks colour only for a terminal (FORCE_COLOR forces it, TERM=dumb drops it);
    NO_COLOR (any non-empty value) wins over both and removes every escape, bold included.
    Emoji codes stay off: nothing of bprop's needs them, a ':name:' in user text stays as typed,
    and not loading Rich's table of emoji names saves a few ms of every table's start-up."""
    from rich.console import Console

    plain = bool(os.environ.get("NO_COLOR"))
    return Console(stderr=stderr, highlight=False, soft_wrap=stderr, no_color=plain, emoji=False,
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
            import json

            _write(json.dumps({"error": {"kind": err.kind, "message": err.message, "hint": err.hint,
                                         "position": err.position()}}))
        _print_error(str(err))
        raise SystemExit(int(err.status)) from None
    except OSError as err:  # stdout cannot be written (a full disk, a closed descriptor)
        if traceback:
            raise
        output_failed(err)
    except RecursionError:  # pragma: no cover - every pass is iterative; kept as a last guard
        if traceback:
            raise
        _say("error: the program is nested too deeply")
        raise SystemExit(int(ExitStatus.USAGE_ERROR)) from None
    except Exception as err:  # a bug in bprop: still one line, never a traceback
        if traceback or _is_typer_exit(err):
            raise
        _say(f"internal error: {type(err).__name__}: {err} (a bug in bprop; --traceback shows where)")
        raise SystemExit(int(ExitStatus.EVAL_ERROR)) from None


def output_failed(err: OSError) -> NoReturn:
    """One line on stderr and exit 1 when the output cannot be written (SPEC §6: never a
    traceback); a reader that has gone (`| head`) ends quietly with 0, as _write does."""
    try:  # point stdout at /dev/null, or Python's last flush at exit fails (and prints) once more
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    except OSError:
        pass
    if isinstance(err, BrokenPipeError):
        raise SystemExit(0) from None
    try:
        _say(f"error: cannot write the output: {err.strerror or err}")
    except (OSError, ValueError, AttributeError):
        pass  # stderr is gone too: the exit code says it
    raise SystemExit(int(ExitStatus.EVAL_ERROR)) from None


class _ClosedStream:
    """Stands in for a stdout that was closed before bprop started (Python then sets it to None),
    so that writing to it fails as an OSError the error boundary reports, not an AttributeError."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1


def _print_error(text: str) -> None:
    """An error message on stderr: red on a terminal (through Rich); elsewhere as Rich would
    print it without colour, but without loading Rich, so that a failing run in a script or a
    pipe starts as fast as a good one."""
    plain = _as_rich_writes(text) if _surely_not_a_terminal() else None
    if plain is not None:
        sys.stderr.write(plain)
        sys.stderr.flush()
        return
    from rich.text import Text

    console = _stderr_console()
    console.print(Text(text), style="red" if console.is_terminal else None)


_STRIPPED = dict.fromkeys((7, 8, 11, 12, 13))  # the control codes Rich's Text drops (BEL, BS, VT, FF, CR)


def _as_rich_writes(text: str) -> str | None:
    """What Rich writes for a Text without colour or wrapping; None for a tab (Rich expands it)."""
    return None if "\t" in text else text.translate(_STRIPPED) + "\n"


def _surely_not_a_terminal() -> bool:
    """stderr is no terminal, and nothing asks Rich to treat it as one (FORCE_COLOR and friends)."""
    if os.environ.get("FORCE_COLOR") or "TTY_COMPATIBLE" in os.environ or "TTY_INTERACTIVE" in os.environ \
            or "IPython" in sys.modules:
        return False
    try:
        return not sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _is_typer_exit(err: Exception) -> bool:
    """typer.Exit and typer.Abort (Click's) end a command on purpose; only app.py raises them."""
    typer = sys.modules.get("typer")
    return typer is not None and isinstance(err, (typer.Exit, typer.Abort))


def _say(message: str) -> None:
    """A plain message on stderr (as typer.echo(..., err=True) writes it), control characters shown."""
    from .render.safe import visible

    sys.stderr.write(visible(message) + "\n")
    sys.stderr.flush()


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
        raise SystemExit(0) from None


def _read_program(program: str | None, file: Path | None) -> str:
    """The program text; a byte-order mark (from a Windows editor) is dropped, as --batch does."""
    return _text_of_program(program, file).removeprefix("\ufeff")


def _text_of_program(program: str | None, file: Path | None) -> str:
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
    try:
        program.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8 reach Python's argv as lone surrogates
        raise ValueBindingError("the program is not UTF-8 text",
                                hint="as a file or on standard input, a program must be UTF-8 too") from None
    return program


def eval_command(
    args: Optional[List[str]], file: Optional[Path] = None, fmt: Format = Format.table, as_json: bool = False,
    seed: float = 1.0, all_rows: bool = False, graph: bool = False, example: Optional[str] = None,
    expand: bool = False, traceback: bool = False, grad: Optional[str] = None, values_file: Optional[Path] = None,
    batch: Optional[str] = None, check: bool = False, symbolic: bool = False, exact: bool = False,
    latex: bool = False, scalarize: bool = False, params: Optional[str] = None,
    nudge: Optional[List[str]] = None, eps: Optional[float] = None, difference: Optional[str] = None,
    nodes: bool = False,
) -> None:
    """`bprop eval`: run the forward and backward passes and show every step (app.py documents
    the options; `main()` calls this directly for the common options)."""
    fmt = Format.json if as_json else fmt
    with error_boundary(json_errors=fmt is Format.json, traceback=traceback), Progress(sys.stderr) as progress:
        if graph and fmt is not Format.table:
            raise BpropError(f"--graph draws beside the tables, not with --format {fmt.value}",
                             hint="for a picture file use: bprop graph EXPR NAME=VALUE... -o graph.svg (or .dot, .mmd)")
        if batch is not None:
            raise SystemExit(_batch(args, file, seed, values_file, batch, fmt, grad))
        source, given = _program_and_values(args, file, seed, values_file, example=example)
        _check_options(check, eps, difference, nodes, nudge)
        trust = check or symbolic or exact or latex
        if scalarize and trust:
            raise BpropError("--scalarize shows the trace in scalar gates; it cannot be combined with "
                             "--check, --symbolic, --exact or --latex",
                             hint="--check on the array program checks every entry against central differences")
        if not trust and not given:
            from .trust import needs_symbolic

            trust = needs_symbolic(source, given)
        if trust:  # sympy is loaded on this path only
            from .trust import evaluate

            result = evaluate(source, given, seed=seed, check=check, symbolic=symbolic, exact=exact, latex=latex,
                              eps=eps, difference=difference or "central", nodes=nodes)
        else:
            from . import run

            trace = run(source, given, seed=seed, expand=expand, on_phase=progress, scalarize=scalarize)
            for remark in trace.remarks:  # e.g. that * between a matrix and a vector is not @
                _say(remark)
            if nudge:
                _nudges(trace, source, given, nudge, expand, fmt)
                return
            if grad is not None:
                from .render import full

                _write(full(_gradient(trace, grad)))
                return
    geo = None
    if params is not None and not trust:
        from .geometry import geometry, parse_params

        with error_boundary(json_errors=fmt is Format.json, traceback=traceback):
            geo = geometry(trace.gradients, parse_params(params, list(trace.gradients)))
    with error_boundary(traceback=traceback):  # output that cannot be written: one line, exit 1
        if trust:
            _show_trust(result, fmt, all_rows, latex)
            return
        _show(trace, fmt, all_rows, geo)
        if graph:
            from .render.picture import DEFAULT_LIMIT

            _write("")
            _picture(trace, DEFAULT_LIMIT)


def _check_options(check: bool, eps: float | None, difference: str | None, nodes: bool,
                   nudge: Optional[List[str]]) -> None:
    """--eps, --difference and --nodes only make sense with --check; --nudge not with it."""
    import math

    given = [flag for flag, on in (("--eps", eps is not None), ("--difference", difference is not None),
                                   ("--nodes", nodes)) if on]
    if given and not check:
        raise ValueBindingError(f"{', '.join(given)} {'goes' if len(given) == 1 else 'go'} with --check",
                                hint="add --check, e.g. bprop eval \"x^2\" x=3 --check --eps 0.001")
    if eps is not None and not (math.isfinite(eps) and eps > 0):
        raise ValueBindingError(f"--eps must be a positive number, not {eps}")
    if nudge and check:
        raise ValueBindingError("--nudge and --check are separate questions: ask one at a time")


def _nudges(trace, source: str, given, texts: List[str], expand: bool, fmt: Format) -> None:  # type: ignore[no-untyped-def]
    """--nudge NAME=h ...: the output before and after each nudge, beside gradient * h."""
    from .graph import compile_program
    from .nudge import nudge, parse_nudge
    from .render.nudge import nudge_json, nudge_lines, nudge_plain
    from .values import bind

    graph = compile_program(source, expand=expand)
    at = bind(graph, given)
    results = [nudge(graph, at, trace, *parse_nudge(text)) for text in texts]
    if fmt is Format.json:
        _write(nudge_json(trace, results))
    elif fmt in (Format.plain, Format.csv, Format.tsv):
        _write("\n".join(nudge_plain(trace.output, results)))
    else:
        _write("\n".join(nudge_lines(trace.output, results)))


def _trace(args: Optional[List[str]], file: Optional[Path], seed: float = 1.0,
           values_file: Optional[Path] = None, example: Optional[str] = None,
           expand: bool = False, scalarize: bool = False):  # type: ignore[no-untyped-def]
    """Read the program (EXPR, '-' or -f FILE) and its NAME=VALUE arguments; run both passes."""
    from . import run

    source, given = _program_and_values(args, file, seed, values_file, example=example)
    return run(source, given, seed=seed, expand=expand, scalarize=scalarize)


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


def step_through_on_a_terminal(blocks, trace) -> bool:  # type: ignore[no-untyped-def]
    """explain --step: the walkthrough one step per key press, when stdin and stdout are a
    terminal that can draw it; False (and nothing shown) otherwise, so the caller prints as usual."""
    if not (_stdin_is_terminal() and sys.stdout.isatty()) or os.environ.get("TERM") == "dumb":
        return False
    try:
        import termios  # noqa: F401 - POSIX only
    except ImportError:
        return False
    from .render.step_tty import step_through

    step_through(blocks, trace)
    return True


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


def _show(trace, fmt: Format, all_rows: bool, geo=None) -> None:  # type: ignore[no-untyped-def]
    if fmt is Format.json:
        from .render.json import write_json

        _write(lambda out: write_json(trace, out, geo))
    elif fmt is Format.plain:
        from .render.plain import render_plain

        _write(lambda out: out.writelines(line + "\n" for line in render_plain(trace, geo)))
    elif fmt is Format.markdown:
        from .render.markdown import render_markdown

        _write(render_markdown(trace, geo))
    elif fmt in (Format.csv, Format.tsv):
        from .render.delimited import SEPARATORS, render_delimited

        _write(render_delimited(trace, SEPARATORS[fmt.value]))
    else:
        from .render.table import render_table

        try:
            _console().print(render_table(trace, all_rows, geo))
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

        _say(f"error: {summary(result.check)}")
        raise SystemExit(int(ExitStatus.EVAL_ERROR))


# `bprop eval`'s options that main() parses itself -> (eval_command's keyword, takes a value).
# Every other option (--help, --check, --batch, --graph, ...) is left to the Typer app.
FAST_OPTIONS = {
    "-f": ("file", True), "--file": ("file", True), "--format": ("fmt", True), "--json": ("as_json", False),
    "--seed-grad": ("seed", True), "--all-rows": ("all_rows", False), "--example": ("example", True),
    "--expand": ("expand", False), "--grad": ("grad", True), "--values": ("values_file", True),
    "--scalarize": ("scalarize", False),
}


def _fast_eval(argv: list[str]) -> dict[str, object] | None:
    """eval_command's arguments when `argv` is `eval` with only the options above, each at most
    once and well-formed; None for anything else, which then goes to the Typer app.

    Arguments are split exactly as app.ExpressionFirstCommand splits them: an expression that
    starts with '-' (like "-x^2") is a positional argument, and `--` ends the options.
    """
    if not argv or argv[0] != "eval" or "_BPROP_COMPLETE" in os.environ:  # (shell completion: Typer's)
        return None
    given: dict[str, object] = {}
    positional: list[str] = []
    rest = argv[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        i += 1
        if arg == "--":
            positional += rest[i:]
            break
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name not in FAST_OPTIONS:
            if name.startswith("--") or name == "-h":  # help, another of eval's options, or a typo
                return None
            positional.append(arg)
            continue
        key, takes_value = FAST_OPTIONS[name]
        if key in given or (eq and not takes_value):
            return None
        if not takes_value:
            given[key] = True
            continue
        if not eq:
            if i == len(rest):
                return None
            value = rest[i]
            i += 1
        if not value:
            return None
        given[key] = value
    try:
        if "fmt" in given:
            given["fmt"] = Format(given["fmt"])
        if "seed" in given:
            given["seed"] = float(given["seed"])  # as Click converts a float option
    except ValueError:
        return None
    if "file" in given or "values_file" in given:
        from pathlib import Path

        for key in ("file", "values_file"):
            if key in given:
                given[key] = Path(given[key])  # type: ignore[arg-type]
    return {"args": positional or None, **given}


def main() -> None:
    """Entry point of the `bprop` script and `python -m bprop_cli`."""
    _prepare_streams()
    try:
        fast = _fast_eval(sys.argv[1:])
        if fast is None:
            from .app import app

            app(prog_name="bprop")
            return
        try:
            eval_command(**fast)  # type: ignore[arg-type]
        except (EOFError, KeyboardInterrupt):  # as Click ends a command that is interrupted
            _say("\nAborted!")
            raise SystemExit(1) from None
        sys.stdout.flush()  # here, where a failure is still reported, not at exit
    except OSError as err:  # output that could not be written outside any command's boundary (help, ...)
        output_failed(err)
    finally:
        # The process is about to end: spare Python's last garbage collection at exit a walk
        # over every object made so far (Rich's and Typer's modules included). This saves
        # 5-15 ms of every start-up; the memory goes back to the system all the same.
        import gc

        gc.freeze()


def _prepare_streams() -> None:
    """A closed stdout fails as an OSError; a stdout or stderr that cannot encode every
    character (PYTHONIOENCODING=ascii, a Latin-1 terminal) shows it as an escape, never crashes."""
    if sys.stdout is None:
        sys.stdout = _ClosedStream()  # type: ignore[assignment]
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


# --- practice: bprop quiz, bprop check ----------------------------------------------------------

def _scalar_trace(source: str, given: dict[str, object], seed: float, expand: bool,  # type: ignore[no-untyped-def]
                  command: str):
    """The trace a practice command works on; array programs are refused for now."""
    from . import run

    if any(isinstance(v, (list, tuple)) or (isinstance(v, str) and v.lstrip().startswith("[")) for v in given.values()):
        raise ValueBindingError(f"{command} works on scalar programs; this one has an array value",
                                hint="give every input a single number, e.g. x=-2")
    trace = run(source, given, seed=seed, expand=expand)
    if not all(isinstance(n.value, float) for n in trace.nodes):
        raise ValueBindingError(f"{command} works on scalar programs; this one computes arrays")
    return trace


def quiz_command(args: Optional[List[str]], file: Optional[Path] = None, example: Optional[str] = None,
                 expand: bool = False, values_file: Optional[Path] = None, seed_grad: float = 1.0,
                 ask: str = "forward,local,product,grad", as_json: bool = False, random: bool = False,
                 level: int = 1, seed: Optional[int] = None, traceback: bool = False) -> None:
    """`bprop quiz`: the learner fills in the trace; exit 0 if every answer was right, 1 otherwise."""
    from .practice import Quiz, parse_kinds, questions

    with error_boundary(traceback=traceback):
        kinds = parse_kinds(ask)
        made = None
        if random:
            if args or file is not None or example is not None or values_file is not None:
                raise ValueBindingError("--random makes up its own program; give no program or values with it",
                                        hint="bprop quiz --random --level 2 --seed 7")
            from .exercise import exercise

            made = exercise(level, seed)
            source, given = made.program, dict(made.values)
        else:
            if seed is not None:
                raise ValueBindingError("--seed picks a made-up exercise; it goes with --random",
                                        hint="bprop quiz --random --seed 7")
            source, given = _program_and_values(args, file, seed_grad, values_file, example=example)
            if (args and args[0] == "-") and not _stdin_is_terminal():
                raise ValueBindingError("the program and the answers cannot both come from standard input",
                                        hint="give the program as an argument or with -f FILE")
        trace = _scalar_trace(source, given, seed_grad, expand, "quiz")
        quiz = Quiz(trace, questions(trace, kinds))
    if not as_json and _stdin_is_terminal() and sys.stdout.isatty():
        from .render.quiz_tty import run_quiz

        run_quiz(quiz, kinds, made)
    else:
        _scripted_quiz(quiz, kinds, made, as_json)
    raise SystemExit(0 if quiz.passed else int(ExitStatus.EVAL_ERROR))


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _scripted_quiz(quiz, kinds, made, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    """The quiz off a terminal: one answer a line from stdin, questions and verdicts as lines."""
    from .practice import AnswerError, Verdict, printable, WRONG
    from .render.practice import (header_lines, hint_lines, program_lines, question_line, summary_lines,
                                  verdict_lines, wrapped)

    to_terminal = as_json and _stdin_is_terminal()  # --json typed at a terminal: prompts on stderr

    def say(*lines: str) -> None:
        if to_terminal:
            for line in wrapped(lines):
                _say(line)
        elif not as_json:
            for line in wrapped(lines):
                _write(line)

    if made is not None:
        say(made.title)
    say(*program_lines(quiz.trace), *header_lines(quiz, kinds))
    total = len(quiz.questions)
    ended = False
    while quiz.current is not None and not ended:
        question = quiz.current
        say(question_line(question, total))
        hinted = False
        while True:
            line = _read_answer()
            if line is None or line.strip().lower() in ("q", "quit"):
                ended = True
                break
            if line.strip() == "?":
                hinted = True
                say(*hint_lines(question))
                continue
            try:
                verdict = quiz.answer(line, hinted)
            except AnswerError:  # off a terminal there is no asking again: it counts as wrong
                verdict = Verdict(question, WRONG, printable(line.strip()), None, hinted)
                quiz.verdicts.append(verdict)
            say(*verdict_lines(verdict, quiz))
            break
    if quiz.current is not None:
        left = len(quiz.questions) - len(quiz.verdicts)
        why = "you quit" if line is not None else "end of input"
        say(f"  ({why}: {left} question{'s' if left != 1 else ''} left, counted as skipped)")
    quiz.stop()
    if as_json:
        import json

        _write(json.dumps(quiz.to_dict(), indent=2))
        return
    say("", *summary_lines(quiz))


def _read_answer() -> str | None:
    """One line of stdin without its newline; None at the end of input."""
    if sys.stdin is None:
        return None
    try:
        line = sys.stdin.readline()
    except UnicodeDecodeError:
        raise ValueBindingError("standard input is not UTF-8 text") from None
    return None if line == "" else line.rstrip("\r\n")


def check_command(args: Optional[List[str]], answers: List[str], file: Optional[Path] = None,
                  example: Optional[str] = None, expand: bool = False, values_file: Optional[Path] = None,
                  seed_grad: float = 1.0, as_json: bool = False, traceback: bool = False) -> None:
    """`bprop check`: are hand-worked answers right? Exit 0 if all are, 1 if not."""
    from .practice import RIGHT, check_answers

    with error_boundary(traceback=traceback):
        if not answers:
            raise ValueBindingError("no answer to check", hint='add --answer NAME=VALUE, e.g. --answer dx=-4')
        pairs = []
        for answer in answers:
            name, eq, value = answer.partition("=")
            if not eq or not name.strip():
                raise ValueBindingError(f"--answer takes NAME=VALUE, not {answer!r}", hint="e.g. --answer dx=-4")
            pairs.append((name.strip(), value))
        source, given = _program_and_values(args, file, seed_grad, values_file, example=example)
        trace = _scalar_trace(source, given, seed_grad, expand, "check")
        results = check_answers(trace, pairs)
    if as_json:
        import json

        _write(json.dumps({"bprop": 1, "expression": trace.expression, "answers": [_checked_dict(c) for c in results],
                           "passed": all(c.verdict.status == RIGHT for c in results)}, indent=2))
    else:
        from .render.practice import check_lines, program_lines, wrapped

        _write("\n".join(wrapped([*program_lines(trace), *check_lines(trace, results)])))
    raise SystemExit(0 if all(c.verdict.status == RIGHT for c in results) else int(ExitStatus.EVAL_ERROR))


def _checked_dict(c) -> dict[str, object]:  # type: ignore[no-untyped-def]
    entry: dict[str, object] = {"answer": c.name, "name": c.question.name, "kind": c.question.kind,
                                "key": c.question.key, "expected": c.question.expected, "given": c.verdict.given,
                                "verdict": c.verdict.status}
    if c.culprit is not None:
        entry["first_wrong_step"] = {"name": c.culprit.name, "kind": c.culprit.kind, "key": c.culprit.key,
                                     "gate": c.culprit.gate, "node": c.culprit.node,
                                     "expected": c.culprit.expected,
                                     "given": c.culprit_verdict.given if c.culprit_verdict else None}
        entry["unchecked"] = [s.name for s in c.suspects]
    return entry
