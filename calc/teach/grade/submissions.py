"""Where a class's answers come from: a folder of answers files, or one CSV with a row per
student; and, for a class with variants, which problem each student answers (the ``id:`` of the
answers file matching the top-level ``id:`` of a problem file in the variants folder).

Everything here is untrusted input read with the bounded readers (calc.files, calc.spec.yamlio).
A broken submission is not an exception for the class: it becomes that student's error row
(``Submission.error`` or an error when it is read in a worker); only a folder or CSV that cannot
be used at all (no such path, no ``student`` column) stops the command, before any grading.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from calc.errors import InputError, SpecError, Where

MAX_SUBMISSIONS = 100_000  # a class, not a crawl of the disk
CSV_LIMIT = 64 << 20  # a CSV of 100,000 rows of 40 answers is far below this
ANSWER_SUFFIXES = (".yaml", ".yml")


@dataclass
class Submission:
    """One student's answers: a file to read in the worker (``path``) or a CSV row (``cells``)."""

    student: str
    file: str  # where it came from, as reports name it: the path, or 'book.csv:12'
    path: str = ""
    cells: dict[str, str] | None = None
    variant: str = ""  # a CSV row's id column
    line: int | None = None
    error: str = ""  # unusable already when listed (a CSV row with too many cells)


@dataclass
class Variants:
    """Problem files by their top-level ``id:`` (empty for one problem for the whole class)."""

    problem: str = ""  # the one problem (a path or a bundled name) when there are no variants
    by_id: dict[str, str] = field(default_factory=dict)
    problem_id: str = ""  # the one problem's own 'id:' (a single variant), if it has one

    def problem_for(self, variant: str, file: str) -> str:
        """The problem a submission answers; InputError (its error row) when its id is unknown."""
        if not self.by_id:
            if self.problem_id and variant and variant != self.problem_id:
                raise InputError(f"id '{variant[:60]}', but the problem graded is variant '{self.problem_id[:60]}'",
                                 Where(file))
            return self.problem
        if not variant:
            raise InputError("no 'id:' saying which variant was answered", Where(file))
        if variant not in self.by_id:
            from calc.errors import did_you_mean

            raise InputError(f"id '{variant[:60]}' is none of the {len(self.by_id)} variants"
                             f"{did_you_mean(variant, list(self.by_id))}", Where(file))
        return self.by_id[variant]


def list_submissions(path: str) -> list[Submission]:
    """The submissions of a folder (every *.yaml / *.yml file, sorted; a student is a file's
    name without its suffix unless the file says ``student:``), of a CSV, or of one answers file."""
    p = Path(path)
    if not path.strip():
        raise InputError("SUBMISSIONS: expected a folder or a CSV file, got ''")
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in ANSWER_SUFFIXES and not f.name.startswith("."))
        if not files:
            raise InputError("no answers files (*.yaml) in this folder", Where(path))
        _bounded_count(len(files), path)
        return [Submission(f.stem, str(f), path=str(f)) for f in files]
    if not p.exists():
        raise InputError("no such file or folder", Where(path))
    if p.suffix.lower() == ".csv":
        return csv_submissions(path)
    return [Submission(p.stem, path, path=path)]


def _bounded_count(n: int, path: str) -> None:
    if n > MAX_SUBMISSIONS:
        raise InputError(f"{n:,} submissions; at most {MAX_SUBMISSIONS:,} are graded at once", Where(path))


def csv_submissions(path: str) -> list[Submission]:
    """One submission per CSV row: a ``student`` column, an optional ``id`` column (the variant),
    one column per answer name (an empty cell is blank; a vector is written [0.1, 0.2])."""
    from calc.files import read_text

    text = read_text(path, CSV_LIMIT).lstrip("\ufeff")  # a spreadsheet's byte-order mark
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise InputError(f"not a CSV file: {exc}", Where(path)) from None
    rows_at = [(k + 1, r) for k, r in enumerate(rows) if any(c.strip() for c in r)]
    if not rows_at:
        raise InputError("the CSV file is empty; expected a header row with 'student' and the answer names",
                         Where(path))
    header = [c.strip() for c in rows_at[0][1]]
    lower = [h.lower() for h in header]
    if "student" not in lower:
        raise InputError("the header row has no 'student' column (one row per student, one column per answer)",
                         Where(path, rows_at[0][0]))
    seen = set()
    for h in header:
        if not h:
            raise InputError("an empty column name in the header row", Where(path, rows_at[0][0]))
        if h in seen:
            raise InputError(f"column '{h[:60]}' appears twice in the header row", Where(path, rows_at[0][0]))
        seen.add(h)
    _bounded_count(len(rows_at) - 1, path)
    who, which = lower.index("student"), lower.index("id") if "id" in lower else None
    return [_row(path, line, row, header, who, which) for line, row in rows_at[1:]]


def _row(path: str, line: int, row: list[str], header: list[str], who: int, which: int | None) -> Submission:
    student = (row[who].strip() if who < len(row) else "") or f"row {line}"
    sub = Submission(student, f"{path}:{line}", line=line,
                     variant=row[which].strip() if which is not None and which < len(row) else "")
    if len(row) > len(header):
        sub.error = f"{len(row)} cells, but the header names {len(header)} columns"
        return sub
    sub.cells = {h: (row[k] if k < len(row) else "") for k, h in enumerate(header) if k not in (who, which)}
    return sub


def read_variants(problem: str) -> Variants:
    """PROBLEM as given: one problem (a file or a bundled name) for the class, or a folder of
    variants, each a problem file with a top-level ``id:`` (as nncalc generate writes them)."""
    p = Path(problem)
    if not p.is_dir():
        from calc.problems_io import find_problem
        from calc.spec.yamlio import load_yaml_file

        data = load_yaml_file(find_problem(problem))  # an unknown problem stops the class here, once
        own = data.get("id") if isinstance(data, dict) else None
        return Variants(problem, problem_id="" if own is None else str(own).strip())
    from calc.spec.yamlio import load_yaml_file

    by_id: dict[str, str] = {}
    files = sorted(f for f in p.rglob("*") if f.suffix.lower() in ANSWER_SUFFIXES and f.is_file())
    _bounded_count(len(files), problem)
    for f in files:
        data = load_yaml_file(f)
        if not isinstance(data, dict) or "type" not in data:
            continue  # not a problem file (a key, a list of students ...)
        if data.get("id") is None:
            raise SpecError("a problem file in a folder of variants needs a top-level 'id:'", Where(str(f)))
        key = str(data["id"]).strip()
        if key in by_id:
            raise SpecError(f"id '{key[:60]}' again (also in {by_id[key]})", Where(str(f)))
        by_id[key] = str(f)
    if not by_id:
        raise InputError("no problem files (with 'type:' and 'id:') in this folder of variants", Where(problem))
    return Variants(problem, by_id)


def load_variant(path: str):
    """A problem file, its top-level ``id:`` set aside (the problem envelope does not know it)."""
    from calc.problems_io import find_problem, parse_problem
    from calc.spec.yamlio import load_yaml_file

    data = load_yaml_file(find_problem(path))
    if isinstance(data, dict):
        data.pop("id", None)
    return parse_problem(data, path)
