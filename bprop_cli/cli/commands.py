"""The commands' bodies, free of Typer: each reads its program and values through inputs.py,
runs the engine and hands the trace to a renderer. app.py declares the commands (arguments,
options, help) and calls these; cli.main calls `eval_command` directly on its fast path.
"""

from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from typing import TYPE_CHECKING, Callable, List, Optional

from bprop_cli.errors import ExitStatus, ValueBindingError
from bprop_cli.views import Format

from .inputs import program_and_values
from .progress import Progress
from .terminal import console, error_boundary, picture, say, show_renderable, tell, write, written_as_rich_writes

if TYPE_CHECKING:
    from pathlib import Path


def seed_gradient(text: "str | float | None") -> "float | str":
    """engine.values.seed_gradient, imported when a command runs a program: it loads the parser
    and the graph, which `bprop explain` (the lesson index) and `bprop examples` never need."""
    from bprop_cli.engine.values import seed_gradient as read_seed

    return read_seed(text)


def eval_command(
    args: Optional[List[str]], file: Optional[Path] = None, fmt: Format = Format.table, as_json: bool = False,
    seed_grad: Optional[str] = None, all_rows: bool = False, graph: bool = False, example: Optional[str] = None,
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
        _refuse_combinations(fmt, graph=graph, batch=batch, check=check, symbolic=symbolic, exact=exact,
                             latex=latex, grad=grad)
        if batch is not None:
            raise SystemExit(_batch(args, file, seed_grad, values_file, batch, fmt, grad, example))
        source, given = program_and_values(args, file, example, values_file)
        seed = seed_gradient(seed_grad)
        _check_options(check, eps, difference, nodes, nudge)
        trust = check or symbolic or exact or latex
        if scalarize and trust:
            raise ValueBindingError("--scalarize shows the trace in scalar gates; it cannot be combined with "
                             "--check, --symbolic, --exact or --latex",
                             hint="--check on the array program checks every entry against central differences")
        if not trust and not given:
            from bprop_cli.trust.wiring import needs_symbolic

            trust = needs_symbolic(source, given)
            if trust and graph:
                raise ValueBindingError("--graph draws every wire's value and gradient, so every variable needs a value",
                                 hint="add NAME=VALUE for each variable (bprop graph EXPR NAME=VALUE... draws alone)")
        if trust:  # sympy is loaded on this path only
            from bprop_cli.trust.wiring import evaluate

            result = evaluate(source, given, seed=seed, check=check, symbolic=symbolic, exact=exact, latex=latex,
                              eps=eps, difference=difference or "central", nodes=nodes)
        else:
            from bprop_cli.engine.run import run

            trace = run(source, given, seed=seed, expand=expand, on_phase=progress, scalarize=scalarize)
            for remark in trace.remarks:  # e.g. that * between a matrix and a vector is not @
                say(remark)
            if nudge:
                _nudges(trace, source, given, nudge, expand, fmt)
                return
            if grad is not None:
                from bprop_cli.text import full

                write(full(_gradient(trace, grad)))
                return
    geo = None
    if params is not None and not trust:
        from bprop_cli.engine.geometry import geometry, parse_params

        with error_boundary(json_errors=fmt is Format.json, traceback=traceback):
            geo = geometry(trace.gradients, parse_params(params, list(trace.gradients)))
    with error_boundary(traceback=traceback):  # output that cannot be written: one line, exit 1
        if trust:
            _show_trust(result, fmt, all_rows, latex, then=(lambda: _graph_after(result.trace)) if graph else None)
            return
        _show(trace, fmt, all_rows, geo)
        if graph:
            _graph_after(trace)


def _graph_after(trace) -> None:  # type: ignore[no-untyped-def]
    from bprop_cli.views.picture import DEFAULT_LIMIT

    write("")
    picture(trace, DEFAULT_LIMIT)


def _refuse_combinations(fmt: Format, *, graph: bool, batch: Optional[str], check: bool, symbolic: bool,
                         exact: bool, latex: bool, grad: Optional[str]) -> None:
    """Options that cannot work together are a usage error, never silently ignored."""
    if graph and fmt is not Format.table:
        raise ValueBindingError(f"--graph draws beside the tables, not with --format {fmt.value}",
                         hint="for a picture file use: bprop graph EXPR NAME=VALUE... -o graph.svg (or .dot, .mmd)")
    if graph and (symbolic or latex):
        raise ValueBindingError(f"--graph draws numbers, not with {'--symbolic' if symbolic else '--latex'}",
                         hint="bprop graph EXPR NAME=VALUE... draws the graph on its own")
    if batch is not None:
        for flag, on in (("--check", check), ("--exact", exact), ("--symbolic", symbolic), ("--latex", latex),
                         ("--graph", graph)):
            if on:
                raise ValueBindingError(f"--batch and {flag} do not go together: --batch prints one row per input row",
                                 hint=f"run {flag} on one row: bprop eval EXPR NAME=VALUE... {flag}")
    if grad is not None:
        for flag, on in (("--check", check), ("--exact", exact), ("--symbolic", symbolic), ("--latex", latex),
                         ("--graph", graph)):
            if on:
                raise ValueBindingError(f"--grad prints one bare number, not with {flag}")


def trace_of(args: Optional[List[str]], file: Optional[Path] = None, example: Optional[str] = None,
             values_file: Optional[Path] = None, seed_grad: Optional[str] = None,
             expand: bool = False, scalarize: bool = False):  # type: ignore[no-untyped-def]
    """Read the program and its values (see inputs.program_and_values); run both passes.
    Every variable needs a value: a picture or a narration shows numbers."""
    from bprop_cli.engine.run import run

    source, given = program_and_values(args, file, example, values_file)
    return run(source, given, seed=seed_gradient(seed_grad), expand=expand, scalarize=scalarize)


def _batch(args, file, seed_grad, values_file, name: str, fmt: Format, grad: str | None,  # type: ignore[no-untyped-def]
           example: str | None) -> int:
    """--batch: the program once, then one output row per input row; returns the exit code."""
    from bprop_cli.batch.read import Batch, BatchReader, open_batch

    source, given = program_and_values(args, file, example, values_file, batch=name)
    seed = seed_gradient(seed_grad)
    if isinstance(seed, str):
        raise ValueBindingError("--batch runs programs over numbers, so --seed-grad must be a number")
    with open_batch(name, sys.stdin) as stream:
        reader = BatchReader(stream, name)
        job = Batch(source, given, reader.columns, seed=seed)
        return _run_batch(job, reader, fmt, grad, stream)


def _gradient(trace, name: str) -> float:  # type: ignore[no-untyped-def]
    """The gradient --grad asks for: of an input, or of any node by its id."""
    from bprop_cli.batch.read import check_grad_name

    if name in trace.gradients:
        return trace.gradients[name]
    check_grad_name(name, list(trace.gradients), [n.id for n in trace.nodes if n.op != "const"])
    return trace.node(name).grad


MAX_ROW_MESSAGES = 20  # bad rows reported one by one; beyond that only counted


def _run_batch(job, reader, fmt: Format, grad: str | None, stream) -> int:  # type: ignore[no-untyped-def]
    """Stream one output row per input row; a bad row is reported on stderr and skipped.
    Returns the exit code: 2 if any row had a bad value, else 1 if any failed to evaluate, else 0."""
    from bprop_cli.batch.read import file_size
    from bprop_cli.views.rows import RowWriter

    grads = job.grad_columns(grad)
    writer = RowWriter(fmt, job.inputs, job.output, grads)
    for text in writer.header():
        write(text)
    total = file_size(stream)  # None for a pipe: then flush every row to keep up with the producer
    outcomes = _batch_outcomes(job, reader, writer, grads, chunked=total is not None)
    err_console = console(stderr=True)
    status, bad, shown = 0, 0, 0
    bar = nullcontext(lambda done, rows: None)
    if err_console.is_terminal and total is not None and total > 64 * 1024:
        from bprop_cli.views.progress_bar import progress_bar

        bar = progress_bar(total, err_console)
    with bar as update:
        for row, result, err in outcomes:
            if result is None and err is None:  # left to the row-by-row engine
                row, result, err = job.result(row)
            if err is not None:
                bad += 1
                status = max(status, int(err.status))
                if bad <= MAX_ROW_MESSAGES:
                    err_console.print(f"row {row.number} (line {row.line}): {err}", markup=False)
            if result is None:
                out = writer.error(row.number, row.line, err)
            elif isinstance(result, str):  # the column engine's line, or a whole chunk's lines
                out = result
            else:
                out = writer.row(row.number, result)
            if out is not None:
                write(out, flush=total is None)
            if row.number - shown >= 500:
                update(reader.consumed, row.number)
                shown = row.number
    if bad > MAX_ROW_MESSAGES:
        err_console.print(f"... and {bad - MAX_ROW_MESSAGES:,} more bad rows ({bad:,} in all)", markup=False)
    sys.stdout.flush()
    return status


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
    from bprop_cli.engine.graph import compile_program
    from bprop_cli.engine.nudge import nudge, parse_nudge
    from bprop_cli.engine.values import bind
    from bprop_cli.views.nudge import nudge_json, nudge_lines, nudge_plain

    graph = compile_program(source, expand=expand)
    at = bind(graph, given)
    results = [nudge(graph, at, trace, *parse_nudge(text)) for text in texts]
    if fmt is Format.json:
        write(nudge_json(trace, results))
    elif fmt in (Format.plain, Format.csv, Format.tsv):
        write("\n".join(nudge_plain(trace.output, results)))
    else:
        write("\n".join(nudge_lines(trace.output, results)))


def _batch_outcomes(job, reader, writer, grads: list[str], chunked: bool):  # type: ignore[no-untyped-def]
    """(row, result, error) per row. A batch read from a file is evaluated in chunks of rows
    as numpy columns when numpy is there (the same numbers, bit for bit); from a pipe, row by
    row, so that each answer goes out as soon as its row comes in."""
    if chunked:
        try:
            from bprop_cli.batch.vectorised import Columns
        except ImportError:  # no numpy: row by row
            pass
        else:
            return Columns(job, writer, grads, reader.columns).outcomes(reader, joined=True)
    return ((row, None, None) for row in reader)


def _show(trace, fmt: Format, all_rows: bool, geo=None) -> None:  # type: ignore[no-untyped-def]
    if fmt is Format.json:
        from bprop_cli.views.json import write_json

        write(lambda out: write_json(trace, out, geo))
    elif fmt is Format.plain:
        from bprop_cli.views.plain import write_plain

        write(lambda out: write_plain(trace, out, geo))
    elif fmt is Format.markdown:
        from bprop_cli.views.markdown import write_markdown

        write(lambda out: write_markdown(trace, out, geo))
    elif fmt in (Format.csv, Format.tsv):
        from bprop_cli.views.delimited import SEPARATORS, write_delimited

        write(lambda out: write_delimited(trace, SEPARATORS[fmt.value], out))
    else:
        from bprop_cli.views.ansi import report_text
        from bprop_cli.views.report import streams, table_parts

        if not trace.arrays and not streams(trace, all_rows) and written_as_rich_writes(
                lambda shown: report_text(table_parts(trace, all_rows, shown.width, geo), all_rows, shown)):
            return  # the report in Rich's bytes, without importing Rich (most of a short run's time)
        from bprop_cli.views.table import print_table, render_table

        if streams(trace, all_rows):  # every row of a long table: printed as the rows are made
            out = console()
            out.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]
            try:
                print_table(trace, all_rows, out, geo)
            except BrokenPipeError:
                write("")
            return
        show_renderable(lambda width: render_table(trace, all_rows, width, geo))


