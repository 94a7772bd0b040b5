"""One submission through calc.check, the problem solved once for the whole class.

``Prepared`` holds what does not depend on the student: the worked solution, the slip variants
and the re-solves that carry no learner values (a convention slip alone, hand rounding alone).
``ClassChecker`` is calc.check's Checker reading those from the prepared problem instead of
solving them again; the verdicts are the checker's own (tests/test_grade.py compares them with
``nncalc check`` on the same files). The re-solves with a student's own values (carrying) are
that student's and are made per submission, as nncalc check makes them.
"""

from __future__ import annotations

from fractions import Fraction

from calc.check.checker import Checker, _element_runs
from calc.check.slips import variants
from calc.check.sources import solve_source
from calc.teach.grade.book import ItemRow, StudentResult
from calc.teach.grade.credit import Credit

ORDER = ("invalid", "wrong", "blank", "carried", "rounded", "correct")  # worst first: parts -> whole


class Prepared:
    """A problem solved once: our answers, the items graded, the student-independent re-solves."""

    def __init__(self, problem):
        self.problem = problem
        self.ours = solve_source(problem)
        self.variants = variants(problem)
        self.order = {name: k for k, name in enumerate(self.ours.answers)}
        self.cache: dict = {}
        names = [k for k in self.ours.answers if k not in self.ours.aliases]
        self.parts = _element_runs(self.ours.answers, names)  # whole -> its elements as scalar answers
        inside = {p for parts in self.parts.values() for p in parts}
        self.items = [k for k in names if k not in inside]  # one row per quantity, however written


def _shared(key) -> bool:
    """Re-solves that carry no learner values: the same for every student."""
    return isinstance(key, tuple) and key[0] in ("variant", "hand") and key[-1] is False


class ClassChecker(Checker):
    def __init__(self, prepared: Prepared, answers, tolerance, allow_blank: bool = False):
        self.problem, self.tol = prepared.problem, tolerance
        self.ours, self.variants, self.order = prepared.ours, prepared.variants, prepared.order
        self.answers, self.allow_blank = answers, allow_blank
        self.cache: dict = {}
        self.shared = prepared.cache

    def solve(self, key, given=None, learner=None, **options):
        if not _shared(key):
            return super().solve(key, given, learner, **options)
        own, self.cache = self.cache, self.shared
        try:
            return super().solve(key, given, learner, **options)
        finally:
            self.cache = own


def grade(prepared: Prepared, answers, tolerance, credit: Credit, result: StudentResult) -> StudentResult:
    """The student's rows: one per item of the problem, then any name the problem does not have."""
    limit = 4 * len(prepared.ours.answers) + 100  # every name and alias, several times over
    if len(answers) > limit:
        from calc.errors import InputError, Where

        raise InputError(f"{len(answers):,} answers, but this problem has {len(prepared.items)} items", Where(result.file))
    report = ClassChecker(prepared, answers, tolerance).run(result.problem, result.file)
    by_name = {}
    for v in report.verdicts:
        if v.status == "invalid" and v.ours is None:  # a name the problem does not have
            result.rows.append(ItemRow(v.name, "unknown", v.explanation, answer=_written(v.learner), max=0))
            continue
        by_name.setdefault(v.canonical or v.name, v)
    missing = set(report.missing)
    rows = []
    for item in prepared.items:
        parts = prepared.parts.get(item, [])
        if item in by_name:
            row = _row(item, by_name[item])
        elif parts and any(p in by_name for p in parts):
            row = _from_parts(item, [by_name.get(p) for p in parts])
        else:
            row = ItemRow(item, "blank", note="not in the file" if item in missing else "")
        row.points = credit.of(row.verdict)
        rows.append(row)
    result.rows[:0] = rows
    return result


def _row(item: str, v) -> ItemRow:
    verdict = {"correct": "right"}.get(v.status, v.status)
    if verdict == "wrong" and v.diagnosis:
        verdict = "slip"
    note = f"follows from {', '.join(v.upstream)}" if v.status == "carried" and v.upstream else ""
    return ItemRow(item, verdict, v.diagnosis if verdict == "slip" else v.explanation if verdict == "invalid" else "",
                   note, _written(v.learner))


def _from_parts(item: str, parts: list) -> ItemRow:
    """A quantity written element by element (p1, p2, p3 for p): its worst element's verdict."""
    statuses = [p.status if p is not None else "blank" for p in parts]
    worst = next(s for s in ORDER if s in statuses)
    slips = {p.diagnosis for p in parts if p is not None and p.status == "wrong"}
    row = ItemRow(item, {"correct": "right"}.get(worst, worst), note="written element by element")
    if worst == "wrong" and len(slips) == 1 and "" not in slips:
        row.verdict, row.slip = "slip", slips.pop()
    return row


def _written(value) -> str:
    """The answer as the student wrote it, for the gradebook."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "[" + ", ".join(_written(x) for x in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    text = getattr(value, "text", None)
    return str(text if text is not None else value)[:80]


def points_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.4g}"

