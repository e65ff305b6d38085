"""unparse: minimal parentheses from the parser's own table; parse(unparse(tree)) == tree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bprop_cli.engine.graph import build_graph, compile_program
from bprop_cli.errors import BpropError, Span
from bprop_cli.lang.parser import parse
from bprop_cli.lang.syntax import Assign, Binary, Call, Name, Num, Unary, sexpr
from bprop_cli.lang.unparse import unparse, unparse_program

S = Span(0, 0)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("(x+y)*z", "(x + y) * z"),
        ("x+(y*z)", "x + y * z"),
        ("(a-b)-c", "a - b - c"),
        ("a-(b-c)", "a - (b - c)"),
        ("a/(b*c)", "a / (b * c)"),
        ("2^(3^2)", "2^3^2"),
        ("(2^3)^2", "(2^3)^2"),
        ("-(x^2)", "-x^2"),
        ("(-x)^2", "(-x)^2"),
        ("2^(-1)", "2^-1"),
        ("x - (-y)", "x - -y"),
        ("-(a+b)", "-(a + b)"),
        ("(-a)*b", "-a * b"),
        ("max((a), b+1, c)", "max(a, b + 1, c)"),
        ("q = (x+y); f = q*z", "q = x + y; f = q * z"),
        ("exp(-(w0*x0 + w1*x1 + w2))", "exp(-(w0 * x0 + w1 * x1 + w2))"),
    ],
)
def test_minimal_parentheses(source: str, expected: str) -> None:
    assert unparse_program(parse(source).statements) == expected


def test_deep_tree_does_not_recurse() -> None:
    depth = 5000
    text = unparse(parse("-" * depth + "(a+b)").statements[0])
    assert text == "-" * depth + "(a + b)"


NUMBERS = st.sampled_from(["0", "1", "2", "3.5", ".5", "2.", "1e3", "2.5e-3", "10"])
NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,3}", fullmatch=True)
LEAVES = st.one_of(NUMBERS.map(lambda t: Num(float(t), t, S)), NAMES.map(lambda n: Name(n, S)))


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(lambda op, a: Unary(op, a, S), st.sampled_from("-+"), children),
        st.builds(lambda op, a, b: Binary(op, a, b, S), st.sampled_from(["+", "-", "*", "/", "^"]), children, children),
        st.builds(lambda f, args: Call(f, tuple(args), S, S), NAMES, st.lists(children, min_size=1, max_size=3)),
    )


TREES = st.recursive(LEAVES, _extend, max_leaves=25)


@given(TREES)
@settings(max_examples=300, deadline=None)
def test_parse_of_unparse_is_the_same_tree(tree) -> None:  # type: ignore[no-untyped-def]
    text = unparse(tree)
    assert [sexpr(s) for s in parse(text).statements] == [sexpr(tree)], text


@given(NAMES, TREES)
@settings(max_examples=100, deadline=None)
def test_assignments_round_trip(target: str, tree) -> None:  # type: ignore[no-untyped-def]
    stmt = Assign(target, S, tree, S)
    assert [sexpr(s) for s in parse(unparse(stmt)).statements] == [sexpr(stmt)]


def _lowered(make) -> object:  # type: ignore[no-untyped-def]
    """A graph's columns, or the error message, for comparing two ways of building it."""
    try:
        g = make()
    except BpropError as err:
        return str(err)
    return (g.ops, g.args, list(g.starts), list(g.ends), g.ids, g.consts, g.output, g.inputs, g.names)


@given(st.lists(st.tuples(NAMES, TREES), max_size=3), TREES)
@settings(max_examples=300, deadline=None)
def test_one_pass_lowering_is_parse_then_build(assigned, last) -> None:  # type: ignore[no-untyped-def]
    """bprop eval lowers the program as the parser reads it; that must give exactly the graph
    (ids, spans, constants) or the error that parsing to a tree and lowering the tree gives."""
    text = "\n".join([unparse(Assign(name, S, tree, S)) for name, tree in assigned] + [unparse(last)])
    assert _lowered(lambda: compile_program(text)) == _lowered(lambda: build_graph(parse(text))), text
