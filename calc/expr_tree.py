"""The tree of a parsed expression (calc.expr): numbers, variables, negation, binary operations,
calls and named statements, and the walks over it (children, walk, variables) that the graph
builder (calc.graph) and the solvers use.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Num:
    value: Fraction
    text: str
    col: int


@dataclass(frozen=True)
class Var:
    name: str
    col: int


@dataclass(frozen=True)
class Neg:
    operand: object
    col: int


@dataclass(frozen=True)
class Bin:
    op: str  # + - * / ** (^ is read as **)
    left: object
    right: object
    col: int


@dataclass(frozen=True)
class Call:
    fn: str  # ln is read as log
    args: tuple
    col: int


@dataclass(frozen=True)
class Statement:
    name: str | None  # the stage name (``q`` in ``q = x + y``), None for a bare expression
    expr: object
    col: int


def children(node) -> list:
    """The sub-expressions a node reads, left to right."""
    if isinstance(node, Neg):
        return [node.operand]
    if isinstance(node, Bin):
        return [node.left, node.right]
    if isinstance(node, Call):
        return list(node.args)
    return []


def walk(node):
    """Every node of an expression in reading order, with an explicit stack (no recursion limit)."""
    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        stack.extend(reversed(children(item)))


def variables(statements: list[Statement]) -> list[str]:
    """Free variable names in order of first use (stage names are not variables)."""
    named, seen = set(), []
    for st in statements:
        for node in walk(st.expr):
            if isinstance(node, Var) and node.name not in named and node.name not in seen:
                seen.append(node.name)
        if st.name:
            named.add(st.name)
    return seen
