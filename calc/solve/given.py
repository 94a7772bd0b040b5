"""Read a problem's ``given`` values exactly, with located errors.

Numbers come back as Fractions made from the text the learner wrote ('0.1' -> 1/10, '1/3').
"""

from __future__ import annotations

from fractions import Fraction

from calc.errors import InputError, SpecError, Where, did_you_mean, short
from calc.spec.yamlio import LocMap

REQUIRED = object()


def at(given, where: Where, key: str) -> Where:
    line = given.line_of(key) if isinstance(given, LocMap) else None
    return where.child(key, line)


def raw(given, where: Where, key: str, default=REQUIRED):
    if key not in given or given[key] is None:
        if default is REQUIRED:
            raise SpecError(f"missing '{key}'", where)
        return default
    return given[key]


def check_keys(mapping, where: Where, keys, what: str = "given") -> None:
    """An unknown key is an error naming the valid ones (a typo never passes silently)."""
    for key in mapping:
        if key not in keys:
            line = mapping.line_of(key) if hasattr(mapping, "line_of") else None
            raise SpecError(f"unknown key '{key}' in {what}{did_you_mean(key, keys)}; valid keys: {', '.join(keys)}",
                            where.child(str(key), line))


def flag(given, where: Where, key: str, default: bool = False) -> bool:
    value = raw(given, where, key, default)
    if not isinstance(value, bool):
        raise SpecError(f"expected true or false, got {short(value)}", at(given, where, key))
    return value


def choice(given, where: Where, key: str, choices, default):
    value = raw(given, where, key, default)
    if value not in choices:
        raise SpecError(f"expected one of {', '.join(map(str, choices))}, got {short(value)}", at(given, where, key))
    return value


def number(given, where: Where, key: str, default=REQUIRED) -> Fraction:
    from calc.exact import to_fraction

    value = raw(given, where, key, default)
    if value is default and default is not REQUIRED:
        return value
    try:
        return to_fraction(value, key)
    except InputError as exc:
        raise SpecError(exc.message, at(given, where, key)) from None


def vector(given, where: Where, key: str, default=REQUIRED, length: int | None = None) -> list[Fraction]:
    """A list of numbers (a single number is a list of one)."""
    value = raw(given, where, key, default)
    if value is default and default is not REQUIRED:
        return value
    if isinstance(value, str) and any(c in value for c in ",; "):  # '2,4,6' as on the command line
        value = _inline(value, at(given, where, key), rows=False)
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items):
        if isinstance(item, list):
            raise SpecError("expected a flat list of numbers", at(given, where, key).child(i))
        out.append(_num(item, at(given, where, key).child(i)))
    if not out:
        raise SpecError("expected at least one number", at(given, where, key))
    if length is not None and len(out) != length:
        raise SpecError(f"expected {length} numbers, got {len(out)}", at(given, where, key))
    return out


def matrix(given, where: Where, key: str, default=REQUIRED, shape: tuple[int, int] | None = None) -> list[list[Fraction]]:
    """A list of equal-length rows of numbers."""
    value = raw(given, where, key, default)
    if value is default and default is not REQUIRED:
        return value
    place = at(given, where, key)
    if isinstance(value, str):  # '1,2;3,4' as on the command line
        value = _inline(value, place, rows=True)
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise SpecError("expected a matrix as a list of rows, e.g. [[1, 2], [3, 4]]", place)
    widths = {len(r) for r in value}
    if len(widths) != 1:
        raise SpecError(f"ragged matrix: rows have {', '.join(map(str, sorted(widths)))} values", place)
    rows = [[_num(v, place.child(i).child(j)) for j, v in enumerate(r)] for i, r in enumerate(value)]
    if shape is not None and (len(rows), len(rows[0])) != tuple(shape):
        raise SpecError(f"expected a {shape[0]} x {shape[1]} matrix, got {len(rows)} x {len(rows[0])}", place)
    return rows


def _inline(text: str, place: Where, rows: bool):
    """A vector '2,4,6' or matrix '1,2;3,4' written as text, with the command line's syntax."""
    from calc import numtext

    try:
        return numtext.rows(text, "value") if rows else numtext.vector(text, "value")
    except InputError as exc:
        raise SpecError(exc.message.removeprefix("value: "), place) from None


def _num(value, where: Where) -> Fraction:
    from calc.exact import to_fraction

    try:
        return to_fraction(value)
    except InputError as exc:
        raise SpecError(exc.message.removeprefix("value: "), where) from None
