"""Every bundled problem file is solved and its expected answers (computed independently of
nncalc, by hand or with PyTorch) are compared with the solution's answers."""

from __future__ import annotations

from fractions import Fraction
from importlib import resources
from pathlib import Path

import numpy as np
import pytest


def problem_files() -> list[Path]:
    root = Path(str(resources.files("calc.problems")))
    return sorted(p for p in root.rglob("*.yaml"))


def _close(got, want, rel: float, abs_tol: float) -> bool:
    got_arr = np.asarray(got, dtype=object)
    want_arr = np.asarray(want, dtype=object)
    if got_arr.shape != want_arr.shape:
        return False
    for g, w in zip(got_arr.ravel(), want_arr.ravel()):
        if isinstance(w, (bool, str)) or isinstance(g, (bool, str)):
            if g != w:
                return False
            continue
        g, w = float(Fraction(g) if isinstance(g, Fraction) else g), float(w)
        if abs(g - w) > max(abs_tol, rel * abs(w)):
            return False
    return True


@pytest.mark.parametrize("path", problem_files(), ids=lambda p: str(p.relative_to(p.parents[1])))
def test_problem_file(path):
    from calc.problems_io import load_problem, solve_problem

    problem = load_problem(path)
    solution = solve_problem(problem)
    expected = problem.expected
    assert expected, f"{path}: no expected answers"
    tol = problem.tolerance
    missing = [k for k in expected if k not in solution.answers]
    assert not missing, f"{path}: solver gives no {missing}; it gives {sorted(solution.answers)}"
    for name, want in expected.items():
        got = solution.answers[name]
        assert _close(got, want, tol.get("rel", 1e-9), tol.get("abs", 1e-12)), (name, got, want)
