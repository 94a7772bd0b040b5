"""The gradebook as data: one ItemRow per student and item, a StudentResult per student (or its
error), and the class statistics the report shows (success rate per item, the most common slips).
Plain values only (str, int, Fraction): results travel back from the worker processes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from calc.teach.grade.credit import VERDICTS, Credit

_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")  # 0.66, -1e-3, not a1 or w5+
SUCCESS = ("right", "rounded")  # an item's success rate counts these (carried is its own column)


@dataclass
class ItemRow:
    item: str
    verdict: str  # one of credit.VERDICTS, or 'unknown' for a name the problem does not have
    slip: str = ""  # the slip the checker named (verdict 'slip'), or why it is invalid
    note: str = ""  # carried: which earlier answers it follows from; blank: not in the file
    answer: str = ""  # as written ('' when blank)
    points: Fraction = Fraction(0)
    max: int = 1


@dataclass
class StudentResult:
    student: str
    file: str
    variant: str = ""
    problem: str = ""
    rows: list[ItemRow] = field(default_factory=list)
    error: str = ""  # the submission could not be graded: one line saying why

    @property
    def score(self) -> Fraction:
        return sum((r.points for r in self.rows), Fraction(0))

    @property
    def max(self) -> int:
        return sum(r.max for r in self.rows)

    def counts(self) -> Counter:
        return Counter(r.verdict for r in self.rows if r.max)


@dataclass
class Gradebook:
    problem: str
    submissions: str
    credit: Credit
    students: list[StudentResult]
    workers: int = 1

    @property
    def graded(self) -> list[StudentResult]:
        return [s for s in self.students if not s.error]

    @property
    def errors(self) -> list[StudentResult]:
        return [s for s in self.students if s.error]

    def items(self) -> list[dict]:
        """Per item (in the problem's order; variants share their answer names): how many
        students got each verdict, and the success rate (right or rounded, of those graded)."""
        table: dict[str, Counter] = {}
        for s in self.graded:
            for r in s.rows:
                if r.max:
                    table.setdefault(r.item, Counter())[r.verdict] += 1
        out = []
        for item, counts in table.items():
            n = sum(counts.values())
            out.append({"item": item, "students": n, **{v: counts.get(v, 0) for v in VERDICTS},
                        "success": sum(counts.get(v, 0) for v in SUCCESS) / n if n else 0.0})
        return out

    def slips(self) -> list[dict]:
        """The slips the checker named, most common first: how many students made each (a
        student counts once per slip however many items it spoiled) and on which items. Slips
        that differ only in their numbers ('truncated, not rounded: ours rounds to 0.66' and
        '... to 0.1') are one slip, named by their common words."""
        students: dict[str, set] = {}
        items: dict[str, Counter] = {}
        texts: dict[str, set] = {}
        for k, s in enumerate(self.graded):
            for r in s.rows:
                if r.verdict == "slip" and r.slip:
                    key = _NUMBER.sub("#", r.slip)
                    students.setdefault(key, set()).add(k)
                    items.setdefault(key, Counter())[r.item] += 1
                    texts.setdefault(key, set()).add(r.slip)
        ranked = sorted(students, key=lambda key: (-len(students[key]), key))
        return [{"slip": _named(key, texts[key]), "students": len(students[key]), "items": dict(items[key].most_common())}
                for key in ranked]

    def scores(self) -> list[float]:
        return [float(s.score / s.max) if s.max else 0.0 for s in self.graded]


def _named(key: str, texts: set) -> str:
    """One slip's text; several that differ in their numbers: their words before the numbers."""
    if len(texts) == 1:
        return next(iter(texts))
    if ":" in key and "#" not in key.split(":")[0]:
        return key.split(":")[0]  # 'truncated, not rounded'
    return key.replace("#", "n")  # 'your value is nx ours'
