"""`bprop examples`: the catalogue of built-in worked examples, listed for people. Kept apart from
commands.py so that listing them loads neither the parser nor the engine."""

from __future__ import annotations

from bprop_cli import __version__

from .terminal import tell, write


def examples_blocks() -> list:  # type: ignore[type-arg]
    """The listing as tutor Blocks: a title, a line on where the examples come from, one row each."""
    from bprop_cli.lang.catalog import examples
    from bprop_cli.tutor.blocks import Block

    return [
        Block("title", "Built-in examples"),
        Block("text", "Worked examples from the CS231n notes, the micrograd lecture and other published walkthroughs, each a program with its values."),
        Block("step", "", 0, "", tuple((e.name, e.description) for e in examples().values())),
        Block("try", "bprop eval --example sigmoid-neuron\nbprop explain --example cs231n"),
    ]


def examples_command() -> None:
    """`bprop examples`: the built-in worked examples, each with a one-line description."""
    tell(examples_blocks())


def version_command() -> None:
    """`bprop --version`, as the Typer app's eager option prints it."""
    write(f"bprop {__version__}")
