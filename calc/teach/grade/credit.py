"""Points per verdict: the partial credit of ``--credit carried=0.5,rounded=1``.

Verdicts of the gradebook (calc.check's statuses, worded for a gradebook):
right (calc.check's correct), rounded, carried, slip (wrong, with the slip the checker named),
wrong (no slip named), blank (null, or the item is not in the file), invalid (cannot be checked:
text, a wrong shape). Carried values earn full credit by default: the method is right and the
slip is counted once, where it starts. Blank and invalid earn nothing unless asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

VERDICTS = ("right", "rounded", "carried", "slip", "wrong", "blank", "invalid")
DEFAULT = {"right": Fraction(1), "rounded": Fraction(1), "carried": Fraction(1), "slip": Fraction(0),
           "wrong": Fraction(0), "blank": Fraction(0), "invalid": Fraction(0)}


@dataclass(frozen=True)
class Credit:
    points: dict = field(default_factory=lambda: dict(DEFAULT))

    @classmethod
    def parse(cls, text: str | None) -> Credit:
        """'carried=0.5,rounded=1' -> those verdicts' points (0 to 1), the others by default."""
        from calc.errors import InputError
        from calc.exact import to_fraction

        points = dict(DEFAULT)
        for part in (text or "").split(","):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            key = key.strip().lower()
            if key == "correct":
                key = "right"
            if not sep or key not in points:
                raise InputError(f"--credit: expected VERDICT=POINTS with VERDICT one of {', '.join(VERDICTS)}, "
                                 f"got '{part.strip()[:40]}'")
            number = to_fraction(value.strip(), f"--credit {key}")
            if not 0 <= number <= 1:
                raise InputError(f"--credit {key}: expected points from 0 to 1, got {value.strip()[:40]}")
            points[key] = number
        return cls(points)

    def of(self, verdict: str) -> Fraction:
        return self.points.get(verdict, Fraction(0))

    def text(self) -> str:
        """'right=1, rounded=1, carried=1, slip=0, ...' for reports."""
        return ", ".join(f"{k}={_num(self.points[k])}" for k in VERDICTS)


def _num(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):g}"
