"""Which picture to make, and where it goes: the CLI's one entry point for graph pictures."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from bprop_cli.engine.trace import Trace
from bprop_cli.errors import BpropError

from . import DEFAULT_LIMIT, GraphFormat
from .files import write_text
from .picture import Picture, build_picture

__all__ = ["GraphFormat", "graph_text", "picture_text", "terminal_picture", "write_graph"]


# -o FILE: the suffix picks the picture.
SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".txt": "terminal"}
IMAGES = ("svg", "png", "pdf")  # drawn by Graphviz from the DOT text
WIDTH = 80


def graph_text(pic: Picture, fmt: str) -> str:
    """DOT, Mermaid, or the terminal drawing as plain ASCII text (for files and pipes)."""
    if fmt == "dot":
        from .dot import render_dot

        return render_dot(pic)
    if fmt == "mermaid":
        from .mermaid import render_mermaid

        return render_mermaid(pic)
    from rich.console import Console

    from .tree import render_graph

    buffer = StringIO()
    Console(file=buffer, width=WIDTH, color_system=None, highlight=False).print(render_graph(pic, ascii=True))
    return buffer.getvalue()


def write_graph(trace: Trace, path: Path, fmt: GraphFormat | None, limit: int = DEFAULT_LIMIT) -> None:
    """Write the picture to `path`; its suffix (.svg .png .pdf .dot .gv .mmd .txt) chooses the format."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise BpropError(f"cannot tell which picture to write from the name {path.name!r}",
                         hint="end the file name in " + ", ".join(SUFFIXES))
    if fmt is not None and fmt.value != kind and not (fmt is GraphFormat.dot and kind in IMAGES):
        raise BpropError(f"--format {fmt.value} does not match -o {path.name}",
                         hint="leave out --format: the file's suffix picks the picture")
    pic = build_picture(trace, limit)
    if kind in IMAGES:
        from .dot import render_dot
        from .image import draw_image

        draw_image(render_dot(pic), path, kind)
        return
    write_text(path, graph_text(pic, kind))


def terminal_picture(pic: Picture, width: int = 80, plain: bool = False):  # type: ignore[no-untyped-def]
    """The terminal drawing (a Rich renderable): box-drawing characters and colour unless `plain`,
    at most 120 columns wide."""
    from .tree import render_graph

    return render_graph(pic, ascii=plain, width=min(width, 120))


def picture_text(pic: Picture, screen) -> str | None:  # type: ignore[no-untyped-def]
    """The terminal drawing in the very bytes Rich prints for terminal_picture on this screen
    (an ansi.Screen), trailing spaces dropped, without importing Rich; None when a line would
    wrap or holds a character whose width Rich must measure: then Rich prints it."""
    from .ansi import spans_lines, strip_trailing
    from .tree import graph_lines

    lines = spans_lines(graph_lines(pic, ascii=not screen.colour, width=min(screen.width, 120)), screen)
    return None if lines is None else strip_trailing("\n".join(lines) + "\n")
