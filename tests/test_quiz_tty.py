"""The quiz on a terminal, driven as a person would: in tmux, keys sent, the screen read back."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest
from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

SOCKET = f"bprop-tests-{uuid.uuid4().hex[:8]}"  # a tmux server of our own, not the user's


def tmux(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, **kwargs)


class Terminal:
    """A program running in a detached 80x40 tmux session."""

    def __init__(self, *args: str) -> None:
        self.name = f"bprop-test-{uuid.uuid4().hex[:8]}"
        command = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "bprop_cli", *args))
        shell = f"cd {shlex.quote(str(ROOT))} && {command}; echo EXIT=$?; sleep 60"
        for attempt in range(20):  # a server that is shutting down (its last session just ended) refuses
            started = tmux("new-session", "-d", "-s", self.name, "-x", "80", "-y", "40",
                           "-e", "LANG=C.UTF-8", "-e", "NO_COLOR=1",
                           "-e", "LINES=40", "-e", "COLUMNS=80", shell)  # Rich believes LINES over the pane
            if started.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"tmux would not start: {started.stderr}")

    def type(self, text: str) -> None:
        if text:
            tmux("send-keys", "-t", self.name, "-l", "--", text, check=True)
        tmux("send-keys", "-t", self.name, "Enter", check=True)

    def key(self, *names: str) -> None:
        tmux("send-keys", "-t", self.name, *names, check=True)

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.name, check=True).stdout

    def wait_for(self, *texts: str, timeout: float = 30.0) -> str:
        """The screen once all of `texts` are on it (the screen is drawn top down, so wait for
        its last line too when a check reads lines above it)."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if all(text in shown for text in texts):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{texts!r} never appeared; the screen shows:\n{shown}")
            time.sleep(0.1)

    def close(self) -> None:
        tmux("kill-session", "-t", self.name)


@pytest.fixture
def terminal():
    opened: list[Terminal] = []

    def start(*args: str) -> Terminal:
        opened.append(Terminal(*args))
        return opened[-1]

    yield start
    for t in opened:
        t.close()


def test_a_wrong_answer_is_marked_and_the_right_one_shown(terminal) -> None:
    t = terminal("quiz", "(x+y)*z", "x=-2", "y=5", "z=-4")
    t.wait_for("[1/13] v1 = x + y = ?")
    t.type("3")
    t.wait_for("[2/13] f = v1 * z = ?")
    t.type("12")
    shown = t.wait_for("[3/13] df/dv1 (local) = ?")
    assert "\u2713 v1 = x + y = 3" in shown
    assert "\u2717 f = v1 * z = -12   (you said 12)" in shown
    assert "wrong: you said 12; f = v1 * z = 3 * (-4) = -12" in shown
    assert "likely slip: the sign is wrong" in shown
    assert "from: v1 = x + y = 3 (forward pass)" in shown
    assert "1 of 2 right so far" in shown
    # The graph above the prompt shows what has been found, '?' for the rest, and marks the question.
    assert _graph_row(shown, "(+) v1") == ["3", "?"] and _graph_row(shown, "((*)) f") == ["-12", "1"]
    assert "<- this question" in _row_text(shown, "((*)) f")


def test_hint_retry_skip_and_quit(terminal) -> None:
    t = terminal("quiz", "(x+y)*z", "x=-2", "y=5", "z=-4", "--ask", "local")
    t.wait_for("[1/4] df/dv1 (local) = ?")
    t.type("?")
    t.wait_for("hint: d(a * b)/da = b", "[1/4] df/dv1 (local) = ?")  # the same question again
    t.type("minus four")
    t.wait_for("not a number or a fraction: minus four", "[1/4] df/dv1 (local) = ?")
    t.type("-4")
    t.wait_for("[2/4] df/dz (local) = ?")
    t.type("")
    t.wait_for("[3/4] dv1/dx = ?")
    t.type("q")
    shown = t.wait_for("EXIT=1")
    assert ("Score: 1 of 4 right (3 skipped, 1 with a hint); rule: within 1% or 0.001, or right to the digits "
            "given.") in " ".join(shown.split())
    assert "you stopped: 2 questions counted as skipped" in shown
    assert "\u2713 df/dv1 (local) = -4" in shown and "- df/dz (local) = 3" in shown


def test_all_right_exits_0(terminal) -> None:
    t = terminal("quiz", "x*y", "x=3", "y=-2", "--ask", "grad")
    t.wait_for("[1/2] df/dx = ?")
    t.type("-2")
    t.wait_for("[2/2] df/dy = ?")
    t.type("6/2")
    shown = t.wait_for("EXIT=0")
    assert "Score: 2 of 2 right; rule: within 1% or 0.001, or right to the digits given." in " ".join(shown.split())
    assert "Every answer was right." in shown


