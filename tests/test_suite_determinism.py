"""The suite's own reliability: the same code gets the same verdict on every run."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

_DRAWN: list[list[int]] = []


@given(st.lists(st.integers(), max_size=5))
@settings(max_examples=15)
def _draw(xs: list[int]) -> None:
    _DRAWN[-1].append(hash(tuple(xs)))


@pytest.mark.skipif(os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci", reason="the fuzz profile draws at random")
def test_property_tests_draw_the_same_examples_on_every_run() -> None:
    """Two runs of one property test see the same examples, and nothing is kept to replay."""
    for _ in range(2):
        _DRAWN.append([])
        _draw()
    assert _DRAWN[0] == _DRAWN[1] and len(_DRAWN[0]) > 1
    assert settings.default.database is None
    assert settings.default.deadline is None
