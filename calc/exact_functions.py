"""exp, log, sqrt, tanh and powers of exact numbers: exact where the answer is rational
(sqrt(9/4) = 3/2, 1e300^(1/3) = 1e100, exp(0) = 1), else computed with ``decimal`` at
calc.exact.PRECISION significant digits and returned as an Approx. Results beyond 10^+-MAX_SCALE
are refused with an InputError instead of taking minutes.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

from calc.errors import InputError
from calc.exact import MAX_SCALE, PRECISION, approx, beyond, describe, is_approx, keep, log10_abs


def _decimal(q: Fraction) -> Decimal:
    """q as a Decimal of the current context's precision. Large numerators and denominators
    (1 + e^-1000000) are first cut to PRECISION + 20 digits with integer arithmetic:
    Decimal(int) of a million-digit integer takes minutes."""
    n, d = q.numerator, q.denominator
    if max(n.bit_length(), d.bit_length()) <= 4000 or n == 0:
        return Decimal(n) / Decimal(d)
    shift = PRECISION + 20 - math.floor(log10_abs(q))
    m = (n * 10 ** shift) // d if shift >= 0 else n // (d * 10 ** -shift)
    return Decimal(m).scaleb(-shift)


def _context(ctx, prec: int = PRECISION):
    ctx.prec = prec
    ctx.Emax, ctx.Emin = MAX_SCALE + 10, -MAX_SCALE - 10


_LN10 = 2.302585092994046


def exp(q) -> Fraction:
    """e^q to PRECISION digits (an Approx); exp(0) = 1 exactly."""
    q = keep(q)
    if q == 0:
        return Fraction(1)
    if abs(q) > MAX_SCALE * _LN10:
        raise InputError(f"exp({describe(q)}) {beyond(q / Fraction(_LN10))}")
    with localcontext() as ctx:
        _context(ctx)
        return approx(Fraction(_decimal(q).exp()))


def log(q) -> Fraction:
    """ln q to PRECISION digits (an Approx); log(1) = 0 exactly."""
    q = keep(q)
    if q <= 0:
        raise InputError(f"log of a non-positive number ({describe(q)})")
    if q == 1 and not is_approx(q):
        return Fraction(0)
    with localcontext() as ctx:
        _context(ctx)
        return approx(Fraction(_decimal(q).ln()))


def _exact_sqrt_int(n: int) -> int | None:
    r = math.isqrt(n)
    return r if r * r == n else None


def sqrt(q) -> Fraction:
    """sqrt(q): exact for squares of exact rationals (9/4 -> 3/2), else an Approx to PRECISION digits."""
    q = keep(q)
    if q < 0:
        raise InputError(f"square root of a negative number ({describe(q)})")
    if not is_approx(q):
        num, den = _exact_sqrt_int(q.numerator), _exact_sqrt_int(q.denominator)
        if num is not None and den is not None:
            return Fraction(num, den)
    with localcontext() as ctx:
        _context(ctx)
        return approx(Fraction(_decimal(q).sqrt()))


def tanh(q) -> Fraction:
    q = keep(q)
    if q == 0:
        return Fraction(0)
    if abs(q) > 200:  # tanh is +-1 to far beyond 50 digits (but not exactly)
        return approx(1 if q > 0 else -1)
    e2 = exp(2 * q)
    return (e2 - 1) / (e2 + 1)


def _iroot(n: int, k: int) -> int:
    """floor(n ** (1/k)) for n >= 0 in integers (Newton from above)."""
    if n < 2:
        return n
    x = 1 << -(-n.bit_length() // k)
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            return x
        x = y


def _exact_root(q: Fraction, p: Fraction) -> Fraction | None:
    """q^p exactly when q is an exact p.denominator-th power (1e300^(1/3) = 1e100), else None."""
    k = p.denominator
    if k > 64 or max(q.numerator.bit_length(), q.denominator.bit_length()) > 20_000:
        return None
    num, den = _iroot(q.numerator, k), _iroot(q.denominator, k)
    if num ** k != q.numerator or den ** k != q.denominator:
        return None
    return _int_power(Fraction(num, den), p.numerator)


def _int_power(q: Fraction, n: int) -> Fraction:
    if q == 0 and n < 0:
        raise InputError(f"0 to the negative power {n} (division by zero)")
    if q != 0 and abs(n) > 1 and abs(n * log10_abs(q)) > MAX_SCALE:
        raise InputError(f"{describe(q)}^{n} {beyond(n * log10_abs(q))}")
    return q ** n


def power(q, p) -> Fraction:
    """q^p: exact for integer p and for exact roots; 0^p = 0 for p > 0; else an Approx
    (computed with guard digits, so 1e300^(1/3.0001) has no noise digits)."""
    q, p = keep(q), keep(p)
    inexact = is_approx(q) or is_approx(p)
    if p.denominator == 1:
        out = _int_power(q, p.numerator)
        return approx(out) if is_approx(p) else out
    if q == 0:
        if p > 0:
            return Fraction(0)
        raise InputError(f"0 to the negative power {describe(p)} (division by zero)")
    if q < 0:
        raise InputError(f"a negative number ({describe(q)}) to the non-integer power {describe(p)} is not real")
    root = None if inexact else _exact_root(q, p)
    if root is not None:
        return root
    if p == Fraction(1, 2):
        return sqrt(q)
    with localcontext() as ctx:
        _context(ctx, PRECISION + 10)
        e = _decimal(q).ln() * _decimal(p)
        if abs(e) > MAX_SCALE * _LN10:
            raise InputError(f"{describe(q)}^{describe(p)} {beyond(Fraction(e) / Fraction(_LN10))}")
        value = e.exp()
        ctx.prec = PRECISION
        return approx(Fraction(+value))


def log1p(q) -> Fraction:
    """ln(1 + q) to PRECISION digits (an Approx), also for tiny q (1 + e^-1000): the working
    precision grows by the digits that 1 + q would cancel; log1p(0) = 0 exactly."""
    q = keep(q)
    if q == 0:
        return q
    if q <= -1:
        raise InputError(f"log of a non-positive number (1 + {describe(q)})")
    lost = max(0, -math.floor(log10_abs(q))) if abs(q) < 1 else 0
    if lost > PRECISION + MAX_SCALE // 10:  # q below 10^-100000: ln(1 + q) = q to far beyond 50 digits
        return approx(q - q * q / 2)
    with localcontext() as ctx:
        _context(ctx, PRECISION + 10 + lost)
        value = (Decimal(1) + _decimal(q)).ln()
        ctx.prec = PRECISION
        return approx(Fraction(+value))


# pi to 120 digits: erf's 2/sqrt(pi) at any precision erf uses
_PI = Decimal("3.14159265358979323846264338327950288419716939937510"
              "58209749445923078164062862089986280348253421170679"
              "82148086513282306647")


def pi() -> Fraction:
    """pi as an Approx (GELU's constants sqrt(2/pi) and 1/sqrt(2 pi))."""
    return approx(Fraction(_PI))


_ERF_ONE = 12  # |q| >= 12: erf(q) = +-1 to more than 60 digits (erfc(12) < 1e-63)


def erf(q) -> Fraction:
    """The error function erf(q) = 2/sqrt(pi) * integral_0^q e^(-t^2) dt (GELU's Phi), by its
    Taylor series sum (-1)^n q^(2n+1) / (n! (2n+1)) in decimal arithmetic with the digits that the
    alternating terms (up to e^(q^2)) cancel added; erf(0) = 0 exactly, +-1 (an Approx) for |q| >= 12."""
    q = keep(q)
    if q == 0:
        return q
    if abs(q) >= _ERF_ONE:
        return approx(1 if q > 0 else -1)
    guard = int(float(q * q) / _LN10) + 10
    with localcontext() as ctx:
        _context(ctx, PRECISION + guard)
        x = _decimal(q)
        x2, term, total, n = x * x, x, x, 0
        limit = Decimal(10) ** -(PRECISION + guard)
        while abs(term) > limit * abs(total) / (2 * n + 3) or n < 2:
            n += 1
            term = -term * x2 / n
            total += term / (2 * n + 1)
        value = 2 * total / _PI.sqrt()
        ctx.prec = PRECISION
        return approx(Fraction(+value))
