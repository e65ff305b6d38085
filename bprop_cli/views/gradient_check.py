"""The --check report: each gradient beside a central difference and sympy, with the errors."""

from __future__ import annotations

from typing import Iterator

from rich.console import Group, RenderableType
from rich.text import Text

from bprop_cli.text import full, num
from bprop_cli.trust.crosscheck import FAIL, NUMERIC_TOL, OK, SYMBOLIC_TOL, CheckReport

from .table import HEAD, _heading, _table

STYLE = {OK: "green", FAIL: "bold red"}


def error(x: float | None) -> str:
    if x is None:
        return "-"
    return "0" if x == 0 else f"{x:.1e}"


def short(x: float | None) -> str:
    """A number in at most 11 characters, so seven columns fit 80 (the JSON has every digit)."""
    if x is None:
        return "-"
    text = num(x)
    return text if len(text) <= 11 else f"{x:.3g}"


def summary(report: CheckReport) -> str:
    if report.passed:
        kinks = [c.input for c in report.checks if c.status == "kink"]
        others = [c.input for c in report.checks if c.status not in ("ok", "kink")]
        if kinks:
            return (f"check passed at a kink: {', '.join(kinks)} sit{'s' * (len(kinks) == 1)} where the derivative "
                    "jumps, so the estimates may rightly differ; the engine's value follows PyTorch's "
                    "convention (see the note above)" + (f"; {', '.join(others)}: see above" if others else ""))
        if others:
            return (f"check passed: every gradient agrees with at least one estimate "
                    f"({', '.join(others)}: see the note above)")
        return "check passed: every gradient agrees with every estimate"
    return f"check FAILED for {', '.join(report.failed)}: the engine's gradient disagrees with every estimate"


def render_check_table(report: CheckReport, all_rows: bool = False) -> RenderableType:
    table = _table()
    table.add_column("input", style="cyan", no_wrap=True)
    table.add_column("engine", justify="right", no_wrap=True)
    table.add_column(f"{report.difference} diff", justify="right", no_wrap=True)
    table.add_column("rel err", justify="right", no_wrap=True)
    table.add_column("sympy", justify="right", no_wrap=True)
    table.add_column("rel err", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    shown = [c for i, c in enumerate(report.checks) if all_rows or i < HEAD or c.status != OK]
    for c in shown:
        table.add_row(
            Text(c.input), Text(short(c.engine)), Text(short(c.numeric)), Text(error(c.numeric_error)),
            Text(short(c.symbolic)), Text(error(c.symbolic_error)), Text(c.status, style=STYLE.get(c.status, "yellow")),
        )
    tol = ("agrees when |engine - estimate| <= atol + rtol*|estimate|, with\n"
           f"atol {NUMERIC_TOL[0]:g}, rtol {NUMERIC_TOL[1]:g} ({report.difference} difference) and "
           f"atol {SYMBOLIC_TOL[0]:g}, rtol {SYMBOLIC_TOL[1]:g} (sympy)")
    parts: list[RenderableType] = [
        _heading(f"Check: each gradient against a {report.difference} difference "
                 f"({'h' if report.absolute else 'eps'} = {report.eps:g}) and sympy"),
        table,
    ]
    if len(shown) < len(report.checks):
        hidden = len(report.checks) - len(shown)
        parts.append(Text(f"... {hidden:,} more inputs are ok (--all-rows shows every row)", style="dim"))
    parts.append(Text(tol, style="dim"))
    parts += [Text(note, style="yellow") for note in (report.note,) if note]
    parts += [Text(f"{c.input}: {c.reason}", style="yellow") for c in shown if c.reason]
    parts.append(Text(summary(report), style="green" if report.passed else "bold red"))
    return Group(*parts)


def render_check_plain(report: CheckReport) -> Iterator[str]:
    """'check NAME VERDICT ENGINE NUMERIC SYMBOLIC' per input ('-' for a missing estimate)."""
    if report.note:
        yield f"checknote\t{report.note}"
    for c in report.checks:
        cells = (c.engine, c.numeric, c.symbolic)
        yield "\t".join(("check", c.input, c.status, *("-" if v is None else full(v) for v in cells)))
        if c.reason:
            yield f"reason\t{c.input}\t{c.reason}"
