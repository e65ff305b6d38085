"""Parser: an operator-precedence (Pratt) parser run on explicit stacks, so nesting depth is
limited by memory, not by Python's recursion limit.

Grammar:
    program    := statement ((';' | NEWLINE) statement)*      empty statements are skipped
    statement  := NAME '=' expr | NAME ('+=' | '-=' | '*=' | '/=') expr | expr
    expr       := prefix (INFIX expr)*                        binding powers in INFIX_BP
    prefix     := NUMBER | NAME | NAME '(' args ')' | '(' expr ')' | ('-' | '+') expr
    args       := expr (',' expr)* (',' keyword)* | keyword (',' keyword)*
    keyword    := NAME '=' ['-'] NUMBER | NAME '=' ('true' | 'false')     axis=0, keepdims=true

Inside parentheses, and right after an operator, a new line does not end the statement.

The parser builds nothing itself: it hands each construct, children first, to a Sink, which
makes a syntax tree (TreeSink, for parse()) or lowers it straight into the gate graph
(graph.GraphBuilder, for compile_program()).
"""

from __future__ import annotations

from itertools import chain, repeat
from typing import Any, NamedTuple, Protocol

from bprop_cli.errors import NameResolutionError, ParseError, Span, clip
from bprop_cli.gates.registry import AXIS_CALLS, FUNCTIONS, GATES

from .lexer import RawToken, Token, TokenKind, scan
from .syntax import Assign, Binary, Call, Expr, Name, Num, Program, Statement, Unary

# (left, right) binding powers: right < left makes an operator right-associative.
INFIX_BP: dict[str, tuple[int, int]] = {
    "+": (1, 2), "-": (1, 2),
    "*": (3, 4), "/": (3, 4), "@": (3, 4),
    "^": (8, 7), "**": (8, 7),
}
COMPOUND = ("+", "-", "*", "/")  # c += e, c -= e, c *= e, c /= e
PREFIX_BP = 5  # unary '-' and '+': tighter than '*', looser than '^', so -x^2 == -(x^2)

AXIS_FUNCTIONS = sorted({call.partition(":")[0] for call in AXIS_CALLS})  # sum(X, axis=0), ...
KEYWORDS = ("axis", "keepdims")
_TRUTH = {"true": 1.0, "True": 1.0, "false": 0.0, "False": 0.0}


class Keyword(NamedTuple):
    """`axis=0` in a call, until the call is made: the value is a constant, never an expression."""

    name: str
    value: float
    text: str  # the value as written
    start: int  # of the name
    value_start: int
    end: int


MAX_SOURCE = 16 * 1024 * 1024  # characters; larger programs are refused before tokenizing


class Sink(Protocol):
    """What the parser builds, one call per construct, children before parents: a syntax tree
    (TreeSink, for parse()) or, lowered on the fly, a gate graph (graph.GraphBuilder).
    `start`/`end` are the construct's character span; an item is whatever the sink returned."""

    def number(self, value: float, text: str, start: int, end: int) -> Any: ...
    def name(self, text: str, start: int, end: int) -> Any: ...
    def unary(self, op: str, operand: Any, start: int, end: int) -> Any: ...
    def binary(self, op: str, left: Any, right: Any, start: int, end: int) -> Any: ...
    def call(self, func: str, args: list[Any], start: int, end: int, name_end: int) -> Any: ...
    def statement(self, target: str | None, target_end: int, value: Any, start: int, end: int) -> None: ...


