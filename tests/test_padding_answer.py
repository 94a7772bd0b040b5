"""`nncalc size padding`'s answer is the padding people use (issue 9): the smallest whole p, the
same on both sides, that gives the wanted output under PyTorch's floor rule; the exact equation
p = ((o-1)s - i + d(k-1) + 1)/2 stays as ``exact_padding`` below it. Checked by brute force over p
with the size formula written here, for every small case."""

from __future__ import annotations

from fractions import Fraction

import pytest

from calc.solve.size_steps import solve_padding


def output(i: int, k: int, s: int, d: int, p: int) -> int | None:
    """o = floor((i + 2p - d(k-1) - 1)/s) + 1, None when the window does not fit."""
    span = i + 2 * p - d * (k - 1) - 1
    return None if span < 0 else span // s + 1


def smallest_symmetric(i: int, o: int, k: int, s: int, d: int) -> int | None:
    return next((p for p in range(0, i + d * k + o * s + 2) if output(i, k, s, d, p) == o), None)


@pytest.mark.parametrize("s,d", [(1, 1), (2, 1), (3, 1), (4, 1), (1, 2), (2, 2)])
def test_boxed_padding_is_the_smallest_symmetric_one(s, d):
    checked = 0
    for i in range(1, 21):
        for k in (1, 2, 3, 4, 5, 7):
            for o in range(1, 22):
                want = smallest_symmetric(i, o, k, s, d)
                sol = solve_padding(i, o, k, s, d)
                if want is not None:
                    assert sol.answers["padding"] == want, (i, o, k, s, d)
                    assert sol.summary.startswith(f"p = {want}"), (i, o, k, s, d, sol.summary)
                    checked += 1
                else:
                    assert "symmetric_padding" not in sol.answers, (i, o, k, s, d)
                    assert sol.summary == "impossible with padding" or "not an integer" in sol.summary
    assert checked > 100


def test_stride_2_half_pixel_is_p_1_with_the_equation_below():
    sol = solve_padding(28, 14, 3, 2)
    # floor((28 + 2 - 2 - 1)/2) + 1 = 13 + 1 = 14 with p = 1; p = 0 gives floor(25/2) + 1 = 13
    assert output(28, 3, 2, 1, 1) == 14 and output(28, 3, 2, 1, 0) == 13
    assert sol.answers["padding"] == 1 and sol.answers["exact_padding"] == Fraction(1, 2)
    assert sol.summary.startswith("p = 1 (the equation gives 0.5")
    names = [step.name for step in sol.steps]
    assert names.index("padding") < names.index("exact_padding")


def test_even_kernel_keeping_the_size_has_no_symmetric_padding():
    sol = solve_padding(28, 28, 28)  # (28 - 1)/2 = 13.5: 13 before, 14 after
    assert all(output(28, 28, 1, 1, p) != 28 for p in range(0, 40))
    assert sol.answers["padding"] == Fraction(27, 2) and sol.answers["split"] == (13, 14)
    assert sol.summary == "p = 13.5 (not an integer): pad 13 + 14"
