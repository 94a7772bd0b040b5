"""`nncalc check`: compare a learner's answers with computed ones (issue 6).

Exit codes: 0 everything answered is right, 1 something is wrong (or an answer could not be
checked), 2 unusable input (no such problem or answers file, YAML syntax, not a mapping).
"""


from typing import Annotated

import typer

from cli_common import JsonOpt
from cli_solve import ReductionOpt

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
    problem: Annotated[str, typer.Argument(metavar="PROBLEM", help="What solve takes: a problem file, a bundled problem "
                                           "such as softmax/softmax-jacobian (see 'nncalc problems'), or a "
                                           "network spec with weights together with --input (as nncalc backprop).")],
    answers: Annotated[str, typer.Option("--answers", "-a", metavar="FILE", help="Your answers: YAML 'name: value' "
                                         "lines (nncalc solve PROBLEM --template writes them).")],
    rel: Annotated[str | None, typer.Option("--rel", metavar="R", help="Relative tolerance (default 1e-6).")] = None,
    absolute: Annotated[str | None, typer.Option("--abs", metavar="A", help="Absolute tolerance (default 0).")] = None,
    decimals: Annotated[int | None, typer.Option("--decimals", min=0, max=30, help="A number is right when it agrees "
                                                 "with ours to N decimals (instead of the decimals it is written "
                                                 "with).")] = None,
    allow_blank: Annotated[bool, typer.Option("--allow-blank", help="Blank (null) and missing answers do not fail "
                                              "the check: only the answers written are asked.")] = False,
    as_json: JsonOpt = False,
    markdown: Annotated[str | None, typer.Option("--markdown", metavar="FILE", help="Write the report as a Markdown "
                                                 "table to FILE; '-' prints it.")] = None,
    input: Annotated[str | None, typer.Option("--input", "-i", "-x", help="With a network spec: one sample, e.g. "
                                              "0.05,0.1 (a batch: 0.05,0.1;1,0), as nncalc backprop.")] = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="With a spec: target(s), as backprop.")] = None,
    loss_name: Annotated[str, typer.Option("--loss", help="With a spec: the loss, as backprop.")] = "mse",
    reduction: ReductionOpt = None,
    lr: Annotated[str | None, typer.Option("--lr", help="With a spec: learning rate of the SGD step(s).")] = None,
    steps: Annotated[int, typer.Option("--steps", help="With a spec: number of SGD steps.", min=1, max=20)] = 1,
    no_bias_update: Annotated[bool, typer.Option("--no-bias-update", help="With a spec: keep biases fixed.")] = False,
    hidden_deltas: Annotated[str, typer.Option("--hidden-deltas", help="With a spec: original or updated, as "
                                               "backprop.")] = "original",
) -> None:
    """Check your answers: right, right to the decimals written, carried from an earlier slip, or wrong
    (and which slip). Every answer of the worked solution is asked: one left null is blank, one the
    file does not name at all (neither by our name nor by the source's; a matrix written whole or
    element by element counts once) is missing; both count as not answered unless --allow-blank. Exit code 0 when everything is answered and right, 1 when
    something is wrong or not answered, 2 when the input cannot be used."""
    from cli_answers import check_and_exit

    if input is not None:
        source = spec_problem(problem, input, target, loss_name, reduction, lr, steps, no_bias_update, hidden_deltas)
    else:
        from calc.problems_io import load_problem

        source = load_problem(problem)
    check_and_exit(source, answers, tol=tolerance(rel, absolute, decimals), as_json=as_json, markdown=markdown,
                   allow_blank=allow_blank, name=problem)


def spec_problem(spec: str, input: str, target, loss_name, reduction, lr, steps, no_bias_update, hidden_deltas):
    """The network problem that nncalc backprop SPEC with these options solves."""
    from calc.errors import InputError, NNCalcError
    from calc.problems_io import load_problem
    from calc.solve.network.given import given_from_options

    try:
        load_problem(spec)
    except NNCalcError:
        pass  # not a problem: a spec (or the spec's own error below)
    else:
        raise InputError(f"--input: '{spec}' is a problem with its own given values; drop --input and the "
                         "other network options")
    from cli_answers import problem_from_given
    from cli_solve import parse_number, parse_rows

    given = given_from_options(spec, parse_rows(input, "--input"), parse_rows(target, "--target") if target else None,
                               loss_name, reduction, parse_number(lr, "--lr") if lr else None, steps,
                               not no_bias_update, hidden_deltas)
    return problem_from_given("network", given, spec)