def _broken_pipe() -> None:
    """Rich's own reaction to a closed pipe is to exit with status 1; a table written in parts
    (--all-rows) can meet one between parts, which must end as quietly as any other output."""
    raise BrokenPipeError


def _show_trust(result, fmt: Format, all_rows: bool, latex: bool,  # type: ignore[no-untyped-def]
                then: Optional[Callable[[], None]] = None) -> None:
    """Output of --check / --symbolic / --exact / --latex; exit 1 after a failed check."""
    from bprop_cli.views.trust import trust_json, trust_plain, trust_tables

    if fmt is Format.json:
        write(trust_json(result, latex))
    elif fmt is Format.plain or latex:
        write("\n".join(trust_plain(result, latex)))
    else:
        show_renderable(lambda width: trust_tables(result, all_rows, width))
    if then is not None and result.trace is not None:
        then()
    if result.check is not None and not result.check.passed:
        from bprop_cli.views.gradient_check import summary

        say(f"check failed: {summary(result.check)}")
        raise SystemExit(int(ExitStatus.EVAL_ERROR))


def graph_command(args: Optional[List[str]], file: Optional[Path] = None, example: Optional[str] = None,
                  values_file: Optional[Path] = None, seed_grad: Optional[str] = None, expand: bool = False,
                  fmt=None, output: Optional[Path] = None, max_nodes: int = 0,  # type: ignore[no-untyped-def]
                  traceback: bool = False, scalarize: bool = False) -> None:
    """`bprop graph`: the computational graph with every wire's value and gradient."""
    from bprop_cli.views.pictures import GraphFormat

    with error_boundary(traceback=traceback):
        trace = trace_of(args, file, example, values_file, seed_grad, expand, scalarize)
        if output is not None:
            from bprop_cli.views.pictures import write_graph

            write_graph(trace, output, fmt, max_nodes)
            return
    if fmt in (GraphFormat.dot, GraphFormat.mermaid):
        from bprop_cli.views.picture import build_picture
        from bprop_cli.views.pictures import graph_text

        write(graph_text(build_picture(trace, max_nodes), fmt.value).rstrip("\n"))
    else:
        picture(trace, max_nodes)


