"""Naming the slip behind a wrong number: plain transforms of our value, a neighbouring answer
mistaken for this one, and the size of a factor.

Each test is explicit and named; the first that explains the learner's value wins. Convention
slips that need the problem solved again are calc.check.slips' variants (tried first, by the
checker); what is here needs no solving.
"""

from __future__ import annotations

from fractions import Fraction

from calc.check.answers import Written
from calc.check.compare import Tolerance, agrees, exact, is_symmetric, near, swapped_digits, truncated
from calc.numfmt import fmt

# (diagnosis, transform of our value); tried in this order
FACTORS = (
    ("sign flipped", lambda o: -o),
    ("twice ours: a factor 2 too many (1/2 dropped, or 2 from a square's derivative added)", lambda o: 2 * o),
    ("half of ours: a factor 1/2 too many (or a 2 dropped)", lambda o: o / 2),
    ("decimal point shifted: 10x ours", lambda o: 10 * o),
    ("decimal point shifted: 1/10 of ours", lambda o: o / 10),
)


def element_slip(w: Written, target: Fraction, tol: Tolerance, whose: str = "", factors: bool = True) -> str:
    """The transform of ``target`` (ours, or with ``whose`` the value the learner's own earlier
    answers give) that explains the learner's value, or ''; ``factors=False``: sign, truncation
    and swapped digits only (the factors are tried after a mistaken quantity)."""
    d = w.decimals
    shown = fmt(target, max(4, (d or 0) + 1)) if d is None or not whose else fmt(target, d)
    of = f" ({whose} give {shown})" if whose else ""
    if target != 0 and near(w, -target, target, tol):
        return FACTORS[0][0] + of
    rounded = (fmt(target, d) if d else str(round(target))) if d is not None else ""
    if d is not None and w.value != 0 and w.value == truncated(target, d) and not agrees(w, target, tol):
        return f"truncated, not rounded: {whose or 'ours'} {'give' if whose else 'rounds to'} {rounded}" + \
            ("" if whose else f" at {d} decimals")
    if d is not None and swapped_digits(w.text, target, d):
        return f"two neighbouring digits swapped: {rounded} ({whose or 'ours'})"
    for text, transform in FACTORS[1:] if factors else ():
        if target != 0 and near(w, transform(target), target, tol):
            return text + of
    return ""


def item_slip(learner, ours, tol: Tolerance) -> str:
    """A transform of a whole vector or matrix: transposed, or in reverse order."""
    if not isinstance(ours, list) or not ours or isinstance(ours[0], bool):
        return ""
    if isinstance(ours[0], list):
        if len({len(r) for r in ours}) != 1 or is_symmetric(ours):
            return ""
        flipped = [list(col) for col in zip(*ours)]
        if _all_near(learner, flipped, ours, tol):
            return "transposed: rows and columns swapped"
        return ""
    if ours != ours[::-1] and _all_near(learner, ours[::-1], ours, tol):
        return "in reverse order"
    return ""


def _all_near(learner, target, ours, tol) -> bool:
    from calc.check.compare import elements

    if not isinstance(learner, list) or len(learner) != len(target):
        return False
    pairs = zip(elements(learner), elements(target), elements(ours))
    try:
        return all(not isinstance(w, bool) and (agrees(w, t, tol) or near(w, t, o, tol))
                   for (_, w), (_, t), (_, o) in pairs)
    except TypeError:  # shapes differ
        return False


def other_quantity(w: Written, ours: Fraction, answers: dict, own: set[str], tol: Tolerance) -> str:
    """'our var (5)': another scalar answer the learner's value is (strictly), when only a few match."""
    if abs(w.value) in (0, 1) or (w.unit is not None and w.unit * 100 > abs(w.value)):
        return ""  # 0, 1 or fewer than 3 significant digits: too common to point at one quantity
    hits, seen = [], set()
    for name, value in answers.items():
        if name in own or isinstance(value, (list, tuple, bool)) or hasattr(value, "shape"):
            continue
        try:
            v = exact(value)
        except (TypeError, ValueError):
            continue
        if v != ours and id(value) not in seen and agrees(w, v, tol):
            seen.add(id(value))
            hits.append(name)
    if not hits or len(hits) > 2:
        return ""
    also = f" (also {hits[1]})" if len(hits) > 1 else ""
    return f"that is our {hits[0]}{also}: another quantity"


def ratio_text(w: Written, ours: Fraction) -> str:
    """'your value is 2x ours' when the ratio is a small fraction (the MSE convention factors)."""
    if ours == 0 or w.value == 0:
        return ""
    r = w.value / ours
    if r < 0 or abs(r - 1) < Fraction(1, 100):
        return ""
    for n in range(2, 21):  # whole factors only: 2x, 1/2 (the convention factors 2, n, 2n)
        if abs(r - n) <= r / 100:
            return f"your value is {n}x ours"
        if abs(r - Fraction(1, n)) <= r / 100:
            return f"your value is 1/{n} of ours"
    return ""


def other_item(learner, ours, answers: dict, own: set[str], tol: Tolerance) -> str:
    """'that is our V_corrected': a whole vector or matrix that is another answer of the same shape."""
    from calc.check.compare import elements, nested, shape

    want = shape(ours)
    for name, value in answers.items():
        if name in own:
            continue
        other = nested(value)
        if other == ours or shape(other) != want or any(isinstance(x, bool) for _, x in elements(other)):
            continue
        try:
            pairs = list(zip(elements(learner), elements(other)))
            if all(not isinstance(w, bool) and agrees(w, exact(o), tol) for (_, w), (_, o) in pairs):
                return f"that is our {name}: another quantity"
        except (TypeError, ValueError):
            continue
    return ""
