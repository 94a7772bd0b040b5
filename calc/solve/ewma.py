"""Worked solutions for the exponentially weighted moving average of a sequence.

V_t = beta V_(t-1) + (1 - beta) theta_t from V_0 = 0, and on request the bias-corrected
V_t / (1 - beta^t): calc.engine.optim.ewma and debias, the same helpers Adam and RMSprop use.
"""

from __future__ import annotations

from fractions import Fraction

from calc.errors import InputError
from calc.solve import given as g
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table


def solve_ewma(values: list, beta: Fraction, bias_correction: bool = False,
               options: SolveOptions = SolveOptions()) -> Solution:
    """V_1 .. V_n of a sequence (and V_t / (1 - beta^t) on request), one step each and a table."""
    from calc.numfmt import fmt

    if not 0 <= beta < 1:
        raise InputError(f"beta: expected 0 <= beta < 1, got {fmt(beta)}")
    sol = Solution("Exponentially weighted moving average", _conventions(beta, bias_correction, options.decimals))
    rows, plain, corrected = _steps(sol, values, beta, bias_correction, options)
    columns = ["t", "theta_t", "V_t"] + (["V_t / (1 - beta^t)"] if bias_correction else [])
    sol.add(Table(f"EWMA, beta = {fmt(beta, options.decimals)}", columns, rows, section="Summary"))
    sol.answers["V"] = plain
    if bias_correction:
        sol.answers["V_corrected"] = corrected
    last = corrected[-1] if bias_correction else plain[-1]
    sol.summary = f"V_{len(values)} = {fmt(last, options.decimals)}" + (" (bias-corrected)" if bias_correction else "")
    return sol


def _conventions(beta: Fraction, bias_correction: bool, decimals: int) -> list[str]:
    from calc.numfmt import fmt

    return [
        "V_t = beta V_(t-1) + (1 - beta) theta_t with V_0 = 0 (so V_1 = (1 - beta) theta_1, not theta_1)",
        "bias correction: V_t / (1 - beta^t), which undoes the pull toward V_0 = 0 in the first steps"
        if bias_correction else "no bias correction (ask for it to divide by 1 - beta^t)",
        f"it averages over roughly 1/(1 - beta) = {fmt(1 / (1 - beta), decimals)} values",
    ]


def _steps(sol: Solution, values: list, beta: Fraction, bias_correction: bool, options: SolveOptions) -> tuple:
    """V_t (and its corrected value) per value, each V_t from the learner's own V_(t-1) under nncalc
    check; returns the table rows, the V_t and the corrected V_t."""
    from calc.engine.optim import debias, ewma
    from calc.exact import round_half_up
    from calc.numfmt import fmt

    rnd = (lambda v: round_half_up(v, options.decimals)) if options.hand_rounding else (lambda v: v)

    def show(v) -> str:
        text = fmt(v, options.decimals)
        return f"({text})" if v < 0 else text

    v = Fraction(0)
    carry = options.learner.carry()  # nncalc check: each V_t from the learner's own V_(t-1)
    rows, plain, corrected = [], [], []
    for t, theta in enumerate(values, start=1):
        new = rnd(ewma(v, theta, beta))
        sol.add(Step(f"V{t}", "V_t = beta V_(t-1) + (1 - beta) theta_t",
                     f"{show(beta)} * {show(v)} + (1 - {show(beta)}) * {show(theta)}", new, name=f"V{t}",
                     section="Steps"))
        row = [t, theta, new]
        plain.append(new)
        new = carry.element("V", t - 1, new, f"V{t}")
        if bias_correction:
            hat = rnd(debias(new, beta, t))
            sol.add(Step(f"V{t} corrected", "V_t / (1 - beta^t)", f"{show(new)} / (1 - {show(beta)}^{t})", hat,
                         name=f"V{t}_corrected", section="Steps"))
            corrected.append(hat)
            row.append(hat)
        rows.append(row)
        v = new
    return rows, plain, corrected


@problem_type("ewma")
def solve_ewma_problem(given, where, options: SolveOptions) -> Solution:
    """given: values [theta_1, ...], beta, bias_correction (false)."""
    from calc.errors import SpecError

    values = g.vector(given, where, "values")
    beta = g.number(given, where, "beta")
    try:
        return solve_ewma(values, beta, bool(g.raw(given, where, "bias_correction", False)), options)
    except InputError as exc:
        raise SpecError(exc.message, g.at(given, where, "beta")) from None