class TreeSink:
    """Builds the immutable syntax tree of syntax.py."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []

    def number(self, value: float, text: str, start: int, end: int) -> Num:
        return Num(value, text, Span(start, end))

    def name(self, text: str, start: int, end: int) -> Name:
        return Name(text, Span(start, end))

    def unary(self, op: str, operand: Expr, start: int, end: int) -> Unary:
        return Unary(op, operand, Span(start, end))

    def binary(self, op: str, left: Expr, right: Expr, start: int, end: int) -> Binary:
        return Binary(op, left, right, Span(start, end))

    def call(self, func: str, args: list[Expr], start: int, end: int, name_end: int) -> Call:
        return Call(func, tuple(args), Span(start, end), Span(start, name_end))

    def statement(self, target: str | None, target_end: int, value: Expr, start: int, end: int) -> None:
        if target is None:
            self.statements.append(value)
        else:
            self.statements.append(Assign(target, Span(start, target_end), value, Span(start, end)))


# An operand on the parser's stack: (item, start, end, kind), where kind is NUMBER or NAME when
# the operand is that single token (for error messages), else None. A parenthesised operand
# spans its parentheses.
Operand = tuple
# A pending operator or bracket: (kind, token, right binding power, left operand or call arguments).
INFIX, PREFIX, PAREN, CALL = "infix", "prefix", "paren", "call"

NUMBER, NAME, OP, SEP, END = TokenKind.NUMBER, TokenKind.NAME, TokenKind.OP, TokenKind.SEP, TokenKind.END


def check_source(source: str) -> None:
    """Refuse what no program may contain before reading it."""
    if len(source) > MAX_SOURCE:
        raise ParseError(f"program is {len(source):,} characters long; the limit is {MAX_SOURCE:,}")
    if "\x00" in source:
        pos = source.index("\x00")
        raise ParseError("the program contains a NUL byte", source, Span(pos, pos + 1))


def parse(source: str) -> Program:
    """Parse a whole program into a syntax tree; raise ParseError pointing at the first problem."""
    sink = TreeSink()
    parse_into(source, sink)
    return Program(tuple(sink.statements), source)


def parse_into(source: str, sink: Sink) -> None:
    """Parse a whole program, handing every construct to `sink` as soon as it is complete."""
    check_source(source)
    _Parser(source, sink).program()


def parse_expression(source: str) -> Expr:
    """Parse a single expression (no assignment, no ';'), e.g. an input value like '-pi/4'."""
    program = parse(source)
    if len(program.statements) != 1 or isinstance(program.statements[0], Assign):
        raise ParseError("expected a single expression", source, Span(0, len(source)))
    return program.statements[0]  # type: ignore[return-value]


class _Parser:
    """Reads tokens lazily with one token of lookahead, so a huge program never holds all of
    its tokens at once; after the end, END repeats, so looking ahead needs no bounds checks.
    Tokens are plain (kind, text, start, end) tuples."""

    def __init__(self, source: str, sink: Sink) -> None:
        self.source = source
        self.sink = sink
        self._stream = chain(scan(source), repeat((END, "", len(source), len(source))))
        self.cur: RawToken = next(self._stream)
        self.nxt: RawToken = next(self._stream)
        self._keywords = False  # a keyword argument was read: calls must sort theirs out

    def error(self, message: str, token: RawToken, hint: str | None = None) -> ParseError:
        kind, _, start, end = token
        if kind is END:  # point just past the last character, not at a blank last line
            start = len(self.source.rstrip())
        return ParseError(message, self.source, Span(start, max(end, start + 1)), hint)

    def peek(self, ahead: int = 0) -> RawToken:
        return self.nxt if ahead else self.cur

    def advance(self) -> RawToken:
        tok = self.cur
        self.cur = self.nxt
        self.nxt = next(self._stream)
        return tok

    def program(self) -> None:
        empty = True
        while True:
            while self.cur[0] is SEP:
                self.advance()
            if self.cur[0] is END:
                break
            self.statement()
            empty = False
            tok = self.cur
            if tok[0] is not SEP and tok[0] is not END:  # pragma: no cover - expr() stops only there
                raise self.error(f"unexpected {describe(tok)}", tok)
        if empty:
            raise ParseError("the program is empty: give an expression such as (x+y)*z", self.source, Span(0, 0))

    def statement(self) -> None:
        first = self.cur
        if first[0] is NAME and self.nxt[1] in COMPOUND and self.source.startswith("=", self.nxt[3]):
            self.compound(first)
            return
        if first[0] is NAME and self.nxt[1] == "=":
            eq = self.nxt
            self.cur, self.nxt = next(self._stream), next(self._stream)  # past NAME '='
            if self.cur[1] == "=" and self.cur[2] == eq[3]:
                raise self._double_equals(eq)
            value = self.expr()
            self.sink.statement(first[1], first[3], value[0], first[2], value[2])
            return
        if first[1] == "=":
            raise self.error("'=' needs a name on its left, as in q = x + y", first)
        value = self.expr()
        self.sink.statement(None, 0, value[0], value[1], value[2])

    def compound(self, first: RawToken) -> None:
        """`c += e` (also -=, *=, /=), as micrograd's code writes it: the statement c = c + (e)."""
        op = self.nxt
        self.cur, self.nxt = next(self._stream), next(self._stream)  # past NAME and the operator
        self.advance()  # past '='
        value = self.expr()
        left = self.sink.name(first[1], first[2], first[3])
        combined = self.sink.binary(op[1], left, value[0], first[2], value[2])
        self.sink.statement(first[1], first[3], combined, first[2], value[2])

    def expr(self) -> Operand:
        """One expression, up to the end of its statement (shunting-yard form of Pratt parsing).

        bprop's hottest loop: the token window (cur, nxt) lives in local variables and is
        written back to self before returning and before any error is made."""
        operands: list[Operand] = []
        pending: list[tuple] = []
        push, push_pending = operands.append, pending.append
        sink, stream = self.sink, self._stream
        cur, nxt = self.cur, self.nxt
        expect_operand = True
        depth = 0  # brackets open on `pending`
        while True:
            tok = cur
            kind, text = tok[0], tok[1]
            if expect_operand:
                cur, nxt = nxt, next(stream)  # consume tok
                if kind is NUMBER:
                    value = float(text)
                    if value == _INF or cur[0] is NUMBER or (value == 0.0 and text.lstrip("0.")[:1] not in "eE"):
                        # too large, e.g. '1.2.3', or too small: a nonzero literal that rounds to 0
                        value = _number(self, tok, cur)
                    push((sink.number(value, text, tok[2], tok[3]), tok[2], tok[3], NUMBER))
                    expect_operand = False
                elif kind is NAME:
                    if cur[1] == "(":
                        cur, nxt = nxt, next(stream)
                        if cur[1] == ")":
                            raise self.error(f"{text}() needs an argument, as in {text}(x)", cur)
                        push_pending((CALL, tok, 0, []))
                        depth += 1
                    elif cur[1] == "=" and pending and pending[-1][0] is CALL and nxt[1] != "=":
                        self.cur, self.nxt = cur, nxt
                        push(self._keyword(tok))  # axis=0 inside a call
                        cur, nxt = self.cur, self.nxt
                        expect_operand = False
                    else:
                        push((sink.name(text, tok[2], tok[3]), tok[2], tok[3], NAME))
                        expect_operand = False
                elif text == "(":
                    push_pending((PAREN, tok, 0, None))
                    depth += 1
                elif text == "-" or text == "+":
                    push_pending((PREFIX, tok, PREFIX_BP, None))
                elif text != "\n":  # a line break after an operator or '(' continues the statement
                    raise self._operand_expected(tok, pending)
                continue

            # An operand has just been read: expect an operator, ',' , ')' or the end.
            if kind is OP and text in INFIX_BP:
                cur, nxt = nxt, next(stream)
                lbp, rbp = INFIX_BP[text]
                if pending and pending[-1][2] > lbp:
                    self._reduce(operands, pending, lbp)  # finish pending operators that bind tighter
                push_pending((INFIX, tok, rbp, operands.pop()))
                expect_operand = True
            elif kind is SEP or kind is END:
                if not depth:
                    self.cur, self.nxt = cur, nxt  # the separator is left for the caller
                    if pending:
                        self._reduce(operands, pending, -1)
                    assert not pending and len(operands) == 1
                    return operands[0]
                if text != "\n":
                    opener_kind, opener, _, _ = next(p for p in reversed(pending) if p[0] is PAREN or p[0] is CALL)
                    what = f"{opener[1]}(" if opener_kind is CALL else "'('"
                    raise self.error(f"expected ')' to close {what} at {self._where(opener[2], tok[2])}", tok)
                cur, nxt = nxt, next(stream)  # inside brackets a new line is only white space
            elif text == ")":
                cur, nxt = nxt, next(stream)
                self._reduce(operands, pending, -1)
                if not pending:
                    raise self.error("unmatched ')'", tok, "remove it, or add the '(' it should close")
                opener_kind, opener, _, args = pending.pop()
                depth -= 1
                inner = operands.pop()
                if opener_kind is CALL:
                    args.append(inner[0])
                    start = opener[2]
                    if self._keywords and any(type(a) is Keyword for a in args):
                        item = self._keyword_call(opener[1], args, start, tok[3], opener[3])
                    else:
                        item = sink.call(opener[1], args, start, tok[3], opener[3])
                    push((item, start, tok[3], None))
                else:  # parentheses only group; the operand now spans them
                    push((inner[0], opener[2], tok[3], inner[3]))
            elif text == ".":  # postfix: W.T, or a method call in micrograd's style, x.relu()
                self.cur, self.nxt = nxt, next(stream)
                operands[-1] = self._postfix(tok, operands[-1])
                cur, nxt = self.cur, self.nxt
            elif text == ",":
                cur, nxt = nxt, next(stream)
                self._reduce(operands, pending, -1)
                if not pending or pending[-1][0] is not CALL:
                    raise self.error("',' outside a function call", tok, "separate statements with ';'")
                pending[-1][3].append(operands.pop()[0])
                expect_operand = True
            else:
                self.cur, self.nxt = cur, nxt  # the window at tok (not consumed), for the message
                if depth:
                    self._unclosed_before(tok, operands[-1], pending)
                raise self._operator_expected(tok, operands[-1])

    def _postfix(self, dot: RawToken, operand: Operand) -> Operand:
        """`.T` (transpose) or `.name()` (a one-argument function) after `operand`; self.cur is
        the token after the dot."""
        name = self.cur
        if name[0] is not NAME:
            raise self.error("expected a name after '.'", name, "write W.T to transpose, or x.relu() to call relu")
        self.advance()
        start = operand[1]
        if name[1] == "T" and self.cur[1] != "(":
            return (self.sink.call("transpose", [operand[0]], start, name[3], name[3]), start, name[3], None)
        prev = self.source[operand[1]:operand[2]]
        if operand[3] is NAME and self.cur[1] != ")" and _is_module(prev, name[1], self.cur, self.nxt):
            raise self._prefixed(prev, name)  # math.exp(-y), np.dot(W, x), torch.relu(x)
        if self.cur[1] != "(":
            raise self.error(
                f"bprop values have no attribute {name[1]!r}", name,
                f"to multiply, write {prev}*{name[1]}; W.T transposes and x.relu() calls a function",
            )
        paren = self.advance()
        close = self.cur
        if name[1] in AXIS_FUNCTIONS and (
                (close[0] is NAME and self.nxt[1] == "=") or close[0] is NUMBER or
                (close[1] == "-" and self.nxt[0] is NUMBER)):  # X.sum(axis=1), X.max(1, keepdims=true)
            args: list[Any] = [operand[0]]
            if close[0] is not NAME:  # the axis given first, without its keyword, as NumPy's methods take it
                args.append(self._keyword(("axis", "axis", close[2], close[2]), given=False)[0])
                if self.cur[1] == ",":
                    self.advance()
            while self.cur[1] != ")":
                if self.cur[0] is not NAME or self.nxt[1] != "=":
                    raise self.error(f"expected a keyword, as in {prev}.{name[1]}(axis=0, keepdims=true)", self.cur)
                keyword = self.advance()
                args.append(self._keyword(keyword)[0])
                if self.cur[1] == ",":
                    self.advance()
            close = self.advance()
            if close[1] != ")":
                raise self.error(f"expected ')' to close .{name[1]}(", close)
            return (self._keyword_call(name[1], args, start, close[3], name[3]), start, close[3], None)
        if name[1] not in FUNCTIONS or close[1] != ")":
            from .pasted import call_arguments, method_hint, methods

            args = call_arguments(self.source, paren[2]) if close[1] != ")" else []
            if name[1] not in FUNCTIONS:
                raise self.error(f"unknown method .{name[1]}()", name, method_hint(clip(prev), name[1], args))
            inside = ", ".join([clip(prev), *(args or ["..."])])
            one = GATES[FUNCTIONS[name[1]]].arity == 1
            hint = f"write {prev}.{name[1]}() or {name[1]}({prev})" if one else f"write {name[1]}({inside})"
            if name[1] in AXIS_FUNCTIONS and len(args) == 1 and args[0].lstrip("-").isdigit():  # X.sum(1)
                hint = f"along an axis write {prev}.{name[1]}(axis={args[0]}); over every entry {prev}.{name[1]}()"
            raise self.error(f"the method .{name[1]}() takes no arguments", close,
                             hint if len(prev) <= 40 else f"methods call a function of one argument: {methods()}")
        self.advance()
        return (self.sink.call(name[1], [operand[0]], start, close[3], name[3]), start, close[3], None)

    def _keyword(self, name: tuple, given: bool = True) -> tuple[Keyword, int, int, None]:
        """`axis=0` or `keepdims=true` in a call, as an operand; self.cur is the '=' (or, for the
        axis of a method given without its keyword, X.sum(1), the value). The value must be a
        constant as written (a whole number, true or false), and the argument ends there."""
        self._keywords = True
        if given:
            self.advance()  # '='
        sign = self.advance() if self.cur[1] in ("-", "+") else None
        value_tok = self.advance()
        value_start = (sign or value_tok)[2]
        example = "keepdims=true" if name[1] == "keepdims" else "axis=0"
        if value_tok[0] is NUMBER and not (sign and value_tok[0] is NAME):
            value = float(value_tok[1]) * (-1.0 if sign and sign[1] == "-" else 1.0)
        elif value_tok[0] is NAME and value_tok[1] in _TRUTH and sign is None:
            value = _TRUTH[value_tok[1]]
        else:
            raise self.error(f"{name[1]}= takes a number or true/false as written, as in {example}", value_tok)
        text = self.source[value_start:value_tok[3]]
        if self.cur[1] not in (",", ")"):
            raise self.error(f"expected ',' or ')' after {name[1]}={text}: {name[1]}= takes a number or true/false "
                             f"as written, as in {example}", self.cur)
        return (Keyword(name[1], value, text, name[2], value_start, value_tok[3]), name[2], value_tok[3], None)

    def _keyword_call(self, func: str, args: list[Any], start: int, end: int, name_end: int) -> Any:
        """A call with keywords: sum(X, axis=0), max(X, axis=1, keepdims=true), X.mean(axis=0)."""
        positional = [a for a in args if type(a) is not Keyword]
        keywords: dict[str, Keyword] = {}
        for a in args:
            if type(a) is not Keyword:
                if keywords:
                    raise ParseError(f"{func}(...): an argument after a keyword must be a keyword too",
                                     self.source, Span(start, end), f"write {func}(X, axis=0)")
                continue
            where = Span(a.start, a.end)
            if func not in AXIS_FUNCTIONS:
                raise ParseError(f"{func}() takes no keyword arguments", self.source, where,
                                 f"axis= and keepdims= belong to {', '.join(AXIS_FUNCTIONS)}")
            if a.name not in KEYWORDS:
                raise ParseError(f"unknown keyword {a.name}= ({func} takes axis= and keepdims=)", self.source, where)
            if a.name in keywords:
                raise ParseError(f"{a.name}= is given twice", self.source, where)
            keywords[a.name] = a
        axis, keep = keywords.get("axis"), keywords.get("keepdims")
        if axis is None:
            raise ParseError(f"keepdims= needs axis=, as in {func}(X, axis=0, keepdims=true)", self.source,
                             Span(start, end))
        if len(positional) != 1:
            raise ParseError(f"{func}(..., axis=) takes one array, got {len(positional)}", self.source,
                             Span(start, end), "for the largest of several arrays, entry by entry, leave out axis="
                             if func in ("max", "min") else None)
        if axis.value != int(axis.value):
            raise ParseError("axis= takes a whole number: 0 (down the rows), 1 (along each row) or -1 (the last)",
                             self.source, Span(axis.value_start, axis.end))
        if keep is not None and keep.value not in (0.0, 1.0):
            raise ParseError("keepdims= takes true or false", self.source, Span(keep.value_start, keep.end))
        call = f"{func}:axis" + (":keepdims" if keep is not None and keep.value else "")
        index = self.sink.number(axis.value, axis.text, axis.value_start, axis.end)
        return self.sink.call(call, [positional[0], index], start, end, name_end)

    def _prefixed(self, prefix: str, name: RawToken) -> NameResolutionError:
        """The error for Python's module prefixes: np.dot(W, x), torch.nn.functional.relu(x), np.pi."""
        from .pasted import MODULES, call_arguments, prefixed_call, prefixed_name

        start = name[2] - len(prefix) - 1
        while self.cur[1] == "." and self.nxt[0] is NAME and name[1] in MODULES:  # torch.nn.functional.relu
            prefix = f"{prefix}.{name[1]}"
            self.advance()
            name = self.advance()
        if self.cur[1] == "(":
            message, hint = prefixed_call(prefix, name[1], call_arguments(self.source, self.cur[2]))
        else:
            message, hint = prefixed_name(prefix, name[1])
        return NameResolutionError(message, self.source, Span(start, name[3]), hint)

    def _where(self, offset: int, seen_from: int) -> str:
        """'column 5', or 'line 7, column 5' when `offset` is on an earlier line than `seen_from`."""
        line_start = self.source.rfind("\n", 0, offset) + 1
        col = offset - line_start + 1
        if self.source.find("\n", offset, seen_from) == -1:
            return f"column {col}"
        return f"line {self.source.count(chr(10), 0, line_start) + 1}, column {col}"

    def _unclosed_before(self, tok: RawToken, last: Operand, pending: list[tuple]) -> None:
        """Inside brackets a new line continues the statement, so a bracket left open on line 7
        shows up as a puzzling error on line 8. When the token that cannot follow (or the name
        before its '=') starts a line below the innermost open bracket, report that bracket."""
        opener_kind, opener, _, _ = next(p for p in reversed(pending) if p[0] is PAREN or p[0] is CALL)
        first = last[1] if tok[1] == "=" and last[3] is NAME else tok[2]
        line_start = self.source.rfind("\n", 0, first) + 1
        if line_start <= opener[2] or self.source[line_start:first].strip():
            return  # on the bracket's own line, or not at the start of a line
        what = f"{opener[1]}(" if opener_kind is CALL else "'('"
        start = opener[2]
        end = start + len(opener[1]) + 1 if opener_kind is CALL else start + 1
        line = self.source.count("\n", 0, line_start) + 1
        raise ParseError(f"{what} is never closed", self.source, Span(start, end),
                         f"close it with ')'; inside brackets a new line does not end the statement, so line "
                         f"{line} was read as part of it")

    def _reduce(self, operands: list[Operand], pending: list[tuple], rbp_above: int) -> None:
        """Pop every pending operator that binds tighter than `rbp_above` onto its operands."""
        sink = self.sink
        while pending:
            kind, tok, rbp, left = pending[-1]
            if rbp <= rbp_above or kind is PAREN or kind is CALL:
                return
            pending.pop()
            rhs = operands.pop()
            end = rhs[2]
            if kind is PREFIX:
                operands.append((sink.unary(tok[1], rhs[0], tok[2], end), tok[2], end, None))
            else:
                op = "^" if tok[1] == "**" else tok[1]
                operands.append((sink.binary(op, left[0], rhs[0], left[1], end), left[1], end, None))

    def _operand_expected(self, raw: RawToken, pending: list[tuple]) -> ParseError:
        tok = Token(*raw)
        after = pending[-1][1][1] if pending else None
        if tok.kind is TokenKind.END or tok.kind is TokenKind.SEP:
            if after is not None and pending[-1][0] in (INFIX, PREFIX):
                hint = "give the exponent, as in x**2 (or x^2)" if after in ("^", "**") else None
                return self.error(f"expected a value after '{after}', found {describe(tok)}", tok, hint)
            return self.error(f"expected a value, found {describe(tok)}", tok)
        if tok.text == ")" and pending and pending[-1][0] is PAREN:
            return self.error("empty parentheses '()'", tok, "put an expression inside, as in (x + y)")
        if tok.text == "=":
            return self.error("unexpected '='", tok, "assign with 'name = expression' at the start of a statement")
        if tok.text in ("*", "/", "^", "**") and after in ("*", "/", "^", "**"):
            return self.error(f"'{after}' followed by '{tok.text}'", tok, "use ** or ^ for powers, as in x**2")
        hint = "a statement cannot start with an operator" if not pending and tok.text in INFIX_BP else None
        return self.error(f"expected a value, found {describe(tok)}", tok, hint)

    def _double_equals(self, tok: RawToken) -> ParseError:
        return self.error(
            "'==' compares two values, but bprop has no comparisons", tok,
            "to name a value, write name = expression at the start of a statement",
        )

    def _operator_expected(self, raw: RawToken, last: Operand) -> ParseError:
        tok = Token(*raw)
        _, start, end, last_kind = last
        prev = self.source[start:end]
        if last_kind is NUMBER and tok.kind is TokenKind.NAME and tok.start == end:
            return self.error(
                f"a number directly followed by the name {tok.text!r}", tok,
                f"write {prev}*{tok.text} to multiply",
            )
        if tok.text == "(":
            if last_kind is NAME:
                return self.error(
                    f"{prev!r} is followed by '(' but is not called", tok,
                    f"write {prev}*(...) to multiply; functions are called like exp(x)",
                )
            return self.error("'(' right after a value", tok, f"write {prev}*(...) to multiply")
        if tok.text == "=" and self.peek(1)[1] == "=":
            return self._double_equals(tok)
        if last_kind is NAME and prev in FUNCTIONS and tok.kind in (TokenKind.NAME, TokenKind.NUMBER):
            return self.error(
                f"{prev} is a function: its argument goes in parentheses", tok, f"write {prev}({tok.text})",
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


def _number(parser: _Parser, tok: RawToken, after: RawToken) -> float:
    value = float(tok[1])
    if value == _INF:
        raise parser.error(f"the number {clip(tok[1])} is too large for double precision", tok)
    if after[0] is NUMBER and after[2] == tok[3]:  # e.g. '1.2.3'
        raise parser.error(f"malformed number {clip(tok[1] + after[1])!r}", after)
    if value == 0.0 and tok[1].lstrip("0.")[:1] not in "eE":
        raise parser.error(f"the number {clip(tok[1])} is too small for double precision: it would become 0",
                           tok, "the smallest positive double is about 5e-324; write 0 if you mean zero")
    return value


_INF = float("inf")


def _is_module(prefix: str, name: str, after: RawToken, following: RawToken) -> bool:
    """Is `prefix.name` followed by `after` a Python module's function or constant (np.dot(W, x),
    math.pi), rather than a method call on a value (x.relu())?"""
    from .pasted import MODULES

    if prefix not in MODULES:
        return False
    if after[1] == "(":
        return following[1] != ")"  # F.relu() is relu of a value F
    return name in FUNCTIONS or name in MODULES or name in ("pi", "e", "inf", "nan")


def describe(raw: RawToken) -> str:
    """How a token is named in error messages."""
    tok = Token(*raw)
    if tok.kind is TokenKind.END:
        return "the end of the input"
    if tok.kind is TokenKind.SEP:
        return "the end of the line" if tok.text == "\n" else "';'"
    if tok.kind is TokenKind.NAME:
        return f"the name {tok.text!r}"
    if tok.kind is TokenKind.NUMBER:
        return f"the number {tok.text}"
    return f"'{tok.text}'"
