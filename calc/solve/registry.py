"""Problem types: a problem file's ``type:`` names a solver registered here.

A solver takes the problem's ``given`` mapping (with line information, for errors), the
problem's file name and SolveOptions, and returns a calc.solve.step.Solution.

    @problem_type("softmax")
    def solve_softmax_problem(given, where, options) -> Solution: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from calc.errors import SpecError, Where, did_you_mean
from calc.solve.carry import NO_LEARNER, Learner

SOLVERS: dict[str, Callable] = {}


def _discover() -> None:
    """Import every module under calc.solve once: solvers register themselves by decorator."""
    import pkgutil

    import calc.solve

    for info in pkgutil.walk_packages(calc.solve.__path__, "calc.solve."):
        import_module(info.name)


@dataclass(frozen=True)
class SolveOptions:
    """How to solve. ``learner`` is the one influence of ``nncalc check`` (issue 6): a learner's
    values carried into a re-solve and the convention slips tried (calc.solve.carry.Learner); the
    default NO_LEARNER gives the plain worked solution."""

    decimals: int = 4  # shown decimals; values are computed exactly
    hand_rounding: bool = False  # round every intermediate to ``decimals`` like a student would
    learner: Learner = NO_LEARNER


def problem_type(name: str):
    def register(fn):
        assert name not in SOLVERS, name
        SOLVERS[name] = fn
        return fn
    return register


def solver_for(name, where: Where):
    _discover()
    if name not in SOLVERS:
        valid = sorted(SOLVERS)
        raise SpecError(f"unknown problem type '{name}'{did_you_mean(name, valid)}; "
                        f"types: {', '.join(valid) or 'none yet'}", where)
    return SOLVERS[name]
