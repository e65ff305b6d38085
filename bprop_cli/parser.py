"""Parser: an operator-precedence (Pratt) parser run on explicit stacks, so nesting depth is
limited by memory, not by Python's recursion limit.

Grammar:
    program    := statement ((';' | NEWLINE) statement)*      empty statements are skipped
    statement  := NAME '=' expr | expr
    expr       := prefix (INFIX expr)*                        binding powers in INFIX_BP
    prefix     := NUMBER | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')' | ('-' | '+') expr

Inside parentheses, and right after an operator, a new line does not end the statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, repeat

from .errors import ParseError, Span
from .gates import FUNCTIONS
from .lexer import Token, TokenKind, tokenize
from .syntax import Assign, Binary, Call, Expr, Name, Num, Program, Statement, Unary

# (left, right) binding powers: right < left makes an operator right-associative.
INFIX_BP: dict[str, tuple[int, int]] = {
    "+": (1, 2), "-": (1, 2),
    "*": (3, 4), "/": (3, 4),
    "^": (8, 7), "**": (8, 7),
}
PREFIX_BP = 5  # unary '-' and '+': tighter than '*', looser than '^', so -x^2 == -(x^2)

MAX_SOURCE = 16 * 1024 * 1024  # characters; larger programs are refused before tokenizing


@dataclass(slots=True)
class _Pending:
    """An operator or bracket waiting on the stack for its right-hand side or its ')'."""

    kind: str  # 'infix', 'prefix', 'paren' or 'call'
    token: Token
    rbp: int = 0
    left: Expr | None = None  # infix only
    args: list[Expr] | None = None  # call only


NUMBER, NAME, SEP, END = TokenKind.NUMBER, TokenKind.NAME, TokenKind.SEP, TokenKind.END
_OPERATORS = ("infix", "prefix")
_OPENERS = ("paren", "call")


def parse(source: str) -> Program:
    """Parse a whole program; raise ParseError pointing at the first problem."""
    if len(source) > MAX_SOURCE:
        raise ParseError(f"program is {len(source):,} characters long; the limit is {MAX_SOURCE:,}")
    if "\x00" in source:
        pos = source.index("\x00")
        raise ParseError("the program contains a NUL byte", source, Span(pos, pos + 1))
    return _Parser(source).program()


def parse_expression(source: str) -> Expr:
    """Parse a single expression (no assignment, no ';'), e.g. an input value like '-pi/4'."""
    program = parse(source)
    if len(program.statements) != 1 or isinstance(program.statements[0], Assign):
        raise ParseError("expected a single expression", source, Span(0, len(source)))
    return program.statements[0]  # type: ignore[return-value]


class _Parser:
    """Reads tokens lazily with one token of lookahead, so a huge program never holds all of
    its tokens at once; after the end, END repeats, so looking ahead needs no bounds checks."""

    def __init__(self, source: str) -> None:
        self.source = source
        end = Token(TokenKind.END, "", len(source), len(source))
        self._stream = chain(tokenize(source), repeat(end))
        self.cur = next(self._stream)
        self.nxt = next(self._stream)

    def error(self, message: str, token: Token, hint: str | None = None) -> ParseError:
        start = token.start
        if token.kind is TokenKind.END:  # point just past the last character, not at a blank last line
            start = len(self.source.rstrip())
        return ParseError(message, self.source, Span(start, max(token.end, start + 1)), hint)

    def peek(self, ahead: int = 0) -> Token:
        return self.nxt if ahead else self.cur

    def advance(self) -> Token:
        tok = self.cur
        self.cur = self.nxt
        self.nxt = next(self._stream)
        return tok

    def program(self) -> Program:
        statements: list[Statement] = []
        while True:
            while self.cur.kind is SEP:
                self.advance()
            if self.cur.kind is END:
                break
            statements.append(self.statement())
            tok = self.cur
            if tok.kind is not SEP and tok.kind is not END:  # pragma: no cover - expr() stops only there
                raise self.error(f"unexpected {describe(tok)}", tok)
        if not statements:
            raise ParseError("the program is empty: give an expression such as (x+y)*z", self.source, Span(0, 0))
        return Program(tuple(statements), self.source)

    def statement(self) -> Statement:
        first = self.cur
        if first.kind is NAME and self.nxt.text == "=":
            self.advance()
            eq = self.advance()
            if self.cur.text == "=" and self.cur.start == eq.end:
                raise self._double_equals(eq)
            value = self.expr()
            return Assign(first.text, Span(first.start, first.end), value, Span(first.start, value.span.end))
        if first.text == "=":
            raise self.error("'=' needs a name on its left, as in q = x + y", first)
        return self.expr()

    def expr(self) -> Expr:
        """One expression, up to the end of its statement (shunting-yard form of Pratt parsing)."""
        operands: list[Expr] = []
        pending: list[_Pending] = []
        advance = self.advance
        expect_operand = True
        while True:
            tok = self.cur
            kind, text = tok.kind, tok.text
            if expect_operand:
                advance()
                if kind is NUMBER:
                    operands.append(Num(_number(self, tok), text, Span(tok.start, tok.end)))
                    expect_operand = False
                elif kind is NAME and self.cur.text == "(":
                    advance()
                    if self.cur.text == ")":
                        raise self.error(f"{text}() needs an argument, as in {text}(x)", self.cur)
                    pending.append(_Pending("call", tok, args=[]))
                elif kind is NAME:
                    operands.append(Name(text, Span(tok.start, tok.end)))
                    expect_operand = False
                elif text == "(":
                    pending.append(_Pending("paren", tok))
                elif text == "-" or text == "+":
                    pending.append(_Pending("prefix", tok, PREFIX_BP))
                elif text == "\n" and kind is SEP:
                    pass  # a line break after an operator or '(' continues the statement
                else:
                    raise self._operand_expected(tok, pending)
                continue

            # An operand has just been read: expect an operator, ',' , ')' or the end.
            if text in INFIX_BP:
                advance()
                lbp, rbp = INFIX_BP[text]
                _reduce_while(operands, pending, lbp)  # finish pending operators that bind tighter
                pending.append(_Pending("infix", tok, rbp, left=operands.pop()))
                expect_operand = True
            elif text == ")":
                advance()
                _reduce_while(operands, pending, -1)
                if not pending:
                    raise self.error("unmatched ')'", tok, "remove it, or add the '(' it should close")
                opener = pending.pop()
                inner = operands.pop()
                if opener.kind == "call":
                    args = (*opener.args, inner)  # type: ignore[misc]
                    name = opener.token
                    operands.append(Call(name.text, args, Span(name.start, tok.end), Span(name.start, name.end)))
                else:
                    operands.append(inner)  # parentheses only group
            elif text == ",":
                advance()
                _reduce_while(operands, pending, -1)
                if not pending or pending[-1].kind != "call":
                    raise self.error("',' outside a function call", tok, "separate statements with ';'")
                pending[-1].args.append(operands.pop())  # type: ignore[union-attr]
                expect_operand = True
            elif kind is SEP or kind is END:
                if not any(p.kind in _OPENERS for p in pending):
                    _reduce_while(operands, pending, -1)
                    assert not pending and len(operands) == 1
                    return operands[0]
                if text == "\n":
                    advance()  # inside brackets a new line is only white space
                    continue
                opener = next(p for p in reversed(pending) if p.kind in _OPENERS)
                col = opener.token.start - self.source.rfind("\n", 0, opener.token.start)
                what = f"{opener.token.text}(" if opener.kind == "call" else "'('"
                raise self.error(f"expected ')' to close {what} at column {col}", tok)
            else:
                raise self._operator_expected(tok, operands[-1])

    def _operand_expected(self, tok: Token, pending: list[_Pending]) -> ParseError:
        after = pending[-1].token.text if pending else None
        if tok.kind is TokenKind.END or tok.kind is TokenKind.SEP:
            if after is not None and pending[-1].kind in ("infix", "prefix"):
                hint = "give the exponent, as in x**2 (or x^2)" if after in ("^", "**") else None
                return self.error(f"expected a value after '{after}', found {describe(tok)}", tok, hint)
            return self.error(f"expected a value, found {describe(tok)}", tok)
        if tok.text == ")" and pending and pending[-1].kind == "paren":
            return self.error("empty parentheses '()'", tok, "put an expression inside, as in (x + y)")
        if tok.text == "=":
            return self.error("unexpected '='", tok, "assign with 'name = expression' at the start of a statement")
        if tok.text in ("*", "/", "^", "**") and after in ("*", "/", "^", "**"):
            return self.error(f"'{after}' followed by '{tok.text}'", tok, "use ** or ^ for powers, as in x**2")
        hint = "a statement cannot start with an operator" if not pending and tok.text in INFIX_BP else None
        return self.error(f"expected a value, found {describe(tok)}", tok, hint)

    def _double_equals(self, tok: Token) -> ParseError:
        return self.error(
            "'==' compares two values, but bprop has no comparisons", tok,
            "to name a value, write name = expression at the start of a statement",
        )

    def _operator_expected(self, tok: Token, last: Expr) -> ParseError:
        prev = self.source[last.span.start : last.span.end]
        if isinstance(last, Num) and tok.kind is TokenKind.NAME and tok.start == last.span.end:
            return self.error(
                f"a number directly followed by the name {tok.text!r}", tok,
                f"write {prev}*{tok.text} to multiply",
            )
        if tok.text == "(":
            if isinstance(last, Name):
                return self.error(
                    f"{prev!r} is followed by '(' but is not called", tok,
                    f"write {prev}*(...) to multiply; functions are called like exp(x)",
                )
            return self.error("'(' right after a value", tok, f"write {prev}*(...) to multiply")
        if tok.text == "=" and self.peek(1).text == "=":
            return self._double_equals(tok)
        if isinstance(last, Name) and last.id in FUNCTIONS and tok.kind in (TokenKind.NAME, TokenKind.NUMBER):
            return self.error(
                f"{last.id} is a function: its argument goes in parentheses", tok, f"write {last.id}({tok.text})",
            )
        if tok.text == "=":
            return self.error(
                "unexpected '='", tok,
                "only a plain name can be assigned (q = x + y); bprop has no comparisons",
            )
        return self.error(
            f"expected an operator or the end of the statement, found {describe(tok)}", tok,
            "put an operator such as * between two values" if tok.kind in (TokenKind.NAME, TokenKind.NUMBER) else None,
        )


def _reduce_while(operands: list[Expr], pending: list[_Pending], rbp_above: int) -> None:
    """Pop every pending operator that binds tighter than `rbp_above` onto its operands."""
    while pending and pending[-1].kind in _OPERATORS and pending[-1].rbp > rbp_above:
        top = pending.pop()
        rhs = operands.pop()
        if top.kind == "prefix":
            operands.append(Unary(top.token.text, rhs, Span(top.token.start, rhs.span.end)))
        else:
            left = top.left
            assert left is not None
            op = "^" if top.token.text == "**" else top.token.text
            operands.append(Binary(op, left, rhs, Span(left.span.start, rhs.span.end)))


def _number(parser: _Parser, tok: Token) -> float:
    value = float(tok.text)
    if value == float("inf"):
        raise parser.error(f"the number {tok.text} is too large for double precision", tok)
    nxt = parser.cur  # the token after the number
    if nxt.kind is TokenKind.NUMBER and nxt.start == tok.end:  # e.g. '1.2.3'
        raise parser.error(f"malformed number {tok.text + nxt.text!r}", nxt)
    return value


def describe(tok: Token) -> str:
    """How a token is named in error messages."""
    if tok.kind is TokenKind.END:
        return "the end of the input"
    if tok.kind is TokenKind.SEP:
        return "the end of the line" if tok.text == "\n" else "';'"
    if tok.kind is TokenKind.NAME:
        return f"the name {tok.text!r}"
    if tok.kind is TokenKind.NUMBER:
        return f"the number {tok.text}"
    return f"'{tok.text}'"