def explain_command(args: Optional[List[str]], file: Optional[Path] = None, example: Optional[str] = None,
                    values_file: Optional[Path] = None, seed_grad: Optional[str] = None, expand: bool = False,
                    all_rows: bool = False, traceback: bool = False, scalarize: bool = False,
                    step: bool = False, params: Optional[str] = None, lr: Optional[float] = None) -> None:
    """`bprop explain`: narrate a program step by step, or teach a topic or a gate."""
    trace = None
    with error_boundary(traceback=traceback):
        from bprop_cli.tutor.lessons import index, is_topic_like, lesson, topic_words

        positional = list(args or [])
        if positional and positional[0] == "gradient-descent" and (len(positional) > 1 or file or example):
            from bprop_cli.tutor.descent import descent_lesson  # one step of the user's own program

            source, values = program_and_values(positional[1:], file, example, values_file)
            shown = positional[1:] if file is None and example is None else \
                (["-f", str(file)] if file is not None else ["--example", str(example)]) + positional[1:]
            blocks = descent_lesson(source, values, shown, params, lr)
            tell(blocks)
            return
        if params is not None or lr is not None:
            raise ValueBindingError("--params and --lr go with: bprop explain gradient-descent EXPR NAME=VALUE ...")
        program_given = file is not None or example is not None or values_file is not None
        if not program_given and (not positional or (is_topic_like(positional[0]) and len(positional) == 1)):
            blocks = lesson(positional[0]) if positional else index()
        else:
            if not program_given:
                topic_words(positional)  # `bprop explain chain rule`: a topic is one word
            from bprop_cli.engine.run import run
            from bprop_cli.tutor.narration import narrate

            source, values = program_and_values(positional, file, example, values_file)
            trace = run(source, values, seed=seed_gradient(seed_grad), expand=expand, scalarize=scalarize)
            blocks = narrate(trace, expand=expand, all_steps=all_rows)
    if step and trace is not None and step_through_on_a_terminal(blocks, trace):
        return
    tell(blocks)


