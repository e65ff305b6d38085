"""The scanner behind the parser against the plain way of tokenizing with the same table."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bprop_cli.errors import ParseError
from bprop_cli.lang import lexer

# The textbook tokenizer: one named group per row of the token table, tried in the table's
# order at each offset (blanks match no row and are stepped over).
_REFERENCE = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in lexer.TOKEN_SPEC))


def reference_tokens(source: str) -> list[tuple] | str:
    tokens = []
    for m in _REFERENCE.finditer(source):
        if m.lastgroup == "SKIP":
            continue
        if m.lastgroup == "MISMATCH":
            return f"stray at {m.start()}"
        tokens.append((lexer.TokenKind[m.lastgroup], m.group(), m.start(), m.end()))
    return tokens + [(lexer.TokenKind.END, "", len(source), len(source))]


def scanned(source: str) -> list[tuple] | str:
    try:
        return [tuple(t) for t in lexer.scan(source)]
    except ParseError as err:
        return f"stray at {err.span.start}"


PIECES = ["x", "y2", "_a", "exp", "3", "2.5", ".5", "1e-3", "1E+2", "1.2.3", ".", "+", "-", "*", "**", "/",
          "^", "=", "(", ")", ",", ";", "\n", " ", "\t", "\r", "# note", "#", "%", "é"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.sampled_from([1, 2, 7, 1 << 18]))
def test_scan_agrees_with_the_plain_tokenizer(pieces: list[str], chunk: int) -> None:
    """Same kinds, texts and offsets, or the same stray character, whatever the chunk size
    (a small one puts chunk boundaries everywhere)."""
    source = "".join(pieces)
    saved = lexer._CHUNK
    lexer._CHUNK = chunk
    try:
        got = scanned(source)
    finally:
        lexer._CHUNK = saved
    want = reference_tokens(source)
    if isinstance(want, list) and isinstance(got, str):  # the scan looks for strays first, anywhere
        pytest.fail(f"scan refused {source!r}: {got}")
    if isinstance(want, str):
        assert isinstance(got, str)
    else:
        assert got == want


def test_a_program_of_many_chunks_is_scanned_whole() -> None:
    source = "y = x\n" + "y = y * 1.5 + x  # again\n" * 30_000  # three chunks of 256K characters
    assert len(source) > 2 * lexer._CHUNK
    assert scanned(source) == reference_tokens(source)
