"""A progress bar on stderr for long batches; only ever used when stderr is a terminal."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

SHOW_AFTER = 1.0  # seconds: a batch that finishes sooner never shows a bar


@contextmanager
def progress_bar(total: int, console: Console) -> Iterator[Callable[[int, int], None]]:
    """Yields update(done_chars, rows); the bar appears once the batch has run SHOW_AFTER seconds."""
    start = time.monotonic()
    progress = Progress(TextColumn("rows {task.fields[rows]:,}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                        TimeRemainingColumn(), console=console, transient=True,
                        redirect_stdout=False, redirect_stderr=False)  # results must stay on stdout
    task = progress.add_task("batch", total=total, rows=0)
    shown = False

    def update(done: int, rows: int) -> None:
        nonlocal shown
        if not shown and time.monotonic() - start >= SHOW_AFTER:
            progress.start()
            shown = True
        progress.update(task, completed=done, rows=rows)

    try:
        yield update
    finally:
        if shown:
            progress.stop()
