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

from dataclasses import dataclass, field

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
    args: list[Expr] = field(default_factory=list)  # call only


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
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = list(tokenize(source))
        self.pos = 0

    def error(self, message: str, token: Token, hint: str | None = None) -> ParseError:
        start = token.start
        if token.kind is TokenKind.END:  # point just past the last character, not at a blank last line
            start = len(self.source.rstrip())
        return ParseError(message, self.source, Span(start, max(token.end, start + 1)), hint)

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def program(self) -> Program:
        statements: list[Statement] = []
        while True:
            while self.peek().kind is TokenKind.SEP:
                self.advance()
            if self.peek().kind is TokenKind.END:
                break
            statements.append(self.statement())
            tok = self.peek()
            if tok.kind not in (TokenKind.SEP, TokenKind.END):  # pragma: no cover - expr() stops only there
                raise self.error(f"unexpected {describe(tok)}", tok)
        if not statements:
            raise ParseError("the program is empty: give an expression such as (x+y)*z", self.source, Span(0, 0))
        return Program(tuple(statements), self.source)

    def statement(self) -> Statement:
        first, second = self.peek(), self.peek(1)
        third = self.peek(2)
        if first.kind is TokenKind.NAME and second.text == "=" and third.text == "=" and third.start == second.end:
            return self.expr()  # reports '==' at the operator
        if first.kind is TokenKind.NAME and second.text == "=":
            self.advance()
            self.advance()
            value = self.expr()
            return Assign(first.text, Span(first.start, first.end), value, Span(first.start, value.span.end))
        if first.text == "=":
            raise self.error("'=' needs a name on its left, as in q = x + y", first)
        return self.expr()

    def expr(self) -> Expr:
        """One expression, up to the end of its statement (shunting-yard form of Pratt parsing)."""
        operands: list[Expr] = []
        pending: list[_Pending] = []

        def reduce_top() -> None:
            top = pending.pop()
            rhs = operands.pop()
            if top.kind == "prefix":
                operands.append(Unary(top.token.text, rhs, Span(top.token.start, rhs.span.end)))
            else:
                assert top.left is not None
                op = "^" if top.token.text == "**" else top.token.text
                operands.append(Binary(op, top.left, rhs, Span(top.left.span.start, rhs.span.end)))

        def reduce_while(rbp_above: int) -> None:
            while pending and pending[-1].kind in ("infix", "prefix") and pending[-1].rbp > rbp_above:
                reduce_top()

        expect_operand = True
        while True:
            tok = self.peek()
            if expect_operand:
                if tok.kind is TokenKind.SEP and tok.text == "\n":
                    self.advance()  # a line break after an operator or '(' continues the statement
                    continue
                self.advance()
                if tok.kind is TokenKind.NUMBER:
                    operands.append(Num(_number(self, tok), tok.text, Span(tok.start, tok.end)))
                    expect_operand = False
                elif tok.kind is TokenKind.NAME and self.peek().text == "(":
                    self.advance()
                    if self.peek().text == ")":
                        raise self.error(f"{tok.text}() needs an argument, as in {tok.text}(x)", self.peek())
                    pending.append(_Pending("call", tok))
                elif tok.kind is TokenKind.NAME:
                    operands.append(Name(tok.text, Span(tok.start, tok.end)))
                    expect_operand = False
                elif tok.text == "(":
                    pending.append(_Pending("paren", tok))
                elif tok.text in ("-", "+"):
                    pending.append(_Pending("prefix", tok, PREFIX_BP))
                else:
                    raise self._operand_expected(tok, pending)
                continue

            # An operand has just been read: expect an operator, ',' , ')' or the end.
            if tok.text in INFIX_BP:
                self.advance()
                lbp, rbp = INFIX_BP[tok.text]
                reduce_while(lbp)  # finish pending operators that bind tighter
                pending.append(_Pending("infix", tok, rbp, left=operands.pop()))
                expect_operand = True
            elif tok.text == ")":
                self.advance()
                reduce_while(-1)
                if not pending:
                    raise self.error("unmatched ')'", tok, "remove it, or add the '(' it should close")
                opener = pending.pop()
                inner = operands.pop()
                if opener.kind == "call":
                    args = (*opener.args, inner)
                    name = opener.token
                    operands.append(Call(name.text, args, Span(name.start, tok.end), Span(name.start, name.end)))
                else:
                    operands.append(inner)  # parentheses only group
            elif tok.text == ",":
                self.advance()
                reduce_while(-1)
                if not pending or pending[-1].kind != "call":
                    raise self.error("',' outside a function call", tok, "separate statements with ';'")
                pending[-1].args.append(operands.pop())
                expect_operand = True
            elif tok.kind in (TokenKind.SEP, TokenKind.END) and any(p.kind in ("paren", "call") for p in pending):
                if tok.text == "\n":
                    self.advance()  # inside brackets a new line is only white space
                    continue
                opener = next(p for p in reversed(pending) if p.kind in ("paren", "call"))
                col = opener.token.start - self.source.rfind("\n", 0, opener.token.start)
                what = f"{opener.token.text}(" if opener.kind == "call" else "'('"
                raise self.error(f"expected ')' to close {what} at column {col}", tok)
            elif tok.kind in (TokenKind.SEP, TokenKind.END):
                reduce_while(-1)
                assert not pending and len(operands) == 1
                return operands[0]
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
            return self.error(
                "'==' compares two values, but bprop has no comparisons", tok,
                "to name a value, write name = expression at the start of a statement",
            )
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


def _number(parser: _Parser, tok: Token) -> float:
    value = float(tok.text)
    if value == float("inf"):
        raise parser.error(f"the number {tok.text} is too large for double precision", tok)
    nxt = parser.peek()
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
