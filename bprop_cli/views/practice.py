"""Practice as plain lines: the quiz's questions, verdicts and summary, and `bprop check`'s report.
Both the scripted quiz (one line each) and the terminal view (views/quiz_tty.py) use them."""

from __future__ import annotations

from typing import Sequence

from bprop_cli.engine.trace import Trace
from bprop_cli.practice.questions import (
    ABS,
    BY_DIGITS,
    BY_TOLERANCE,
    DEFAULT_MARKING,
    REL,
    RIGHT,
    SKIPPED,
    WRONG,
    Checked,
    Marking,
    Question,
    Quiz,
    Verdict,
    miss_summary,
)
from bprop_cli.text import full, num

KIND_WORDS = {"forward": "forward values", "local": "local derivatives", "product": "products",
              "grad": "gradients"}


def at_line(trace: Trace) -> str:
    return "at " + ", ".join(f"{name} = {num(v)}" for name, v in trace.inputs.items())


def program_lines(trace: Trace) -> list[str]:
    lines = [line.rstrip() for line in trace.expression.strip().splitlines()
             if line.strip() and not line.startswith("#")]
    return [*lines, at_line(trace)] if trace.inputs else lines


def header_lines(quiz: Quiz, kinds: Sequence[str], interactive: bool = False) -> list[str]:
    asked = ", ".join(KIND_WORDS[k] for k in kinds)
    count = len(quiz.questions)
    how = ("Answer with a number or a fraction (-1/4); Enter skips, ? hints, q quits."
           if interactive else
           "One answer a line: a number or a fraction like -1/4; empty skips, ? hints.")
    return [f"Quiz: {count} question{'s' if count != 1 else ''}: {asked}.", how]


def nodes_lines(trace: Trace) -> list[str]:
    """The gates, without their values: what v1, v2, ... stand for."""
    return [f"{n.id} = {n.expression}" for n in trace.nodes if n.op not in ("input", "const")]


def tolerance_words(marking: Marking) -> str:
    """The marking's bounds: "within 1 % or 0.001" (the quiz's own), "within 1e-06 relative", ..."""
    if (marking.rel, marking.abs) == (REL, ABS):
        return f"within {REL * 100:g}% or {ABS:g}"
    bounds = [f"{marking.rel:g} relative"] if marking.rel is not None else []
    bounds += [f"{marking.abs:g} absolute"] if marking.abs is not None else []
    return "within " + " or ".join(bounds)


def rule_words(marking: Marking) -> str:
    """How answers were marked, for the score line: "within 1 % or 0.001, or right to the digits given"."""
    return tolerance_words(marking) + (", or right to the digits given" if marking.digits else "")


def exact_value(v: Verdict) -> str:
    """The exact value beside a right answer that is not exact: as many digits as the answer
    gave, at least (num's 6 significant digits, or every digit for a longer answer)."""
    expected = v.question.expected
    written = sum(ch.isdigit() for ch in v.text.split("e")[0].split("E")[0].lstrip("+-0."))
    return full(expected) if written >= 6 and not expected.is_integer() else num(expected)


def why_right(v: Verdict, marking: Marking) -> str:
    """'' for an exact answer; else why it counts: "right to the digits given; exact value 0.393224"."""
    if v.by == BY_DIGITS:
        return f"right to the digits given; exact value {exact_value(v)}"
    if v.by == BY_TOLERANCE:
        return f"{tolerance_words(marking)}; exact value {exact_value(v)}"
    return ""


def question_line(q: Question, total: int) -> str:
    return f"[{q.number}/{total}] {q.prompt}"


def score_text(quiz: Quiz) -> str:
    return f"score {quiz.count(RIGHT)}/{len(quiz.verdicts)}"


def verdict_lines(v: Verdict, quiz: Quiz) -> list[str]:
    q = v.question
    score = f"({score_text(quiz)})"
    if v.status == RIGHT:
        if v.by == BY_DIGITS:
            shown = f" (right to the digits given; exactly {exact_value(v)})"
        else:
            shown = "" if v.given is None or v.given == q.expected else f" (exactly {exact_value(v)})"
        return [f"  right: {v.text}{shown} {score}"]
    if v.status == SKIPPED:
        head = f"  skipped: {q.answer} {score}"
    elif v.given is None:
        head = f"  wrong: {v.text!r} is not a number or a fraction; {q.answer} {score}"
    else:
        head = f"  wrong: you said {v.text}; {q.answer} {score}"
    lines = [head]
    if v.slip:
        lines.append(f"    likely slip: {v.slip}")
    lines += explanation_lines(q)
    return lines