def step_through_on_a_terminal(blocks, trace) -> bool:  # type: ignore[no-untyped-def]
    """explain --step: the walkthrough one step per key press, when stdin and stdout are a
    terminal that can draw it; False (and nothing shown) otherwise, so the caller prints as usual."""
    if not (_stdin_is_terminal() and sys.stdout.isatty()) or os.environ.get("TERM") == "dumb":
        return False
    try:
        import termios  # noqa: F401 - POSIX only
    except ImportError:
        return False
    from bprop_cli.views.step_tty import step_through

    step_through(blocks, trace)
    return True



# --- practice: bprop quiz, bprop check ----------------------------------------------------------

def _scalar_trace(source: str, given: dict[str, object], seed: Optional[str], expand: bool,  # type: ignore[no-untyped-def]
                  command: str):
    """The trace a practice command works on; array programs are refused for now."""
    from bprop_cli.engine.run import run

    if any(isinstance(v, (list, tuple)) or (isinstance(v, str) and v.lstrip().startswith("[")) for v in given.values()):
        raise ValueBindingError(f"{command} works on scalar programs; this one has an array value",
                                hint="give every input a single number, e.g. x=-2")
    trace = run(source, given, seed=seed_gradient(seed), expand=expand)
    if not all(isinstance(n.value, float) for n in trace.nodes):
        raise ValueBindingError(f"{command} works on scalar programs; this one computes arrays")
    return trace


