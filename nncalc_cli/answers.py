"""Checking answers from any command: ``nncalc check`` and the ``--answers FILE`` option of the
direct commands (backprop, softmax, batchnorm, conv2d, ...) share this one path. A helper of the
command modules, not one itself (it defines no command).

A direct command that gets ``--answers FILE`` checks FILE against the solution it has just
built instead of printing it, and exits as ``nncalc check`` does: 0 everything right, 1
something wrong or not answered, 2 unusable input.
"""

import typer

from nncalc_cli.output import Output, emit


def problem_from_given(kind: str, given: dict, name: str = "command line"):
    """A direct command's inputs as a problem (the checker then also tries its convention slips)."""
    from calc.errors import Where
    from calc.problems_io import Problem

    return Problem(kind, "", given, name, Where(name), type_where=Where(name))


def direct(build, kind: str = ""):
    """A direct command's solver as a source the checker can solve again: ``build(SolveOptions)``
    must honour the options' decimals, hand_rounding and learner."""
    from calc.check.sources import Direct

    return Direct(build, "command line", kind)


def check_and_exit(source, answers: str, *, tol=None, as_json: bool = False, markdown: str | None = None,
                   allow_blank: bool = False, name: str = "") -> None:
    """Check the answers file against ``source`` (a Problem or ``direct(...)``), print the report
    (rich, --json or --markdown) and exit with the check's code."""
    from calc.check import Tolerance, check, read_answers

    report = check(source, read_answers(answers), tol or Tolerance(), name or source.file, answers,
                   allow_blank)
    emit(report, Output(as_json, markdown))
    raise typer.Exit(report.exit_code)


def check_answers(answers: str | None, source, as_json: bool = False, markdown: str | None = None) -> None:
    """The one call of a direct command's ``--answers``: nothing without it; with it, check and
    exit. ``source``: a Problem (problem_from_given) or a builder ``SolveOptions -> Solution``."""
    if answers is None:
        return
    from nncalc_cli.common import click_module

    # --allow-blank is read from the command's own parameters: each command declares AllowBlankOpt
    ctx = click_module("globals").get_current_context(silent=True)
    allow_blank = bool(ctx and ctx.params.get("allow_blank"))
    if ctx and ctx.params.get("template"):
        from calc.errors import InputError

        raise InputError("--template and --answers: choose one (--template writes a blank answers file, "
                         "--answers checks a filled one)")
    check_and_exit(source if hasattr(source, "given") else direct(source), answers, as_json=as_json,
                   markdown=markdown, allow_blank=allow_blank)


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
    from calc.numtext import number_text, rows

    given = given_from_options(spec, rows(input, "--input"), rows(target, "--target") if target else None,
                               loss_name, reduction, number_text(lr, "--lr") if lr is not None else None, steps,
                               not no_bias_update, hidden_deltas)
    return problem_from_given("network", given, spec)
