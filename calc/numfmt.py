"""How numbers look to people: exact integers with separators, rounded decimals, fractions.

Below both the solvers (which write formulas with the numbers substituted) and the renderers."""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral, Real

DEFAULT_DECIMALS = 4


def _huge_float(n) -> float | None:
    """float(n), or None past float64's range (a 10^400 count is still an integer)."""
    try:
        return float(n)
    except OverflowError:
        return None


def human(n: int | float, unit: str = "") -> str:
    """4089184256 -> '4.09 G' (SI prefixes), for totals next to the exact figure."""
    value = _huge_float(n)
    if value is None or abs(value) >= 1e15:
        return f"{sci(n, 2)} {unit}".strip()
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.2f} {prefix}{unit}"
    return f"{value:g} {unit}".strip()


def size_bytes(n: int) -> str:
    """1536 -> '1.5 kB', binary multiples as memory is counted."""
    value = _huge_float(n)
    if value is None or value >= 1024 ** 5:
        return f"{sci(Fraction(n) / 1024 ** 4, 2)} TB"
    for factor, unit in ((1024 ** 4, "TB"), (1024 ** 3, "GB"), (1024 ** 2, "MB"), (1024, "kB")):
        if value >= factor:
            return f"{value / factor:.1f} {unit}"
    return f"{int(value)} B"


def sci(value, digits: int) -> str:
    """Scientific notation with ``digits`` decimals of the mantissa, rounded half up from the
    exact value, for any size: 10**400 -> '1.00e+400' (float() would overflow, str() of a
    4300-digit integer raises)."""
    from calc.exact import log10_abs, round_half_up

    q = Fraction(value)
    if q == 0:
        return f"{0:.{digits}e}"
    e = math.floor(log10_abs(q))
    m = abs(q) / Fraction(10) ** e
    while m >= 10:
        m, e = m / 10, e + 1
    while m < 1:
        m, e = m * 10, e - 1
    mantissa = round_half_up(m, digits)
    if mantissa >= 10:
        mantissa, e = mantissa / 10, e + 1
    scaled = str(int(mantissa * 10 ** digits))
    text = scaled[0] + ("." + scaled[1:] if digits > 0 else "")
    return f"{'-' if q < 0 else ''}{text}e{'-' if e < 0 else '+'}{abs(e):02d}"


def grouped(n: int) -> str:
    """62,378,344; a count of more than PLAIN_DIGITS digits in scientific notation (a 10^800 count
    grouped fills 13 lines, and past 4,300 digits str() raises)."""
    return f"{n:,}" if abs(n) < 10 ** PLAIN_DIGITS else sci(n, 3)


PLAIN_DIGITS = 40  # exact integers up to this many digits are shown in full; longer ones rounded


def _integer(n: int, decimals: int) -> str:
    if abs(n) < 10 ** PLAIN_DIGITS:
        return str(n)
    return sci(n, max(decimals - 1, 1))


def _fraction(q: Fraction, decimals: int) -> str:
    """The exact value rounded half up: 221099/20000 -> 11.055 (not 11.0549); outside 1e-15..1e15
    (or when the rounding leaves 0) in scientific notation."""
    from calc.exact import round_half_up

    digits = max(decimals - 1, 1)
    if q != 0 and not 10 ** -15 <= abs(q) < 10 ** 15:
        return sci(q, digits)
    rounded = round_half_up(q, decimals)
    if not rounded:
        return sci(q, digits) if q else "0"
    return _decimal_text(rounded, decimals)


def _decimal_text(rounded: Fraction, decimals: int) -> str:
    """k / 10^decimals written out exactly ('1.4142'), trailing zeros dropped. Through float() the
    digits past the 16th were binary noise at --decimals 30."""
    scaled = abs(rounded.numerator * 10 ** decimals // rounded.denominator)
    whole, frac = divmod(scaled, 10 ** decimals)
    text = f"{whole}.{frac:0{decimals}d}".rstrip("0").rstrip(".") if decimals else str(whole)
    return ("-" if rounded < 0 else "") + text


def _scalar(value, decimals: int) -> str:
    from calc.exact import is_approx

    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Integral):
        return _integer(int(value), decimals)
    if isinstance(value, Fraction):  # an Approx integer (exp(1000)) is a rounded real, not an exact integer
        if value.denominator == 1 and not is_approx(value):
            return _integer(value.numerator, decimals)
        return _fraction(value, decimals)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return str(value)
    if number != number or number in (float("inf"), float("-inf")):
        return str(number)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    if abs(number) >= 1e15:
        return f"{number:.{max(decimals - 1, 1)}e}"
    text = f"{number:.{decimals}f}".rstrip("0").rstrip(".")
    if text in ("0", "-0") and number != 0:  # too small for fixed decimals
        return f"{number:.{max(decimals - 1, 1)}e}"
    return text


def fmt(value, decimals: int = DEFAULT_DECIMALS) -> str:
    """A value as text: ints exact, reals rounded to ``decimals``, sequences bracketed."""
    if hasattr(value, "tolist") and not isinstance(value, (Real, Fraction)):
        value = value.tolist()
    if isinstance(value, tuple) and value and all(isinstance(v, Integral) for v in value):
        return " x ".join(str(v) for v in value) if len(value) > 1 else str(value[0])
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt(v, decimals) for v in value) + "]"
    return _scalar(value, decimals)


def fmt_exact(value) -> str:
    """'27/2' for a non-integer fraction a person would write (denominator up to 1000), else ''.

    Long fractions (13741849/50000000, or the 50-digit ones of exp/log) say nothing the
    rounded decimal does not."""
    from calc.exact import is_approx

    if (isinstance(value, Fraction) and 1 < value.denominator <= 1000 and not is_approx(value)
            and abs(value.numerator) < 10 ** PLAIN_DIGITS):
        return f"{value.numerator}/{value.denominator}"
    return ""


def shown_exactly(value, decimals: int = DEFAULT_DECIMALS) -> bool:
    """True when ``fmt(value, decimals)`` is the exact value (0.3775), False when it is rounded."""
    from calc.exact import is_approx

    if is_approx(value):
        return False  # known to 50 digits: even '1' is rounded
    try:
        return Fraction(value) == Fraction(fmt(value, decimals))
    except (TypeError, ValueError):
        return True
