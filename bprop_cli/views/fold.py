"""Folding text to a width the way a person would break it by hand: a formula before one of its
'=' (so a number is never split from its formula, nor a product from its factors), a list at
its commas, a program line's comment with '#' again on its next line."""

from __future__ import annotations

_OPERATORS = (" * ", " + ", " - ", " @ ", " / ", " ⊙ ")


def _cuts(text: str, operators: tuple[str, ...], any_depth: bool) -> list[int]:
    """Where `text` may break: at the space before one of `operators`, outside brackets unless
    `any_depth`."""
    cuts, depth = [], 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == " " and i and (any_depth or depth == 0) and text.startswith(operators, i):
            cuts.append(i)
    return cuts


def _pack(text: str, budget: int, levels: list[tuple[tuple[str, ...], bool]]) -> list[str]:
    """`text` in lines of at most `budget` characters where it can, broken at the first level's
    cuts, a line still too long broken again at the next level's; each continuation line is
    indented two spaces more than the line it continues."""
    if len(text) <= budget or not levels:
        return [text]
    (operators, any_depth), rest = levels[0], levels[1:]
    cuts = _cuts(text, operators, any_depth)
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
    lines = [pieces[0]]
    for piece in pieces[1:]:
        room = budget - (0 if len(lines) == 1 else 2)
        if len(lines[-1]) + len(piece) <= room:
            lines[-1] += piece
        else:
            lines.append(piece.lstrip())
    out: list[str] = []
    for k, line in enumerate(lines):
        lead = "  " if k else ""
        out += [lead + part for part in _pack(line, budget - len(lead), rest)]
    return out


# Where a formula may break, in order of preference: before an '=' or '≈'; before an operator
# outside brackets. (Inside brackets it is not broken: '(1 -' / 'sigmoid(x))' reads worse than a
# line folded at a space.)
_LEVELS = [((" = ", " ≈ "), False), (_OPERATORS, False)]


def narrowest(text: str) -> int:
    """The width `text` needs when folded before each of its '=' (and '≈'): its longest piece."""
    return max(map(len, _pack(text, 1, _LEVELS[:1])))


def fold_formula(text: str, budget: int) -> str:
    """`a = b * c = 12.5` in lines of at most `budget` characters where it can: broken before an
    '=' first, then before an operator outside brackets, then inside them; each continuation
    starts with two spaces and the '=' or operator it was broken before; what is still too long
    is folded at its spaces."""
    if len(text) <= budget:
        return text
    lines = []
    for line in _pack(text, max(budget, 8), _LEVELS):  # a vector's entries, last: at its spaces
        lead = line[: len(line) - len(line.lstrip())]
        lines += [line] if len(line) <= budget else _words(line, budget, "  " if lead else "    ")
    return "\n".join(lines)


def fold_items(line: str, width: int, indent: str = "  ") -> str:
    """A line listing `name value, name value, ...` folded after its commas, never inside an
    item, continuation lines indented."""
    if len(line) <= width or ", " not in line:
        return line
    items = line.split(", ")
    label, colon, first = items[0].rpartition(": ")
    lines = [items[0]] if len(items[0]) <= width or not colon else [label + colon.rstrip(), indent + first]
    for item in items[1:]:
        if len(lines[-1]) + 2 + len(item) + 1 <= width:
            lines[-1] += ", " + item
        else:
            lines[-1] += ","
            lines.append(indent + item)
    return "\n".join(lines)


def fold_program_line(line: str, width: int, indent: str = "  ") -> list[str]:
    """A program line in lines of at most `width` (long words aside), at spaces: the code
    continues indented, a comment continues under its '#' with '# ' again, so that every
    line still reads as the program (a comment never turns into what looks like code)."""
    if len(line) <= width:
        return [line]
    hash_at = line.find("#")
    code, comment = (line, "") if hash_at < 0 else (line[:hash_at].rstrip(), line[hash_at:])
    lines: list[str] = []
    if code.strip():
        lines = _words(code, width, indent)
    if comment:
        column = hash_at if lines and len(lines) == 1 and hash_at + 30 <= width else 0
        lead = " " * column
        body = comment.removeprefix("#").strip()
        wrapped = _words(body, width - column - 2, "")
        first = f"{lead}# {wrapped[0]}" if not lines or column == 0 else f"{lines.pop()}{' ' * (hash_at - len(code))}# {wrapped[0]}"
        lines += [first, *(f"{lead}# {w}" for w in wrapped[1:])]
    return lines


def _words(text: str, width: int, indent: str) -> list[str]:
    import textwrap

    lead = len(text) - len(text.lstrip())
    import re

    short = max(width // 2, 12)  # 'x = 2' stays on one line; a long 'a = b' may still fold
    glued = re.sub(r"\S+ = \S+", lambda m: m[0].replace(" ", "\u00a0") if len(m[0]) <= short else m[0],
                   text.lstrip())
    glued = re.sub(r"\belse \S+", lambda m: m[0].replace(" ", "\u00a0"), glued)  # 'else 0' too
    lines = textwrap.wrap(glued, max(width, 10), initial_indent=" " * lead, subsequent_indent=" " * lead + indent,
                          break_long_words=True, break_on_hyphens=False) or [glued]
    return [line.replace("\u00a0", " ") for line in lines]