def explanation_lines(q: Question) -> list[str]:
    """The rule of the step and where its inputs came from."""
    lines = [f"    rule: {q.hint}"]
    lines += [f"    from: {source}" for source in q.sources]
    return lines


def hint_lines(q: Question) -> list[str]:
    return [f"  hint: {q.hint}"]


def summary_lines(quiz: Quiz) -> list[str]:
    right, wrong, skipped = quiz.count(RIGHT), quiz.count(WRONG), quiz.count(SKIPPED)
    total = len(quiz.questions)
    extra = [f"{wrong} wrong"] if wrong else []
    extra += [f"{skipped} skipped"] if skipped else []
    hinted = sum(v.hinted for v in quiz.verdicts)
    extra += [f"{hinted} with a hint"] if hinted else []
    lines = [f"Score: {right} of {total} right" + (f" ({', '.join(extra)})" if extra else "")
             + f"; rule: {rule_words(quiz.marking)}."]
    misses = quiz.misses()
    if not misses:
        lines.append("Every answer was right." if total else "There was nothing to ask.")
        return lines
    lines.append("Missed, by kind of gate:")
    for gate, verdicts in misses.items():
        lines.append(f"  {miss_summary(gate, verdicts)}")
        lines += [f"    {v.question.prompt[:-1].rstrip()} {num(v.question.expected)}" for v in verdicts[:3]]
        if len(verdicts) > 3:
            lines.append(f"    ... and {len(verdicts) - 3} more")
    return lines


def check_lines(trace: Trace, results: Sequence[Checked], marking: Marking = DEFAULT_MARKING) -> list[str]:
    """`bprop check`'s report: one verdict per answer (a right one that is not exact says why it
    counts); under a wrong one, where it went wrong; last, the score and the marking rule."""
    lines: list[str] = []
    for c in results:
        q, v = c.question, c.verdict
        if v.status == RIGHT:
            meaning = q.name
            if q.kind == "product" and "*" not in c.name:  # a gradient named by its one product
                meaning = f"d{trace.output}/d{q.input}"
            same = c.name.replace(" ", "") == meaning.replace(" ", "")
            why = why_right(v, marking)
            note = ("" if same else f" ({meaning})") + (f": {why}" if why else "")
            lines.append(f"right  {c.name} = {v.text}{note}")
            continue
        lines.append(f"wrong  {c.name} = {v.text}: {q.answer}")
        culprit = c.culprit
        if culprit is not None and culprit is not q:
            given = c.culprit_verdict.text if c.culprit_verdict else "?"
            lines.append(f"       it depends on {culprit.name}, which is wrong too: you have {given}, "
                         f"but {culprit.answer}")
            lines.append(f"       first wrong step: {_step_words(culprit)}")
            if c.culprit_verdict and c.culprit_verdict.slip:
                lines.append(f"       likely slip there: {c.culprit_verdict.slip}")
            continue
        if v.slip:
            lines.append(f"       likely slip: {v.slip}")
        if c.suspects:
            gave = len(c.suspects) < c.depends_on
            lines.append("       the steps behind it that you gave are right; compare the others with yours:" if gave
                         else "       it is computed from these steps; compare them with yours:")
            shown = c.suspects[:8]
            lines += [f"         {s.answer}" for s in shown]
            if len(c.suspects) > len(shown):
                lines.append(f"         ... and {len(c.suspects) - len(shown)} more (bprop eval shows them all)")
        else:
            lines.append(f"       first wrong step: {_step_words(q)}")
    wrong = sum(c.verdict.status == WRONG for c in results)
    score = (f"{len(results) - wrong} of {len(results)} right" if wrong else
             f"All {len(results)} right" if len(results) > 1 else "Right")
    lines.append(f"{score}; rule: {rule_words(marking)}.")
    return lines


def _step_words(q: Question) -> str:
    what = {"forward": f"the forward value of {q.node} ({q.gate} gate)",
            "local": f"the local derivative of the {q.gate} gate {q.node} with respect to {q.input}",
            "product": f"the chain-rule product at the {q.gate} gate {q.node}, towards {q.input}",
            "grad": f"the gradient of {q.input}" + (" (a sum over its uses)" if q.gate == "fan-out" else "")}[q.kind]
    return f"{what}: {q.hint}"


def wrapped(lines: Sequence[str], width: int = 80) -> list[str]:
    """Lines folded to `width` columns; a continuation is indented 4 more than its line."""
    import textwrap

    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip(" ")))
        out += textwrap.wrap(line.strip(), width, initial_indent=indent, subsequent_indent=indent + "    ",
                             break_long_words=True, break_on_hyphens=False)
    return out
