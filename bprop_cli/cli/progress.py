"""A one-line progress indication on stderr for long runs: only on a terminal, and only once
the work has taken about a second, so quick runs and pipes never see it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import threading

DELAY = 1.0  # seconds before the line first appears
INTERVAL = 0.25  # seconds between redraws


class Progress:
    """Call it with the name of each phase; use it as a context manager around the work.

    A background thread draws "bprop: PHASE... 2.3 s" and redraws it as time passes; leaving
    the context (or `pause()`, before output goes to the same terminal) erases the line.
    """

    def __init__(self, stream: TextIO, delay: float = DELAY) -> None:
        self.stream = stream
        self.delay = delay
        self.enabled = _is_terminal(stream)
        self.phase = "working"
        self.started = time.monotonic()
        self._drawn = 0  # width of the line on screen, 0 when nothing is shown
        self._thread: threading.Thread | None = None

    def __call__(self, phase: str) -> None:
        self.phase = phase

    def __enter__(self) -> Progress:
        if self.enabled:
            import threading  # only on a terminal: pipes and files never draw, so never start a thread

            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, name="bprop-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.pause()

    def pause(self) -> None:
        """Stop drawing and erase the line."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
            self._erase()

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        while True:
            self._draw(f"bprop: {self.phase}... {time.monotonic() - self.started:.1f} s")
            if self._stop.wait(INTERVAL):
                return  # pause() joins this thread before it erases the line

    def _draw(self, text: str) -> None:
        pad = max(0, self._drawn - len(text))  # overwrite a longer previous line
        self._write("\r" + text + " " * pad)
        self._drawn = len(text)

    def _erase(self) -> None:
        if self._drawn:
            self._write("\r" + " " * self._drawn + "\r")
            self._drawn = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal: progress is only a courtesy
            self._drawn = 0


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
