"""Run the command line inside this process, with its own stdin, stdout, stderr and environment.

`run(["eval", "x*y", "x=2", "y=3"], Environment(env={...}))` gives what `bprop eval x*y x=2 y=3`
would print and its exit status, as a subprocess run with `text=True` captures them, without
starting a process: about 30 times faster, which is what lets the test suite drive the CLI
thousands of times (tests/conftest.py). It swaps the process's own state for the run (sys.stdin,
sys.stdout, sys.stderr, sys.argv, os.environ, the working directory) and puts it back after, so
it is not for threads. What only a real process has stays with a subprocess: a closed or full
stdout, signals, a terminal, the start-up imports, PYTHON* variables read at start-up.
"""

from __future__ import annotations

import io
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple


class Environment(NamedTuple):
    """What the run sees of the world. `env` is the whole environment (None: this process's);
    `stdin` is its input (None: an empty one, as with no input at all)."""

    stdin: str | None = None
    env: Mapping[str, str] | None = None
    cwd: str | Path | None = None


class Outcome(NamedTuple):
    """The exit status and the two streams, decoded as `subprocess.run(text=True)` decodes
    them (UTF-8, universal newlines)."""

    status: int
    stdout: str
    stderr: str


def run(argv: Sequence[str], environment: Environment = Environment()) -> Outcome:
    """Run `bprop ARGV` here, as `python -m bprop_cli ARGV` would run in a process of its own."""
    import gc

    from .entry import main

    out, err = io.BytesIO(), io.BytesIO()
    streams = (
        io.TextIOWrapper(io.BytesIO((environment.stdin or "").encode()), encoding="utf-8"),
        _Pipe(out, encoding="utf-8", errors="strict"),
        _Pipe(err, encoding="utf-8", errors="backslashreplace"),
    )
    saved = (sys.stdin, sys.stdout, sys.stderr, sys.argv, dict(os.environ), os.getcwd())
    status = 0
    try:
        sys.stdin, sys.stdout, sys.stderr = streams
        sys.argv = [str(Path(__file__).parent.parent / "__main__.py"), *argv]
        if environment.env is not None:
            os.environ.clear()
            os.environ.update(environment.env)
        if environment.cwd is not None:
            os.chdir(environment.cwd)
        try:
            main()
        except SystemExit as exit_:
            status = _status(exit_)
        except BaseException as crash:  # as Python reports an uncaught exception, and exits 1
            sys.stderr.write("".join(traceback.format_exception(crash)))
            status = 1
        for stream in streams[1:]:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved[:4]
        if environment.env is not None:
            os.environ.clear()
            os.environ.update(saved[4])
        os.chdir(saved[5])
        gc.unfreeze()  # main() freezes what it made for a process about to end; this one goes on
    return Outcome(status, _decoded(out.getvalue()), _decoded(err.getvalue()))


class _Pipe(io.TextIOWrapper):
    """A text stream over a byte buffer that, like a pipe, has no terminal behind it."""

    def isatty(self) -> bool:
        return False


def _status(exit_: SystemExit) -> int:
    """The exit status Python gives a SystemExit: None is 0, a number is itself, anything else
    is printed on stderr and is 1."""
    code = exit_.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


def _decoded(data: bytes) -> str:
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
