"""The Typer application: every command's arguments, options and help.

The commands' bodies live in commands.py, free of Typer; the options every program-taking
command shares are declared once in inputs.py and made Typer parameters in options.py.
`bprop eval` with only simple options skips this module altogether (see cli.main), so Typer
is imported only for the other commands, for help and for the less common options.

Typer reads every command's signature to build the whole application, even for `--help`: so
the annotations here are objects, not strings (no `from __future__ import annotations`, whose
strings Typer would evaluate twice per parameter), and the commands' bodies import what they
run only when they run.
"""

from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from bprop_cli import __version__
from bprop_cli.views import DEFAULT_LIMIT, Format, GraphFormat

from . import deferred  # noqa: F401 - first: its stand-ins must be in place before Typer is imported
from .inputs import ANSWER, CHECK_JSON, FORMAT, GRAD, JSON, TOLERANCE
from .options import (
    ALL_ROWS,
    EXAMPLE,
    EXPAND,
    FILE,
    PROGRAM,
    SCALARIZE,
    SEED_GRAD,
    TRACEBACK,
    VALUES,
    ProgramCommand,
    option,
    run_app,
)

EVAL_EXAMPLES = """\
Examples:

  bprop eval "(x+y)*z" x=-2 y=5 z=-4

  bprop eval "q = x + y; f = q * z" x=-2 y=5 z=-4 --json

  echo "x1*x2 + c" | bprop eval - x1=2 x2=5 c=3 --format plain

  bprop eval -f program.bp x=-2 y=5        (the program in a file)

  bprop eval "(x+y)*z" x=-2 y=5 z=-4 --grad x

  bprop eval "(x+y)*z" --batch points.csv

  bprop eval --example sigmoid-neuron

  bprop eval "sigmoid(w0*x0+w1*x1+w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 --expand

  bprop eval "(x+y)*z" x=-2 y=5 z=-4 --check

  bprop eval "(x+y)*z"                     (no values: a symbolic trace)

  bprop eval "x/3 + y^2" x=1 y=1/2 --exact

  bprop eval "h = relu(W1 @ x); f = sum(W2 @ h)" W1="[[0.5,-1],[1.5,0.2]]" x="[1,2]" W2="[[2,-1]]"

  bprop eval --example mazur --scalarize    (the same network, one scalar gate per entry)

  bprop eval "w*x + b" w=2 x=3 b=1 --params w,b     (|∇| over w and b; x is data)

  bprop eval "u = b*c; v = a + u; J = 3*v" a=5 b=3 c=2 --nudge v=0.001

  bprop eval "a = 2 + 3*w; J = a^2" w=3 --check --eps 0.001 --difference forward --nodes
"""

EXPLAIN_EXAMPLES = """\
Examples:

  bprop explain "(x+y)*z" x=-2 y=5 z=-4

  bprop explain "sigmoid(w0*x0+w1*x1+w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 --expand

  bprop explain                       (topics, gates and examples)

  bprop explain chain-rule            (a topic; or a gate: bprop explain mul)

  bprop explain --example sigmoid-neuron

  bprop explain gradient-descent "(w*x + b - y)^2" w=0.5 b=0 x=2 y=3 --params w,b --lr 0.05

  bprop explain "(x+y)*z" x=-2 y=5 z=-4 --step     (one step per key press)
"""


class Difference(str, Enum):
    central = "central"
    forward = "forward"


PARAMS = typer.Option(
    None, "--params", metavar="NAMES",
    help="Comma-separated inputs that are parameters (e.g. w1,w2,b); the others are data. |∇| is taken over these.")


