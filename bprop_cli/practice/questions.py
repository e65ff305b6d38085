"""Practice: the learner fills in a trace. Questions made from a Trace, answers judged, misses
diagnosed and grouped, hand-worked answers traced back to their first wrong step.

Everything here reads a Trace that the engine already computed; nothing is calculated anew
except comparisons of numbers. Never prints: the views (views/practice.py for lines,
views/quiz_tty.py for a terminal) lay the results out.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, NamedTuple, Sequence

from bprop_cli.engine.trace import BackwardStep, Trace
from bprop_cli.errors import ValueBindingError
from bprop_cli.gates.registry import GATES
from bprop_cli.text import num
from bprop_cli.tutor.narration import _ID, gate_rules, local_formula, substitute

KINDS = ("forward", "local", "product", "grad")
REL, ABS = 0.01, 1e-3  # an answer is right within 1 % of the value, or within 0.001 of it


class Question(NamedTuple):
    """One number of the trace the learner is asked for."""

    number: int  # 1, 2, ... in the order asked
    kind: str  # forward, local, product or grad
    name: str  # the quantity in the trace's notation: v1, dv1/dx, df/dv1*dv1/dx, df/dx
    prompt: str  # the question as one line ending in '?', e.g. "v1 = x + y = ?"
    key: str  # where the number stands in the JSON trace: nodes[2].value, backward[0].local, ...
    node: str  # the node the question is about (its gate for forward/local/product)
    input: str  # the gate's input (local, product) or the node whose gradient is asked (grad)
    expected: float
    gate: str  # the gate kind the question is about ("fan-out" for a sum of gradients)
    hint: str  # the rule, without the number
    answer: str  # the worked answer: rule, numbers put in, value
    sources: tuple[str, ...]  # where the step's inputs come from, one line each
    depends: tuple[str, ...]  # names of the questions this number is computed from


class AnswerError(ValueError):
    """An answer that is not a number or a fraction."""


_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_ANSWER = re.compile(rf"\s*({_NUMBER})\s*(?:/\s*({_NUMBER})\s*)?")


def parse_answer(text: str) -> float:
    """A number ('-4', '0.25', '1e-3') or a fraction ('-1/4', '3/2'); AnswerError otherwise."""
    cleaned = text.replace("\u2212", "-").strip()
    match = _ANSWER.fullmatch(cleaned)
    if not match:
        raise AnswerError(f"not a number or a fraction: {printable(cleaned)}")
    top = float(match.group(1))
    bottom = 1.0 if match.group(2) is None else float(match.group(2))
    if bottom == 0:
        raise AnswerError(f"a fraction over zero has no value: {printable(cleaned)}")
    value = top / bottom
    if not math.isfinite(value) or not math.isfinite(bottom):
        raise AnswerError(f"too large for a number: {printable(cleaned)}")
    return value


def printable(text: str, limit: int = 40) -> str:
    """User text made safe to show: control characters as '?', long text shortened."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def is_right(given: float, expected: float) -> bool:
    """Within 1 % relative or 1e-3 absolute, as the quiz promises (how slips are recognised)."""
    gap = abs(given - expected)
    return gap <= ABS or gap <= REL * abs(expected)


# --- marking: when an answer counts as right -----------------------------------------------------

class Marking(NamedTuple):
    """How answers are marked. By default (the quiz's promise) an answer is right within 1 % of
    the value or 0.001 of it, or when it is right to the digits written (`digits`); a tolerance
    the learner sets with --tolerance replaces both (None: that bound is not used)."""

    rel: float | None = REL
    abs: float | None = ABS
    digits: bool = True

    def to_dict(self) -> dict[str, object]:
        return {"rel": self.rel, "abs": self.abs, "digits": self.digits}


DEFAULT_MARKING = Marking()
EXACT, BY_DIGITS, BY_TOLERANCE = "exact", "digits", "tolerance"  # why a right answer is right

