"""Safe arithmetic expressions for computational graphs: a tokenizer and a Pratt parser.

User text is never given to ``eval``. The grammar is a whitelist: numbers (exact, '0.1' is
1/10), variable names, ``+ - * /``, ``**`` and ``^`` (power, right-associative, binding tighter
than a unary minus on its left: -x^2 = -(x^2)), parentheses, and the functions in FUNCTIONS.
Statements separated by ';' or new lines may name stages: ``q = x + y; f = q * z``. Anything
else (attribute access, subscripts, lambda, unknown functions) is an InputError of one line that
names the column.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from calc.errors import InputError, did_you_mean
from calc.exact import to_fraction
from calc.expr_tree import Bin, Call, Neg, Num, Statement, Var

FUNCTIONS = {  # name -> (min args, max args)
    "exp": (1, 1), "log": (1, 1), "ln": (1, 1), "sqrt": (1, 1), "sigmoid": (1, 1), "tanh": (1, 1),
    "relu": (1, 1), "abs": (1, 1), "max": (2, 8), "min": (2, 8),
}
ALLOWED = "numbers, variables, + - * / ** ^, parentheses and the functions " + ", ".join(sorted(FUNCTIONS))

_TOKEN = re.compile(r"""
    (?P<space>[ \t]+)
  | (?P<number>(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/^(),;=\n])
