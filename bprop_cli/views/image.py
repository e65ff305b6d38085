"""SVG, PNG and PDF pictures: the DOT text drawn by Graphviz's `dot` program, when it is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from bprop_cli.errors import OutputError
from bprop_cli.text import visible

from .files import replacing

INSTALL = ("install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz;"
           " Windows: winget install graphviz) or write DOT instead with -o FILE.dot")
TIMEOUT = 120  # seconds; pictures are summarised past --max-nodes, so this is ample


def draw_image(dot_text: str, path: Path, kind: str) -> None:
    """Run `dot -Tsvg|-Tpng|-Tpdf -o PATH` on the DOT text; one clear OutputError when it cannot."""
    exe = shutil.which("dot")
    if exe is None:
        raise OutputError(f"writing {path.name} needs the Graphviz program 'dot', which is not installed: {INSTALL}")
    with replacing(path) as temporary:  # a picture Graphviz could not finish is not left behind
        try:
            done = subprocess.run([exe, f"-T{kind}", "-o", str(temporary)], input=dot_text.encode("utf-8"),
                                  capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise OutputError(
                f"Graphviz took longer than {TIMEOUT} s to draw {path.name}; try a smaller --max-nodes") from None
        except OSError as err:
            raise OutputError(f"cannot run Graphviz's dot: {err.strerror or err}") from None
        if done.returncode != 0:
            problem = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[0]
            raise OutputError(f"Graphviz could not write {path.name}: {visible(problem)}")