_TOLERANCE_PART = re.compile(rf"\s*(rel|abs)\s*=\s*({_NUMBER})\s*(%?)\s*")


def parse_tolerance(text: str) -> Marking:
    """--tolerance rel=R, abs=A or both, comma-separated (rel=1e-6,abs=1e-9; rel=1% too)."""
    bounds: dict[str, float] = {}
    parts = text.split(",")
    for part in parts:
        match = _TOLERANCE_PART.fullmatch(part)
        value = float(match.group(2)) / (100 if match.group(3) else 1) if match else math.nan
        if not match or match.group(1) in bounds or not math.isfinite(value) or value < 0:
            raise ValueBindingError(f"--tolerance takes rel=R, abs=A or both (rel=1e-6,abs=1e-9), with numbers "
                                    f">= 0, not '{printable(text)}'")
        bounds[match.group(1)] = value
    return Marking(bounds.get("rel"), bounds.get("abs"), digits=False)


def within(given: float, expected: float, marking: Marking = DEFAULT_MARKING) -> bool:
    """Within the marking's absolute or relative bound (either is enough)."""
    gap = abs(given - expected)
    return (marking.abs is not None and gap <= marking.abs) or (marking.rel is not None
                                                                and gap <= marking.rel * abs(expected))


_WRITTEN = re.compile(r"([+-]?)(\d*)\.(\d+)(?:[eE]([+-]?\d{1,5}))?")
_REPR = re.compile(r"(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?")
_PLACES = 400  # past this (or with more digits than this) an answer is marked by the tolerance alone


def _decimal(match: re.Match[str]) -> tuple[int, int]:
    """(mantissa, exponent) of a number matched by _WRITTEN or _REPR: -0.39 is (-39, -2)."""
    sign, whole, fraction, exponent = match.groups()
    fraction = fraction or ""
    mantissa = int(f"{sign}{whole or '0'}{fraction}")
    return mantissa, int(exponent or 0) - len(fraction)


def right_to_digits(text: str, expected: float) -> bool:
    """True when `text` is a decimal with digits after its point (-0.2, 0.39, 1.97e-1) that
    `expected` rounds to at the place of its last digit (half way rounds either way), and
    `expected` is at least one unit of that place (so 0.1 is not right for 0.05, nor 0.0 for
    0.04). The exact value is taken as its shortest decimal (0.15, not 0.1499...)."""
    cleaned = text.replace("\u2212", "-").strip()
    match = _WRITTEN.fullmatch(cleaned)
    if not match or len(match.group(2)) + len(match.group(3)) > _PLACES or not math.isfinite(expected):
        return False
    given, place = _decimal(match)
    if not -_PLACES <= place <= _PLACES:
        return False
    exact, exact_place = _decimal(_REPR.fullmatch(repr(float(expected))))  # type: ignore[arg-type]
    low = min(place, exact_place)
    unit = 10 ** (place - low)
    a, x = given * unit, exact * 10 ** (exact_place - low)
    return abs(x) >= unit and 2 * abs(a - x) <= unit


def mark(text: str, given: float, expected: float, marking: Marking = DEFAULT_MARKING) -> str:
    """Why the answer `text` (read as `given`) is right, EXACT, BY_DIGITS or BY_TOLERANCE; '' if wrong."""
    if given == expected:
        return EXACT
    if marking.digits and right_to_digits(text, expected):
        return BY_DIGITS
    return BY_TOLERANCE if within(given, expected, marking) else ""


