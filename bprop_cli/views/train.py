"""Views of a training run (training.Result): step 1 in full, a line per --every steps, the
loss curve in the terminal (plotext), the final parameters, JSON, and the --values file."""

from __future__ import annotations

import json
import math
from typing import Any, Iterator, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bprop_cli.text import full, grid, num
from bprop_cli.training.loop import FirstStep, Result
from bprop_cli.training.optim import OPTIMIZERS

SHOWN = 12  # parameters listed in full before a long list is summarised (--all-rows lists all)

STATE_NAMES = {"buffer": "momentum buffer b", "square_avg": "v (mean square)", "m": "m", "v": "v",
               "m_hat": "m/(1-b1^t)", "v_hat": "v/(1-b2^t)"}


def value_text(value: Any) -> str:
    if isinstance(value, (int, float)):
        return num(float(value))
    return grid(value, False)


def plain_value(value: Any) -> Any:
    """A float, or an array as nested lists (JSON)."""
    return value.tolist() if hasattr(value, "tolist") else value


def _names(names: Sequence[str]) -> str:
    if len(names) <= SHOWN:
        return ", ".join(names)
    return f"{len(names):,} of them ({', '.join(names[:4])}, ..., {names[-1]})"


def describe_run(result: Result, output: str, params: Sequence[str], data: Sequence[str], rows: int | None,
                 batch_size: int | None, shuffle_seed: int | None, rate_text: str,
                 columns: Sequence[str] = ()) -> list[str]:
    opt = OPTIMIZERS[result.optimizer]
    what = f"mean of {output} over {rows:,} rows" if rows is not None else output
    rules = opt.equation.split(";  ")
    lines = [f"Training: minimise {what} with {opt.name}, {rate_text}, {result.steps:,} step{'s' * (result.steps != 1)}",
             f"update rule: {rules[0]}", *(f"             {rule}" for rule in rules[1:])]
    lines.append(f"parameters: {_names(params)}" + (f"; data columns: {_names(columns)}" if columns else "")
                 + (f"; held fixed: {_names(data)}" if data else ""))
    if rows is not None and batch_size is not None and batch_size < rows:
        order = f"shuffled with seed {shuffle_seed}" if shuffle_seed is not None else "in file order"
        lines.append(f"mini-batches of {batch_size} rows, {order}")
    elif shuffle_seed is not None and rows is not None:
        lines.append(f"all {rows} rows a step, shuffled with seed {shuffle_seed}")
    return lines


def _with_hidden(table: Table, count: int, shown: int) -> RenderableType:
    if count <= shown:
        return table
    return Group(table, Text(f"... and {count - shown:,} more parameters (--all-rows shows them)", style="dim"))


def first_step_table(first: FirstStep, optimizer: str, all_rows: bool = False) -> RenderableType:
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("param", style="cyan", no_wrap=True)
    table.add_column("value", justify="right")
    table.add_column("gradient", justify="right", style="red")
    keys = [k for k in first.params[0].update.state] if first.params else []
    if any(not isinstance(p.value, (int, float)) for p in first.params):
        return _first_step_arrays(first, optimizer, keys, all_rows)
    for key in keys:
        table.add_column(STATE_NAMES.get(key, key), justify="right")
    table.add_column("-lr*grad" if optimizer == "sgd" else "step", justify="right")
    table.add_column("new value", justify="right", style="bold")
    shown = first.params if all_rows else first.params[:SHOWN]
    for p in shown:
        table.add_row(Text(p.name), value_text(p.value), value_text(p.grad),
                      *(value_text(p.update.state[k]) for k in keys), value_text(p.update.step),
                      value_text(p.update.value))
    return _with_hidden(table, len(first.params), len(shown))


def _first_step_arrays(first: FirstStep, optimizer: str, keys: list[str], all_rows: bool) -> RenderableType:
    """Array parameters: one block per parameter, a quantity a line (matrices stay readable)."""
    table = Table(box=None, header_style="bold", pad_edge=False, show_header=False)
    table.add_column("param", style="cyan", no_wrap=True)
    table.add_column("what", no_wrap=True)
    table.add_column("value", no_wrap=True)
    shown = first.params if all_rows else first.params[:SHOWN]
    for p in shown:
        rows = [("value", p.value), ("gradient", p.grad), *((STATE_NAMES.get(k, k), p.update.state[k]) for k in keys),
                ("-lr*grad" if optimizer == "sgd" else "step", p.update.step), ("new value", p.update.value)]
        for k, (what, value) in enumerate(rows):
            table.add_row(Text(p.name if k == 0 else ""), what, value_text(value))
    return _with_hidden(table, len(first.params), len(shown))


def first_step(first: FirstStep, output: str, all_rows: bool = False) -> RenderableType:
    head = Text(f"Step 1 in full (learning rate {num(first.lr)})", style="bold")
    loss = Text(f"the loss, {output}: {num(first.loss_before)} -> {num(first.loss_after)} "
                f"(change {num(first.loss_after - first.loss_before)})")
    optimizer = "sgd" if all(not p.update.state for p in first.params) else "other"
    parts: list[RenderableType] = [head, first_step_table(first, optimizer, all_rows), loss]
    if first.batch is not None:
        rows = ", ".join(str(i + 1) for i in first.batch[:12]) + (" ..." if len(first.batch) > 12 else "")
        parts.insert(1, Text(f"mini-batch: rows {rows}"))
    return Group(*parts)


