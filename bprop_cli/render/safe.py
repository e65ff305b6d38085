"""Text a user wrote, made safe to show: the one place every renderer, narration, picture and
error message sends user text through before it reaches a terminal.

A program is shared as a file, so its comments and names are someone else's text: an ESC in a
comment could clear the screen or (OSC 52) write the clipboard, a U+202E could show the program
reversed. `visible()` writes every such character as an escape a reader can see (\\x1b, \\u202e);
ordinary text, line breaks and tabs pass through unchanged.
"""

from __future__ import annotations

import re

# C0 controls but tab and line feed, DEL and the C1 controls, the bidirectional controls
# (marks, embeddings, overrides, isolates), the line and paragraph separators, and lone
# surrogates (undecodable bytes that Python keeps as U+DC80..U+DCFF).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every control, bidi-override or undecodable character shown as an escape."""
    return UNSAFE.sub(_escape, text) if UNSAFE.search(text) else text


def one_line(text: str) -> str:
    """visible(), with line breaks and tabs escaped too (for a table cell or a message on one line)."""
    return visible(text).replace("\n", "\\n").replace("\t", "\\t")


def is_safe(text: str) -> bool:
    """True if `text` has nothing visible() would change."""
    return UNSAFE.search(text) is None
