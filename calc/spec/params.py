"""Block parameters: replace ``$name`` and ``${expression}`` in a block's layer tree.

``$width`` (the whole value) becomes the argument as given, of any type. ``${width * 4}`` is
integer arithmetic on arguments (+ - * // % and exact /), parsed with a whitelist, never eval;
``${stride == 1 and cin == cout}`` is a condition (true or false) for an entry's ``if:``.
Line information of the block definition is kept, so errors still point into the file.
"""

from __future__ import annotations

import re

from calc.errors import SpecError, Where
from calc.spec.yamlio import LocList, LocMap

_WHOLE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")
_EXPR = re.compile(r"\$\{([^}]*)\}")


def evaluate(text: str, args: dict, where: Where) -> int:
    """Integer value of a block expression (calc.spec.intexpr: a flat sum may be any length)."""
    from calc.spec.intexpr import ExprError
    from calc.spec.intexpr import evaluate as evaluate_text

    shown = text if len(text) <= 60 else text[:57] + "..."

    def lookup(name: str) -> int:
        if name not in args:
            raise SpecError(f"unknown block parameter '{name}' in '{shown}'; parameters: "
                            f"{', '.join(sorted(args)) or 'none'}", where)
        value = args[name]
        if not isinstance(value, int):  # true/false count as 1/0 (conditions: ${se and stride == 1})
            raise SpecError(f"'{name}' is {str(value)[:40]!r}, arithmetic needs integers ('{shown}')", where)
        return value

    try:
        return evaluate_text(text, lookup)
    except ExprError as exc:
        message = str(exc)
        if message.startswith("="):  # '= 7/2 is not an integer'
            raise SpecError(f"'{shown}' {message}", where) from None
        if message == "division by zero":
            raise SpecError(f"division by zero in '{shown}'", where) from None
        raise SpecError(f"cannot evaluate '{shown}': {message}", where) from None


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
