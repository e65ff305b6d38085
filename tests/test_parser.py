"""The parser against S-expressions: every precedence and associativity rule of SPEC §2."""

from __future__ import annotations

import pytest

from bprop_cli.errors import BpropError, ParseError
from bprop_cli.lang.parser import parse
from bprop_cli.lang.syntax import sexpr


def sx(source: str) -> list[str]:
    return [sexpr(s) for s in parse(source).statements]


@pytest.mark.parametrize(
    "source, expected",
    [
        pytest.param("(x+y)*z", ["(* (+ x y) z)"], id="parens"),
        pytest.param("x+y*z", ["(+ x (* y z))"], id="mul-binds-tighter"),
        pytest.param("a-b-c", ["(- (- a b) c)"], id="sub-left-assoc"),
        pytest.param("a/b/c", ["(/ (/ a b) c)"], id="div-left-assoc"),
        pytest.param("a/b*c", ["(* (/ a b) c)"], id="mul-div-same-level"),
        pytest.param("2^3^2", ["(^ 2 (^ 3 2))"], id="pow-right-assoc"),
        pytest.param("2**3**2", ["(^ 2 (^ 3 2))"], id="starstar-is-caret"),
        pytest.param("-x^2", ["(neg (^ x 2))"], id="unary-minus-below-pow"),
        pytest.param("-x*y", ["(* (neg x) y)"], id="unary-minus-above-mul"),
        pytest.param("2^-1", ["(^ 2 (neg 1))"], id="signed-exponent"),
        pytest.param("--x", ["(neg (neg x))"], id="double-negation"),
        pytest.param("+x", ["(pos x)"], id="unary-plus"),
        pytest.param("x - -y", ["(- x (neg y))"], id="minus-negative"),
        pytest.param("max(a, b, c) + 1", ["(+ (max a b c) 1)"], id="variadic-call"),
        pytest.param("exp(-(a*b))", ["(exp (neg (* a b)))"], id="call-of-negation"),
        pytest.param(".5 + 2.5e-3 + 1e3 + 3.", ["(+ (+ (+ .5 2.5e-3) 1e3) 3.)"], id="numbers"),
        pytest.param("q = x + y; f = q * z", ["(= q (+ x y))", "(= f (* q z))"], id="statements"),
        pytest.param("a = 1\n\n b = a # note\n;;", ["(= a 1)", "(= b a)"], id="newlines-comments-empty"),
        pytest.param("f = (x\n + y)", ["(= f (+ x y))"], id="newline-inside-parens"),
        pytest.param("f = x +\n y", ["(= f (+ x y))"], id="newline-after-operator"),
        pytest.param("(a+b\n*c)", ["(+ a (* b c))"], id="newline-inside-parens-keeps-precedence"),
        pytest.param("  a\t*\tb  \t", ["(* a b)"], id="blanks-around-and-after"),
        pytest.param("e = c - d; e", ["(= e (- c d))", "e"], id="constant-name-assigned"),
    ],
)
def test_parse_structure(source: str, expected: list[str]) -> None:
    assert sx(source) == expected