def quiz_command(args: Optional[List[str]], file: Optional[Path] = None, example: Optional[str] = None,
                 expand: bool = False, values_file: Optional[Path] = None, seed_grad: Optional[str] = None,
                 ask: str = "forward,local,product,grad", as_json: bool = False, random: bool = False,
                 level: int = 1, seed: Optional[int] = None, tolerance: Optional[str] = None,
                 traceback: bool = False) -> None:
    """`bprop quiz`: the learner fills in the trace; exit 0 if every answer was right, 1 otherwise."""
    from bprop_cli.practice.questions import DEFAULT_MARKING, Quiz, parse_kinds, parse_tolerance, questions

    with error_boundary(traceback=traceback):
        kinds = parse_kinds(ask)
        marking = DEFAULT_MARKING if tolerance is None else parse_tolerance(tolerance)
        made = None
        if random:
            if args or file is not None or example is not None or values_file is not None:
                raise ValueBindingError("--random makes up its own program; give no program or values with it",
                                        hint="bprop quiz --random --level 2 --seed 7")
            from bprop_cli.practice.exercises import exercise

            made = exercise(level, seed)
            source, given = made.program, dict(made.values)
        else:
            if seed is not None:
                raise ValueBindingError("--seed picks a made-up exercise; it goes with --random",
                                        hint="bprop quiz --random --seed 7")
            source, given = program_and_values(args, file, example, values_file)
            if (args and args[0] == "-") and not _stdin_is_terminal():
                raise ValueBindingError("the program and the answers cannot both come from standard input",
                                        hint="give the program as an argument or with -f FILE")
        trace = _scalar_trace(source, given, seed_grad, expand, "quiz")
        quiz = Quiz(trace, questions(trace, kinds), marking=marking)
    if not as_json and _stdin_is_terminal() and sys.stdout.isatty():
        from bprop_cli.views.quiz_tty import run_quiz

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
    from bprop_cli.practice.questions import WRONG, AnswerError, Verdict, printable
    from bprop_cli.views.practice import (
        header_lines,
        hint_lines,
        program_lines,
        question_line,
        summary_lines,
        verdict_lines,
        wrapped,
    )

    to_terminal = as_json and _stdin_is_terminal()  # --json typed at a terminal: prompts on stderr

    def tell_lines(*lines: str) -> None:
        if to_terminal:
            for line in wrapped(lines):
                say(line)
        elif not as_json:
            for line in wrapped(lines):
                write(line)

    if made is not None:
        tell_lines(made.title)
    tell_lines(*program_lines(quiz.trace), *header_lines(quiz, kinds))
    total = len(quiz.questions)
    ended = False
    while quiz.current is not None and not ended:
        question = quiz.current
        tell_lines(question_line(question, total))
        hinted = False
        while True:
            line = _read_answer()
            if line is None or line.strip().lower() in ("q", "quit"):
                ended = True
                break
            if line.strip() == "?":
                hinted = True
                tell_lines(*hint_lines(question))
                continue
            try:
                verdict = quiz.answer(line, hinted)
            except AnswerError:  # off a terminal there is no asking again: it counts as wrong
                verdict = Verdict(question, WRONG, printable(line.strip()), None, hinted)
                quiz.verdicts.append(verdict)
            tell_lines(*verdict_lines(verdict, quiz))
            break
    if quiz.current is not None:
        left = len(quiz.questions) - len(quiz.verdicts)
        why = "you quit" if line is not None else "end of input"
        tell_lines(f"  ({why}: {left} question{'s' if left != 1 else ''} left, counted as skipped)")
    quiz.stop()
    if as_json:
        import json

        write(json.dumps(quiz.to_dict(), indent=2))
        return
    tell_lines("", *summary_lines(quiz))


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
                  seed_grad: Optional[str] = None, as_json: bool = False, tolerance: Optional[str] = None,
                  traceback: bool = False) -> None:
    """`bprop check`: are hand-worked answers right? Exit 0 if all are, 1 if not."""
    from bprop_cli.practice.questions import DEFAULT_MARKING, RIGHT, check_answers, parse_tolerance

    with error_boundary(traceback=traceback):
        if not answers:
            raise ValueBindingError("no answer to check", hint='add --answer NAME=VALUE, e.g. --answer dx=-4')
        marking = DEFAULT_MARKING if tolerance is None else parse_tolerance(tolerance)
        pairs = []
        for answer in answers:
            name, eq, value = answer.partition("=")
            if not eq or not name.strip():
                raise ValueBindingError(f"--answer takes NAME=VALUE, not {answer!r}", hint="e.g. --answer dx=-4")
            pairs.append((name.strip(), value))
        source, given = program_and_values(args, file, example, values_file)
        trace = _scalar_trace(source, given, seed_grad, expand, "check")
        results = check_answers(trace, pairs, marking)
    if as_json:
        import json

        write(json.dumps({"bprop": 1, "expression": trace.expression, "answers": [_checked_dict(c) for c in results],
                           "passed": all(c.verdict.status == RIGHT for c in results),
                           "marking": marking.to_dict()}, indent=2))
    else:
        from bprop_cli.views.practice import check_lines, program_lines, wrapped

        write("\n".join(wrapped([*program_lines(trace), *check_lines(trace, results, marking)])))
    raise SystemExit(0 if all(c.verdict.status == RIGHT for c in results) else int(ExitStatus.EVAL_ERROR))


def _checked_dict(c) -> dict[str, object]:  # type: ignore[no-untyped-def]
    entry: dict[str, object] = {"answer": c.name, "name": c.question.name, "kind": c.question.kind,
                                "key": c.question.key, "expected": c.question.expected, "given": c.verdict.given,
                                "verdict": c.verdict.status, **({"right_by": c.verdict.by} if c.verdict.by else {})}
    if c.culprit is not None:
        entry["first_wrong_step"] = {"name": c.culprit.name, "kind": c.culprit.kind, "key": c.culprit.key,
                                     "gate": c.culprit.gate, "node": c.culprit.node,
                                     "expected": c.culprit.expected,
                                     "given": c.culprit_verdict.given if c.culprit_verdict else None}
        entry["unchecked"] = [s.name for s in c.suspects]
    return entry
