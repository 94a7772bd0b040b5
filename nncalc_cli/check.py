"""`nncalc check`: compare a learner's answers with computed ones (issue 6).

Exit codes: 0 everything answered is right, 1 something is wrong (or an answer could not be
checked), 2 unusable input (no such problem or answers file, YAML syntax, not a mapping).
"""


from typing import Annotated

import typer

from nncalc_cli.answers import check_and_exit, spec_problem
from nncalc_cli.options import Deltas, JsonOpt, ReductionOpt, markdown_name

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


ProblemArg = Annotated[str, typer.Argument(metavar="PROBLEM", help="What solve takes: a problem file, a bundled problem "
                                          "such as softmax/softmax-jacobian (see 'nncalc problems'), or a "
                                          "network spec with weights together with --input (as nncalc backprop).")]
AnswersFileOpt = Annotated[str, typer.Option("--answers", "-a", metavar="FILE", help="Your answers: YAML 'name: value' "
                                             "lines (nncalc solve PROBLEM --template writes them).")]
RelOpt = Annotated[str | None, typer.Option("--rel", metavar="R", help="Relative tolerance (default 1e-6).")]
AbsOpt = Annotated[str | None, typer.Option("--abs", metavar="A", help="Absolute tolerance (default 0).")]
CheckDecimalsOpt = Annotated[int | None, typer.Option("--decimals", min=0, max=30, help="A number is right when it agrees "
                                                      "with ours to N decimals (instead of the decimals it is written "
                                                      "with).")]
AllowBlankCheckOpt = Annotated[bool, typer.Option("--allow-blank", help="Blank (null) and missing answers do not fail "
                                                  "the check: only the answers written are asked.")]
ReportMarkdownOpt = Annotated[str | None, typer.Option("--markdown", metavar="FILE", help="Write the report as a Markdown "
                                                       "table to FILE; '-' prints it.", callback=markdown_name)]
# With a network spec instead of a problem: the options of nncalc backprop
SpecInputOpt = Annotated[str | None, typer.Option("--input", "-i", "-x", help="With a network spec: one sample, e.g. "
                                                  "0.05,0.1 (a batch: 0.05,0.1;1,0), as nncalc backprop.")]
SpecTargetOpt = Annotated[str | None, typer.Option("--target", "-t", help="With a spec: target(s), as backprop.")]
SpecLossOpt = Annotated[str, typer.Option("--loss", help="With a spec: the loss, as backprop.")]
SpecLrOpt = Annotated[str | None, typer.Option("--lr", help="With a spec: learning rate of the SGD step(s).")]
SpecStepsOpt = Annotated[int, typer.Option("--steps", help="With a spec: number of SGD steps.", min=1, max=20)]
SpecNoBiasOpt = Annotated[bool, typer.Option("--no-bias-update", help="With a spec: keep biases fixed.")]
SpecDeltasOpt = Annotated[Deltas, typer.Option("--hidden-deltas", help="With a spec: original or updated, as "
                                               "backprop.")]


@app.command()
def check(
    problem: ProblemArg,
    answers: AnswersFileOpt,
    rel: RelOpt = None,
    absolute: AbsOpt = None,
    decimals: CheckDecimalsOpt = None,
    allow_blank: AllowBlankCheckOpt = False,
    as_json: JsonOpt = False,
    markdown: ReportMarkdownOpt = None,
    input: SpecInputOpt = None,
    target: SpecTargetOpt = None,
    loss_name: SpecLossOpt = "mse",
    reduction: ReductionOpt = None,
    lr: SpecLrOpt = None,
    steps: SpecStepsOpt = 1,
    no_bias_update: SpecNoBiasOpt = False,
    hidden_deltas: SpecDeltasOpt = Deltas.original,
) -> None:
    """Check your answers: right, right to the decimals written, carried from an earlier slip, or wrong
    (and which slip). Every answer of the worked solution is asked: one left null is blank, one the
    file does not name at all (neither by our name nor by the source's; a matrix written whole or
    element by element counts once) is missing; both count as not answered unless --allow-blank. Exit code 0 when everything is answered and right, 1 when
    something is wrong or not answered, 2 when the input cannot be used."""
    if input is not None:
        source = spec_problem(problem, input, target, loss_name, reduction, lr, steps, no_bias_update,
                              hidden_deltas.value)
    else:
        from calc.problems_io import load_problem

        source = load_problem(problem)
    check_and_exit(source, answers, tol=tolerance(rel, absolute, decimals), as_json=as_json, markdown=markdown,
                   allow_blank=allow_blank, name=problem)
