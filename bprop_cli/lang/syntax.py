"""Syntax tree of a bprop program: immutable nodes, each with the span it came from.

Nodes are NamedTuples: as immutable as frozen dataclasses, but cheaper to define at start-up
and to create while parsing (a million-node program builds millions of them).
"""

from __future__ import annotations

from typing import NamedTuple, Union

from bprop_cli.errors import Span


class Num(NamedTuple):
    value: float
    text: str
    span: Span


class Name(NamedTuple):
    id: str
    span: Span


class Unary(NamedTuple):
    op: str  # '-' or '+'
    operand: Expr
    span: Span


class Binary(NamedTuple):
    op: str  # '+', '-', '*', '/', '^' ('**' is normalised to '^')
    left: Expr
    right: Expr
    span: Span


class Call(NamedTuple):
    func: str
    args: tuple[Expr, ...]
    span: Span
    name_span: Span


Expr = Union[Num, Name, Unary, Binary, Call]


class Assign(NamedTuple):
    target: str
    target_span: Span
    value: Expr
    span: Span


Statement = Union[Assign, Expr]


class Program(NamedTuple):
    statements: tuple[Statement, ...]
    source: str


def children(node: Expr) -> tuple[Expr, ...]:
    """Direct sub-expressions, left to right."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def sexpr(node: Statement) -> str:
    """S-expression text of a tree, e.g. '(* (+ x y) z)'; iterative so deep trees are fine."""
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
        else:
            if isinstance(item, Assign):
                head, kids = f"(= {item.target}", (item.value,)
            elif isinstance(item, Unary):
                head, kids = "(neg" if item.op == "-" else "(pos", (item.operand,)
            elif isinstance(item, Binary):
                head, kids = f"({item.op}", (item.left, item.right)
            else:
                assert isinstance(item, Call)
                head, kids = f"({item.func}", item.args
            stack.append(")")
            for kid in reversed(kids):
                stack.append(kid)
                stack.append(" ")
            out.append(head)
    return "".join(out)
