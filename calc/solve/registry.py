"""Problem types: a problem file's ``type:`` names a solver registered here.

A solver takes the problem's ``given`` mapping (with line information, for errors), the
problem's file name and SolveOptions, and returns a calc.solve.step.Solution.

    @problem_type("softmax")
    def solve_softmax_problem(given, where, options) -> Solution: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module

from calc.errors import SpecError, Where, did_you_mean

SOLVERS: dict[str, Callable] = {}


def _discover() -> None:
    """Import every module under calc.solve once: solvers register themselves by decorator."""
    import pkgutil

    import calc.solve

    for info in pkgutil.walk_packages(calc.solve.__path__, "calc.solve."):
        import_module(info.name)


@dataclass(frozen=True)
class SolveOptions:
    """How to solve. The last three exist for ``nncalc check`` (issue 6) and default to the plain
    worked solution: ``overrides`` puts a learner's own values (answer name -> exact value, shaped
    like the answer) in place of computed ones, so that what follows from them can be recomputed
    (calc.solve.carry); ``derivative_of='input'`` reproduces the slip sigma'(z) = z(1 - z), an
    activation derivative written in terms of its output evaluated at its input; ``size_rounding``
    ('ceil' or 'floor') answers output sizes with that rounding instead of the layer's own."""

    decimals: int = 4  # shown decimals; values are computed exactly
    hand_rounding: bool = False  # round every intermediate to ``decimals`` like a student would
    overrides: dict | None = field(default=None, compare=False)
    derivative_of: str = "output"  # or "input" (the sigma'(z) slip)
    size_rounding: str | None = None  # None: the layer's own (floor, or ceil with ceil_mode)


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
