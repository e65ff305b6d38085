"""--plot FILE.png|svg|pdf: the loss curve (and the gradient norm) drawn by matplotlib, an optional
extra. Without matplotlib, one message says how to install it (exit 1), as `graph` does for Graphviz."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from bprop_cli.errors import OutputError, ValueBindingError

from .files import replacing

INSTALL = "install it with: pip install 'bprop[plot]' (or pip install matplotlib); the terminal chart needs nothing more"
KINDS = (".png", ".svg", ".pdf")


def check_plot_path(path: Path) -> None:
    """Refuse a name bprop cannot draw (before any training is done)."""
    if path.suffix.lower() not in KINDS:
        raise ValueBindingError(f"--plot writes .png, .svg or .pdf, not {path.name!r}")


def _pyplot():  # type: ignore[no-untyped-def]
    try:
        import matplotlib
    except ImportError:
        raise OutputError(f"--plot needs matplotlib, which is not installed: {INSTALL}") from None
    matplotlib.use("Agg")  # files only: never open a window
    import matplotlib.pyplot as plt

    return plt


def write_loss_plot(path: Path, losses: Sequence[float], norms: Sequence[float], title: str) -> None:
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True, constrained_layout=True)
    steps = range(len(losses))
    top.plot(steps, losses, color="tab:blue")
    top.set_ylabel("loss")
    if all(x > 0 for x in losses) and max(losses) / min(losses) > 100:
        top.set_yscale("log")
    top.set_title(title)
    top.grid(True, alpha=0.3)
    bottom.plot(range(1, len(norms) + 1), norms, color="tab:red")
    bottom.set_ylabel("|∇| over the parameters")
    bottom.set_xlabel("step")
    if norms and all(x > 0 for x in norms) and max(norms) / min(norms) > 100:
        bottom.set_yscale("log")
    bottom.grid(True, alpha=0.3)
    try:
        with replacing(path) as temporary:  # a half-drawn picture is not left behind
            fig.savefig(temporary)
    finally:
        plt.close(fig)
