"""Syntax tree back to text, with the fewest parentheses the parser's precedence table needs.

parse(unparse(tree)) gives the same tree again (compared as S-expressions); iterative, so a
deeply nested tree is fine.
"""

from __future__ import annotations

from .parser import INFIX_BP, PREFIX_BP
from .syntax import Assign, Binary, Call, Expr, Name, Num, Statement, Unary

_ATOM = 100  # numbers, names, calls and parenthesised text never need parentheses


def _power(node: Expr) -> int:
    if isinstance(node, Binary):
        return INFIX_BP[node.op][0]
    if isinstance(node, Unary):
        return PREFIX_BP
    return _ATOM


def _needs_parens(parent: Expr, child: Expr, right: bool) -> bool:
    """Would `child`, written bare as an operand of `parent`, parse back differently?"""
    inner = _power(child)
    if isinstance(parent, Unary):
        return inner < PREFIX_BP  # -(a+b), -(a*b); but -x^2 and --x stay bare
    assert isinstance(parent, Binary)
    lbp, rbp = INFIX_BP[parent.op]
    if right:
        if isinstance(child, Unary):
            return False  # a sign right after an operator always starts the operand: x^-y, a - -b
        return inner < lbp or (inner == lbp and rbp > lbp)  # equal power: only right-assoc stays bare
    return inner < lbp or (inner == lbp and rbp < lbp)  # (a^b)^c needs them, (a-b)-c does not


def unparse(node: Statement) -> str:
    """Text that parses back to `node`, e.g. (x + y) * z, x + y * z, -x^2, 2^3^2, (2^3)^2."""
    out: list[str] = []
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Num):
            out.append(item.text)
        elif isinstance(item, Name):
            out.append(item.id)
        elif isinstance(item, Assign):
            out.append(f"{item.target} = ")
            stack.append(item.value)
        elif isinstance(item, Unary):
            out.append(item.op)
            stack.extend(_operand(item, item.operand, right=True))
        elif isinstance(item, Binary):
            sep = "^" if item.op == "^" else f" {item.op} "
            stack.extend(_operand(item, item.right, right=True))
            stack.append(sep)
            stack.extend(_operand(item, item.left, right=False))
        else:
            assert isinstance(item, Call), item
            stack.append(")")
            for k, arg in enumerate(reversed(item.args)):
                stack.append(arg)
                if k < len(item.args) - 1:
                    stack.append(", ")
            out.append(f"{item.func}(")
    return "".join(out)


def _operand(parent: Expr, child: Expr, right: bool) -> list[object]:
    """Stack items (pushed in reverse order) that write `child`, in parentheses if needed."""
    if _needs_parens(parent, child, right):
        return [")", child, "("]
    return [child]


def unparse_program(statements: tuple[Statement, ...]) -> str:
    return "; ".join(unparse(s) for s in statements)
