"""The one-line explanation of a verdict, from its elements (data in, text out).

    rounded   ours is 0.659: right to 2 decimals
    carried   follows from your e1, e2, e3 (rounded): the method is right
    carried   follows from your grad_w2, which is wrong: that slip is counted there
    wrong     jacobian[1,2] = -0.1889, ours -0.1598; jacobian[3,1]: sign flipped
"""

from __future__ import annotations

from calc.check.compare import index_text
from calc.check.report import Element, Verdict
from calc.numfmt import fmt

SHOWN = 4  # element details listed per answer


def number(value, decimals: int | None = None) -> str:
    """Our value with a couple more decimals than the learner wrote (at least 4 significant
    digits for small values)."""
    import math

    places = max(4, (decimals or 0) + 1)
    if isinstance(value, (int, float)) or hasattr(value, "denominator"):
        try:
            v = abs(float(value))
        except OverflowError:  # beyond float64: many digits already
            v = math.inf
        if 0 < v < 0.01:
            places = max(places, 3 - math.floor(math.log10(v)))
    return fmt(value, min(places, 12))


def explanation(v: Verdict, status: dict[str, str]) -> str:
    if v.status == "correct":
        return ""
    if v.status == "rounded":
        if not v.elements[0].index:
            return f"right to the {_places(v.elements[0])} written"
        return "right to the decimals written"
    if v.status == "carried":
        return _carried(v, [e for e in v.elements if e.status == "carried"], status)
    wrong = [e for e in v.elements if e.status == "wrong"]
    if v.diagnosis:
        ratio = wrong[0].ratio if not wrong[0].index else ""
        return v.diagnosis + (f" ({ratio})" if ratio else "")
    if not wrong[0].index:
        return "no known slip explains it"
    details = [_detail(v.name, e) for e in wrong[:SHOWN]]
    more = f"; {len(wrong) - SHOWN} more" if len(wrong) > SHOWN else ""
    return "; ".join(details) + more


def _places(e: Element) -> str:
    d = e.learner.decimals
    return f"{d} decimal{'s' if d != 1 else ''}"


def element_note(e: Element) -> str:
    """Why one element of a vector or matrix is off: its slip, or what it follows from."""
    if e.status == "carried":
        if e.upstream:
            return "follows from your " + ", ".join(e.upstream)
        return f"follows from intermediate values rounded to {e.rounding} decimals" if e.rounding else ""
    return e.diagnosis


def _detail(name: str, e: Element) -> str:
    where = index_text(name, e.index) if e.index else name
    if e.diagnosis:
        return f"{where}: {e.diagnosis}"
    mine = e.learner.text if hasattr(e.learner, "text") else str(e.learner).lower()
    return f"{where} = {mine}, ours {number(e.ours, getattr(e.learner, 'decimals', None))}"


def _carried(v: Verdict, carried: list[Element], status: dict[str, str]) -> str:
    rounding = {e.rounding for e in carried if e.rounding is not None and not e.upstream}
    ups = list(dict.fromkeys(u for e in carried for u in e.upstream))
    parts = []
    if ups:
        bad = [u for u in ups if status.get(u) == "wrong"]
        own = [u for u in ups if u == v.name]
        others = [u for u in ups if u != v.name]
        text = "follows from your " + ", ".join(others) if others else "follows from your own earlier values"
        if own and others:
            text += " and your earlier values of it"
        if bad:
            text += f", which {'is' if len(bad) == 1 else 'are'} wrong: the slip is counted there"
        else:
            text += " as written: the method is right"
        parts.append(text)
    if rounding:
        d = min(rounding)
        parts.append(f"follows from intermediate values rounded to {d} decimal{'s' if d != 1 else ''}: the method "
                     "is right")
    if not parts:
        parts.append("follows from your earlier answers")
    return "; ".join(parts)
