"""The gradebook as text: the CSV book, the JSON document, the Markdown class report and the
terminal summary. Data in, text out: nothing here judges an answer.
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction

from calc.teach.grade.book import Gradebook, StudentResult
from calc.teach.grade.credit import VERDICTS

CSV_COLUMNS = ("student", "variant", "item", "verdict", "slip", "points", "max", "answer", "note", "file")
TOTAL = "(total)"  # the item of a student's total row
ERROR = "error"  # the verdict of a submission that could not be graded


def points(value: Fraction) -> str:
    """1, 0.5, 0.3333 (points are sums of credits: short decimals)."""
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.4g}"


def percent(x: float) -> str:
    return f"{100 * x:.0f}%"


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @ at the start), numbers kept."""
    if text[:1] in ("=", "+", "-", "@") and not _number(text):
        return "'" + text
    return text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def book_csv(book: Gradebook) -> str:
    """One row per student and item, then the student's total row; an error row for a submission
    that could not be graded."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in book.students:
        if s.error:
            writer.writerow([_safe(x) for x in (s.student, s.variant, "", ERROR, "", "", "", "", s.error, s.file)])
            continue
        for r in s.rows:
            writer.writerow([_safe(x) for x in (s.student, s.variant, r.item, r.verdict, r.slip, points(r.points),
                                                str(r.max), r.answer, r.note, s.file)])
        writer.writerow([_safe(x) for x in (s.student, s.variant, TOTAL, "", "", points(s.score), str(s.max), "",
                                            percent(float(s.score / s.max)) if s.max else "", s.file)])
    return out.getvalue()


def book_json(book: Gradebook) -> dict:
    return {"problem": book.problem, "submissions": book.submissions,
            "credit": {k: float(v) for k, v in book.credit.points.items()},
            "graded": len(book.graded), "errors": len(book.errors),
            "students": [_student_json(s) for s in book.students],
            "items": book.items(), "slips": book.slips()}


def _student_json(s: StudentResult) -> dict:
    if s.error:
        return {"student": s.student, "file": s.file, "variant": s.variant, "error": s.error}
    return {"student": s.student, "file": s.file, "variant": s.variant, "score": float(s.score), "max": s.max,
            "items": [{"item": r.item, "verdict": r.verdict, "slip": r.slip, "points": float(r.points),
                       "max": r.max, "answer": r.answer, "note": r.note} for r in s.rows]}


def _stats(book: Gradebook) -> str:
    scores = sorted(book.scores())
    if not scores:
        return "no submission could be graded"
    mid = len(scores) // 2
    median = scores[mid] if len(scores) % 2 else (scores[mid - 1] + scores[mid]) / 2
    return (f"mean {percent(sum(scores) / len(scores))}, median {percent(median)}, "
            f"lowest {percent(scores[0])}, highest {percent(scores[-1])}")


def _students(n: int) -> str:
    return f"{n} student{'s' if n != 1 else ''}"


def slip_line(slip: dict) -> str:
    """'12 students: derivative taken at z ... (fc2.da1/dz1 12, fc2.da2/dz2 11)'."""
    items = ", ".join(f"{k} {n}" if n > 1 else k for k, n in list(slip["items"].items())[:4])
    more = len(slip["items"]) - 4
    return f"{_students(slip['students'])}: {slip['slip']} ({items}{f' and {more} more' if more > 0 else ''})"


def report_markdown(book: Gradebook, top: int = 10) -> str:
    """The class report: scores, per-item success rates, the most common slips, the errors."""
    lines = [f"# Class report: {book.problem}", "",
             f"{len(book.students)} submissions from {book.submissions}: {len(book.graded)} graded, "
             f"{len(book.errors)} could not be graded.", "",
             f"Scores: {_stats(book)}.", "", f"Credit per item: {book.credit.text()}.", "",
             "## Items", "", "| item | right | rounded | carried | slip | wrong | blank | invalid | success |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in book.items():
        cells = [str(row[v]) for v in VERDICTS]
        lines.append(f"| `{row['item']}` | " + " | ".join(cells) + f" | {percent(row['success'])} |")
    lines += ["", "Success: right or rounded, of the students graded. A carried value follows from the "
              "student's own earlier slip.", "", "## Most common slips", ""]
    slips = book.slips()[:top]
    lines += [f"- {slip_line(s)}" for s in slips] or ["No slip was named."]
    if book.errors:
        lines += ["", "## Submissions that could not be graded", ""]
        lines += [f"- {s.student}: {s.error}" for s in book.errors]
    return "\n".join(lines) + "\n"


def terminal_table(book: Gradebook):
    """One line per student (score, verdict counts), then the class: scores, hardest items, slips."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from calc.render.fit import fit

    table = Table(box=None, header_style="bold", pad_edge=False)
    for name, justify in (("student", "left"), ("score", "right"), ("right", "right"), ("carried", "right"),
                          ("wrong", "right"), ("blank", "right")):
        table.add_column(name, justify=justify, overflow="fold")
    for s in book.students:
        if s.error:
            table.add_row(Text(s.student), "error", "", "", "", "")  # Text: a name is never markup
            continue
        c = s.counts()
        table.add_row(Text(s.student), f"{points(s.score)}/{s.max}", str(c["right"] + c["rounded"]), str(c["carried"]),
                      str(c["slip"] + c["wrong"] + c["invalid"]), str(c["blank"]))
    parts = [fit(table), Text(""), Text(f"{len(book.graded)} of {len(book.students)} graded: {_stats(book)}")]
    hardest = sorted(book.items(), key=lambda r: r["success"])[:3]
    if hardest:
        parts.append(Text("hardest items: " + ", ".join(f"{r['item']} {percent(r['success'])}" for r in hardest)))
    parts += [Text(f"slip: {slip_line(s)}") for s in book.slips()[:3]]
    parts += [Text(f"error: {s.error}") for s in book.errors[:5]]
    if len(book.errors) > 5:
        parts.append(Text(f"and {len(book.errors) - 5} more errors (see --csv or --json)"))
    return Group(*parts)