app = typer.Typer(
    name="bprop",
    help="bprop: a backpropagation calculator and tutor. Try: bprop eval \"(x+y)*z\" x=-2 y=5 z=-4",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bprop {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """bprop: see every step of backpropagation, for any expression."""


@app.command("eval", cls=ProgramCommand, epilog=EVAL_EXAMPLES)
def eval_(
    args: Optional[List[str]] = PROGRAM,
    file: Optional[Path] = FILE,
    example: Optional[str] = EXAMPLE,
    values_file: Optional[Path] = VALUES,
    seed_grad: Optional[str] = SEED_GRAD,
    expand: bool = EXPAND,
    fmt: Format = option(FORMAT, Format.table),
    as_json: bool = option(JSON, False),
    all_rows: bool = ALL_ROWS,
    grad: Optional[str] = option(GRAD, None),
    graph: bool = typer.Option(False, "--graph", help="Also draw the graph (as `bprop graph` does) after the tables."),
    batch: Optional[str] = typer.Option(None, "--batch", metavar="FILE", help="Evaluate at every row of FILE (CSV with a header, or JSON Lines; '-' is stdin)."),
    check: bool = typer.Option(False, "--check", help="Check each gradient against central differences and sympy; exit 1 if it disagrees."),
    symbolic: bool = typer.Option(False, "--symbolic", help="Trace with formulas; variables without a value stay symbols (automatic when no values are given)."),
    exact: bool = typer.Option(False, "--exact", help="Exact arithmetic: 1/3 stays 1/3, irrational parts stay symbolic, a decimal beside each value."),
    latex: bool = typer.Option(False, "--latex", help="Print LaTeX of the trace and gradients (symbolic, or exact at the given values)."),
    scalarize: bool = SCALARIZE,
    params: Optional[str] = PARAMS,
    nudge: Optional[List[str]] = typer.Option(
        None, "--nudge", metavar="NAME=h",
        help="Move an input or a named intermediate by h, recompute what depends on it, and compare the "
             "output's change with the first-order prediction gradient*h (repeatable)."),
    eps: Optional[float] = typer.Option(
        None, "--eps", metavar="E", help="With --check: the finite-difference step h (absolute; default 1e-6*max(1,|x|))."),
    difference: Optional[Difference] = typer.Option(
        None, "--difference", help="With --check: central (f(x+h)-f(x-h))/2h, the default, or forward (f(x+h)-f(x))/h."),
    nodes: bool = typer.Option(False, "--nodes", help="With --check: check every named intermediate's gradient too."),
    traceback: bool = TRACEBACK,
) -> None:
    """Run the forward and backward passes and show every step."""
    from .commands import eval_command

    eval_command(
        args=args, file=file, fmt=fmt, as_json=as_json, seed_grad=seed_grad, all_rows=all_rows,
        graph=graph, example=example, expand=expand, traceback=traceback, grad=grad, values_file=values_file,
        batch=batch, check=check, symbolic=symbolic, exact=exact, latex=latex, scalarize=scalarize,
        params=params, nudge=nudge, eps=eps, difference=difference.value if difference else None, nodes=nodes,
    )


GRAPH_EXAMPLES = """\
Examples:

  bprop graph "(x+y)*z" x=-2 y=5 z=-4

  bprop graph "(x+y)*z" x=-2 y=5 z=-4 --format dot > g.dot

  bprop graph "(x+y)*z" x=-2 y=5 z=-4 --format mermaid

  bprop graph "1/(1+exp(-(w0*x0+w1*x1+w2)))" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 -o neuron.svg
"""


@app.command("graph", cls=ProgramCommand, epilog=GRAPH_EXAMPLES)
def graph_(
    args: Optional[List[str]] = PROGRAM,
    file: Optional[Path] = FILE,
    example: Optional[str] = EXAMPLE,
    values_file: Optional[Path] = VALUES,
    seed_grad: Optional[str] = SEED_GRAD,
    expand: bool = EXPAND,
    fmt: Optional[GraphFormat] = typer.Option(None, "--format", help="terminal (default), dot or mermaid, on stdout."),
    output: Optional[Path] = typer.Option(
        None, "-o", "--output", help="Write the picture to FILE: .svg, .png or .pdf (needs Graphviz), .dot, .mmd or .txt."),
    max_nodes: int = typer.Option(DEFAULT_LIMIT, "--max-nodes", help="Summarise larger graphs (0: draw every node)."),
    all_rows: bool = ALL_ROWS,
    scalarize: bool = SCALARIZE,
    traceback: bool = TRACEBACK,
) -> None:
    """Draw the computational graph: every wire's value (green) and gradient (red)."""
    from .commands import graph_command

    graph_command(args, file, example, values_file, seed_grad, expand, fmt, output, 0 if all_rows else max_nodes,
                  traceback, scalarize)


@app.command("explain", cls=ProgramCommand, epilog=EXPLAIN_EXAMPLES)
def explain(
    args: Optional[List[str]] = typer.Argument(
        None, metavar="[EXPR NAME=VALUE... | TOPIC | GATE]",
        help="A program and its values to narrate, or a topic or gate name; nothing lists them all.",
    ),
    file: Optional[Path] = FILE,
    example: Optional[str] = EXAMPLE,
    values_file: Optional[Path] = VALUES,
    seed_grad: Optional[str] = SEED_GRAD,
    expand: bool = EXPAND,
    all_rows: bool = ALL_ROWS,
    scalarize: bool = SCALARIZE,
    step: bool = typer.Option(False, "--step", help="On a terminal, one step per key press: Enter or the right arrow next, the left arrow or Backspace back, q quits."),
    params: Optional[str] = typer.Option(
        None, "--params", metavar="NAMES", help="gradient-descent with a program: the inputs to update (default: all)."),
    lr: Optional[float] = typer.Option(None, "--lr", metavar="RATE", help="gradient-descent with a program: the learning rate (default 0.1)."),
    traceback: bool = TRACEBACK,
) -> None:
    """Tutor: narrate backpropagation step by step, or explain a topic or a gate."""
    from .commands import explain_command

    explain_command(args, file, example, values_file, seed_grad, expand, all_rows, traceback, scalarize, step,
                    params, lr)


@app.command("examples", epilog="Examples:\n\n  bprop examples\n\n  bprop eval --example sigmoid-neuron\n\n"
                                 "  bprop explain --example cs231n")
def examples_() -> None:
    """List the built-in worked examples (the published walkthroughs bprop was built from), each with a one-line description."""
    from .listing import examples_command

    examples_command()


QUIZ_EXAMPLES = """\
Examples:

  bprop quiz "(x+y)*z" x=-2 y=5 z=-4

  bprop quiz --example sigmoid-neuron --ask local,grad

  bprop quiz --random --level 2 --seed 7        (a made-up exercise)

  bprop quiz "(x+y)*z" x=-2 y=5 z=-4 < answers.txt    (one answer a line)

  printf '3\\n-12\\n' | bprop quiz "(x+y)*z" x=-2 y=5 z=-4 --ask forward --json
"""

CHECK_EXAMPLES = """\
Examples:

  bprop check "(x+y)*z" x=-2 y=5 z=-4 --answer dx=-4 --answer dz=-3

  bprop check "(x+y)*z" x=-2 y=5 z=-4 --answer v1=3 --answer dv1=-4

  bprop check "q = x*y; f = q*q" x=2 y=3 --answer dq/dx=2 --answer dx=144

  bprop check --example cs231n --answer "df/dz=3" --json

  bprop check --example sigmoid-neuron --answer dw0=-0.20 --answer dx0=0.39

  bprop check --example cs231n --answer dx=-4.1 --tolerance abs=0.1

An answer names a value (v1), a gradient (dx or df/dx), a local derivative
(dv1/dx; "df/dz (local)" where the gradient is written the same way) or a
product (df/dv1*dv1/dx). It is right within 1% or 0.001 of the exact value,
or when it is right to the digits written (-0.20 for -0.196612); --tolerance
sets another rule.
"""


@app.command("quiz", cls=ProgramCommand, epilog=QUIZ_EXAMPLES)
def quiz_(
    args: Optional[List[str]] = PROGRAM,
    file: Optional[Path] = FILE,
    example: Optional[str] = EXAMPLE,
    values_file: Optional[Path] = VALUES,
    seed_grad: Optional[str] = SEED_GRAD,
    expand: bool = EXPAND,
    ask: str = typer.Option("forward,local,product,grad", "--ask", metavar="KINDS",
                            help="Which numbers to ask for, comma-separated: forward, local, product, grad."),
    as_json: bool = typer.Option(False, "--json", help="Read the answers from stdin and print one JSON summary."),
    random: bool = typer.Option(False, "--random", help="Make up an exercise: small numbers, answers that come out exact."),
    level: int = typer.Option(1, "--level", min=1, max=3, help="With --random: 1 two gates, 2 a value used twice, 3 a sigmoid or a kink."),
    seed: Optional[int] = typer.Option(None, "--seed", metavar="N", help="With --random: the same N makes the same exercise."),
    tolerance: Optional[str] = option(TOLERANCE, None),
    traceback: bool = TRACEBACK,
) -> None:
    """Practice: fill in the forward values, local derivatives, products and gradients yourself."""
    from .commands import quiz_command

    quiz_command(args, file=file, example=example, expand=expand, values_file=values_file, seed_grad=seed_grad,
                 ask=ask, as_json=as_json, random=random, level=level, seed=seed, tolerance=tolerance,
                 traceback=traceback)


@app.command("check", cls=ProgramCommand, epilog=CHECK_EXAMPLES)
def check_(
    args: Optional[List[str]] = PROGRAM,
    answer: List[str] = option(ANSWER, []),
    file: Optional[Path] = FILE,
    example: Optional[str] = EXAMPLE,
    values_file: Optional[Path] = VALUES,
    seed_grad: Optional[str] = SEED_GRAD,
    expand: bool = EXPAND,
    as_json: bool = option(CHECK_JSON, False),
    tolerance: Optional[str] = option(TOLERANCE, None),
    traceback: bool = TRACEBACK,
) -> None:
    """Check hand-worked answers; each wrong one is traced back to the first wrong step it depends on."""
    from .commands import check_command

    check_command(args, answer, file=file, example=example, expand=expand, values_file=values_file,
                  seed_grad=seed_grad, as_json=as_json, tolerance=tolerance, traceback=traceback)


def main() -> None:
    """The Typer application, with Click's errors in bprop's one-line format (cli.main calls this)."""
    run_app(app)


TRAIN_EXAMPLES = """\
Examples:

  bprop train --example mazur               (Mazur's one step; also mazur-scalar, mazur-scalar-10000, perceptron, moons)

  bprop train --example mazur --steps 10000 --every 1000   (the same network, 10,000 steps)

  bprop train "(w*x + b - y)^2" w=0 b=0 x=2 y=3 --params w,b --lr 0.05 --steps 100

  bprop train "(w*x + b - y)^2" w=0 b=0 --data points.csv --params w,b --batch-size 8 --shuffle-seed 1 --save trained.json

  bprop train --example moons --plot loss.png

Optimizers follow PyTorch (torch.optim) and its defaults: sgd (lr 1e-3), momentum (SGD with
momentum 0.9, lr 1e-3), adam (betas 0.9,0.999, eps 1e-8, lr 1e-3), rmsprop (alpha 0.99, eps 1e-8,
lr 1e-2). Ctrl-C stops after the current step and still shows (and saves) the run.
"""


class TrainFormat(str, Enum):
    table = "table"
    plain = "plain"
    json = "json"


class Optimizer(str, Enum):
    sgd = "sgd"
    momentum = "momentum"
    adam = "adam"
    rmsprop = "rmsprop"


class TrainCommand(ProgramCommand):
    """Reads its arguments as the program commands do (an expression may start with '-'), but
    does not share all their options: its --example names a training run, and --seed-grad and
    --expand have no meaning for a loss that is minimised."""

    shared_options = False


@app.command("train", cls=TrainCommand, epilog=TRAIN_EXAMPLES)
def train_(
    args: Optional[List[str]] = PROGRAM,
    file: Optional[Path] = FILE,
    example: Optional[str] = typer.Option(
        None, "--example", help="A built-in training run: mazur (the matrix network of eval --example mazur), mazur-scalar, mazur-scalar-10000, perceptron or moons (NAME=VALUE changes its start)."),
    values_file: Optional[Path] = VALUES,
    params: Optional[str] = PARAMS,
    lr: Optional[float] = typer.Option(None, "--lr", metavar="RATE", help="Learning rate (default: PyTorch's for the optimizer)."),
    steps: Optional[int] = typer.Option(None, "--steps", metavar="N", help="Number of update steps (default 100)."),
    every: Optional[int] = typer.Option(None, "--every", metavar="K", help="Print a line every K steps (default: steps/10)."),
    optimizer: Optional[Optimizer] = typer.Option(None, "--optimizer", metavar="NAME", help="sgd (default), momentum, adam or rmsprop, with PyTorch's update rules."),
    momentum: Optional[float] = typer.Option(None, "--momentum", help="momentum: the factor mu (default 0.9)."),
    betas: Optional[str] = typer.Option(None, "--betas", metavar="B1,B2", help="adam: the decay rates (default 0.9,0.999)."),
    alpha: Optional[float] = typer.Option(None, "--alpha", help="rmsprop: the decay rate of the mean square (default 0.99)."),
    lr_end: Optional[float] = typer.Option(None, "--lr-end", metavar="RATE", help="Let the rate fall linearly from --lr towards RATE over the steps (micrograd's demo: 1.0 to 0.1)."),
    data: Optional[str] = typer.Option(None, "--data", metavar="FILE", help="Rows of data (CSV, TSV or JSON Lines with a header of input names); the loss is the mean over the rows."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", metavar="K", help="With --data: each step uses K rows (a mini-batch)."),
    shuffle_seed: Optional[int] = typer.Option(None, "--shuffle-seed", metavar="N", help="With --data: shuffle the rows each pass, in an order fixed by N."),
    fmt: TrainFormat = typer.Option(TrainFormat.table, "--format", help="table (for people), plain (one number a line) or json."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json: one object with every loss and the parameters."),
    save: Optional[Path] = typer.Option(None, "--save", metavar="FILE.json", help="Write the trained values in --values format."),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE.png|svg|pdf", help="Draw the loss curve to a file (needs matplotlib)."),
    no_chart: bool = typer.Option(False, "--no-chart", help="Leave out the loss curve drawn in the terminal."),
    all_rows: bool = typer.Option(False, "--all-rows", help="List every parameter, not the first 12."),
    traceback: bool = TRACEBACK,
) -> None:
    """Gradient descent on the program's output (the loss): learn the --params."""
    from .train_command import train_command

    train_command(
        args=args, file=file, example=example, values_file=values_file, params=params, lr=lr, steps=steps,
        every=every, optimizer=optimizer.value if optimizer else None, momentum=momentum, betas=betas, alpha=alpha,
        lr_end=lr_end, data=data, batch_size=batch_size, shuffle_seed=shuffle_seed, fmt=Format(fmt.value),
        as_json=as_json, save=save, plot=plot, chart=not no_chart, traceback=traceback, all_rows=all_rows,
    )
