"""Presentation: pure functions from a Trace (or a lesson, a quiz, a training run) to text,
tables, pictures and files. Imports anything below cli/; only views/ and cli/ may import Rich."""

from __future__ import annotations

from enum import Enum


class Format(str, Enum):
    table = "table"
    plain = "plain"
    json = "json"
    markdown = "markdown"
    csv = "csv"
    tsv = "tsv"


class GraphFormat(str, Enum):
    """`bprop graph --format`: the pictures written on stdout (here, not in views.pictures, so that
    the command line can name them without loading the picture code)."""

    terminal = "terminal"
    dot = "dot"
    mermaid = "mermaid"


DEFAULT_LIMIT = 60  # boxes drawn before a picture is summarised
