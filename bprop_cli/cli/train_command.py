"""`bprop train`: the command's body (app.py holds its options and help). Wires the program,
the training loop (training.py) and the views (views/train.py); Ctrl-C stops after the
current step and the run is still shown (and saved)."""

from __future__ import annotations

import math
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, List, Optional

from bprop_cli.errors import ValueBindingError, clip
from bprop_cli.views import Format

from .inputs import program_and_values
from .terminal import NoTrailingSpaces, error_boundary
from .terminal import console as _console
from .terminal import say as _say
from .terminal import write as _write


@contextmanager
def _interruptible() -> Iterator[list[bool]]:
    """While training, the first Ctrl-C only asks the loop to stop after the current step
    (a second one stops at once)."""
    asked = [False]

    def handler(signum: int, frame: Any) -> None:
        if asked[0]:
            raise KeyboardInterrupt
        asked[0] = True

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (e.g. inside a test runner's thread)
        yield asked
        return
    try:
        yield asked
    finally:
        signal.signal(signal.SIGINT, previous)


MAX_STEPS = 1_000_000_000  # hours for the smallest loss (a run to stop with Ctrl-C); 10**20 is a typo


def _positive_int(value: int | None, flag: str) -> None:
    if value is not None and value < 1:
        raise ValueBindingError(f"{flag} must be a whole number of at least 1, not {value}")
    if flag == "--steps" and value is not None and value > MAX_STEPS:
        raise ValueBindingError(f"--steps {clip(str(value))} is more than bprop runs: at most {MAX_STEPS:,} steps",
                                hint="run again from the result with --save FILE and --values FILE")


def _rate(value: float | None, flag: str) -> None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise ValueBindingError(f"{flag} must be a positive number, not {value}")


def train_command(
    args: Optional[List[str]], file: Optional[Path] = None, example: Optional[str] = None,
    values_file: Optional[Path] = None, params: Optional[str] = None, lr: Optional[float] = None,
    steps: Optional[int] = None, every: Optional[int] = None, optimizer: Optional[str] = None,
    momentum: Optional[float] = None, betas: Optional[str] = None, alpha: Optional[float] = None,
    lr_end: Optional[float] = None, data: Optional[str] = None, batch_size: Optional[int] = None,
    shuffle_seed: Optional[int] = None, fmt: Format = Format.table, as_json: bool = False,
    save: Optional[Path] = None, plot: Optional[Path] = None, chart: bool = True, traceback: bool = False,
    all_rows: bool = False,
) -> None:
    fmt = Format.json if as_json else fmt
    with error_boundary(json_errors=fmt is Format.json, traceback=traceback):
        from bprop_cli.engine.geometry import parse_params
        from bprop_cli.training.loop import Problem, load_rows, train
        from bprop_cli.training.optim import OPTIMIZERS, constant, linear, make

        if fmt not in (Format.table, Format.plain, Format.json):
            raise ValueBindingError(f"bprop train prints table, plain or json, not --format {fmt.value}")
        chosen = None
        rows = None
        if example is not None:
            from bprop_cli.training.runs import RENAMED, train_example

            if file is not None:
                raise ValueBindingError("give either --example or -f FILE, not both")
            chosen = train_example(example)
            if example in RENAMED:
                _say(f"note: the training example {example} is now called {chosen.name}")
            from bprop_cli.engine.values import parse_assignments

            given: dict[str, object] = {**chosen.values, **parse_assignments(list(args or []))}
            if values_file is not None:
                from bprop_cli.batch.read import load_values

                given = {**given, **load_values(values_file), **parse_assignments(list(args or []))}
            source = chosen.program
            rows = chosen.rows() if chosen.rows is not None and data is None else None
        else:
            source, given = program_and_values(args, file, None, values_file)
        optimizer = optimizer or (chosen.optimizer if chosen else "sgd")
        if optimizer not in OPTIMIZERS:
            raise ValueBindingError(f"--optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
        lr = lr if lr is not None else (chosen.lr if chosen else OPTIMIZERS[optimizer].lr)
        steps = steps if steps is not None else (chosen.steps if chosen else 100)
        lr_end = lr_end if lr_end is not None else (chosen.lr_end if chosen else None)
        for value, flag in ((steps, "--steps"), (every, "--every"), (batch_size, "--batch-size")):
            _positive_int(value, flag)
        _rate(lr, "--lr")
        if lr_end is not None and not (math.isfinite(lr_end) and lr_end >= 0):
            raise ValueBindingError(f"--lr-end must be a number of at least 0, not {lr_end}")
        if data is not None:
            rows = load_rows(data, sys.stdin)
        if rows is None and (batch_size is not None or shuffle_seed is not None):
            raise ValueBindingError("--batch-size and --shuffle-seed choose rows of --data FILE; give --data too")
        if params is None and chosen is None:
            raise ValueBindingError("name the parameters to learn with --params, e.g. --params w1,w2,b",
                                    hint="the other inputs are data and stay fixed")
        hyper = _hyper(optimizer, momentum, betas, alpha)
        from bprop_cli.engine.graph import compile_program

        inputs = list(compile_program(source).inputs)
        names = parse_params(params, inputs) if params is not None else chosen.params  # type: ignore[union-attr]
        problem = Problem(source, given, names, rows)
        if plot is not None:
            from bprop_cli.views.loss_plot import check_plot_path

            check_plot_path(plot)
        every = every if every is not None else (chosen.every if chosen else max(1, steps // 10))
        schedule = constant(lr) if lr_end is None else linear(lr, lr_end)
        rate_text = f"lr {lr:g}" if lr_end is None else f"lr {lr:g} falling linearly towards {lr_end:g}"
        view = _View(fmt, problem, steps, every, chosen, all_rows)
        view.departures = _departures(chosen, problem, names, optimizer, hyper, lr, lr_end, steps, data,
                                      batch_size, shuffle_seed)
        if fmt is Format.table:
            columns = list(rows[0]) if rows else []
            data_names = [n for n in inputs if n not in names and n not in columns]
            from bprop_cli.views.train import describe_run

            view.lines(describe_run(_Head(optimizer, steps), problem.output(), names, data_names,
                                    len(rows) if rows is not None else None, batch_size, shuffle_seed, rate_text,
                                    columns))
        with _interruptible() as asked, view.progress:
            result = train(problem, make(optimizer, **hyper), schedule, steps, batch_size=batch_size,
                           shuffle_seed=shuffle_seed, on_step=view.step, on_first=view.first,
                           should_stop=lambda: asked[0])
    with error_boundary(traceback=traceback):
        view.finish(result, chosen, chart)
    if save is not None:
        with error_boundary(traceback=traceback):
            _save(save, problem, result)
    if plot is not None:
        with error_boundary(traceback=traceback):
            from bprop_cli.views.loss_plot import write_loss_plot

            write_loss_plot(plot, result.losses, result.norms, f"{problem.output()}: {optimizer}, {rate_text}")
    if result.error is not None:
        with error_boundary(traceback=traceback):
            raise result.error
    if result.stopped:
        _say(f"stopped by Ctrl-C after step {result.done:,} of {result.steps:,}")


class _Head:
    """What describe_run needs before there is a Result."""

    def __init__(self, optimizer: str, steps: int) -> None:
        self.optimizer, self.steps = optimizer, steps


def _hyper(optimizer: str, momentum: float | None, betas: str | None, alpha: float | None) -> dict[str, float]:
    hyper: dict[str, float] = {}
    given = {"--momentum": momentum is not None, "--betas": betas is not None, "--alpha": alpha is not None}
    allowed = {"sgd": (), "momentum": ("--momentum",), "adam": ("--betas",), "rmsprop": ("--alpha",)}[optimizer]
    wrong = [flag for flag, on in given.items() if on and flag not in allowed]
    if wrong:
        raise ValueBindingError(f"{', '.join(wrong)} does not apply to --optimizer {optimizer}")
    if momentum is not None:
        if not 0 <= momentum < 1:
            raise ValueBindingError(f"--momentum must be at least 0 and below 1, not {momentum}")
        hyper["momentum"] = momentum
    if alpha is not None:
        if not 0 <= alpha < 1:
            raise ValueBindingError(f"--alpha must be at least 0 and below 1, not {alpha}")
        hyper["alpha"] = alpha
    if betas is not None:
        try:
            b1, b2 = (float(b) for b in betas.split(","))
        except ValueError:
            raise ValueBindingError(f"--betas takes two numbers, as in --betas 0.9,0.999, not {betas!r}") from None
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueBindingError(f"--betas must each be at least 0 and below 1, not {betas}")
        hyper["beta1"], hyper["beta2"] = b1, b2
    return hyper


def _save(path: Path, problem: Any, result: Any) -> None:
    """Every value the program needs (data columns aside), the parameters as trained."""
    from bprop_cli.views.files import write_text
    from bprop_cli.views.train import values_json

    write_text(path, values_json({**problem.fixed, **result.params}))


class _View:
    """Streams the run as it goes: step 1 in full, then a line per --every steps (table
    format); progress on stderr for long runs on a terminal."""

    def __init__(self, fmt: Format, problem: Any, steps: int, every: int, chosen: Any, all_rows: bool) -> None:
        from .progress import Progress

        self.all_rows = all_rows
        self.fmt, self.problem, self.steps, self.every, self.chosen = fmt, problem, steps, every, chosen
        self.width = len(f"{steps:,}")
        self.departures: tuple[list[str], list[str]] = ([], [])  # how the run departs from the publication's
        self.progress = Progress(sys.stderr)
        self.console = _console() if fmt is Format.table else None
        if self.console is not None and not self.console.is_terminal:  # a pipe or a file: no trailing spaces
            self.console.file = NoTrailingSpaces(self.console.file)

    def lines(self, lines: list[str], style: str | None = None) -> None:
        from bprop_cli.views.train import texts

        assert self.console is not None
        self.console.print(texts(lines, style))

    def first(self, first: Any) -> None:
        if self.console is None:
            return
        from bprop_cli.views.train import first_step

        self.progress.pause()
        self.console.print()
        self.console.print(first_step(first, self.problem.output(), self.all_rows))
        self.console.print()
        self._resume()

    def step(self, k: int, loss: float, grad_norm: float) -> None:
        self.progress(f"training: step {k:,} of {self.steps:,}, loss {loss:.6g}")
        if self.console is None:
            return
        if k == 1 or k % self.every == 0 or k == self.steps:
            from bprop_cli.views.train import step_line

            self.progress.pause()
            self.console.print(step_line(k, loss, grad_norm, self.width), markup=False, highlight=False)
            self._resume()

    def _resume(self) -> None:
        if self.progress.enabled:
            self.progress.__enter__()  # draw again (after its delay) until the next pause

    def finish(self, result: Any, chosen: Any, chart: bool) -> None:
        from bprop_cli.views.train import final_table, loss_chart, result_dict, summary_line, train_plain

        if self.fmt is Format.json:
            import json

            _write(json.dumps(result_dict(result, _published(result, chosen, self.problem, self.departures)),
                              indent=2))
            return
        if self.fmt is Format.plain:
            _write("\n".join(train_plain(result)))
            return
        console = self.console
        assert console is not None
        if chart and result.done >= 2:
            console.print()
            self.lines(loss_chart(result.losses, width=min(console.width, 80) - 2).splitlines())
        console.print()
        self.lines([summary_line(result, self.problem.output())], "bold")
        console.print(final_table(result, self.all_rows))
        extra = _published(result, chosen, self.problem, self.departures)
        if extra.get("published"):
            console.print()
            from bprop_cli.views.train import published_table

            console.print(published_table(extra["published"], chosen.source, extra.get("published_left_out", "")))
        if chosen is not None and chosen.extra == "moons" and result.error is None:
            from bprop_cli.training.runs import Boundary
            from bprop_cli.views.moons import moons_view

            console.print()
            self.lines(moons_view(Boundary(self.problem, result.params)).splitlines())


def _departures(chosen: Any, problem: Any, names: Any, optimizer: str, hyper: dict[str, float], lr: float,
                lr_end: float | None, steps: int, data: str | None, batch_size: int | None,
                shuffle_seed: int | None) -> tuple[list[str], list[str]]:
    """How this run departs from the one the example's source published: (in its start, in the
    run itself), each a list of short phrases; both empty for the publication's own run."""
    if chosen is None or not chosen.published:
        return [], []
    from bprop_cli.engine.values import bind

    start = []
    if data is not None:
        start.append("other data (--data)")
    elif not _same_values(problem.fixed, bind(problem.graph, chosen.values)):
        start.append("other start values")
    run = []
    if tuple(names) != tuple(chosen.params):
        run.append(f"parameters {','.join(names)}")
    if optimizer != chosen.optimizer or hyper:
        run.append(f"optimizer {optimizer}" + (" with other settings" if hyper else ""))
    if steps != chosen.steps:
        run.append(f"{steps:,} step{'s' * (steps != 1)}")
    if lr != chosen.lr or lr_end != chosen.lr_end:
        run.append(f"lr {lr:g}" + (f" falling towards {lr_end:g}" if lr_end is not None else ""))
    if batch_size is not None or shuffle_seed is not None:
        run.append("mini-batches")
    return start, run


def _same_values(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for name, x in a.items():
        y = b[name]
        if isinstance(x, float) and isinstance(y, float):
            if x != y:
                return False
            continue
        import numpy as np  # an array program: numpy is loaded already

        if not np.array_equal(np.asarray(x, dtype=float), np.asarray(y, dtype=float)):
            return False
    return True


def _published_run(chosen: Any) -> str:
    steps = f"{chosen.steps:,} step{'s' * (chosen.steps != 1)}"
    rate = f"lr {chosen.lr:g}" + (f" falling towards {chosen.lr_end:g}" if chosen.lr_end is not None else "")
    return f"{steps} of {chosen.optimizer} at {rate} from the published start values"


def _published(result: Any, chosen: Any, problem: Any,
               departures: tuple[list[str], list[str]] = ([], [])) -> dict[str, Any]:
    """The example's published numbers beside bprop's (for the view and the JSON). A figure is
    compared only where this run is the publication's: the first loss when the start is the
    same, the rest when the whole run is (the same steps, rate and optimizer, none cut short).
    A figure left out keeps bprop's number under a truthful label, and "published_left_out"
    says why."""
    if chosen is None or not chosen.published or result.error is not None:
        return {}
    from bprop_cli.engine.scalar import forward

    start, run = departures
    if result.done != result.steps:
        run = [*run, f"stopped after {result.done:,} step{'s' * (result.done != 1)}"]
    values = None
    rows = []
    left_out = False
    for pub in chosen.published:
        if pub.pick == "loss":
            ours = result.losses[-1]
        elif pub.pick == "loss0":
            ours = result.losses[0]
        else:  # a node of a scalar program without data, at the trained parameters
            if values is None:
                values = forward(problem.graph, {**problem.fixed, **result.params})
            ours = values[problem.graph.ids.index(pub.pick)]
        if not start and (pub.pick == "loss0" or not run):
            label = pub.label if pub.pick != "loss0" or result.done == 1 else f"{pub.quantity} before the first step"
            rows.append({"label": label, "published": pub.value, "bprop": ours, "note": pub.note})
        else:
            left_out = True
            label = pub.after(result.done) if pub.pick != "loss0" else (
                pub.label if result.done == 1 else f"{pub.quantity} before the first step")
            rows.append({"label": label, "published": None, "bprop": ours, "note": ""})
    extra: dict[str, Any] = {"published": rows}
    if left_out:
        extra["published_left_out"] = (f"left out (-): the published figures are for {_published_run(chosen)}; "
                                       f"this run: {', '.join(start + run)}")
    return extra
