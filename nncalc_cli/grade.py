"""`nncalc grade`: a whole class's answers checked against a problem (or each student's variant),
as a gradebook (issue 15). Parses, calls calc.teach.grade, renders.

Exit codes: 0 the class was graded (a submission that cannot be graded is its own error row),
2 unusable input (no such problem or folder, a CSV without a student column, a bad --credit).
"""

from typing import Annotated

import typer

from nncalc_cli.options import JsonOpt
from nncalc_cli.output import Output, emit, renders, write_text

app = typer.Typer()

ProblemArg = Annotated[str, typer.Argument(metavar="PROBLEM", help="The problem every student answered (a file or a "
                                          "bundled name such as networks/mazur), or a folder of variants: problem "
                                          "files with a top-level 'id:', matched by the 'id:' of each answers file.")]
SubmissionsArg = Annotated[str, typer.Argument(metavar="SUBMISSIONS", help="A folder of answers files (*.yaml, one "
                                              "per student: the file name, or 'student:' in it) or a CSV file with "
                                              "a 'student' column, an optional 'id' column and one column per answer.")]
CsvOpt = Annotated[str | None, typer.Option("--csv", metavar="FILE", help="Write the gradebook: one row per student "
                                           "and item (verdict, slip, points), then each student's total row.")]
ReportOpt = Annotated[str | None, typer.Option("--report", metavar="FILE", help="Write the class report in Markdown: "
                                              "scores, success per item, the most common slips; '-' prints it.")]
CreditOpt = Annotated[str | None, typer.Option("--credit", metavar="V=P,...", help="Points (0 to 1) per verdict: "
                                              "right, rounded, carried, slip, wrong, blank, invalid. Default "
                                              "right=1, rounded=1, carried=1, the others 0.")]
JobsOpt = Annotated[int | None, typer.Option("--jobs", "-j", min=1, max=256, help="Processes grading in parallel "
                                            "(default: every available core).")]
GradeDecimalsOpt = Annotated[int | None, typer.Option("--decimals", min=0, max=30, help="A number is right when it "
                                                      "agrees with ours to N decimals (instead of the decimals it is "
                                                      "written with).")]


@app.command()
def grade(
    problem: ProblemArg,
    submissions: SubmissionsArg,
    csv: CsvOpt = None,
    report: ReportOpt = None,
    credit: CreditOpt = None,
    jobs: JobsOpt = None,
    decimals: GradeDecimalsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Grade a class: every answers file (or CSV row) checked as nncalc check does, in a gradebook
    with partial credit and a class report. One row per student and item: right, rounded,
    carried (follows from the student's own earlier slip), slip (wrong, and which slip), wrong,
    blank or invalid; a submission that cannot be read gets its own error row."""
    from calc.check import Tolerance
    from calc.teach.grade import Credit, grade_class
    from calc.teach.grade.render import book_csv, report_markdown

    for option, value in (("--csv", csv), ("--report", report)):
        if value is not None and value != "-":
            _refuse_input(option, value, [problem, submissions])
    book = grade_class(problem, submissions, Credit.parse(credit), Tolerance(decimals=decimals), jobs)
    if csv is not None:
        _write_csv(csv, book_csv(book))
    if report is not None:
        write_text(report, report_markdown(book), as_json)
    if report == "-" and not as_json:
        return
    emit(book, Output(as_json), kind="gradebook")


def _refuse_input(option: str, target: str, inputs: list[str]) -> None:
    """InputError when writing ``target`` would destroy an input: PROBLEM, SUBMISSIONS, or an
    answers or problem file (*.yaml) inside either folder."""
    from pathlib import Path

    from calc.errors import InputError

    if not target.strip():
        raise InputError(f"{option}: expected a file name, got ''")
    out = Path(target).resolve()
    for given in inputs:
        path = Path(given).resolve()
        inside = path.is_dir() and path in out.parents and out.suffix.lower() in (".yaml", ".yml")
        if out == path or inside:
            raise InputError(f"{option}: '{target}' is an input of this command ({given}); writing it would "
                             "destroy it")


def _write_csv(target: str, text: str) -> None:
    import sys

    from calc.errors import InputError

    try:
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(f"--csv: cannot write '{target}': {exc.strerror}") from None
    rows = text.count("\n") - 1
    print(f"wrote {target} (CSV, {rows} row{'s' if rows != 1 else ''})", file=sys.stderr)


@renders("gradebook", "terminal")
def _terminal(book, output, console):
    from calc.teach.grade.render import terminal_table

    return terminal_table(book)


@renders("gradebook", "json")
def _json(book, output):
    from calc.teach.grade.render import book_json

    return book_json(book)