def step_line(step: int, loss: float, grad_norm: float, width: int) -> str:
    return f"step {step:>{width},}  loss {num(loss):>12}  |∇| {num(grad_norm):>12}"


def loss_chart(losses: Sequence[float], width: int = 78, height: int = 14) -> str:
    """The loss after each step, drawn with plotext (log10 of the loss when it spans decades)."""
    import plotext

    positive = all(x > 0 for x in losses)
    log = positive and max(losses) / min(losses) > 100
    ys = [math.log10(x) for x in losses] if log else list(losses)
    fig = plotext.figure
    fig.clear()
    fig.plot_size(width, height)
    fig.draw(fig.signal(list(range(len(losses))), ys, marker="braille"))
    fig.title("log10(loss) after each step" if log else "loss after each step")
    fig.label("step")
    return "\n".join(line.rstrip() for line in fig.build().string(colorless=True).rstrip("\n").splitlines())


def final_table(result: Result, all_rows: bool = False) -> RenderableType:
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("param", style="cyan", no_wrap=True)
    table.add_column("initial", justify="right")
    table.add_column("final", justify="right", style="bold")
    items = list(result.params.items())
    shown = items if all_rows else items[:SHOWN]
    cells = [(name, value_text(result.initial[name]), value_text(value)) for name, value in shown]
    widths = [max([len(header), *(len(line) for c in cells for line in c[k].split("\n"))])
              for k, header in ((1, "initial"), (2, "final"))]
    for name, initial, final in cells:
        table.add_row(Text(name), _block(initial, widths[0]), _block(final, widths[1]))
    return _with_hidden(table, len(items), len(shown))


def _block(text: str, width: int) -> str | Text:
    """A matrix's lines as one block, right-aligned in a column `width` wide. (Rich would
    right-justify each line on its own, and drop the space that lines up the rows.)"""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    inner = max(map(len, lines))
    return Text("\n".join(line.ljust(inner).rjust(width) for line in lines), justify="left")


def summary_line(result: Result, output: str) -> str:
    how = {None: "", "interrupted": " (interrupted: stopped after this step)"}[result.stopped]
    first, last = result.losses[0], result.losses[-1]
    return f"after {result.done:,} of {result.steps:,} step{'s' * (result.steps != 1)}{how}: {output} {num(first)} -> {num(last)}"


def result_dict(result: Result, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "bprop": 1, "optimizer": result.optimizer, "lr": result.lr, "steps": result.done,
        "losses": result.losses,
        "initial": {k: plain_value(v) for k, v in result.initial.items()},
        "params": {k: plain_value(v) for k, v in result.params.items()},
        "gradient_norms": result.norms, "rates": result.rates,
    }
    if result.stopped:
        data["stopped"] = result.stopped
    if result.error is not None:
        data["error"] = {"kind": result.error.kind, "message": result.error.message}
    return {**data, **(extra or {})}


def train_json(result: Result, extra: dict[str, Any] | None = None) -> str:
    return json.dumps(result_dict(result, extra), indent=2, allow_nan=False)


def values_json(values: dict[str, Any]) -> str:
    """The --values format: one object of NAME: value, full precision."""
    return json.dumps({k: plain_value(v) for k, v in values.items()}, indent=2, allow_nan=False) + "\n"


def train_plain(result: Result) -> Iterator[str]:
    """'loss STEP VALUE' per step, 'norm STEP VALUE', then 'param NAME VALUE' (full precision)."""
    for k, loss in enumerate(result.losses):
        yield f"loss\t{k}\t{full(loss)}"
    for k, n in enumerate(result.norms, 1):
        yield f"norm\t{k}\t{full(n)}"
    for name, value in result.params.items():
        yield f"param\t{name}\t{full(value) if isinstance(value, float) else json.dumps(plain_value(value))}"


def published_table(rows: list[dict[str, Any]], source: str, left_out: str = "") -> RenderableType:
    """The example's published numbers beside bprop's, with a note where they differ; a row
    whose published figure is left out (None) shows '-', and `left_out` says why."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column(f"from {source}" if source else "published", no_wrap=False)
    table.add_column("published", justify="right")
    table.add_column("bprop", justify="right", style="bold")
    notes = []
    for row in rows:
        published = "-" if row["published"] is None else f"{row['published']:.9g}"
        table.add_row(Text(row["label"]), published, f"{row['bprop']:.9g}")
        if row["note"]:
            notes.append(Text(f"* {row['label']}: {row['note']}", style="yellow"))
    if left_out:
        notes.append(Text(f"* {left_out}", style="yellow"))
    return Group(table, *notes)


def texts(lines: Sequence[str], style: str | None = None) -> RenderableType:
    """Plain lines of text as one renderable (user text is never read as markup)."""
    return Group(*(Text(line, style=style) for line in lines))
