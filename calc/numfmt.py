"""How numbers look to people: exact integers with separators, rounded decimals, fractions.

Below both the solvers (which write formulas with the numbers substituted) and the renderers."""

from __future__ import annotations

from fractions import Fraction
from numbers import Integral, Real

DEFAULT_DECIMALS = 4


def human(n: int | float, unit: str = "") -> str:
    """4089184256 -> '4.09 G' (SI prefixes), for totals next to the exact figure."""
    value = float(n)
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.2f} {prefix}{unit}"
    return f"{value:g} {unit}".strip()


def size_bytes(n: int) -> str:
    """1536 -> '1.5 kB', binary multiples as memory is counted."""
    value = float(n)
    for factor, unit in ((1024 ** 3, "GB"), (1024 ** 2, "MB"), (1024, "kB")):
        if value >= factor:
            return f"{value / factor:.1f} {unit}"
    return f"{int(value)} B"


def grouped(n: int) -> str:
    return f"{n:,}"


def _scalar(value, decimals: int) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Fraction) and value.denominator == 1:
        return str(value.numerator)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number != number or number in (float("inf"), float("-inf")):
        return str(number)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    if isinstance(value, Fraction):  # round the exact value half up: 221099/20000 -> 11.055, not 11.0549
        from calc.exact import round_half_up

        rounded = round_half_up(value, decimals)
        text = f"{float(rounded):.{decimals}f}".rstrip("0").rstrip(".") if rounded else "0"
    else:
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
    if isinstance(value, Fraction) and 1 < value.denominator <= 1000:
        return f"{value.numerator}/{value.denominator}"
    return ""


def shown_exactly(value, decimals: int = DEFAULT_DECIMALS) -> bool:
    """True when ``fmt(value, decimals)`` is the exact value (0.3775), False when it is rounded."""
    try:
        return Fraction(value) == Fraction(fmt(value, decimals))
    except (TypeError, ValueError):
        return True
