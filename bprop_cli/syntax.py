"""Syntax tree of a bprop program: frozen, slotted nodes, each with the span it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .errors import Span


@dataclass(frozen=True, slots=True)
class Num:
    value: float
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    span: Span


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # '-' or '+'
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # '+', '-', '*', '/', '^' ('**' is normalised to '^')
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span
    name_span: Span


Expr = Union[Num, Name, Unary, Binary, Call]


@dataclass(frozen=True, slots=True)
class Assign:
    target: str
    target_span: Span
    value: Expr
    span: Span


Statement = Union[Assign, Expr]


@dataclass(frozen=True, slots=True)
class Program:
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
