"""Problem types: a problem file's ``type:`` names a solver registered here.

A solver takes the problem's ``given`` mapping (with line information, for errors), the
problem's file name and SolveOptions, and returns a calc.steps.step.Solution.

    @problem_type("softmax")
    def solve_softmax_problem(given, where, options) -> Solution: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from calc.errors import SpecError, Where, did_you_mean

SOLVERS: dict[str, Callable] = {}
_NOT_SOLVERS = {"registry", "step", "given", "sizes"}


def _discover() -> None:
    """Import every module of calc.steps once: solvers register themselves by decorator."""
    import pkgutil

    import calc.steps

    for info in pkgutil.iter_modules(calc.steps.__path__):
        if info.name not in _NOT_SOLVERS:
            import_module(f"calc.steps.{info.name}")


@dataclass(frozen=True)
class SolveOptions:
    decimals: int = 4  # shown decimals; values are computed exactly
    hand_rounding: bool = False  # round every intermediate to ``decimals`` like a student would


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
