"""Numbers written in a spec or data file (weights, biases, inputs) -> checked arrays.

Errors name the place and what is wrong: a ragged row, text where a number belongs, NaN/inf,
a shape that does not fit the layer. Values keep their exact source text for the exact backend.
"""

from __future__ import annotations

import math
from numbers import Real

from calc.errors import SpecError, Where, short
from calc.shapes import fmt_shape


def nested_shape(value, where: Where, what: str = "values") -> tuple[int, ...]:
    """Shape of a nested list of numbers; ragged lists and non-numbers are errors."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise SpecError(f"{what}: empty list", where)
        shapes = [nested_shape(v, where, what) for v in value]
        if any(s != shapes[0] for s in shapes):
            lengths = sorted({fmt_shape(s) or "scalar" for s in shapes})
            raise SpecError(f"{what}: ragged rows (found rows of {', '.join(lengths)})", where)
        return (len(value), *shapes[0])
    if isinstance(value, bool) or not isinstance(value, (Real, str)):
        raise SpecError(f"{what}: expected numbers, got {short(value)}", where)
    src = getattr(value, "src", None)  # a YAML float's text: 1e999 is a number (exact), .inf is not
    if isinstance(value, float) and not math.isfinite(value) and \
            (src is None or src.lower().lstrip("+-") in (".inf", ".nan")):
        raise SpecError(f"{what}: {value} is not a finite number (NaN/inf not allowed)", where)
    if isinstance(value, str) or src is not None:
        from calc.errors import InputError
        from calc.exact import to_fraction

        try:
            to_fraction(value, what)  # whether float64 holds 1e999 is the reader's business
        except InputError as exc:
            raise SpecError(exc.message, where) from None
    return ()


def flat(value) -> list:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in flat(v)]
    return [value]


def to_array(value, where: Where, backend, shape: tuple[int, ...], what: str, hint: str = ""):
    """``value`` as a backend array of exactly ``shape``; a scalar is broadcast when allowed."""
    got = nested_shape(value, where, what)
    if got != tuple(shape):
        raise SpecError(f"{what}: expected shape {fmt_shape(shape) or 'scalar'}"
                        f"{' (' + hint + ')' if hint else ''}, got {fmt_shape(got) or 'a single number'}", where)
    numbers = flat(value)
    if backend.exact:
        from calc.exact import to_fraction

        numbers = [to_fraction(v) for v in numbers]
        arr = backend.xp.asarray(numbers)
    else:
        from calc.errors import InputError
        from calc.exact import to_float

        try:
            arr = backend.asarray([to_float(_number(v)) for v in numbers])
        except InputError as exc:  # '1e999' (a string in YAML) is exact, but no float64
            raise SpecError(exc.message, where) from None
    return arr.reshape(shape)


def _number(v):
    if isinstance(v, str):
        from calc.exact import to_fraction

        return to_fraction(v)
    return v