def _graph_row(screen: str, label: str) -> list[str]:
    """The value and the gradient a line of the drawing shows ('?' where not reached yet)."""
    line = next(line for line in screen.splitlines() if label in line and re.search(r"  [|\u2502]  ", line))
    value, _, grad = line.rpartition(re.findall(r"  [|\u2502]  ", line)[-1])
    return [value.split()[-1], grad.split()[0]]


def _row_text(screen: str, label: str) -> str:
    return next(line for line in screen.splitlines() if label in line)


def test_explain_step_one_key_at_a_time(terminal) -> None:
    t = terminal("explain", "(x+y)*z", "x=-2", "y=5", "z=-4", "--step")
    shown = t.wait_for("step 1 of 7")
    assert "1. Start from the inputs: x = -2, y = 5, z = -4." in shown
    assert _graph_row(shown, "(+) v1")== ["?", "?"]  # nothing computed yet
    t.key("Enter")
    shown = t.wait_for("step 2 of 7")
    assert "2. v1 = x + y = (-2) + 5 = 3" in shown
    assert "<- this step" in _row_text(shown, "(+) v1")  # the step's node is pointed at
    assert _graph_row(shown, "(+) v1")== ["3", "?"]  # its value lights up
    assert _graph_row(shown, "((*)) f")== ["?", "?"]
    t.key("Right")
    t.wait_for("step 3 of 7")
    t.key("Left")
    t.wait_for("step 2 of 7")
    t.key("BSpace")
    t.wait_for("step 1 of 7")
    for _ in range(4):
        t.key("Enter")
    shown = t.wait_for("step 5 of 7")
    assert "chain  df/dv1 = df/df * df/dv1 = 1 * (-4) = -4" in shown
    assert _graph_row(shown, "(+) v1")== ["3", "-4"]  # the gradient came down
    assert _graph_row(shown, "[x]") == ["-2", "?"]
    t.key("q")
    t.wait_for("EXIT=0")


def test_explain_step_ends_after_the_last_step(terminal) -> None:
    t = terminal("explain", "x*y", "x=3", "y=-2", "--step")
    t.wait_for("step 1 of 5")
    for _ in range(4):
        t.key("Right")
    shown = t.wait_for("step 5 of 5")
    assert "Enter: finish" in shown
    t.key("Enter")
    t.wait_for("EXIT=0")


@pytest.mark.parametrize("ask", [("grad",), ("local", "grad"), ("forward", "local", "product", "grad")])
def test_the_graph_above_the_prompt_never_gives_an_answer_away(ask: tuple[str, ...]) -> None:
    """Rendered without tmux: at every question, no number still to be asked stands in the drawing."""
    import io

    from rich.console import Console

    from bprop_cli.engine.run import run
    from bprop_cli.practice.questions import Quiz, questions
    from bprop_cli.text import num
    from bprop_cli.views.quiz_tty import _graph

    trace = run("q = x*y; f = q*q + x", {"x": 2, "y": 3})
    order = {q.key: i for i, q in enumerate(questions(trace))}
    quiz = Quiz(trace, questions(trace, ask))
    while quiz.current is not None:
        console = Console(file=io.StringIO(), width=80, color_system=None)
        console.print(_graph(quiz, order, ascii=True))
        drawn = console.file.getvalue()
        for q in quiz.questions[len(quiz.verdicts):]:
            if q.kind == "grad":  # its wire: the line of the node, gradient column
                for line in drawn.splitlines():
                    if f"[{q.input}]" in line or f") {q.input} " in line:
                        assert line.rpartition("  |  ")[2].split()[0] == "?", (q.prompt, drawn)
            if q.kind == "forward":
                row = next(line for line in drawn.splitlines() if f") {q.node} " in line or f")) {q.node} " in line)
                assert row.rpartition("  |  ")[0].split()[-1] == "?", (q.prompt, drawn)
        assert num(trace.value) in drawn or "forward" in ask  # values not asked are shown
        quiz.answer(repr(quiz.current.expected))


def test_explain_step_mazur_at_80_by_40(terminal) -> None:
    """Mazur's network in matrix form: the layer's step lights every node it computed, the graph's
    rows stay on one line each (no '<- this step' wrapped away), and v1, drawn as a tree of its
    own, gets no gradient before layer 1's backward step."""
    t = terminal("explain", "--example", "mazur", "--step")
    t.wait_for("step 1 of 15")
    t.key("Enter")
    shown = t.wait_for("step 2 of 15")
    assert _graph_row(shown, "(+) z1")[0] == "0.3925]" and _graph_row(shown, "(sigmoid) y1")[1] == "?"
    for _ in range(6):
        t.key("Enter")
    shown = t.wait_for("step 8 of 15")
    graph = [line for line in shown.splitlines() if re.search(r"  [|\u2502]  ", line)]
    assert len(graph) == 18 and all(len(line) <= 80 for line in shown.splitlines())
    assert [line for line in graph if line.startswith("(@) v1")][0].rstrip().endswith("|  ?")
    assert not [line for line in shown.splitlines() if line.strip() in ("step", "this step")]
    t.key("q")
    t.wait_for("EXIT=0")
