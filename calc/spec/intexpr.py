"""Integer arithmetic of block expressions (``${width * 4}``): a small Pratt parser, never eval.

Conditions (``${stride == 1 and cin == cout}``, for ``if:`` in blocks) use the same reader:
comparisons (== != < <= > >=) bind looser than arithmetic, then ``not``, ``and``, ``or`` as in
Python; a comparison or a logical operator gives true or false (a bool, which is also 0 or 1).

Python's own ``ast.parse`` fails on a flat sum of a few thousand terms (RecursionError in C) and
on a 5,000-digit literal, so block expressions get their own reader: a chain of binary operators
is a loop (any length), nesting (parentheses, signs) recurses up to MAX_DEPTH, and every value
stays below 10^MAX_DIGITS. Errors are ValueError messages the caller places in the spec.
"""

from __future__ import annotations

import re

MAX_DEPTH = 100
MAX_DIGITS = 1000
_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(//|==|!=|<=|>=|[-+*/%()<>]))")
_COMPARE = ("==", "!=", "<", "<=", ">", ">=")
_BINARY = {"or": 2, "and": 3, **dict.fromkeys(_COMPARE, 5), "+": 10, "-": 10, "*": 20, "/": 20, "//": 20, "%": 20}
_NOT = 4  # binds tighter than and/or, looser than comparisons: not a == b is not (a == b)
WORDS = ("and", "or", "not", "true", "false")
ALLOWED = ("only integers, parameters and + - * / // % are allowed (in conditions also == != < <= > >=, "
           "and, or, not, true, false)")


class ExprError(ValueError):
    """What is wrong with a block expression, in words."""


def tokens(text: str) -> list[str | int]:
    out, pos, text = [], 0, text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ExprError(ALLOWED)
        number, name, op = match.groups()
        if number is not None:
            if len(number.lstrip("0")) > MAX_DIGITS:
                raise ExprError(f"a number of more than {MAX_DIGITS} digits")
            out.append(int(number))
        else:
            out.append(name or op)
        pos = match.end()
    return out


class _Reader:
    def __init__(self, text: str, lookup):
        self.items, self.i, self.depth = tokens(text), 0, 0
        self.lookup = lookup

    def peek(self):
        return self.items[self.i] if self.i < len(self.items) else None

    def take(self):
        item = self.peek()
        if item is None:
            raise ExprError("unexpected end")
        self.i += 1
        return item

    def expression(self, min_bp: int = 0) -> int:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"nested more than {MAX_DEPTH} levels deep")
        value, compared = self.operand(), False
        while isinstance(self.peek(), str) and self.peek() in _BINARY and _BINARY[self.peek()] >= min_bp:
            op = self.take()
            if op in _COMPARE and compared:
                raise ExprError("a chained comparison such as a < b < c; write a < b and b < c")
            compared = op in _COMPARE
            value = _apply(op, value, self.expression(_BINARY[op] + 1))
        self.depth -= 1
        return value

    def operand(self) -> int:
        item = self.take()
        if isinstance(item, int):
            return item
        if item in ("-", "+"):
            value = self.expression(30)
            return -value if item == "-" else value
        if item == "(":
            value = self.expression(0)
            if self.take() != ")":
                raise ExprError("expected ')'")
            return value
        if item == "not":
            return not self.expression(_NOT)
        if item in ("true", "false"):
            return item == "true"
        if item.isidentifier() and item not in WORDS:
            return self.lookup(item)
        raise ExprError(ALLOWED)


def _apply(op: str, a: int, b: int) -> int:
    if op in ("and", "or"):
        return bool(a and b) if op == "and" else bool(a or b)
    if op in _COMPARE:
        return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op in ("/", "//", "%") and b == 0:
        raise ExprError("division by zero")
    if op == "/" and a % b:
        raise ExprError(f"= {a}/{b} is not an integer")
    if op in ("/", "//"):
        value = a // b
    elif op == "%":
        value = a % b
    elif op == "*":
        value = a * b
    else:
        value = a + b if op == "+" else a - b
    if abs(value).bit_length() > MAX_DIGITS * 3.33:
        raise ExprError(f"a value of more than {MAX_DIGITS} digits")
    return value


def evaluate(text: str, lookup) -> int:
    """The integer value of ``text``; ``lookup(name)`` gives a parameter's integer (or raises)."""
    reader = _Reader(text, lookup)
    if reader.peek() is None:
        raise ExprError("empty expression")
    value = reader.expression(0)
    if reader.peek() is not None:
        raise ExprError(f"unexpected '{reader.peek()}'")
    return value
