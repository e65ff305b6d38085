"""Where results and messages go: stdout for results, stderr for messages, one error format.

Every BpropError is caught in one place (`error_boundary`) and mapped to the exit codes of
ExitStatus (2 usage, 1 evaluation). Rich is imported only where it must lay out a table, a
picture, a walkthrough or a coloured message itself (views/ansi.py writes Rich's bytes for
most of them); Typer never.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Callable, Iterator, NoReturn, TextIO

from bprop_cli.errors import BpropError, ExitStatus


def console(stderr: bool = False):  # type: ignore[no-untyped-def]
    """Rich picks colour only for a terminal (FORCE_COLOR forces it, TERM=dumb drops it);
    NO_COLOR (any non-empty value) wins over both and removes every escape, bold included.
    Emoji codes stay off: nothing of bprop's needs them, a ':name:' in user text stays as typed,
    and not loading Rich's table of emoji names saves a few ms of every table's start-up."""
    from rich.console import Console

    plain = bool(os.environ.get("NO_COLOR"))
    return Console(stderr=stderr, highlight=False, soft_wrap=stderr, no_color=plain, emoji=False,
                   **({"color_system": None} if plain else {}))


class NoTrailingSpaces:
    """A text stream that drops the spaces Rich leaves at the end of a line (where it wrapped
    a text, or padded a table's last column): spaces are held until the next character shows
    whether a line ends after them."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self.stream, self.held = stream, ""

    def write(self, text: str) -> int:
        import re

        text = re.sub(r" +\n", "\n", self.held + text)
        body = text.rstrip(" ")
        self.held = text[len(body):]
        self.stream.write(body)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.stream, name)


def stderr_console():  # type: ignore[no-untyped-def]
    return console(stderr=True)


@contextmanager
def error_boundary(json_errors: bool = False, traceback: bool = False) -> Iterator[None]:
    """Turn any BpropError into one message on stderr and its exit code."""
    try:
        yield
    except BpropError as err:
        if traceback:
            raise
        if json_errors:
            import json

            write(json.dumps({"error": {"kind": err.kind, "message": err.message, "hint": err.hint,
                                         "position": err.position()}}))
        print_error(str(err))
        raise SystemExit(int(err.status)) from None
    except OSError as err:  # stdout cannot be written (a full disk, a closed descriptor)
        if traceback:
            raise
        output_failed(err)
    except RecursionError:  # pragma: no cover - every pass is iterative; kept as a last guard
        if traceback:
            raise
        say("error: the program is nested too deeply")
        raise SystemExit(int(ExitStatus.USAGE_ERROR)) from None
    except Exception as err:  # a bug in bprop: still one line, never a traceback
        if traceback or _is_typer_exit(err):
            raise
        say(f"internal error: {type(err).__name__}: {err} (a bug in bprop; --traceback shows where)")
        raise SystemExit(int(ExitStatus.EVAL_ERROR)) from None


def output_failed(err: OSError) -> NoReturn:
    """One line on stderr and exit 1 when the output cannot be written (never a traceback);
    a reader that has gone (`| head`) ends quietly with 0, as write does."""
    try:  # point stdout at /dev/null, or Python's last flush at exit fails (and prints) once more
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    except OSError:
        pass
    if isinstance(err, BrokenPipeError):
        raise SystemExit(0) from None
    try:
        say(f"error: cannot write the output: {err.strerror or err}")
    except (OSError, ValueError, AttributeError):
        pass  # stderr is gone too: the exit code says it
    raise SystemExit(int(ExitStatus.EVAL_ERROR)) from None


