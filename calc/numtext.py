"""Numbers, vectors and matrices as people type them: the one parser of numeric text.

The command line, problem files and specs share one syntax: numbers ``0.5``, ``-1e-3``, ``1/3``;
a vector ``2 4 6``, ``2,4,6`` or ``[2, 4, 6]``; a matrix ``1,2;3,4`` (rows separated by ';') or
``[[1, 2], [3, 4]]``; or a file (.csv: one row per line, .yaml/.json: nested lists). Values are
kept as the text written (the form a problem file's ``given`` holds) and checked with
calc.exact.to_fraction, so '0.1' stays exactly 1/10 wherever it goes.

Whether a command-line value is inline or a file is decided from the text alone, never by
asking the file system first: anything with ',', ';', '[' or whitespace, or that is a number,
is inline; anything else is a path that must exist. So a long inline matrix is never taken for
a (too long) file name.
"""

from __future__ import annotations

import re

from calc.errors import InputError, clipped

_NON_FINITE = ("inf", "infinity", "nan")
_NUMBER_SHAPE = re.compile(r"^[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?$|^[-+]?\d+/[-+]?\d+$")


def looks_numeric(arg: str) -> bool:
    """True for a command-line token that is a negative number or list of numbers ('-1.7', '-.5',
    '-1e-3', '-2,3', '-1,2;3,4', '-inf'): such a token is a value, never an option."""
    if len(arg) < 2 or arg[0] != "-":
        return False
    rest = arg[1:]
    return rest[0].isdigit() or (rest[0] == "." and rest[1:2].isdigit()) or rest.lower() in _NON_FINITE


def number_text(text: str, option: str) -> str:
    """One number as written ('0.5', '-1e-3', '1/3'), checked exact and finite; else InputError."""
    from calc.exact import to_fraction

    part = str(text).strip()
    if part.startswith("--"):
        raise InputError(f"{option}: expected a number, got '{part}' (options go before a '--')")
    if _NUMBER_SHAPE.match(part):  # a number: calc.exact's bounded parser says what is wrong with it
        to_fraction(part, option)
        return part
    try:
        to_fraction(part, option)
    except InputError:
        if part.lower().lstrip("+-") in _NON_FINITE:
            raise InputError(f"{option}: expected a finite number, got '{part}'") from None
        raise InputError(f"{option}: expected a number such as 0.5, -2 or 1/3, got {clipped(part, quote=True)}") from None
    return part



def vector(texts, option: str, minimum: int = 1) -> list[str]:
    """Number texts from '2 4 6', '2,4,6', '[2, 4, 6]' or several arguments (a list of strings)."""
    items = [texts] if isinstance(texts, str) else list(texts or [])
    if len(items) == 1 and not is_inline(items[0]):  # a file: every value of it, row by row
        return [v for row in rows(items[0], option) for v in row]
    parts = [p for t in items for p in str(t).strip().strip("[]()").replace(",", " ").split()]
    values = [number_text(p, option) for p in parts]
    if len(values) < minimum:
        raise InputError(f"{option}: expected at least {minimum} number{'s' if minimum > 1 else ''}, "
                         f"got {len(values)}")
    return values


def fractions(texts, option: str, minimum: int = 1) -> list:
    """The same as vector(), as exact Fractions."""
    from calc.exact import to_fraction

    return [to_fraction(v, option) for v in vector(texts, option, minimum)]


def ints(text: str, option: str, count: int | None = None, minimum: int = 1) -> tuple[int, ...]:
    """Sizes: '227' -> (227,), '227x227' / '227,227' / '[227, 227]' -> (227, 227); each >= minimum, and
    one value or `count` of them."""
    cleaned = str(text).strip().strip("[]()").replace("x", ",").replace("X", ",").replace("*", ",")
    try:
        values = tuple(int(part) for part in cleaned.split(","))  # '22x' and '' are errors, not 22 and ()
    except ValueError:
        raise InputError(f"{option}: expected integers such as 5 or 5x5, got '{text}'") from None
    if not values or (count is not None and len(values) not in (1, count)):
        raise InputError(f"{option}: expected one integer or {count} separated by 'x', got '{text}'")
    for v in values:
        if v < minimum:
            raise InputError(f"{option}: expected integers >= {minimum}, got {v}")
    return values