@pytest.mark.parametrize(
    "source, message, caret_col",
    [
        pytest.param("(x+y*z", "expected ')' to close '(' at column 1", 6, id="unclosed-paren"),
        pytest.param("x+", "expected a value after '+', found the end of the input", 2, id="dangling-op"),
        pytest.param("x**", "expected a value after '**', found the end of the input", 3, id="dangling-pow"),
        pytest.param("2x", "a number directly followed by the name 'x'", 1, id="implicit-mul"),
        pytest.param("x)", "unmatched ')'", 1, id="unmatched-close"),
        pytest.param("exp()", "exp() needs an argument, as in exp(x)", 4, id="empty-call"),
        pytest.param("x y", "expected an operator or the end of the statement, found the name 'y'", 2, id="juxtaposed"),
        pytest.param("()", "empty parentheses '()'", 1, id="empty-parens"),
        pytest.param("x $ y", "unexpected character '$'", 2, id="stray-char"),
        pytest.param("3 = x", "unexpected '='", 2, id="assign-to-number"),
        pytest.param("= x", "'=' needs a name on its left, as in q = x + y", 0, id="assign-no-target"),
        pytest.param("max(a,b", "expected ')' to close max( at column 1", 7, id="unclosed-call"),
        pytest.param("a, b", "',' outside a function call", 1, id="stray-comma"),
        pytest.param("*x", "expected a value, found '*'", 0, id="leading-op"),
        pytest.param("", "the program is empty: give an expression such as (x+y)*z", 0, id="empty"),
        pytest.param("1.2.3", "malformed number '1.2.3'", 3, id="bad-number"),
        pytest.param("x\x00", "the program contains a NUL byte", 1, id="nul"),
        pytest.param("1e999", "the number 1e999 is too large for double precision", 0, id="huge-literal"),
    ],
)
def test_syntax_errors(source: str, message: str, caret_col: int) -> None:
    with pytest.raises(ParseError) as info:
        parse(source)
    assert info.value.message == message
    assert info.value.span is not None and info.value.span.start == caret_col
    if source:
        lines = str(info.value).splitlines()
        caret = next(line for line in lines if line.strip().startswith("^"))
        assert caret.index("^") - 2 == caret_col  # the caret sits under the offending character


def test_hints_teach_common_mistakes() -> None:
    with pytest.raises(ParseError) as info:
        parse("2x + 1")
    assert info.value.hint == "write 2*x to multiply"
    with pytest.raises(ParseError) as info:
        parse("x × y")
    assert info.value.hint == "use * instead of '×'"


def test_deep_nesting_does_not_recurse() -> None:
    depth = 10_000
    assert sx("(" * depth + "x" + ")" * depth) == ["x"]
    tree = parse("-" * depth + "x").statements[0]
    assert sexpr(tree) == "(neg " * depth + "x" + ")" * depth
    assert sx("2^" * 3000 + "x")[0].count("(^ 2") == 3000


@pytest.mark.parametrize(
    "source, message",
    [
        ("foo(x); 1 +", "expected a value after '+'"),
        ("1/0; x +", "expected a value after '+'"),
        ("exp + 1; (x", "expected ')' to close '('"),
        ("exp + 1", "exp is a function"),
        ("1/0 + x", "constant 1/0: division by zero"),
    ],
)
def test_a_syntax_error_anywhere_wins_over_an_earlier_name_error(source: str, message: str) -> None:
    """bprop eval parses straight into the graph, so it meets a name error first; the program
    is then parsed alone, and a syntax error later in it is the one reported, as when parsing
    came before lowering."""
    from bprop_cli import compile_program

    with pytest.raises(BpropError) as info:
        compile_program(source)
    assert message in str(info.value)


@pytest.mark.parametrize("source, line, column, shown", [
    ("a = 1\nb = 2\nc = 3\nd = 4\ne1 = 5\nf1 = 6\ng = (a + b\nh = g*2", 7, 5, "'('"),  # the newcomer's file
    ("g = max(a,\n  b\nh = g*2", 1, 5, "max("),  # a call continued on purpose, then left open
    ("g = (a +\nh = 2", 1, 5, "'('"),  # the next line read as the operand: its '=' is the clue
])
def test_a_bracket_left_open_is_reported_where_it_opens(source: str, line: int, column: int, shown: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(source)
    position = info.value.position()
    assert position is not None and (position["line"], position["column"]) == (line, column)
    assert info.value.message == f"{shown} is never closed" and "close it with ')'" in str(info.value.hint)


def test_an_error_inside_brackets_that_continue_on_purpose_is_not_blamed_on_them() -> None:
    with pytest.raises(ParseError) as info:
        parse("g = (a +\n b c)")  # the slip is the missing operator before c, on line 2
    assert info.value.position() == {"offset": 12, "line": 2, "column": 4}
    with pytest.raises(ParseError) as info:
        parse("a = 1\ng = (a\n\n")  # open at the end: the caret stays at the end, the message says where
    assert info.value.message == "expected ')' to close '(' at line 2, column 5"
