"""The `upsample` problem type (issue 13): nearest and bilinear upsampling worked out by hand.

The bundled files (problems/upsampling) are solved and compared by tests/test_problems.py; here,
what the steps show (each bilinear output with its four weights), nncalc check's diagnosis of the
align_corners and mode slips (values worked out here by hand), and the located errors."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from calc.check import answers_from_text, check
from calc.errors import SpecError
from calc.problems_io import load_problem, problem_from_text, solve_problem


def _steps(problem):
    sol = solve_problem(problem)
    return sol, {s.name: s for s in sol.steps if getattr(s, "name", "")}


def test_bilinear_cell_shows_its_four_weights():
    """Y22 of [[1, 2], [3, 4]] x2: row and column sources 0.25 -> weights 0.75 (a = 0), 0.25 (b = 1),
    so the products are 9/16, 3/16, 3/16, 1/16 on X11, X12, X21, X22."""
    sol, steps = _steps(load_problem("upsampling/bilinear-2x2-scale-2"))
    y22 = steps["Y22"]
    assert y22.formula == "Y22 = 0.5625*X11 + 0.1875*X12 + 0.1875*X21 + 0.0625*X22"
    assert y22.substituted == "0.75*0.75*1 + 0.75*0.25*2 + 0.25*0.75*3 + 0.25*0.25*4"
    assert y22.result == F(7, 4)
    assert sol.answers["row_source1"] == 0 and sol.answers["col_source4"] == F(5, 4)
    assert any("half-pixel" in line for line in sol.conventions)


def test_nearest_cell_names_its_source():
    _, steps = _steps(load_problem("upsampling/nearest-size-3x3-to-4x5"))
    assert steps["Y35"].formula == "Y35 = X23" and steps["Y35"].result == 6  # row floor(2*3/4) = 1, col floor(4*3/5) = 2


def test_backward_sums_the_weighted_gradients():
    """Nearest x2: dL/dX11 collects the 2x2 block dY11 + dY12 + dY21 + dY22 = 1 + 2 + 1 + 1."""
    _, steps = _steps(load_problem("upsampling/nearest-2x3-scale-2"))
    assert steps["dL/dX11"].formula == "dL/dX11 = dY11 + dY12 + dY21 + dY22"
    assert steps["dL/dX11"].result == 5


def _verdicts(problem: str, text: str) -> dict:
    report = check(load_problem(problem), answers_from_text(text, "mine.yaml"), allow_blank=True)
    return {v.name: v for v in report.verdicts}


def test_check_names_the_align_corners_slip():
    """With align_corners true the sources of 2 -> 4 are i/3: row 2 at 1/3, and
    Y12 = (2/3)*1 + (1/3)*2 = 4/3 instead of 1.25."""
    got = _verdicts("upsampling/bilinear-2x2-scale-2", "row_source2: 0.3333\nY12: 1.3333\nY44: 4\n")
    assert got["Y44"].status == "correct"
    for name in ("row_source2", "Y12"):
        assert got[name].status == "wrong" and "align_corners true" in got[name].diagnosis, got[name]


def test_check_names_the_mode_slip():
    """Bilinear values on a nearest problem: row [5, -1, 2] x2 with half-pixel centres gives
    Y12 = 0.75*5 + 0.25*(-1) = 3.5."""
    got = _verdicts("upsampling/nearest-2x3-scale-2", "Y12: 3.5\n")
    assert got["Y12"].status == "wrong" and got["Y12"].diagnosis == "bilinear instead of nearest", got["Y12"]


@pytest.mark.parametrize("given, message", [
    ("input: [[1, 2]]\nscale: 30\n", "a worked solution writes at most"),
    ("input: [[1, 2]]\nscale: 2\nmode: cubic\n", "expected one of nearest, bilinear"),
    ("input: [[1, 2]]\nscale: 2\nkernel: 2\n", "unknown key 'kernel'"),
    ("input: [[1, 2]]\n", "give exactly one of scale and size"),
    ("input: [[1, 2]]\nscale: 2\ngrad_output: [[1, 2]]\n", "expected 2 x 4 values"),
])
def test_bad_givens_are_located_errors(given, message):
    text = "type: upsample\ngiven:\n" + "".join(f"  {line}\n" for line in given.splitlines())
    with pytest.raises(SpecError, match=message):
        solve_problem(problem_from_text(text))
