"""The quiz on a terminal, driven as a person would: in tmux, keys sent, the screen read back."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


class Terminal:
    """A program running in a detached 80x40 tmux session."""

    def __init__(self, *args: str) -> None:
        self.name = f"bprop-test-{uuid.uuid4().hex[:8]}"
        command = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "bprop_cli", *args))
        shell = f"cd {shlex.quote(str(ROOT))} && {command}; echo EXIT=$?; sleep 60"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "80", "-y", "40",
                        "-e", "LANG=C.UTF-8", "-e", "NO_COLOR=1", shell], check=True)

    def type(self, text: str) -> None:
        if text:
            subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", "--", text], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Enter"], check=True)

    def key(self, *names: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *names], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True,
                              check=True).stdout

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if text in shown:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen shows:\n{shown}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


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


def test_hint_retry_skip_and_quit(terminal) -> None:
    t = terminal("quiz", "(x+y)*z", "x=-2", "y=5", "z=-4", "--ask", "local")
    t.wait_for("[1/4] df/dv1 (local) = ?")
    t.type("?")
    shown = t.wait_for("hint: d(a * b)/da = b")
    assert "[1/4] df/dv1 (local) = ?" in shown  # the same question again
    t.type("minus four")
    t.wait_for("not a number or a fraction: minus four")
    t.type("-4")
    t.wait_for("[2/4] df/dz (local) = ?")
    t.type("")
    t.wait_for("[3/4] dv1/dx = ?")
    t.type("q")
    shown = t.wait_for("EXIT=1")
    assert "Score: 1 of 4 right (3 skipped, 1 with a hint)." in shown
    assert "you stopped: 2 questions counted as skipped" in shown
    assert "\u2713 df/dv1 (local) = -4" in shown and "- df/dz (local) = 3" in shown


def test_all_right_exits_0(terminal) -> None:
    t = terminal("quiz", "x*y", "x=3", "y=-2", "--ask", "grad")
    t.wait_for("[1/2] df/dx = ?")
    t.type("-2")
    t.wait_for("[2/2] df/dy = ?")
    t.type("6/2")
    shown = t.wait_for("EXIT=0")
    assert "Score: 2 of 2 right." in shown and "Every answer was right." in shown