def parse_kinds(text: str) -> tuple[str, ...]:
    """--ask forward,local,product,grad (any subset, any order; asked in trace order)."""
    asked = [part.strip() for part in text.split(",") if part.strip()]
    wrong = [part for part in asked if part not in KINDS]
    if wrong or not asked:
        raise ValueBindingError(f"--ask takes a comma-separated list of {', '.join(KINDS)}, not {text!r}",
                                hint="for example: --ask local,grad")
    return tuple(kind for kind in KINDS if kind in asked)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _ordinal(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def questions(trace: Trace, ask: Iterable[str] = KINDS) -> list[Question]:
    """Every number of the trace, in the order the trace computes it: forward values; then, gate
    by gate from the output, each local derivative and its chain-rule product (and, where a node
    is used more than once, the sum of its gradients once the last product is in); last, the
    gradient of every input. Only the kinds in `ask` are kept."""
    out = trace.output
    nodes = list(trace.nodes)
    position = {n.id: i for i, n in enumerate(nodes)}
    values = {n.id: n.value for n in nodes}
    steps = list(trace.backward)
    fan_in = trace.fan_in()
    made: list[Question] = []

    def add(**fields: object) -> None:
        made.append(Question(number=0, **fields))  # type: ignore[arg-type]

    def source(name: str) -> str:
        record = nodes[position[name]]
        if record.op == "input":
            return f"{name} = {num(record.value)} is an input"
        return f"{name} = {record.expression} = {num(record.value)} (forward pass)"

    def gradient_name(name: str) -> str:
        return f"d{out}/d{name}"

    for n in nodes:
        if n.op in ("input", "const"):
            continue
        shown = substitute(n.expression, values)
        worked = f"{n.id} = {n.expression}" + ("" if shown == n.expression else f" = {shown}") + f" = {num(n.value)}"
        inputs = [p for p in dict.fromkeys(n.inputs) if nodes[position[p]].op != "const"]
        add(kind="forward", name=n.id, prompt=f"{n.id} = {n.expression} = ?", key=f"nodes[{position[n.id]}].value",
            node=n.id, input="", expected=n.value, gate=n.op,
            hint=f"{n.op} gate: compute {n.expression} from the values of its inputs",
            answer=worked, sources=tuple(source(p) for p in inputs), depends=tuple(inputs))

    # Names that the gradients own; a local derivative written the same way says "(local)".
    grad_names = {gradient_name(name) for name, count in fan_in.items() if name in trace.inputs or count > 1}
    products: dict[str, list[str]] = {}
    holder: dict[str, str] = {}  # node -> the question whose answer is its gradient (once known)
    seen: dict[str, int] = {}
    repeats: dict[tuple[str, str], int] = {}
    flowing: dict[str, list[BackwardStep]] = {}
    for s in steps:
        flowing.setdefault(s.input, []).append(s)
    for j, s in enumerate(steps):
        record = nodes[position[s.node]]
        gate = GATES[record.op]
        name = f"d{s.node}/d{s.input}"
        if record.inputs.count(s.input) > 1:  # x * x: one local derivative per use
            k = repeats[(s.node, s.input)] = repeats.get((s.node, s.input), 0) + 1
            name = f"{name} ({_ordinal(k)} input)"
        elif name in grad_names or s.node == out:
            name += " (local)"
        # The values the local derivative is computed from: the node ids its formula names.
        local_depends = tuple(p for p in dict.fromkeys(_ID.findall(s.formula)) if p in position)
        add(kind="local", name=name, prompt=f"{name} = ?", key=f"backward[{j}].local",
            node=s.node, input=s.input, expected=s.local, gate=record.op,
            hint="; ".join(gate_rules(gate)) + ("" if _is_number(s.formula) else f" (here {name} = {s.formula})"),
            answer=local_formula(s, values).replace(f"d{s.node}/d{s.input}", name, 1),
            sources=tuple(source(p) for p in local_depends), depends=local_depends)
        upstream = gradient_name(s.node)
        upstream_source = (f"{upstream} = {num(s.upstream)}: the backward pass starts here" if s.node == out
                           else f"{upstream} = {num(s.upstream)} (the gradient arriving at {s.node})")
        product = f"{upstream} * {name}"
        add(kind="product", name=product, prompt=f"{product} = ?", key=f"backward[{j}].product",
            node=s.node, input=s.input, expected=s.product, gate=record.op,
            hint=f"chain rule: the upstream gradient {upstream} times the local derivative {name}",
            answer=f"{product} = {num(s.upstream)} * {num(s.local)} = {num(s.product)}",
            sources=(upstream_source, f"{name} = {num(s.local)} (local derivative)"),
            depends=(*((holder[s.node],) if s.node in holder else ()), name))
        products.setdefault(s.input, []).append(product)
        seen[s.input] = seen.get(s.input, 0) + 1
        if seen[s.input] == fan_in[s.input] and s.input not in trace.inputs:
            if fan_in[s.input] > 1:
                _add_gradient(add, trace, s.input, products[s.input], position, flowing[s.input])
                holder[s.input] = gradient_name(s.input)
            else:
                holder[s.input] = product
    for name in trace.inputs:
        if name in products:
            _add_gradient(add, trace, name, products[name], position, flowing[name])
    wanted = set(ask)
    kept = [q for q in made if q.kind in wanted]
    return [_numbered(q, i + 1) for i, q in enumerate(kept)]


def _add_gradient(add, trace: Trace, name: str, terms: list[str],  # type: ignore[no-untyped-def]
                  position: dict[str, int], flowing: list[BackwardStep]) -> None:
    out = trace.output
    total = trace.node(name).grad
    grad_name = f"d{out}/d{name}"
    key = f"gradients.{name}" if name in trace.inputs else f"nodes[{position[name]}].grad"
    if len(flowing) == 1:
        s = flowing[0]
        answer = f"{grad_name} = {terms[0]} = {num(s.product)}"
        hint = f"{name} is used once: {grad_name} = {terms[0]}, the one product that flows back to it"
        gate = trace.node(s.node).op
    else:
        answer = f"{grad_name} = " + " + ".join(f"({num(s.product)})" if s.product < 0 and k else num(s.product)
                                                for k, s in enumerate(flowing)) + f" = {num(total)}"
        hint = f"{name} is used {len(flowing)} times, and gradients add: {grad_name} = {' + '.join(terms)}"
        gate = "fan-out"
    add(kind="grad", name=grad_name, prompt=f"{grad_name} = ?", key=key, node=name, input=name,
        expected=total, gate=gate, hint=hint, answer=answer,
        sources=tuple(f"{term} = {num(s.product)}" for term, s in zip(terms, flowing)),
        depends=tuple(terms))


def _numbered(q: Question, number: int) -> Question:
    return q._replace(number=number)


# --- judging ----------------------------------------------------------------------------------

RIGHT, WRONG, SKIPPED = "right", "wrong", "skipped"


class Verdict(NamedTuple):
    question: Question
    status: str  # right, wrong or skipped
    text: str = ""  # the answer as typed (printable)
    given: float | None = None
    hinted: bool = False  # the learner asked for the hint first
    slip: str = ""  # what the wrong answer most likely came from
    by: str = ""  # why a right answer is right: EXACT, BY_DIGITS or BY_TOLERANCE


def judge(question: Question, text: str, trace: Trace, hinted: bool = False,
          marking: Marking = DEFAULT_MARKING) -> Verdict:
    """The verdict on one answer line ('' is a skip); AnswerError if it is not a number."""
    if not text.strip():
        return Verdict(question, SKIPPED, hinted=hinted)
    given = parse_answer(text)
    shown = printable(text.strip())
    by = mark(text, given, question.expected, marking)
    if by:
        return Verdict(question, RIGHT, shown, given, hinted, by=by)
    return Verdict(question, WRONG, shown, given, hinted, diagnose(question, given, trace))


def diagnose(question: Question, given: float, trace: Trace) -> str:
    """The likeliest slip behind a wrong answer, from the commonest mistakes; '' if none fits."""
    expected = question.expected
    if expected != 0 and is_right(given, -expected):
        return "the sign is wrong"
    if question.kind == "local":
        record = trace.node(question.node)
        step = trace.backward[int(question.key.split("[")[1].split("]")[0])]
        if not is_right(step.upstream, 1) and is_right(given, step.product):
            return "gave the product (upstream gradient times local derivative), not the local derivative alone"
        others = [trace.node(p).value for p in record.inputs if p != question.input]
        if record.op == "mul" and others and is_right(given, trace.node(question.input).value) \
                and not is_right(given, others[0]):
            return "multiplied by the wrong input (multiply swaps: use the other input)"
        if record.op == "pow" and len(record.inputs) == 2:
            x, c = (trace.node(p).value for p in record.inputs)
            try:
                without_c = x ** (c - 1) if x > 0 or float(c).is_integer() else None
            except (OverflowError, ZeroDivisionError):
                without_c = None
            if isinstance(without_c, float) and is_right(given, without_c):
                return "left out the factor c of the power rule: d(x^c)/dx = c*x^(c-1)"
        if record.op in ("add", "sub") and is_right(given, trace.node(question.input).value):
            return "took the input's value (add passes the gradient on: its local derivative is 1)"
        if is_right(given, record.value) and not any(is_right(given, trace.node(p).value) for p in record.inputs) \
                and record.op != "exp":
            return "took the gate's output value instead of its derivative"
    if question.kind == "product":
        steps = [s for s in trace.backward if s.node == question.node and s.input == question.input]
        if steps and is_right(given, steps[0].local) and not is_right(steps[0].upstream, 1):
            return "forgot to multiply by the upstream gradient"
        if steps and is_right(given, steps[0].upstream + steps[0].local):
            return "added instead of multiplying"
    if question.kind == "grad" and question.gate == "fan-out":
        flowing = [s.product for s in trace.backward if s.input == question.input]
        if any(is_right(given, p) for p in flowing):
            return "counted one use only (gradients add where a value fans out)"
    if question.kind == "forward" and question.gate == "sub":
        record = trace.node(question.node)
        a, b = (trace.node(p).value for p in record.inputs)
        if is_right(given, b - a):
            return "subtracted the wrong way round"
    return ""


class Quiz:
    """A quiz in progress: its questions, and a verdict for each one answered so far."""

    def __init__(self, trace: Trace, questions: list[Question], verdicts: list[Verdict] | None = None,
                 marking: Marking = DEFAULT_MARKING) -> None:
        self.trace = trace
        self.questions = questions
        self.verdicts: list[Verdict] = [] if verdicts is None else verdicts
        self.marking = marking

    @property
    def current(self) -> Question | None:
        return self.questions[len(self.verdicts)] if len(self.verdicts) < len(self.questions) else None

    def answer(self, text: str, hinted: bool = False) -> Verdict:
        """Judge `text` as the answer to the current question; AnswerError leaves the question open."""
        question = self.current
        assert question is not None, "the quiz is over"
        verdict = judge(question, text, self.trace, hinted, self.marking)
        self.verdicts.append(verdict)
        return verdict

    def stop(self) -> None:
        """The learner quits: every question left counts as skipped."""
        while self.current is not None:
            self.verdicts.append(Verdict(self.current, SKIPPED))

    def count(self, status: str) -> int:
        return sum(v.status == status for v in self.verdicts)

    @property
    def passed(self) -> bool:
        return len(self.verdicts) == len(self.questions) and all(v.status == RIGHT for v in self.verdicts)

    def misses(self) -> dict[str, list[Verdict]]:
        """Wrong and skipped answers grouped by the gate kind they were about, in order of first miss."""
        grouped: dict[str, list[Verdict]] = {}
        for v in self.verdicts:
            if v.status != RIGHT:
                grouped.setdefault(v.question.gate, []).append(v)
        return grouped

    def to_dict(self) -> dict[str, object]:
        """The --json summary."""
        return {
            "bprop": 1,
            "expression": self.trace.expression,
            "inputs": dict(self.trace.inputs),
            "questions": [{
                "number": v.question.number, "kind": v.question.kind, "question": v.question.prompt,
                "name": v.question.name, "key": v.question.key, "gate": v.question.gate,
                "expected": v.question.expected, "given": v.given, "answer": v.text, "verdict": v.status,
                "hinted": v.hinted, **({"slip": v.slip} if v.slip else {}),
                **({"right_by": v.by} if v.by else {}),
            } for v in self.verdicts],
            "score": {"right": self.count(RIGHT), "wrong": self.count(WRONG), "skipped": self.count(SKIPPED),
                      "total": len(self.questions)},
            "passed": self.passed,
            "marking": self.marking.to_dict(),
        }


def miss_summary(gate: str, verdicts: list[Verdict]) -> str:
    """One line of the final summary: what went wrong at this kind of gate."""
    where = "where values fan out" if gate == "fan-out" else f"at {gate} gates"
    times = _times(len(verdicts))
    slips: dict[str, int] = {}
    for v in verdicts:
        reason = v.slip or ("skipped" if v.status == SKIPPED else "not a number" if v.given is None else "")
        if reason:
            slips[reason] = slips.get(reason, 0) + 1
    said = "; ".join(f"{reason} ({_times(n)})" for reason, n in slips.items())
    return f"{where}: missed {times}" + (f" - {said}" if said else "")


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


# --- checking hand-worked answers ---------------------------------------------------------------

class Checked(NamedTuple):
    """One of the learner's answers, judged; for a wrong one, the first wrong step it depends on."""

    name: str  # as the learner named it (dx, v1, dv1/dx, df/dx)
    question: Question
    verdict: Verdict
    culprit: Question | None = None  # the earliest wrong step behind a wrong answer
    culprit_verdict: Verdict | None = None  # the learner's answer there, if they gave one
    suspects: tuple[Question, ...] = ()  # steps it depends on that the learner did not give
    depends_on: int = 0  # how many steps it depends on in all


def resolve(name: str, qs: Sequence[Question], trace: Trace) -> Question:
    """The question an answer names: a node id (its value); dNAME or dOUT/dNAME (the gradient of
    NAME); dNODE/dINPUT, with "(local)" where a gradient is written the same way (a local
    derivative); dOUT/dNODE*dNODE/dINPUT (a product). Spaces do not matter."""
    def squeeze(text: str) -> str:
        return text.replace(" ", "")

    by_name: dict[str, Question] = {}
    for q in qs:
        by_name.setdefault(squeeze(q.name), q)
    key = squeeze(name)
    out = trace.output
    if key in by_name:
        return by_name[key]
    target = key[len(f"d{out}/d"):] if key.startswith(f"d{out}/d") else key[1:] if key.startswith("d") else ""
    if target and "/" not in target:
        gradient = f"d{out}/d{target}"
        if gradient in by_name:
            return by_name[gradient]
        flowing = [q for q in qs if q.kind == "product" and q.input == target]
        if len(flowing) == 1:  # used once: its gradient is the one product flowing back to it
            return flowing[0]
        if target == out:
            raise ValueBindingError(f"--answer {printable(name)}: d{out}/d{out} is where the backward pass starts "
                                    f"(it is {num(trace.seed)}), nothing to check")
    if squeeze(f"{key}(local)") in by_name:
        return by_name[squeeze(f"{key}(local)")]
    close = suggestions(key, qs, trace)
    hint = (f"did you mean {' or '.join(close)}?" if close
            else "name a node (v1), a gradient (dx or df/dx) or a local derivative (dv1/dx)")
    raise ValueBindingError(f"--answer {printable(name)}: the trace has no quantity called that", hint=hint)


def writable_ids(trace: Trace) -> set[str]:
    """The node ids a learner can write without reading `bprop eval`'s output: the inputs and the
    names the program gives (the output's `f` included), not generated ids like v9 or c1."""
    tape = getattr(trace.nodes, "tape", None)
    if tape is not None:
        graph = tape.graph
        return {graph.ids[i] for i in graph.names} | set(trace.inputs)
    return {n.id for n in trace.nodes if not re.fullmatch(r"[vc]\d+", n.id)} | set(trace.inputs)


def suggestions(key: str, qs: Sequence[Question], trace: Trace) -> list[str]:
    """The names closest to the unknown `key` (spaces squeezed out) among those the learner can
    write: ones over the inputs and the program's own names, and over generated ids only where
    `key` itself names them (whoever wrote dv1/dxx knows v1). The best-scoring ones, at most 3."""
    import difflib

    ids = writable_ids(trace) | set(re.findall(r"[vc]\d+", key))
    out = trace.output
    shown: dict[str, str] = {}  # squeezed -> as shown
    for q in qs:
        about = {"forward": (q.node,), "local": (q.node, q.input), "product": (out, q.node, q.input),
                 "grad": (out, q.input)}[q.kind]
        if all(i in ids for i in about):
            shown.setdefault(q.name.replace(" ", ""), q.name)
            if q.kind == "grad" or (q.kind == "product" and q.input not in trace.inputs):
                shown.setdefault(f"d{q.input}", f"d{q.input}")  # the short way to name a gradient
    scored = [(difflib.SequenceMatcher(None, key, name).ratio(), name) for name in shown]
    best = max((score for score, _ in scored), default=0.0)
    if best < 0.6:  # difflib's own cut-off for a close match
        return []
    return sorted(shown[name] for score, name in scored if score == best)[:3]


def check_answers(trace: Trace, answers: Sequence[tuple[str, str]],
                  marking: Marking = DEFAULT_MARKING) -> list[Checked]:
    """Judge each NAME=VALUE answer; trace each wrong one back through the steps it is computed
    from to the earliest of them that is wrong too (or to itself, if all it depends on is right)."""
    qs = questions(trace)
    named: dict[str, Question] = {}
    for q in qs:
        named.setdefault(q.name, q)
    given: dict[str, Verdict] = {}
    order: list[tuple[str, Question]] = []
    for name, text in answers:
        q = resolve(name, qs, trace)
        if q.name in given:
            raise ValueBindingError(f"--answer gives {printable(name)} twice")
        try:
            given[q.name] = judge(q, text, trace, marking=marking)
        except AnswerError as err:
            raise ValueBindingError(f"--answer {printable(name)}: {err}") from None
        if given[q.name].status == SKIPPED:
            raise ValueBindingError(f"--answer {printable(name)} has no value", hint=f"write {printable(name)}=-4")
        order.append((name, q))
    results = []
    for name, q in order:
        verdict = given[q.name]
        if verdict.status == RIGHT:
            results.append(Checked(name, q, verdict))
            continue
        behind = _ancestors(q, named)
        wrong = [a for a in behind if a.name in given and given[a.name].status == WRONG]
        if wrong:
            first = min(wrong, key=lambda a: a.number)
            results.append(Checked(name, q, verdict, first, given[first.name]))
            continue
        unchecked = tuple(sorted((a for a in behind if a.name not in given), key=lambda a: a.number))
        results.append(Checked(name, q, verdict, q, verdict, unchecked, len(behind)))
    return results


def _ancestors(q: Question, named: dict[str, Question]) -> list[Question]:
    """Every question whose number `q` is computed from, directly or not (inputs excluded)."""
    found: dict[str, Question] = {}
    todo = list(q.depends)
    while todo:
        name = todo.pop()
        if name in found or name not in named:
            continue
        found[name] = named[name]
        todo.extend(named[name].depends)
    return list(found.values())
