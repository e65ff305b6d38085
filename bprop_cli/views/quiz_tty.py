"""The quiz on a terminal: a prompt loop drawn with Rich. Each question gets a fresh screen:
the program, what each gate computes, the worksheet of the numbers found so far (a mark for
each: right, wrong, skipped), the verdict on the last answer, and the prompt."""

from __future__ import annotations

from typing import Sequence

from rich.console import Console, RenderableType
from rich.text import Text

from bprop_cli.practice.questions import RIGHT, SKIPPED, AnswerError, Quiz, Verdict, questions
from bprop_cli.text import num
from bprop_cli.tutor.blocks import Block

from .practice import header_lines, hint_lines, nodes_lines, program_lines, summary_lines, verdict_lines, wrapped

MARKS = {RIGHT: ("\u2713", "green"), "wrong": ("\u2717", "red"), SKIPPED: ("-", "yellow")}


def _console() -> Console:
    import os

    plain = bool(os.environ.get("NO_COLOR"))
    return Console(highlight=False, emoji=False, no_color=plain, **({"color_system": None} if plain else {}))


def _width(console: Console) -> int:
    return max(40, min(console.width, 100))


def _lines(console: Console, lines: Sequence[str], style: str = "") -> None:
    for line in wrapped(list(lines), _width(console)):
        console.print(Text(line, style=style), soft_wrap=True)


def _row(v: Verdict) -> Text:
    mark, style = MARKS[v.status]
    q = v.question
    row = Text(f" {mark} ", style=f"bold {style}")
    row.append(f"{q.prompt[:-1]}{num(q.expected)}")
    if v.status == "wrong":
        row.append(f"   (you said {v.text})", style=style)
    return row


GRAPH_LINES = 16  # taller drawings are not shown above the prompt (the gates are still listed)


def _graph(quiz: Quiz, order: dict[str, int], ascii: bool) -> RenderableType | None:
    """The graph as far as the quiz has got: every number before the current question in the
    trace's order is shown, the rest are '?'; the current question's node is marked."""
    from .step_tty import Frame, graph_height, lit_graph

    trace = quiz.trace
    if len(trace.nodes) > 4 * GRAPH_LINES or graph_height(trace) > GRAPH_LINES + 1:
        return None
    current = quiz.current
    at = order[current.key] if current is not None else len(order)
    known = {key for key, i in order.items() if i < at}
    values = {n.id for i, n in enumerate(trace.nodes) if n.op in ("input", "const") or f"nodes[{i}].value" in known}
    wires = {f"start:{trace.output}"} if any(not k.endswith(".value") for k in known) or \
        (current is not None and current.kind != "forward") else set()
    # A wire's gradient is a product; the products into a node whose gradient is still to be
    # asked for would give that answer away (all of it, for a node used once).
    pending = {key.split(".", 1)[1] if key.startswith("gradients.") else trace.nodes[int(key[6:key.index("]")])].id
               for key, i in order.items() if key.endswith(".grad") or key.startswith("gradients.") if i >= at}
    for j, s in enumerate(trace.backward):
        if f"backward[{j}].product" in known and s.input not in pending:
            wires.add(f"{s.node}>{s.input}")
    node = "" if current is None else current.node if current.kind != "grad" else current.input
    return lit_graph(trace, Frame(Block("step"), "", frozenset(values), frozenset(wires), node), ascii,
                     "this question")


def _screen(console: Console, quiz: Quiz, kinds: Sequence[str], title: str, notice: list[tuple[str, str]],
            order: dict[str, int] | None = None) -> None:
    console.clear()
    top = [title] if title else []
    _lines(console, [*top, *program_lines(quiz.trace)], "bold")
    gates = "Gates: " + "; ".join(nodes_lines(quiz.trace))
    _lines(console, [gates, *header_lines(quiz, kinds, interactive=True)], "dim")
    graph = _graph(quiz, order, console.no_color or console.color_system is None) if order else None
    extra = 0
    if graph is not None:
        console.print()
        console.print(graph)
        extra = len(console.render_lines(graph, console.options, pad=False)) + 1
    console.print()
    if quiz.verdicts:
        right = sum(v.status == RIGHT for v in quiz.verdicts)
        console.print(Text(f"{right} of {len(quiz.verdicts)} right so far", style="bold"))
        console.print()
    notes = sum(len(wrapped([text], _width(console))) for text, _ in notice)
    used = 6 + extra + len(top) + len(program_lines(quiz.trace)) + notes
    room = max(3, console.height - used - 4)
    answered = quiz.verdicts
    if len(answered) > room:
        console.print(Text(f"   ... {len(answered) - room + 1} earlier answers", style="dim"))
        answered = answered[-(room - 1):]
    for v in answered:
        console.print(_row(v), soft_wrap=True)
    if notice:
        console.print()
    for text, style in notice:
        _lines(console, [text], style)


def run_quiz(quiz: Quiz, kinds: Sequence[str], made=None,  # type: ignore[no-untyped-def]
             console: Console | None = None) -> None:
    """Ask every question at the prompt; a wrong answer shows the right value, the rule and where
    the inputs came from, then the quiz goes on. Ends with the score and the misses by gate kind."""
    console = console or _console()
    title = made.title if made is not None else ""
    notice: list[tuple[str, str]] = []
    hinted = False
    total = len(quiz.questions)
    order = {q.key: i for i, q in enumerate(questions(quiz.trace))}  # every number, in trace order
    while quiz.current is not None:
        question = quiz.current
        _screen(console, quiz, kinds, title, notice, order)
        console.print()
        try:
            text = console.input(Text(f"[{question.number}/{total}] {question.prompt} ", style="bold cyan"))
        except (EOFError, KeyboardInterrupt):
            break
        if text.strip().lower() in ("q", "quit"):
            break
        if text.strip() == "?":
            hinted = True
            notice = [(line, "yellow") for line in hint_lines(question)]
            continue
        try:
            verdict = quiz.answer(text, hinted)
        except AnswerError as err:
            notice = [(f"  {err}: type a number like -4 or a fraction like 1/4 (Enter alone skips)", "red")]
            continue
        hinted = False
        lines = verdict_lines(verdict, quiz)
        style = {RIGHT: "green", SKIPPED: "yellow"}.get(verdict.status, "red")
        notice = [(lines[0], f"bold {style}"), *((line, "") for line in lines[1:])]
    left = len(quiz.questions) - len(quiz.verdicts)
    quiz.stop()
    stopped = f"  (you stopped: {left} question{'s' if left != 1 else ''} counted as skipped)"
    _screen(console, quiz, kinds, title, [(stopped, "yellow")] if left else [], order)
    console.print()
    summary = summary_lines(quiz)
    _lines(console, summary[:1], "bold green" if quiz.passed else "bold")
    _lines(console, summary[1:])
