"""--batch: every data row comes out, or is reported with its row and line number, whichever way
the rows are read (a file: in numpy columns; standard input: row by row) and in every input
format; a vector or matrix where a batch takes one number is one clear usage error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import bprop

# Line 1 is the header (JSON Lines have none); a row of empty fields and a half-empty row sit
# between good rows, with a blank line, which is not a row, before the last.
ROWS = {
    "csv": "x,y\n1,2\n,\n3,4\n1,\n\n5,6\n",
    "tsv": "x\ty\n1\t2\n\t\n3\t4\n1\t\n\n5\t6\n",
    "jsonl": '{"x": 1, "y": 2}\n{}\n{"x": 3, "y": 4}\n{"x": 1}\n\n{"x": 5, "y": 6}\n',
}
HEADER_LINES = {"csv": 1, "tsv": 1, "jsonl": 0}


@pytest.mark.parametrize("kind", list(ROWS))
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_every_row_is_written_or_reported_with_its_line(tmp_path: Path, kind: str, source: str) -> None:
    path = tmp_path / f"rows.{kind}"
    path.write_text(ROWS[kind])
    where = ["--batch", str(path)] if source == "file" else ["--batch", "-"]
    r = bprop("eval", "x*y", *where, "--format", "json", stdin=ROWS[kind] if source == "stdin" else None)
    assert r.returncode == 2, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    # x*y by hand: rows 1, 3 and 5 are good; df/dx = y, df/dy = x.
    good = {row["row"]: (row["value"], row["gradients"]["x"], row["gradients"]["y"]) for row in out if "error" not in row}
    assert good == {1: (2.0, 2.0, 1.0), 3: (12.0, 4.0, 3.0), 5: (30.0, 6.0, 5.0)}
    skip = HEADER_LINES[kind]
    bad = {row["row"]: row["line"] for row in out if "error" in row}
    assert bad == {2: 2 + skip, 4: 4 + skip}  # the blank line before row 5 is not a row
    reported = [line for line in r.stderr.splitlines() if line.startswith("row ")]
    assert reported[0].startswith(f"row 2 (line {2 + skip}): usage error:")
    assert reported[1].startswith(f"row 4 (line {4 + skip}): usage error:")
    assert len(reported) == 2 and "Traceback" not in r.stderr


@pytest.mark.parametrize("text", [",", " , ", ",\r"], ids=["comma", "spaced", "crlf"])
def test_a_row_of_separators_from_a_file_is_not_dropped(tmp_path: Path, text: str) -> None:
    """The file path (the column engine) once skipped it as blank, and the rows after it
    kept their numbers only by luck of the counter; csv output shows the gap."""
    path = tmp_path / "rows.csv"
    path.write_text(f"x,y\n1,2\n{text}\n3,4\n", newline="")
    r = bprop("eval", "x/y", "--batch", str(path))
    assert r.returncode == 2
    assert r.stdout.splitlines() == ["row,x,y,f,df/dx,df/dy", "1,1.0,2.0,0.5,0.5,-0.25", "3,3.0,4.0,0.75,0.25,-0.1875"]
    assert r.stderr.startswith("row 2 (line 3): usage error: the value of x is empty")


# -- a vector or matrix where a batch takes one number ------------------------------------------

ARRAY_ROWS = {
    "csv": ('x,y\n"[1,2]",3\n4,5\n', "'[1,2]', is a vector"),
    "tsv": ("x\ty\n[[1,2],[3,4]]\t3\n4\t5\n", "'[[1,2],[3,4]]', is a matrix"),
    "jsonl": ('{"x": [1, 2], "y": 3}\n{"x": 4, "y": 5}\n', "[1, 2], is a vector"),
}


@pytest.mark.parametrize("kind", list(ARRAY_ROWS))
@pytest.mark.parametrize("source", ["file", "stdin"])
@pytest.mark.parametrize("program", ["x*y", "sum(x)*y"])
def test_an_array_in_a_field_says_what_a_batch_takes(tmp_path: Path, kind: str, source: str, program: str) -> None:
    text, shown = ARRAY_ROWS[kind]
    path = tmp_path / f"rows.{kind}"
    path.write_text(text)
    where = ["--batch", str(path)] if source == "file" else ["--batch", "-"]
    r = bprop("eval", program, *where, stdin=text if source == "stdin" else None)
    assert r.returncode == 2, r.stderr
    line = 1 + HEADER_LINES[kind]
    assert r.stderr.splitlines()[0] == (f"row 1 (line {line}): usage error: the value of x, {shown}, "
                                        "but a batch file takes one number per field")
    assert "--values FILE" in r.stderr and "mini-batch" in r.stderr
    assert "internal error" not in r.stderr and "instead of" not in r.stderr
    assert r.stdout.splitlines()[-1] == "2,4.0,5.0,20.0,5.0,4.0"  # the next row is still evaluated


def test_an_array_given_for_every_row_is_refused_before_any_row(tmp_path: Path) -> None:
    (tmp_path / "w.json").write_text('{"W": [1, 2]}')
    for given in (["W=[1,2]"], ["--values", str(tmp_path / "w.json")]):
        r = bprop("eval", "sum(W*x)", *given, "--batch", "-", stdin="x\n1\n2\n")
        assert r.returncode == 2 and r.stdout == ""
        first = r.stderr.splitlines()[0]
        assert first.startswith("usage error: the value of W, ") and first.endswith(
            "is a vector, but --batch runs the program on numbers"), first
        assert "internal error" not in r.stderr and "instead of" not in r.stderr


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_train_data_with_an_array_field_is_one_usage_error(tmp_path: Path, kind: str) -> None:
    text, shown = ARRAY_ROWS[kind]
    path = tmp_path / f"rows.{kind}"
    path.write_text(text)
    r = bprop("train", "(w*x - y)^2", "w=1", "--params", "w", "--data", str(path), "--steps", "1")
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert lines[0] == f"usage error: {path}, row 1 (line {1 + HEADER_LINES[kind]}): the value of x, {shown}, " \
                       "but a batch file takes one number per field"
    assert lines[1].startswith("hint: ") and len(lines) == 2
