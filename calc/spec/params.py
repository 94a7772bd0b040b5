"""Block parameters: replace ``$name`` and ``${expression}`` in a block's layer tree.

``$width`` (the whole value) becomes the argument as given, of any type. ``${width * 4}`` is
integer arithmetic on arguments (+ - * // % and exact /), parsed with a whitelist, never eval.
Line information of the block definition is kept, so errors still point into the file.
"""

from __future__ import annotations

import ast
import re

from calc.errors import SpecError, Where, short
from calc.spec.yamlio import LocList, LocMap

_WHOLE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")
_EXPR = re.compile(r"\$\{([^}]*)\}")


def _eval(node: ast.AST, args: dict, where: Where, text: str):
    if isinstance(node, ast.Expression):
        return _eval(node.body, args, where, text)
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in args:
            raise SpecError(f"unknown block parameter '{node.id}' in '{text}'; parameters: "
                            f"{', '.join(sorted(args)) or 'none'}", where)
        value = args[node.id]
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"'{node.id}' is {short(value)}, arithmetic needs integers ('{text}')", where)
        return value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval(node.operand, args, where, text)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        a = _eval(node.left, args, where, text)
        b = _eval(node.right, args, where, text)
        op = type(node.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        if op in (ast.FloorDiv, ast.Mod, ast.Div):
            if b == 0:
                raise SpecError(f"division by zero in '{text}'", where)
            if op is ast.Div:
                if a % b:
                    raise SpecError(f"'{text}' = {a}/{b} is not an integer", where)
                return a // b
            return a // b if op is ast.FloorDiv else a % b
    raise SpecError(f"cannot evaluate '{text}': only integers, parameters and + - * / // % are allowed", where)


def evaluate(text: str, args: dict, where: Where) -> int:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise SpecError(f"cannot parse expression '{text}'", where) from None
    return _eval(tree, args, where, text)


def substitute(value, args: dict, where: Where):
    """A copy of ``value`` with parameters replaced; LocMap/LocList line numbers are kept."""
    if isinstance(value, LocMap):
        out = LocMap()
        out.line, out.lines = value.line, dict(value.lines)
        for key, item in value.items():
            out[key] = substitute(item, args, where.child(str(key), value.line_of(key)))
        return out
    if isinstance(value, LocList):
        out = LocList(substitute(item, args, where.child(i, value.line_of(i))) for i, item in enumerate(value))
        out.line, out.lines = value.line, list(value.lines)
        return out
    if isinstance(value, dict):
        return {k: substitute(v, args, where.child(str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, args, where.child(i)) for i, v in enumerate(value)]
    if isinstance(value, str):
        whole = _WHOLE.match(value)
        if whole:
            name = whole.group(1)
            if name not in args:
                raise SpecError(f"unknown block parameter '${name}'; parameters: "
                                f"{', '.join(sorted(args)) or 'none'}", where)
            return args[name]
        if "${" in value:
            if _EXPR.fullmatch(value):
                return evaluate(_EXPR.fullmatch(value).group(1), args, where)
            return _EXPR.sub(lambda m: str(evaluate(m.group(1), args, where)), value)
    return value
