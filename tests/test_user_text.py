"""Everything a user reads stands on its own: it names a source by its title, never as a
"seed" or the "SPEC", which users do not have. The texts are gathered from where they live
(the Typer app's commands, every lesson and topic, every example, the README and docs/), so
a new command, lesson, example or document is checked without being listed here."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT
from typer.main import get_command
from typer.testing import CliRunner

from bprop_cli.cli.app import app
from bprop_cli.gates.registry import GATES
from bprop_cli.lang.catalog import examples
from bprop_cli.tutor.lessons import TOPICS, index, lesson
from bprop_cli.views.story import story_plain

# The words users do not have. The options --seed-grad, --seed and --shuffle-seed are names
# users type, and "seed" as a JSON key is what scripts read: those are allowed.
ALLOWED = re.compile(r"--seed-grad|--shuffle-seed|--seed\b|\"seed\"")
FORBIDDEN = re.compile(r"seed|\bSPEC\b|Decisions where the SPEC", re.IGNORECASE)


def offending(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        stripped = ALLOWED.sub("", line)
        if re.search(r"seed", stripped, re.IGNORECASE) or re.search(r"\bSPEC\b", stripped):
            lines.append(line.strip())
    return lines


def _commands():  # type: ignore[no-untyped-def]
    root = get_command(app)
    return [(), *((name,) for name in root.commands)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "bprop")
def test_help_of_every_command(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    assert offending(result.output) == []
    # an installed bprop has no examples/ folder beside the user: help says --example NAME
    assert "examples/" not in result.output


@pytest.mark.parametrize("word", [*TOPICS, *GATES], ids=str)
def test_every_lesson(word: str) -> None:
    text = story_plain(lesson(word), width=200)
    assert text.strip()
    assert offending(text) == []


def test_the_lesson_index() -> None:
    assert offending(story_plain(index(), width=200)) == []


@pytest.mark.parametrize("name", list(examples()), ids=str)
def test_every_example(name: str) -> None:
    example = examples()[name]
    assert example.description
    assert offending(example.description) == []
    assert offending(example.program) == []  # eval --example prints the program's comments


def _documents():  # type: ignore[no-untyped-def]
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("path", _documents(), ids=lambda p: p.name)
def test_readme_and_docs(path) -> None:  # type: ignore[no-untyped-def]
    assert offending(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("text, bad", [
    ("as seed 000 draws it", True), ("the seeds' programs", True), ("SPEC §2", True),
    ("Decisions where the SPEC is silent", True), ("--seed-grad 2", False), ("--shuffle-seed 3", False),
    ("--seed 7", False), ('"seed": 1.0', False), ("respect to x", False), ("the seed gradient", True),
])
def test_the_check_itself(text: str, bad: bool) -> None:
    assert bool(offending(text)) is bad
