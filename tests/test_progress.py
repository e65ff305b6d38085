"""The progress line: never on a pipe, drawn on a terminal once the work is slow, then erased."""

from __future__ import annotations

import io
import time

from bprop_cli.cli.progress import Progress
from bprop_cli.engine.run import run


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_written_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(stream, delay=0) as progress:
        run("(x+y)*z", {"x": -2, "y": 5, "z": -4}, on_phase=progress)
        time.sleep(0.3)
    assert stream.getvalue() == ""


def test_quick_work_shows_nothing() -> None:
    stream = FakeTerminal()
    with Progress(stream) as progress:  # the default delay is about a second
        run("(x+y)*z", {"x": -2, "y": 5, "z": -4}, on_phase=progress)
    assert stream.getvalue() == ""


def test_slow_work_shows_the_phase_then_erases_it() -> None:
    stream = FakeTerminal()
    progress = Progress(stream, delay=0)
    progress("backward pass")
    with progress:
        for _ in range(200):  # wait for the drawing thread, however busy the machine is
            if "backward pass" in stream.getvalue():
                break
            time.sleep(0.05)
    shown = stream.getvalue()
    assert shown.startswith("\rbprop: backward pass... ")
    width = len(shown.split("\r")[-3])  # the last line drawn
    assert shown.endswith("\r" + " " * width + "\r")  # erased: the terminal is left clean


def test_run_reports_each_phase_in_order() -> None:
    phases: list[str] = []
    run("q = x + y; q * z", {"x": 1, "y": 2, "z": 3}, on_phase=phases.append)
    assert phases == ["parsing", "forward pass", "backward pass"]
