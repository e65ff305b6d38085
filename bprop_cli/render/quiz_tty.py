"""The quiz on a terminal: a prompt loop drawn with Rich. Each question gets a fresh screen:
the program, what each gate computes, the worksheet of the numbers found so far (a mark for
each: right, wrong, skipped), the verdict on the last answer, and the prompt."""

from __future__ import annotations

from typing import Sequence

from rich.console import Console
from rich.text import Text

from ..practice import RIGHT, SKIPPED, AnswerError, Quiz, Verdict
from . import num
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


def _screen(console: Console, quiz: Quiz, kinds: Sequence[str], title: str, notice: list[tuple[str, str]]) -> None:
    console.clear()
    top = [title] if title else []
    _lines(console, [*top, *program_lines(quiz.trace)], "bold")
    gates = "Gates: " + "; ".join(nodes_lines(quiz.trace))
    _lines(console, [gates, *header_lines(quiz, kinds, interactive=True)], "dim")
    right = sum(v.status == RIGHT for v in quiz.verdicts)
    console.print(Text(f"{right} of {len(quiz.verdicts)} right so far", style="bold"))
    console.print()
    used = 6 + len(top) + len(program_lines(quiz.trace)) + sum(len(wrapped([text], _width(console))) for text, _ in notice)
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


def run_quiz(quiz: Quiz, kinds: Sequence[str], made=None, console: Console | None = None) -> None:  # type: ignore[no-untyped-def]
    """Ask every question at the prompt; a wrong answer shows the right value, the rule and where
    the inputs came from, then the quiz goes on. Ends with the score and the misses by gate kind."""
    console = console or _console()
    title = made.title if made is not None else ""
    notice: list[tuple[str, str]] = []
    hinted = False
    total = len(quiz.questions)
    while quiz.current is not None:
        question = quiz.current
        _screen(console, quiz, kinds, title, notice)
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
    _screen(console, quiz, kinds, title, [] if not left else [(f"  (you stopped: {left} question{'s' if left != 1 else ''} counted as skipped)", "yellow")])
    console.print()
    summary = summary_lines(quiz)
    _lines(console, summary[:1], "bold green" if quiz.passed else "bold")
    _lines(console, summary[1:])
