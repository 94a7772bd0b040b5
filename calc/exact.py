"""Exact numbers for worked solutions: Fractions from text, and functions that stay exact.

Values are ``Fraction`` throughout. Rational operations are exact; exp, log, sqrt and tanh are
computed with ``decimal`` at ``PRECISION`` significant digits and returned as Fractions, exact
where the answer is rational (sqrt(9/4) = 3/2) and accurate to ~50 digits otherwise. Inputs
come from text: ``Fraction(0.1)`` is not 1/10, so floats are converted through their shortest
repr (or the YAML source text kept by calc.spec.yamlio.ExactFloat).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, localcontext
from fractions import Fraction
from numbers import Integral, Rational, Real

from calc.errors import InputError

PRECISION = 50
_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")
_RATIO = re.compile(r"^\s*([-+]?\d+)\s*/\s*([-+]?\d+)\s*$")


def to_fraction(value, what: str = "value") -> Fraction:
    """'0.1' -> 1/10, '3/7' -> 3/7, 0.1 (float) -> 1/10 via repr, 2 -> 2; else InputError."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a number, got {value}")
    if isinstance(value, Integral):
        return Fraction(int(value))
    src = getattr(value, "src", None)  # ExactFloat from the YAML loader keeps its text
    if src is not None:
        value = src
    if isinstance(value, Real) and not isinstance(value, str):
        number = float(value)
        if not math.isfinite(number):
            raise InputError(f"{what}: expected a finite number, got {number}")
        return Fraction(repr(number))
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        ratio = _RATIO.match(text)
        if ratio:
            den = int(ratio.group(2))
            if den == 0:
                raise InputError(f"{what}: division by zero in '{value}'")
            return Fraction(int(ratio.group(1)), den)
        if _NUMBER.match(text):
            return Fraction(text)
        if text.lower() in ("inf", "+inf", "-inf", "nan", "infinity", "-infinity"):
            raise InputError(f"{what}: expected a finite number, got '{value}'")
    raise InputError(f"{what}: expected a number such as 0.5 or 1/3, got {value!r}")


def _decimal(q: Fraction) -> Decimal:
    return Decimal(q.numerator) / Decimal(q.denominator)


def _back(d: Decimal) -> Fraction:
    return Fraction(d)


def exp(q) -> Fraction:
    q = Fraction(q)
    if q == 0:
        return Fraction(1)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return _back(_decimal(q).exp())


def log(q) -> Fraction:
    q = Fraction(q)
    if q <= 0:
        raise InputError(f"log of a non-positive number ({q})")
    if q == 1:
        return Fraction(0)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return _back(_decimal(q).ln())


def _exact_sqrt_int(n: int) -> int | None:
    r = math.isqrt(n)
    return r if r * r == n else None


def sqrt(q) -> Fraction:
    q = Fraction(q)
    if q < 0:
        raise InputError(f"square root of a negative number ({q})")
    num, den = _exact_sqrt_int(q.numerator), _exact_sqrt_int(q.denominator)
    if num is not None and den is not None:
        return Fraction(num, den)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return _back(_decimal(q).sqrt())


def tanh(q) -> Fraction:
    q = Fraction(q)
    if q == 0:
        return Fraction(0)
    if abs(q) > 200:  # tanh is +-1 to far beyond 50 digits
        return Fraction(1 if q > 0 else -1)
    e2 = exp(2 * q)
    return (e2 - 1) / (e2 + 1)


def power(q, p) -> Fraction:
    q, p = Fraction(q), Fraction(p)
    if p.denominator == 1:
        return q ** p.numerator
    if p == Fraction(1, 2):
        return sqrt(q)
    return exp(p * log(q))


def round_half_up(value, decimals: int) -> Fraction:
    """Round like a student: 0.12345 -> 0.1235 at 4 decimals (half away from zero)."""
    q = Fraction(value)
    scale = 10 ** decimals
    scaled = abs(q) * scale
    rounded = Fraction(math.floor(scaled + Fraction(1, 2)), scale)
    return rounded if q >= 0 else -rounded


def is_exact(value) -> bool:
    """True when a Fraction has a short, human-sized denominator (not a 50-digit approximation)."""
    return isinstance(value, Rational) and Fraction(value).denominator < 10**12


def fraction_text(value) -> str:
    """'27/2' for a short exact fraction, '' otherwise."""
    if isinstance(value, Fraction) and value.denominator != 1 and is_exact(value):
        return f"{value.numerator}/{value.denominator}"
    return ""