def axes(text: str, option: str, minimum: int = 1):
    """A size per axis of a 2-D window, in the form a problem file's given holds: '5' -> 5, '5x7' -> [5, 7]."""
    values = ints(text, option, 2, minimum)
    return values[0] if len(values) == 1 else list(values)


def padding_axes(text: str, option: str = "--padding"):
    """A padding as a problem file's given holds it: 'same' | 'valid' (any case), or axes() from 0 up."""
    mode = str(text).strip().lower()
    return mode if mode in ("same", "valid") else axes(text, option, minimum=0)


def assignments(items: list[str] | None, option: str) -> dict:
    """Named values: ['x=-2', 'y=1/3'] -> {'x': Fraction(-2), 'y': Fraction(1, 3)}."""
    from calc.exact import to_fraction

    values = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InputError(f"{option}: expected name=value such as x=-2, got '{item}'")
        values[name] = to_fraction(text.strip(), f"{option} {name}")
    return values


def rows(text: str, option: str) -> list[list[str]]:
    """'1,1;1,1' -> [['1', '1'], ['1', '1']]: equal-length rows separated by ';' (samples or neurons)."""
    value = str(text).strip()
    if not is_inline(value):
        data = _matrix_file(value, option)
        data = data if data and all(isinstance(r, list) for r in data) else [data]
        return _equal_rows([vector([_text(c, option) for c in r], option) for r in data], value, option)
    flat = value.replace("]", ";").replace("[", "")  # '[[1, 2], [3, 4]]' -> '1, 2; 3, 4;;'
    return _equal_rows([vector(part, option) for part in flat.split(";") if part.strip(" \t,")], value, option)


def _equal_rows(parts: list, value: str, option: str) -> list[list[str]]:
    if not parts or len({len(r) for r in parts}) != 1:
        raise InputError(f"{option}: expected rows of equal length separated by ';', got {clipped(value, quote=True)}")
    return parts


def _text(cell, option: str) -> str:
    """A value read from YAML/JSON as the text written (the loader keeps a float's source text)."""
    if isinstance(cell, (list, dict)):
        raise InputError(f"{option}: expected a number, got {clipped(cell, quote=True)}")
    return str(getattr(cell, "src", cell))


def is_inline(value: str) -> bool:
    """Inline values hold ',', ';', '[' or spaces, or are one number; anything else names a file."""
    text = str(value).strip()
    return any(c in text for c in ",;[ \t\n") or bool(_NUMBER_SHAPE.match(text)) or text.lower().lstrip("+-") in _NON_FINITE


def matrix(text: str, option: str):
    """A matrix (or nested channels) from '[[1, 2], [3, 4]]' (YAML/JSON), '1,2;3,4', or a file:
    .csv/.txt (one row per line, ',' or ';' between values) or .yaml/.json (nested lists)."""
    value = str(text).strip()
    if not is_inline(value):
        data = _matrix_file(value, option)
    elif "[" in value:
        from calc.spec.yamlio import load_yaml_text

        data = load_yaml_text(value, option)
    else:
        data = [[cell.strip() for cell in row.split(",") if cell.strip()] for row in value.split(";") if row.strip()]
    if not isinstance(data, list) or not data:
        raise InputError(f"{option}: expected a matrix such as [[1, 2], [3, 4]] or 1,2;3,4, got {clipped(value, quote=True)}")
    return data


def _matrix_file(value: str, option: str):
    from pathlib import Path

    path = Path(value)
    try:
        ok = path.is_file()
    except OSError:
        ok = False
    if not ok:
        raise InputError(f"{option}: no such file {clipped(value, 80, quote=True)} (inline values look like 1,2;3,4)")
    if path.suffix.lower() in (".csv", ".txt"):
        from calc.files import read_text

        lines = [ln for ln in read_text(path).splitlines() if ln.strip()]
        return [[cell.strip() for cell in ln.replace(";", ",").split(",") if cell.strip()] for ln in lines]
    from calc.spec.yamlio import load_yaml_file

    return load_yaml_file(path)


