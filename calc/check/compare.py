"""When a learner's number agrees with ours: tolerances, written precision, shapes.

Rules, in order (DEVELOPING.md, "Checking answers"):

1. *correct*: within the tolerance, |v - ours| <= max(abs, rel |ours|) (default rel 1e-6);
2. *rounded*: ours rounds to what was written: |v - ours| <= half a unit of the last written
   place (0.66 for 0.6590: 2 decimals). Integers and fractions are exact claims and get no such
   slack. ``--decimals N`` replaces the written precision by N decimals for every number;
3. otherwise the value is *off*, and the checker looks for where it came from: ``follows``
   accepts one unit of the last place against a value recomputed from the learner's own answers.

``near`` is the looser test used to name a slip: the learner's value is within one unit of the
last written place (or 1%) of the value the slip gives, and clearly closer to it than to ours.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral

from calc.check.answers import Written


@dataclass(frozen=True)
class Tolerance:
    rel: Fraction = Fraction(1, 10**6)
    abs: Fraction = Fraction(0)
    decimals: int | None = None  # required decimals: replaces the precision each number was written with

    def unit(self, w: Written) -> Fraction | None:
        return Fraction(1, 10**self.decimals) if self.decimals is not None else w.unit


def exact(value) -> Fraction | bool:
    """Our value as an exact number (bools stay bools)."""
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, Fraction):
        value = value.item()
    if isinstance(value, (Fraction, Integral)):
        return Fraction(value)
    return Fraction(repr(float(value)))


def nested(value):
    """Our answer as nested Python lists (arrays and tuples included) of scalars."""
    if hasattr(value, "tolist") and getattr(value, "ndim", 1) > 0:
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [nested(v) for v in value]
    return value


def shape(value) -> tuple | None:
    """(rows, cols, ...) of nested lists, () for a scalar, None when ragged."""
    if not isinstance(value, list):
        return ()
    inner = {shape(v) for v in value}
    if len(inner) != 1 or None in inner:
        return None
    return (len(value), *inner.pop())


def shape_text(s: tuple) -> str:
    if not s:
        return "a single number"
    if len(s) == 1:
        return f"a list of {s[0]}"
    return "a " + " x ".join(map(str, s)) + (" matrix" if len(s) == 2 else " array")


def elements(value, prefix: tuple = ()):
    """(index, element) pairs of nested lists, row by row; a scalar is ((), value)."""
    if not isinstance(value, list):
        yield prefix, value
        return
    for i, item in enumerate(value):
        yield from elements(item, (*prefix, i))


def at(value, index: tuple):
    for i in index:
        value = value[i]
    return value


def index_text(name: str, index: tuple) -> str:
    """'J[1,2]' (1-based) for an element; the name itself for a scalar."""
    return f"{name}[{','.join(str(i + 1) for i in index)}]" if index else name


def close(v: Fraction, target: Fraction, tol: Tolerance) -> bool:
    return abs(v - target) <= max(tol.abs, tol.rel * abs(target))


def rounds_to(w: Written, target: Fraction, tol: Tolerance) -> bool:
    unit = tol.unit(w)
    return unit is not None and abs(w.value - target) <= unit / 2


def agrees(w, target, tol: Tolerance) -> bool:
    """Correct or right to the precision written."""
    if isinstance(w, bool) or isinstance(target, bool):
        return isinstance(w, bool) and isinstance(target, bool) and w == target
    return close(w.value, target, tol) or rounds_to(w, target, tol)


def follows(w: Written, recomputed: Fraction, ours: Fraction, tol: Tolerance, slack: bool = True) -> bool:
    """Agreement with a value recomputed from the learner's own earlier answers (the learner's
    value is off from ours): within the tolerance, or ``recomputed`` rounds to what was written;
    or one unit of the last written place off (an intermediate rounded and not written down:
    2(-0.633) + 1 = -0.266, written -0.26) when ``recomputed`` is clearly not ours at that
    precision and explains the value better than ours (``slack``: not for hand rounding, which
    already rounds every intermediate)."""
    gap = abs(w.value - recomputed)
    if close(w.value, recomputed, tol) or rounds_to(w, recomputed, tol):
        return True
    unit = tol.unit(w)
    return (slack and unit is not None and gap <= unit and gap < abs(w.value - ours)
            and abs(recomputed - ours) > unit / 2)


def near(w: Written, target: Fraction, ours: Fraction, tol: Tolerance) -> bool:
    """Loose agreement with a slip's value that explains the learner's better than ours does.
    Never from rounding slack: when ours is less than one unit of the last place written away
    (0.0 written for 0.0986), the digits cannot tell a slip from a coarse rounding of ours, so
    nothing is named."""
    unit = tol.unit(w)
    if unit is not None and abs(w.value - ours) < unit:
        return False
    gap = abs(w.value - target)
    if close(w.value, target, tol) or rounds_to(w, target, tol):
        return gap < abs(w.value - ours)
    slack = max(tol.unit(w) or 0, abs(target) / 100)
    return gap <= slack and 4 * gap < abs(w.value - ours)


def truncated(value: Fraction, decimals: int) -> Fraction:
    """Cut (toward zero) after ``decimals`` places: 0.6590 -> 0.65 at 2."""
    scale = 10**decimals
    cut = Fraction(int(abs(value) * scale), scale)
    return cut if value >= 0 else -cut


def swapped_digits(text: str, target: Fraction, decimals: int) -> bool:
    """'0.5238' for 0.2538: two neighbouring digits of the correctly rounded value swapped."""
    from calc.exact import round_half_up

    mine = text.strip().lstrip("+")
    if abs(target) >= 10 ** len(mine):  # more digits than the learner wrote (and no float() of 1e434)
        return False
    rounded = round_half_up(target, decimals)
    whole, frac = divmod(abs(rounded.numerator * 10 ** decimals // rounded.denominator), 10 ** decimals)
    ours = ("-" if rounded < 0 else "") + (f"{whole}.{frac:0{decimals}d}" if decimals else str(whole))
    if len(ours) != len(mine) or ours == mine:
        return False
    diff = [i for i, (a, b) in enumerate(zip(ours, mine)) if a != b]
    return (len(diff) == 2 and diff[1] == diff[0] + 1 and ours[diff[0]] == mine[diff[1]]
            and ours[diff[1]] == mine[diff[0]] and "." not in (ours[diff[0]], ours[diff[1]]))


def is_symmetric(matrix) -> bool:
    n = len(matrix)
    return all(len(row) == n for row in matrix) and all(
        matrix[i][j] == matrix[j][i] for i, j in itertools.combinations(range(n), 2))
