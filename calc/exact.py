"""Exact numbers for worked solutions: Fractions from text, their bounds, and the Approx mark.

Values are ``Fraction`` throughout. Rational operations are exact; exp, log, sqrt, tanh and
powers (calc.exact_functions) are exact where the answer is rational and otherwise an ``Approx``,
a Fraction known to ``PRECISION`` significant digits, which arithmetic keeps. Inputs come from
text: ``Fraction(0.1)`` is not 1/10, so floats are converted through their shortest
repr (or the YAML source text kept by calc.spec.yamlio.ExactFloat).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from numbers import Integral, Rational, Real

from calc.errors import InputError, clipped

PRECISION = 50
MAX_DIGITS = 1000  # significant digits of a number written as text (more is a paste accident)
MAX_EXPONENT = 10_000  # |e| of a number written as text: 1e10000 (1e999999999 would take minutes to build)
MAX_SCALE = 1_000_000  # computed values stay within 10^-MAX_SCALE .. 10^MAX_SCALE (decimal's own range)
_LOG2_10 = 3.321928094887362
_NUMBER = re.compile(r"^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$")
_RATIO = re.compile(r"^\s*([-+]?\d+)\s*/\s*([-+]?\d+)\s*$")


class Approx(Fraction):
    """A Fraction known to about PRECISION significant digits (a result of exp, log, sqrt, a root),
    not an exact value: exp(1000) is an integer as a Fraction, but only its first 50 digits mean
    anything. Arithmetic with an Approx stays Approx, so formatters and JSON can say so."""

    __slots__ = ()

    def __repr__(self):
        return f"Approx({self.numerator}, {self.denominator})"


def _keeps_mark(name: str):
    base = getattr(Fraction, name)

    def method(self, *args):
        out = base(self, *args)
        if type(out) is Fraction:
            if name in ("__mul__", "__rmul__") and out == 0 and args and not isinstance(args[0], Approx):
                return out  # x * 0 is exactly 0, however x was known
            return Approx(out)
        return out

    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
              "__rtruediv__", "__mod__", "__rmod__", "__pow__", "__pos__", "__neg__", "__abs__"):
    setattr(Approx, _name, _keeps_mark(_name))


def approx(value) -> Approx:
    """``value`` marked as known to PRECISION significant digits only."""
    return value if isinstance(value, Approx) else Approx(value)


def is_approx(value) -> bool:
    return isinstance(value, Approx)


def keep(value) -> Fraction:
    """Fraction(value), keeping the Approx mark (``Fraction(x)`` alone drops it)."""
    return value if isinstance(value, Fraction) else Fraction(value)


def _parse_decimal(text: str, original, what: str) -> Fraction | None:
    """'1.5e-3' -> 3/2000 within MAX_DIGITS significant digits and |exponent| <= MAX_EXPONENT."""
    match = _NUMBER.match(text)
    if not match or not (match.group(2) or match.group(3)):
        return None
    sign, whole, frac, exp = match.group(1), match.group(2), match.group(3) or "", match.group(4) or "0"
    digits = (whole + frac).lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise InputError(f"{what}: {len(digits)} significant digits is more than the {MAX_DIGITS} allowed")
    if len(exp.lstrip("+-").lstrip("0")) > 6 or abs(int(exp)) > MAX_EXPONENT:
        raise InputError(f"{what}: exponent {clipped(exp, 20)} is out of range (|e| <= {MAX_EXPONENT})")
    value = Fraction(int(whole + frac or "0"), 10 ** len(frac)) * Fraction(10) ** int(exp)
    return -value if sign == "-" else value




def _check_int(n: int, what: str) -> int:
    if n.bit_length() > MAX_DIGITS * _LOG2_10 + 1:
        raise InputError(f"{what}: an integer of more than {MAX_DIGITS} digits")
    return n


def to_fraction(value, what: str = "value") -> Fraction:
    """'0.1' -> 1/10, '3/7' -> 3/7, 0.1 (float) -> 1/10 via repr, 2 -> 2; else InputError.

    The one parser of numbers written by people: digits and exponents are bounded (MAX_DIGITS,
    MAX_EXPONENT), so '1e999999999' is a one-line error, not a ten-minute computation."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a number, got {value}")
    if isinstance(value, Integral):
        return Fraction(_check_int(int(value), what))
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
            num, den = (_parse_decimal(ratio.group(i), value, what) for i in (1, 2))
            if den == 0:
                raise InputError(f"{what}: division by zero in '{clipped(value, 20)}'")
            return num / den
        number = _parse_decimal(text, value, what)
        if number is not None:
            return number
        if text.lower().replace(".", "").lstrip("+-") in ("inf", "nan", "infinity"):
            raise InputError(f"{what}: expected a finite number, got '{value}'")
        value = clipped(value, 40)
    raise InputError(f"{what}: expected a number such as 0.5 or 1/3, got {value!r}")


def to_float(value, what: str | None = None) -> float:
    """float(value) for a value inside float64's range; an InputError (naming ``what`` when
    given) otherwise: float() of 10**999 raises OverflowError."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if math.isinf(number):
        prefix = f"{what}: " if what else ""
        raise InputError(f"{prefix}{describe(value)} is beyond the float64 range (about 1.8e308)")
    return number


def log10_abs(q: Fraction) -> float:
    """log10 |q| for any size of q (float(q) overflows past 1e308; math.log10 takes big ints); q != 0."""
    return math.log10(abs(q.numerator)) - math.log10(q.denominator)


def check_range(value, what: str = "value"):
    """``value`` unchanged if it lies within 10^-MAX_SCALE .. 10^MAX_SCALE (or is 0), else an
    InputError: sizes beyond that make every later step slow and say nothing."""
    if isinstance(value, Fraction) and value:
        bits = max(value.numerator.bit_length(), value.denominator.bit_length())
        if bits > MAX_SCALE * _LOG2_10 + 64:
            raise InputError(f"{what}: the value {beyond(log10_abs(value))}")
    return value


def describe(value) -> str:
    """A short text of any number, however large: '1e+400', '3.0332e+434294'."""
    from calc.numfmt import fmt

    return fmt(value)


def beyond(log10_value) -> str:
    """'is about 10^4342945: beyond ...' for a result too large or too small to compute."""
    about = f"about 10^{round(log10_value)}, " if abs(log10_value) < 10 ** 15 else ""
    return f"is {about}beyond the range nncalc computes (10^-{MAX_SCALE} to 10^{MAX_SCALE})"


def round_half_up(value, decimals: int) -> Fraction:
    """Round like a student: 0.12345 -> 0.1235 at 4 decimals (half away from zero)."""
    q = keep(value)
    scale = 10 ** decimals
    scaled = abs(q) * scale
    rounded = Fraction(math.floor(scaled + Fraction(1, 2)), scale)
    return rounded if q >= 0 else -rounded


def is_exact(value) -> bool:
    """True when a Fraction has a short, human-sized denominator (not a 50-digit approximation)."""
    return isinstance(value, Rational) and not is_approx(value) and Fraction(value).denominator < 10**12


def fraction_text(value) -> str:
    """'27/2' for a short exact fraction, '' otherwise."""
    if isinstance(value, Fraction) and value.denominator != 1 and is_exact(value) and abs(value.numerator) < 10 ** 40:
        return f"{value.numerator}/{value.denominator}"
    return ""
