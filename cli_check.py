"""`nncalc check`: compare a learner's answers with computed ones (issue 6).

Exit codes: 0 everything answered is right, 1 something is wrong (or an answer could not be
checked), 2 unusable input (no such problem or answers file, YAML syntax, not a mapping).
"""


from typing import Annotated

import typer

from cli_common import JsonOpt

app = typer.Typer()


def tolerance(rel: str | None, absolute: str | None, decimals: int | None):
    from calc.check import Tolerance
    from calc.errors import InputError
    from calc.exact import to_fraction

    values = {}
    for option, text, key in (("--rel", rel, "rel"), ("--abs", absolute, "abs")):
        if text is not None:
            value = to_fraction(text, option)
            if value < 0:
                raise InputError(f"{option}: expected a number >= 0, got {text}")
            values[key] = value
    return Tolerance(**values, decimals=decimals)


@app.command()
def check(
    problem: Annotated[str, typer.Argument(metavar="PROBLEM", help="A problem file, or a bundled problem such as "
                                           "softmax/softmax-jacobian (see 'nncalc problems').")],
    answers: Annotated[str, typer.Option("--answers", "-a", metavar="FILE", help="Your answers: YAML 'name: value' "
                                         "lines (nncalc solve PROBLEM --template writes them).")],
    rel: Annotated[str | None, typer.Option("--rel", metavar="R", help="Relative tolerance (default 1e-6).")] = None,
    absolute: Annotated[str | None, typer.Option("--abs", metavar="A", help="Absolute tolerance (default 0).")] = None,
    decimals: Annotated[int | None, typer.Option("--decimals", min=0, max=30, help="A number is right when it agrees "
                                                 "with ours to N decimals (instead of the decimals it is written "
                                                 "with).")] = None,
    as_json: JsonOpt = False,
    markdown: Annotated[str | None, typer.Option("--markdown", metavar="FILE", help="Write the report as a Markdown "
                                                 "table to FILE; '-' prints it.")] = None,
) -> None:
    """Check your answers: right, right to the decimals written, carried from an earlier slip, or wrong
    (and which slip). Exit code 0 when everything is right, 1 when something is wrong, 2 when the
    input cannot be used."""
    from calc.check import check as run_check
    from calc.check import read_answers
    from calc.problems_io import load_problem

    report = run_check(load_problem(problem), read_answers(answers), tolerance(rel, absolute, decimals),
                       problem, answers)
    if as_json:
        from calc.render.jsonout import dumps
        from calc.render.verdicts import verdicts_data

        print(dumps(verdicts_data(report)))
    elif markdown:
        from calc.render.verdicts import verdicts_markdown
        from cli_common import write_text

        write_text(markdown, verdicts_markdown(report))
    if not as_json and markdown != "-":
        from calc.render.verdicts_rich import verdicts_renderable
        from cli_common import console

        console().print(verdicts_renderable(report))
    raise typer.Exit(report.exit_code)
