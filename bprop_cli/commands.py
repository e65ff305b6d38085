"""The commands' bodies, free of Typer: each reads its program and values through inputs.py,
runs the engine and hands the trace to a renderer. app.py declares the commands (arguments,
options, help) and calls these; cli.main calls `eval_command` directly on its fast path.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Callable, List, Optional

from .errors import BpropError, ExitStatus
from .inputs import program_and_values
from .progress import Progress
from .render import Format
from .terminal import console, error_boundary, picture, say, show_renderable, tell, write

if TYPE_CHECKING:
    from pathlib import Path


def eval_command(
    args: Optional[List[str]], file: Optional[Path] = None, fmt: Format = Format.table, as_json: bool = False,
    seed_grad: float = 1.0, all_rows: bool = False, graph: bool = False, example: Optional[str] = None,
    expand: bool = False, traceback: bool = False, grad: Optional[str] = None, values_file: Optional[Path] = None,
    batch: Optional[str] = None, check: bool = False, symbolic: bool = False, exact: bool = False,
    latex: bool = False, scalarize: bool = False,
) -> None:
    """`bprop eval`: run the forward and backward passes and show every step (app.py documents
    the options; `main()` calls this directly for the common options)."""
    fmt = Format.json if as_json else fmt
    with error_boundary(json_errors=fmt is Format.json, traceback=traceback), Progress(sys.stderr) as progress:
        _refuse_combinations(fmt, graph=graph, batch=batch, check=check, symbolic=symbolic, exact=exact,
                             latex=latex, grad=grad)
        if batch is not None:
            raise SystemExit(_batch(args, file, seed_grad, values_file, batch, fmt, grad, example))
        source, given = program_and_values(args, file, example, values_file, seed_grad)
        trust = check or symbolic or exact or latex
        if scalarize and trust:
            raise BpropError("--scalarize shows the trace in scalar gates; it cannot be combined with "
                             "--check, --symbolic, --exact or --latex",
                             hint="--check on the array program checks every entry against central differences")
        if not trust and not given:
            from .trust import needs_symbolic

            trust = needs_symbolic(source, given)
            if trust and graph:
                raise BpropError("--graph draws every wire's value and gradient, so every variable needs a value",
                                 hint="add NAME=VALUE for each variable (bprop graph EXPR NAME=VALUE... draws alone)")
        if trust:  # sympy is loaded on this path only
            from .trust import evaluate

            result = evaluate(source, given, seed=seed_grad, check=check, symbolic=symbolic, exact=exact, latex=latex)
        else:
            from . import run

            trace = run(source, given, seed=seed_grad, expand=expand, on_phase=progress, scalarize=scalarize)
            for remark in trace.remarks:  # e.g. that * between a matrix and a vector is not @
                say(remark)
            if grad is not None:
                from .render import full

                write(full(_gradient(trace, grad)))
                return
    if trust:
        _show_trust(result, fmt, all_rows, latex, then=(lambda: _graph_after(result.trace)) if graph else None)
        return
    _show(trace, fmt, all_rows)
    if graph:
        _graph_after(trace)


def _graph_after(trace) -> None:  # type: ignore[no-untyped-def]
    from .render.picture import DEFAULT_LIMIT

    write("")
    picture(trace, DEFAULT_LIMIT)


def _refuse_combinations(fmt: Format, *, graph: bool, batch: Optional[str], check: bool, symbolic: bool,
                         exact: bool, latex: bool, grad: Optional[str]) -> None:
    """Options that cannot work together are a usage error, never silently ignored."""
    if graph and fmt is not Format.table:
        raise BpropError(f"--graph draws beside the tables, not with --format {fmt.value}",
                         hint="for a picture file use: bprop graph EXPR NAME=VALUE... -o graph.svg (or .dot, .mmd)")
    if graph and (symbolic or latex):
        raise BpropError(f"--graph draws numbers, not with {'--symbolic' if symbolic else '--latex'}",
                         hint="bprop graph EXPR NAME=VALUE... draws the graph on its own")
    if batch is not None:
        for flag, on in (("--check", check), ("--exact", exact), ("--symbolic", symbolic), ("--latex", latex),
                         ("--graph", graph)):
            if on:
                raise BpropError(f"--batch and {flag} do not go together: --batch prints one row per input row",
                                 hint=f"run {flag} on one row: bprop eval EXPR NAME=VALUE... {flag}")
    if grad is not None:
        for flag, on in (("--check", check), ("--exact", exact), ("--symbolic", symbolic), ("--latex", latex),
                         ("--graph", graph)):
            if on:
                raise BpropError(f"--grad prints one bare number, not with {flag}")


def trace_of(args: Optional[List[str]], file: Optional[Path] = None, example: Optional[str] = None,
             values_file: Optional[Path] = None, seed_grad: float = 1.0,
             expand: bool = False, scalarize: bool = False):  # type: ignore[no-untyped-def]
    """Read the program and its values (see inputs.program_and_values); run both passes.
    Every variable needs a value: a picture or a narration shows numbers."""
    from . import run

    source, given = program_and_values(args, file, example, values_file, seed_grad)
    return run(source, given, seed=seed_grad, expand=expand, scalarize=scalarize)


def _batch(args, file, seed_grad, values_file, name: str, fmt: Format, grad: str | None,  # type: ignore[no-untyped-def]
           example: str | None) -> int:
    """--batch: the program once, then one output row per input row; returns the exit code."""
    from .batch import Batch, BatchReader, open_batch

    source, given = program_and_values(args, file, example, values_file, seed_grad, batch=name)
    with open_batch(name, sys.stdin) as stream:
        reader = BatchReader(stream, name)
        job = Batch(source, given, reader.columns, seed=seed_grad)
        return _run_batch(job, reader, fmt, grad, stream)


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
        write(text)
    total = file_size(stream)  # None for a pipe: then flush every row to keep up with the producer
    err_console = console(stderr=True)
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
                write(out, flush=total is None)
            if row.number % 500 == 0:
                update(reader.consumed, row.number)
    if bad > MAX_ROW_MESSAGES:
        err_console.print(f"... and {bad - MAX_ROW_MESSAGES:,} more bad rows ({bad:,} in all)", markup=False)
    sys.stdout.flush()
    return status


def _show(trace, fmt: Format, all_rows: bool) -> None:  # type: ignore[no-untyped-def]
    if fmt is Format.json:
        from .render.json import write_json

        write(lambda out: write_json(trace, out))
    elif fmt is Format.plain:
        from .render.plain import render_plain

        write(lambda out: out.writelines(line + "\n" for line in render_plain(trace)))
    elif fmt is Format.markdown:
        from .render.markdown import render_markdown

        write(render_markdown(trace))
    elif fmt in (Format.csv, Format.tsv):
        from .render.delimited import SEPARATORS, render_delimited

        write(render_delimited(trace, SEPARATORS[fmt.value]))
    else:
        from .render.table import render_table

        show_renderable(lambda width: render_table(trace, all_rows, width))


def _show_trust(result, fmt: Format, all_rows: bool, latex: bool,  # type: ignore[no-untyped-def]
                then: Optional[Callable[[], None]] = None) -> None:
    """Output of --check / --symbolic / --exact / --latex; exit 1 after a failed check."""
    from .render.trust import trust_json, trust_plain, trust_tables

    if fmt is Format.json:
        write(trust_json(result, latex))
    elif fmt is Format.plain or latex:
        write("\n".join(trust_plain(result, latex)))
    else:
        show_renderable(lambda width: trust_tables(result, all_rows))
    if then is not None and result.trace is not None:
        then()
    if result.check is not None and not result.check.passed:
        from .render.check import summary

        say(f"check failed: {summary(result.check)}")
        raise SystemExit(int(ExitStatus.EVAL_ERROR))


def graph_command(args: Optional[List[str]], file: Optional[Path] = None, example: Optional[str] = None,
                  values_file: Optional[Path] = None, seed_grad: float = 1.0, expand: bool = False,
                  fmt=None, output: Optional[Path] = None, max_nodes: int = 0,  # type: ignore[no-untyped-def]
                  traceback: bool = False, scalarize: bool = False) -> None:
    """`bprop graph`: the computational graph with every wire's value and gradient."""
    from .render.graph import GraphFormat

    with error_boundary(traceback=traceback):
        trace = trace_of(args, file, example, values_file, seed_grad, expand, scalarize)
        if output is not None:
            from .render.graph import write_graph

            write_graph(trace, output, fmt, max_nodes)
            return
    if fmt in (GraphFormat.dot, GraphFormat.mermaid):
        from .render.graph import graph_text
        from .render.picture import build_picture

        write(graph_text(build_picture(trace, max_nodes), fmt.value).rstrip("\n"))
    else:
        picture(trace, max_nodes)


def explain_command(args: Optional[List[str]], file: Optional[Path] = None, example: Optional[str] = None,
                    values_file: Optional[Path] = None, seed_grad: float = 1.0, expand: bool = False,
                    all_rows: bool = False, traceback: bool = False, scalarize: bool = False) -> None:
    """`bprop explain`: narrate a program step by step, or teach a topic or a gate."""
    with error_boundary(traceback=traceback):
        from .lessons import index, is_topic_like, lesson, topic_words

        positional = list(args or [])
        program_given = file is not None or example is not None or values_file is not None
        if not program_given and (not positional or (is_topic_like(positional[0]) and len(positional) == 1)):
            blocks = lesson(positional[0]) if positional else index()
        else:
            if not program_given:
                topic_words(positional)  # `bprop explain chain rule`: a topic is one word
            from . import run
            from .tutor import narrate

            source, values = program_and_values(positional, file, example, values_file, seed_grad)
            blocks = narrate(run(source, values, seed=seed_grad, expand=expand, scalarize=scalarize), expand=expand,
                             all_steps=all_rows)
    tell(blocks)