""", re.X)

# binding powers: (left, right); power is right-associative
_BINARY = {"+": (10, 11), "-": (10, 11), "*": (20, 21), "/": (20, 21), "**": (41, 40), "^": (41, 40)}
_UNARY_MINUS = 30
MAX_DEPTH = 200  # nesting of parentheses, calls, unary minus and powers; a flat sum may be any length


@dataclass(frozen=True)
class Token:
    kind: str  # number | name | op | end
    text: str
    col: int  # 1-based column


def _error(message: str, col: int | None, source: str) -> InputError:
    where = f" at column {col}" if col else ""
    return InputError(f"expression '{_excerpt(source, col)}': {message}{where}; allowed: {ALLOWED}")


def _excerpt(source: str, col: int | None, width: int = 60) -> str:
    """The source, or the part around ``col`` of a long one (messages stay one short line)."""
    text = source.strip()
    if len(text) <= width:
        return text
    start = max(0, min((col or 1) - 1 - width // 2, len(text) - width))
    return ("..." if start else "") + text[start:start + width] + ("..." if start + width < len(text) else "")


def tokenize(source: str) -> list[Token]:
    """Tokens up to the end, or up to a character outside the grammar (a 'bad' token the parser
    reports when it reaches it, so errors come in reading order: 'lambda' before ':')."""
    tokens, pos = [], 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match:
            tokens.append(Token("bad", source[pos], pos + 1))
            break
        kind = match.lastgroup
        if kind != "space":
            text = match.group()
            tokens.append(Token("op" if kind == "op" else kind, ";" if text == "\n" else text, pos + 1))
        pos = match.end()
    tokens.append(Token("end", "", len(source) + 1))
    return tokens


def _bad(tok: Token, source: str) -> InputError:
    char = tok.text
    what = {".": "attribute access ('.')", "[": "subscripts ('[')", "]": "subscripts (']')",
            "{": "braces", "}": "braces", "'": "strings", '"': "strings",
            ":": "':' (lambda, slices)", "<": "comparisons", ">": "comparisons"}.get(char, f"'{char}'")
    return _error(f"{what} not allowed" if char.isprintable() else "unexpected character", tok.col, source)


class _Parser:
    def __init__(self, source: str):
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind == "bad":
            raise _bad(tok, self.source)
        return tok

    def take(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def fail(self, message: str, tok: Token):
        raise _error(message, tok.col, self.source)

    def expect(self, text: str, what: str) -> Token:
        tok = self.take()
        if tok.text != text:
            self.fail(f"expected {what}, got {_show(tok)}", tok)
        return tok

    def statements(self) -> list[Statement]:
        out = []
        while True:
            while self.peek().text == ";":
                self.take()
            if self.peek().kind == "end":
                break
            out.append(self.statement())
            if self.peek().kind != "end" and self.peek().text != ";":
                tok = self.peek()
                self.fail(f"missing operator before {_show(tok)}", tok)
        if not out:
            raise _error("empty expression", None, self.source)
        return out

    def statement(self) -> Statement:
        first = self.peek()
        if first.kind == "name" and self.tokens[self.i + 1].text == "=" and self.tokens[self.i + 1].kind == "op":
            self.take()
            self.take()
            self.check_name(first)
            if first.text in FUNCTIONS:
                self.fail(f"'{first.text}' is a function name and cannot name a stage", first)
            return Statement(first.text, self.expression(0), first.col)
        return Statement(None, self.expression(0), first.col)

    def check_name(self, tok: Token) -> None:
        if keyword.iskeyword(tok.text) or tok.text.startswith("__"):
            self.fail(f"'{tok.text}' is not allowed", tok)

    def expression(self, min_bp: int):
        """Left-associative chains (x + x + ... + x) loop here; only nesting recurses, to MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            tok = self.peek()
            self.fail(f"nested more than {MAX_DEPTH} levels deep (parentheses, calls, powers, signs)", tok)
        try:
            return self._expression(min_bp)
        finally:
            self.depth -= 1

    def _expression(self, min_bp: int):
        left = self.prefix()
        while True:
            tok = self.peek()
            text = "**" if tok.text == "^" else tok.text
            if tok.kind != "op" or text not in _BINARY:
                return left
            lbp, rbp = _BINARY[text]
            if lbp < min_bp:
                return left
            self.take()
            # the exponent may carry its own sign: x ** -2
            right = self.expression(rbp) if text != "**" else self.power_operand(rbp)
            left = Bin(text, left, right, tok.col)

    def power_operand(self, rbp: int):
        signs = []
        while self.peek().text == "-":
            signs.append(self.take())
        operand = self.expression(rbp)
        for tok in reversed(signs):
            operand = Neg(operand, tok.col)
        return operand

    def prefix(self):
        tok = self.take()
        if tok.kind == "number":
            try:
                return Num(to_fraction(tok.text, "number"), tok.text, tok.col)
            except InputError as exc:
                self.fail(exc.message, tok)
        if tok.kind == "name":
            self.check_name(tok)
            if self.peek().text == "(":
                return self.call(tok)
            if tok.text in FUNCTIONS:
                self.fail(f"function '{tok.text}' needs arguments in parentheses", tok)
            return Var(tok.text, tok.col)
        if tok.text == "-":
            return Neg(self.expression(_UNARY_MINUS), tok.col)
        if tok.text == "+":
            return self.expression(_UNARY_MINUS)
        if tok.text == "(":
            inner = self.expression(0)
            self.expect(")", "')'")
            return inner
        self.fail(f"expected a number, a variable or '(', got {_show(tok)}", tok)

    def call(self, name: Token):
        fn = name.text
        if fn not in FUNCTIONS:
            self.fail(f"unknown function '{fn}'{did_you_mean(fn, FUNCTIONS)}", name)
        self.take()  # (
        args = [self.expression(0)]
        while self.peek().text == ",":
            self.take()
            args.append(self.expression(0))
        self.expect(")", "')' or ','")
        low, high = FUNCTIONS[fn]
        if not low <= len(args) <= high:
            count = str(low) if low == high else f"{low} to {high}"
            self.fail(f"{fn}() takes {count} argument{'s' if high > 1 else ''}, got {len(args)}", name)
        return Call("log" if fn == "ln" else fn, tuple(args), name.col)


def _show(tok: Token) -> str:
    return "the end" if tok.kind == "end" else f"'{tok.text}'" if tok.text != ";" else "';'"


def parse(source: str) -> list[Statement]:
    """Statements of an expression such as ``"(x + y) * z"`` or ``"q = x + y; f = q * z"``."""
    if not isinstance(source, str) or not source.strip():
        raise InputError("expression: expected a formula such as '(x + y) * z'")
    return _Parser(source).statements()
