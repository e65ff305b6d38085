"""The hostile corpus: every command, fed bad files, bad text, escape sequences and outputs that
cannot be written, ends as SPEC §6 says: the documented exit code, at most one message on
stderr (a parse error's caret lines and a hint aside; --batch reports each bad row on its own
line), no traceback, no hang, no raw control character, no partial file.

Every case runs the real program in a subprocess; the cases run side by side (a module-scoped
fixture) so that the whole corpus takes some seconds, and each case is its own test.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import ROOT

ESC, CSI, RLO = "\x1b[2J", "\x9b", "\u202e"  # clears the screen; the one-byte CSI; shows text reversed
HOSTILE = f"{ESC}{CSI}{RLO}"
# What must never reach a terminal raw: C0 but tab and line feed, DEL, C1, bidi embeddings,
# overrides and isolates.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Python's words in a message mean a message that was never written for a person.
LEAKS = ("Traceback", "internal error", "recursion", "set_int_max_str_digits", "Errno", "\\\\x")


class Case(NamedTuple):
    id: str
    args: tuple[str, ...]  # "{d}" stands for the folder of hostile files
    code: int  # the exit status SPEC §6 asks for
    stdin: bytes = b""
    out: str = "pipe"  # pipe | full (/dev/full) | closed (no fd 1) | gone (a pipe nobody reads)
    env: tuple[tuple[str, str], ...] = ()
    says: str = ""  # a fragment stderr must hold


CASES: list[Case] = []


def case(id: str, *args: str, code: int, stdin: str | bytes = b"", out: str = "pipe",
         env: dict[str, str] | None = None, says: str = "") -> None:
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    CASES.append(Case(id, args, code, data, out, tuple((env or {}).items()), says))


# --- files: written once into the folder `{d}` ---------------------------------------------

FILES: dict[str, str | bytes] = {
    "notjson.json": "x = 3", "nan.json": '{"x": NaN}', "inf.json": '{"x": Infinity}', "ninf.json": '{"x": -Infinity}',
    "nest.json": '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", "big.json": '{"x": 1e400}',
    "bigint.json": '{"x": ' + "9" * 5000 + "}", "esc.json": '{"x": "\\u001b[2J\\u009b\\u202e"}',
    "escname.json": '{"\\u001b[2Jx": 1}', "ragged.json": '{"x": [[1,2],[3]]}', "object.json": '{"x": {"a": 1}}',
    "bool.json": '{"x": true}', "null.json": '{"x": null}', "list.json": "[1,2]", "bom.json": b'\xef\xbb\xbf{"x": 2}',
    "empty.json": "", "binary.json": b"\x00\xff\xfe\x1b[2J", "latin1.json": b'{"x": "caf\xe9"}',
    "code.json": '{"x": "__import__(\'os\').system(\'true\')"}', "emptylist.json": '{"x": []}',
    "rank3.json": '{"x": [[[1]]]}', f"{ESC}{RLO}.json": "{bad",
    # train --save files to resume from (--values), broken in the ways a killed run or a hand edit breaks them
    "truncated.json": '{"w": 1.0, "b": ', "save-escape.json": '{"w": "\\u001b[2J", "b": 1}',
    "save-extra.json": '{"w": 1, "b": 1, "\\u001b[31mzz": 3}', "save-array.json": '{"w": [1,2], "b": 1}',
    # --batch / --data
    "badrow.csv": "x,y\n1,2\nfoo,3\n4,5\n", "binary.csv": b"x,y\n1,2\n\x00\xff,\x1b[2J\n",
    "hugefield.csv": "x,y\n" + "1" * 300_000 + ",2\n", "ragged.csv": "x,y\n1,2,3\n4\n",
    "escheader.csv": "x,\x1b[2Jy\n1,2\n", "empty.csv": "", "header.csv": "x,y\n", "nul.csv": b"x,y\n1,\x002\n",
    "quote.csv": 'x,y\n"1,2\n', "latin1.csv": b"x,y\n1,\xe9\n",
    "bad.jsonl": '{"x": 1, "y": 2}\n{"x": NaN, "y": 1}\n[1,2]\n{"x": "\\u001b[2J", "y": 1}\n',
    "nest.jsonl": '{"x": ' + "[" * 100_000 + "]" * 100_000 + ', "y": 1}\n',
    f"{ESC}.csv": "x,y\n1,2,3\n", f"{ESC}{RLO}.bp": "x*\n",
}
FOLDERS = ("folder.json", "folder.csv", "folder.dot")

# --- --values files, every command that reads them -------------------------------------------

for name in ("notjson", "nan", "inf", "ninf", "nest", "big", "bigint", "esc", "escname", "ragged", "object",
             "bool", "null", "list", "empty", "binary", "latin1", "code", "emptylist", "rank3", "folder", "missing",
             f"{ESC}{RLO}"):
    case(f"eval --values {name}", "eval", "x*2", "--values", f"{{d}}/{name}.json", code=2)
case("eval --json --values nan", "eval", "x*2", "--json", "--values", "{d}/nan.json", code=2)
for name in ("nest", "esc", "ragged", "binary", "missing", "escname"):
    path = f"{{d}}/{name}.json"
    case(f"train --values {name}", "train", "(w*x-2)^2", "--values", path, "--params", "w", "w=0", "--steps", "2", code=2)
    case(f"quiz --values {name}", "quiz", "x*2", "--values", path, code=2, stdin="\n")
    case(f"check --values {name}", "check", "x*2", "--values", path, "--answer", "dx=2", code=2)
    case(f"graph --values {name}", "graph", "x*2", "--values", path, code=2)
    case(f"explain --values {name}", "explain", "x*2", "--values", path, code=2)
case("eval --values bom", "eval", "x*2", "--values", "{d}/bom.json", "--grad", "x", code=0)
case("nested JSON says so", "eval", "x", "--values", "{d}/nest.json", code=2, says="nested too deeply")
case("a 5000-digit JSON number says so", "eval", "x", "--values", "{d}/bigint.json", code=2, says="4,300 digits")

# --- --batch and --data ------------------------------------------------------------------------

for name in ("badrow.csv", "binary.csv", "hugefield.csv", "ragged.csv", "escheader.csv", "empty.csv", "nul.csv",
             "quote.csv", "latin1.csv", "bad.jsonl", "nest.jsonl", f"{ESC}.csv", "folder.csv", "missing.csv"):
    case(f"eval --batch {name}", "eval", "x*y", "--batch", f"{{d}}/{name}", code=2)
    case(f"train --data {name}", "train", "(w*x-y)^2", "w=0", "--params", "w", "--data", f"{{d}}/{name}",
         "--steps", "2", code=2)
case("eval --batch header only", "eval", "x*y", "--batch", "{d}/header.csv", code=0)
case("train --data header only", "train", "(w*x-y)^2", "w=0", "--params", "w", "--data", "{d}/header.csv", code=2)
case("batch stdin with control bytes", "eval", "x*y", "--batch", "-", code=2, stdin="x,y\n1,2\n\x00\x1b[2J,3\n")
case("batch stdin not UTF-8", "eval", "x", "--batch", "-", code=2, stdin=b"x\n\xff\n")
case("batch header not UTF-8", "eval", "x", "--batch", "-", code=2, stdin=b"\xff\xfe")
case("batch stdin closed", "eval", "x", "--batch", "-", code=2, out="pipe", stdin=b"", env={"_CLOSE_STDIN": "1"})

# --- train: --save, resuming from a save, absurd numbers --------------------------------------

TRAIN = ("train", "(w*x+b-y)^2", "x=1", "y=2", "w=0", "b=0", "--params", "w,b", "--steps", "3")
case("train --save to a folder", *TRAIN, "--save", "{d}/folder.json", code=1, says="Is a directory")
case("train --save in a missing folder", *TRAIN, "--save", "{d}/nowhere/x.json", code=1)
case("train --save to /dev/full", *TRAIN, "--save", "/dev/full", code=1, says="cannot write '/dev/full'")
case("train --save with an escape in the name", *TRAIN, "--save", f"{{d}}/{ESC}{RLO}.json", code=0)
for name in ("notjson", "truncated", "save-escape", "save-extra", "save-array"):
    case(f"train resumes from {name}", "train", "(w*x+b-y)^2", "x=1", "y=2", "--values", f"{{d}}/{name}.json",
         "--params", "w,b", "--steps", "2", code=2)
case("train --steps 1e20 is refused at once", "train", "(w-1)^2", "w=0", "--params", "w",
     "--steps", "100000000000000000000", code=2, says="at most 1,000,000,000 steps")
for flag, value in (("--steps", HOSTILE), ("--lr", "nan"), ("--lr", "1e400"), ("--optimizer", HOSTILE),
                    ("--params", HOSTILE), ("--every", "0"), ("--plot", "{d}/loss.xyz")):
    case(f"train {flag} {value!a}", "train", "(w-1)^2", "w=0", "--params", "w", "--steps", "2", flag, value, code=2)
case("train --betas hostile", "train", "(w-1)^2", "w=0", "--params", "w", "--optimizer", "adam", "--betas",
     f"{ESC},1", code=2)
case("train --example hostile", "train", "--example", HOSTILE, code=2)
case("train comment hostile", "train", f"(w-1)^2 # {HOSTILE}", "w=0", "--params", "w", "--steps", "2", code=0)

# --- quiz answers and check --answer ----------------------------------------------------------

QUIZ = ("quiz", "x*y", "x=2", "y=3")
case("quiz a huge answer", *QUIZ, code=1, stdin="9" * 2_000_000 + "\n")
case("quiz control characters", *QUIZ, code=1, stdin=f"{ESC}\n{CSI}\n{RLO}\n1e400\nnan\ninf\n")
case("quiz invalid UTF-8", *QUIZ, code=1, stdin=b"\xff\xfe\n\x00\n")
case("quiz --json invalid UTF-8", *QUIZ, "--json", code=1, stdin=b"\x1b[2J\n\xff\n")
case("quiz deep parentheses", *QUIZ, code=1, stdin="(" * 100_000 + "\n")
case("quiz fractions over zero", *QUIZ, code=1, stdin="1/0\n0/0\n1e-400\n")
case("quiz all right", *QUIZ, code=0, stdin="6\n3\n3\n2\n2\n3\n2\n")
case("quiz --random --seed hostile", "quiz", "--random", "--seed", HOSTILE, code=2)
case("quiz --random huge seed", "quiz", "--random", "--seed", "9" * 400, code=1, stdin="\n")
for answer in (f"dx={ESC}", f"{ESC}=1", "dx=" + "9" * 5000, "dx=nan", "dx=1/0", "dx=" + "(" * 10_000,
               f"d{RLO}x=2", "noequals", "="):
    for extra in ((), ("--json",)):
        case(f"check --answer {answer[:12]!a} {' '.join(extra)}", "check", "x*y", "x=2", "y=3", "--answer", answer,
             *extra, code=2)
case("check a wrong answer", "check", "x*y", "x=2", "y=3", "--answer", "dx=4", code=1)

# --- graph -o ----------------------------------------------------------------------------------

for id, path, code in (("a folder", "{d}/folder.dot", 1), ("a folder without suffix", "{d}", 2),
                       ("a missing folder", "{d}/nowhere/a.dot", 1), ("/proc", "/proc/bprop.dot", 1),
                       ("an escape in the name", f"{{d}}/{ESC}{RLO}.dot", 0),
                       ("an escape and no suffix", f"{{d}}/{ESC}{RLO}.xyz", 2),
                       ("an unknown suffix", "{d}/a.xyz", 2), ("no suffix", "{d}/noext", 2), ("/dev/full", "/dev/full", 2)):
    case(f"graph -o {id}", "graph", "x*2", "x=1", "-o", path, code=code)

# --- escape sequences in every channel that reaches a message ----------------------------------

for id, args in (
    ("program", (f"x{ESC}", "x=1")), ("value", ("x", f"x={HOSTILE}")), ("name", ("x", f"{HOSTILE}=1")),
    ("--grad", ("x", "x=1", "--grad", HOSTILE)), ("--format", ("x", "x=1", "--format", HOSTILE)),
    ("--seed-grad", ("x", "x=1", "--seed-grad", HOSTILE)), ("--params", ("x", "x=1", "--params", HOSTILE)),
    ("--nudge", ("x", "x=1", "--nudge", HOSTILE)), ("--example", ("x", "x=1", "--example", HOSTILE)),
    ("file name", ("-f", f"{{d}}/{ESC}{RLO}.bp", "x=1")), ("missing file name", ("-f", f"{{d}}/{ESC}.bp", "x=1")),
    ("stray argument", ("x", "x=1", HOSTILE)), ("array entry", ("x", f"x=[1,{ESC}]")),
    ("ragged array", ("x", "x=[[1,2],[3]]")), ("deep brackets", ("x", "x=" + "[" * 10_000)),
    ("rank 3", ("x", "x=[[[1]]]")), ("empty array", ("x", "x=[]")), ("shapes", ("x@y", "x=[1,2]", "y=[1,2,3]")),
    ("array seed", ("x", "x=[1,2]", "--seed-grad", f"[1,{ESC}]")), ("deep seed", ("x", "x=[1,2]", "--seed-grad", "[[" * 5000)),
    ("stdin not UTF-8", ("-", "x=1")), ("long option", ("--" + HOSTILE,)),
):
    case(f"eval: escape in the {id}", "eval", *args, code=2, stdin=b"x*\xff\n" if "-" in args else b"")
case("eval: escape in a comment", "eval", f"x # {HOSTILE}", "x=1", code=0)
case("eval: escape in a comment, --json", "eval", f"x # {HOSTILE}", "x=1", "--json", code=0)
case("eval: a long vector", "eval", "sum(x)", "x=[" + ",".join(["1"] * 20_000) + "]", "--grad", "x", code=0)
for command in ("graph", "explain", "quiz"):
    case(f"{command}: escape in the program", command, f"x+{ESC}", "x=1", code=2)
    case(f"{command}: escape in a value", command, "x", f"x={HOSTILE}", code=2)
    case(f"{command}: escape in a name", command, "x", f"{HOSTILE}=1", code=2)
case("explain: escape as a topic", "explain", HOSTILE, code=2)
case("no such command", HOSTILE, code=2, says="no such command '\\x1b[2J")
case("check: escape in the program", "check", f"x+{ESC}", "x=1", "--answer", "dx=1", code=2)

# --- the terminal: widths no layout can use ----------------------------------------------------

for columns in ("0", "10", "abc"):
    for args in (("eval", "x*2", "x=1"), ("explain", "x*2", "x=1"), ("explain", "mul"), ("explain",), ("examples",),
                 ("graph", "x*2", "x=1"), ("train", "(w-1)^2", "w=0", "--params", "w", "--steps", "2"), ("--help",)):
        case(f"COLUMNS={columns} {' '.join(args)}", *args, code=0, env={"COLUMNS": columns})
case("TERM hostile", "explain", "x*2", "x=1", code=0, env={"TERM": ESC})

# --- output that cannot be written: a full disk, a closed stdout, a reader that has gone ---------

GOOD = [
    (("eval", "x*2", "x=1"), b""), (("eval", "x*2", "x=1", "--json"), b""), (("eval", "x/3", "x=1", "--exact"), b""),
    (("eval", "x*2", "x=1", "--format", "csv"), b""), (("eval", "--example", "mazur"), b""),
    (("explain", "x*2", "x=1"), b""), (("explain", "mul"), b""), (("graph", "x*2", "x=1"), b""),
    (("graph", "x*2", "x=1", "--format", "dot"), b""), (("examples",), b""), (TRAIN, b""), ((*TRAIN, "--json"), b""),
    (("train", "--example", "mazur", "--steps", "2"), b""), (("quiz", "x*2", "x=1"), b"2\n2\n2\n2\n"),
    (("quiz", "x*2", "x=1", "--json"), b"2\n2\n2\n2\n"), (("check", "x*2", "x=1", "--answer", "dx=2"), b""),
    (("check", "x*2", "x=1", "--answer", "dx=2", "--json"), b""), (("eval", "x*2", "--batch", "-"), b"x\n1\n2\n"),
    (("--version",), b""), (("--help",), b""), (("train", "--help"), b""), (("quiz", "--help"), b""),
]
for args, stdin in GOOD:
    label = " ".join(args)
    case(f"{label} >/dev/full", *args, code=1, stdin=stdin, out="full", says="No space left on device")
    case(f"{label} >&-", *args, code=1, stdin=stdin, out="closed", says="standard output is closed")
    case(f"{label} | (gone)", *args, code=0, stdin=stdin, out="gone")


# --- running the corpus ------------------------------------------------------------------------

class Result(NamedTuple):
    code: int | None  # None: it did not end in time
    out: bytes
    err: bytes
    seconds: float


TIMEOUT = 30


def _run(c: Case, folder: Path) -> Result:
    args = [a.replace("{d}", str(folder)) for a in c.args]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80", **dict(c.env)}
    env.pop("FORCE_COLOR", None)
    close_stdin = env.pop("_CLOSE_STDIN", None)
    out = {"pipe": subprocess.PIPE, "closed": None}
    full = open("/dev/full", "wb") if c.out == "full" else None
    gone = None
    if c.out == "gone":  # a pipe whose reader has already gone: every write fails with EPIPE
        read_end, gone = os.pipe()
        os.close(read_end)

    def prepare() -> None:
        if c.out == "closed":
            os.close(1)
        if close_stdin:
            os.close(0)

    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "bprop_cli", *args], input=None if close_stdin else c.stdin,
                              stdout=full or gone or out[c.out], stderr=subprocess.PIPE, env=env, cwd=ROOT,
                              timeout=TIMEOUT, preexec_fn=prepare)
    except subprocess.TimeoutExpired as err:
        return Result(None, b"", err.stderr or b"", time.monotonic() - start)
    finally:
        if full:
            full.close()
        if gone is not None:
            os.close(gone)
    return Result(done.returncode, done.stdout or b"", done.stderr, time.monotonic() - start)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    folder = tmp_path_factory.mktemp("hostile")
    for name, content in FILES.items():
        (folder / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    for name in FOLDERS:
        (folder / name).mkdir()
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip((c.id for c in CASES), pool.map(lambda c: _run(c, folder), CASES)))


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id.encode("ascii", "backslashreplace").decode())
def test_hostile_input_ends_cleanly(c: Case, results: dict[str, Result]) -> None:
    r = results[c.id]
    assert r.code is not None, f"no end within {TIMEOUT} s"
    out, err = r.out.decode("utf-8"), r.err.decode("utf-8")  # strict: no undecodable byte either
    assert r.code == c.code, err
    for leak in LEAKS:
        assert leak not in err, err
    assert not RAW.search(out), out[:2000]
    assert not RAW.search(err), err
    messages = [line for line in err.splitlines() if line and not line.startswith(("  ", "hint: "))]
    if "--batch" in c.args:  # each bad row is reported as it is met, one line each
        messages = [line for line in messages if not line.startswith("row ")]
    assert len(messages) <= 1, err
    assert all(line.count("error: ") <= 1 for line in messages), err  # never "usage error: ...: usage error: ..."
    if c.code != 0 and c.out == "pipe" and "quiz" not in c.args and "check" not in c.args[:1]:
        assert messages or "row " in err, "a failure says why"
    if c.out == "gone":
        assert err == ""
    assert c.says in err


# --- files are written whole or not at all ----------------------------------------------------

def _with_file_size_limit(limit: int):  # type: ignore[no-untyped-def]
    """A child process that may write at most `limit` bytes to any file, as a full disk allows."""
    def prepare() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return prepare


@pytest.mark.parametrize("args, name", [
    (("train", "--example", "mazur", "--steps", "2", "--save"), "trained.json"),
    (("graph", "--example", "mazur", "-o"), "graph.dot"),
    (("graph", "--example", "mazur", "-o"), "graph.txt"),
])
def test_a_file_that_cannot_be_finished_is_not_left_half_written(tmp_path: Path, args: tuple[str, ...],
                                                                 name: str) -> None:
    target = tmp_path / name
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80"}
    run = [sys.executable, "-m", "bprop_cli", *args, str(target)]
    done = subprocess.run(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
                          timeout=60, preexec_fn=_with_file_size_limit(100))
    assert done.returncode == 1
    assert done.stderr == f"error: cannot write {str(target)!r}: File too large\n"
    assert list(tmp_path.iterdir()) == []  # neither a truncated file nor a temporary one

    target.write_text("the previous run's file\n")
    target.chmod(0o640)
    done = subprocess.run(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
                          timeout=60, preexec_fn=_with_file_size_limit(100))
    assert done.returncode == 1
    assert target.read_text() == "the previous run's file\n"  # kept as it was
    assert list(tmp_path.iterdir()) == [target]

    done = subprocess.run(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert target.read_text() != "the previous run's file\n" and target.stat().st_mode & 0o777 == 0o640
    assert list(tmp_path.iterdir()) == [target]


def test_save_goes_through_a_link_and_to_a_device(tmp_path: Path) -> None:
    from bprop_cli.views.files import write_text

    real = tmp_path / "real.json"
    real.write_text("old")
    (tmp_path / "link.json").symlink_to("real.json")
    write_text(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink() and real.read_text() == "new"
    write_text(Path(os.devnull), "into the void")  # a device is written, not replaced
    assert os.path.exists(os.devnull) and not Path(os.devnull).is_file()