class ClosedStream:
    """Stands in for a stdout that was closed before bprop started (Python then sets it to None),
    so that writing to it fails as an OSError the error boundary reports, not an AttributeError."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1


def print_error(text: str) -> None:
    """An error message on stderr: red on a terminal; elsewhere as Rich would print it without
    colour. Both are written as Rich writes them but without loading Rich where they can be, so
    that a failing run starts as fast as a good one."""
    plain = as_rich_writes(text) if _surely_not_a_terminal() else _red_as_rich_writes(text)
    if plain is not None:
        sys.stderr.write(plain)
        sys.stderr.flush()
        return
    from rich.text import Text

    console = stderr_console()
    console.print(Text(text), style="red" if console.is_terminal else None)


_STRIPPED = dict.fromkeys((7, 8, 11, 12, 13))  # the control codes Rich's Text drops (BEL, BS, VT, FF, CR)


def as_rich_writes(text: str) -> str | None:
    """What Rich writes for a Text without colour or wrapping; None for a tab (Rich expands it)."""
    return None if "\t" in text else text.translate(_STRIPPED) + "\n"


def _red_as_rich_writes(text: str) -> str | None:
    """On an ordinary terminal, the message in red as Rich writes it (its stderr console does
    not wrap), without loading Rich; None where Rich must decide (views/ansi.py)."""
    from bprop_cli.views.ansi import screen, text_lines

    shown = screen(sys.stderr)
    lines = None if shown is None else text_lines(text, "red" if shown.colour else None, shown, wrap=False)
    return None if lines is None else "\n".join(lines) + "\n"


def _surely_not_a_terminal() -> bool:
    """stderr is no terminal, and nothing asks Rich to treat it as one (FORCE_COLOR and friends)."""
    if os.environ.get("FORCE_COLOR") or "TTY_COMPATIBLE" in os.environ or "TTY_INTERACTIVE" in os.environ \
            or "IPython" in sys.modules:
        return False
    try:
        return not sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _is_typer_exit(err: Exception) -> bool:
    """typer.Exit and typer.Abort (Click's) end a command on purpose; only app.py raises them."""
    typer = sys.modules.get("typer")
    return typer is not None and isinstance(err, (typer.Exit, typer.Abort))


def say(message: str) -> None:
    """A plain message on stderr (as typer.echo(..., err=True) writes it), control characters shown."""
    from bprop_cli.text import visible

    sys.stderr.write(visible(message) + "\n")
    sys.stderr.flush()


def write(text: str | Callable[[TextIO], None], flush: bool = True) -> None:
    """Write a line of text, or let a writer stream into stdout; a closed pipe ends quietly."""
    try:
        if callable(text):
            text(sys.stdout)
        else:
            sys.stdout.write(text + "\n")
        if flush:
            sys.stdout.flush()
    except BrokenPipeError:  # e.g. `| head`: the reader has gone; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0) from None


PROSE_WIDTH = 88  # the widest a lesson or walkthrough is laid out, however wide the terminal


def tell(blocks) -> None:  # type: ignore[no-untyped-def]
    """Lessons and walkthroughs: Rich's layout on a colour terminal, plain text within 80 columns
    otherwise. Rich is imported only when it must lay the blocks out itself (views/story.py's
    story_ansi writes its very bytes for most of them), or when the environment asks Rich to
    decide what the terminal is (ansi.screen() is None)."""
    from bprop_cli.views.story import story_ansi, story_plain

    def laid_out(shown):  # type: ignore[no-untyped-def]
        if not shown.colour:
            return story_plain(blocks, width=min(shown.width, 80)).rstrip("\n") + "\n"
        return story_ansi(blocks, shown._replace(width=min(shown.width, PROSE_WIDTH)))

    if written_as_rich_writes(laid_out):
        return
    from rich.console import Console

    console = Console(highlight=False)
    if console.is_terminal and not console.no_color and not console.is_dumb_terminal:
        from bprop_cli.views.story import story_rich

        console.width = min(console.width, PROSE_WIDTH)  # prose is read best in short lines
        console.print(story_rich(blocks, width=console.width))
    else:
        from bprop_cli.views.story import story_plain

        write(story_plain(blocks, width=min(console.width, 80)).rstrip("\n"))


def picture(trace, max_nodes: int) -> None:  # type: ignore[no-untyped-def]
    """The graph drawn on the terminal (ASCII and no colour when colour is off): written in
    Rich's bytes without importing Rich when every line fits the screen in an ordinary
    environment (views/ansi.py), else printed by Rich."""
    from bprop_cli.views.picture import build_picture
    from bprop_cli.views.pictures import picture_text, terminal_picture

    pic = build_picture(trace, max_nodes)
    if written_as_rich_writes(lambda shown: picture_text(pic, shown)):
        return
    out = console()
    plain = out.no_color or out.color_system is None
    show_renderable(lambda width: terminal_picture(pic, width, plain))


def written_as_rich_writes(lay_out) -> bool:  # type: ignore[no-untyped-def]
    """Write what `lay_out(screen)` returns, the bytes Rich would print on this screen laid out
    without Rich (views/ansi.py), and say so; False, with nothing written, when the screen is
    Rich's to decide (ansi.screen() is None) or `lay_out` returns None: then Rich prints."""
    from bprop_cli.views.ansi import screen

    shown = screen()
    text = None if shown is None else lay_out(shown)
    if text is None:
        return False
    write(lambda stream: stream.write(text))
    return True


def show_renderable(build) -> None:  # type: ignore[no-untyped-def]
    """Print what `build(width)` returns (a Rich renderable laid out for the console's width),
    with no trailing spaces on any line, colour escapes kept."""
    from bprop_cli.views.ansi import strip_trailing

    out = console()
    with out.capture() as captured:
        out.print(build(out.width))
    text = strip_trailing(captured.get())
    write(lambda stream: stream.write(text))
