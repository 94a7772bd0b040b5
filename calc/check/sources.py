"""What nncalc check solves, and solves again: a bundled or written problem, or a Direct source
(what a direct command solved), with other options: the learner's values put in, hand rounding,
a convention chosen the other way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from calc.errors import NNCalcError

# a learner's values can make a re-solve impossible (log of a negative "probability", a
# division by a zero they wrote): that alternative is then simply unavailable
SOLVE_ERRORS = (NNCalcError, ArithmeticError, ValueError, TypeError, IndexError, KeyError)


@dataclass
class Direct:
    """What a direct command (softmax, batchnorm, ...) solved, as something the checker can solve
    again: ``build(SolveOptions) -> Solution``. It has no problem ``given`` to vary, so the slips
    that change a given are not tried; carrying (the learner's values) and hand rounding are."""

    build: Callable
    file: str = "command line"
    type: str = ""
    given: dict | None = None


def solve_source(source, options=None):
    """The Solution of a Problem or a Direct source."""
    from calc.problems_io import solve_problem
    from calc.solve.registry import SolveOptions

    if isinstance(source, Direct):
        return source.build(options or SolveOptions())
    return solve_problem(source, options)
