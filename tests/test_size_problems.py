"""`type: size` problem files: the same solvers as `nncalc size`, bad input located, slips named."""

from fractions import Fraction

import pytest

from calc.problems_io import problem_from_text, solve_problem


def solve(given: str):
    return solve_problem(problem_from_text(f"type: size\ngiven: {given}\nexpected: {{output: 0}}\n", "q.yaml"))


@pytest.mark.parametrize("given,answer", [
    # hand-derived: floor((i + 2p - d(k-1) - 1)/s) + 1
    ("{kind: conv, input: 227, kernel: 11, stride: 4}", 55),
    ("{kind: conv, input: [6, 7], kernel: 3, stride: 2}", (2, 3)),
    ("{kind: conv, input: 28, kernel: 6, stride: 2, padding: same}", 14),
    ("{kind: pool, input: 55, kernel: 3, stride: 2}", 27),
    ("{kind: pool, input: 5, kernel: 2, stride: 2, padding: 1, ceil_mode: true}", 3),  # last window dropped
    ("{kind: transposed, input: 3, kernel: 3, stride: 2, padding: 1}", 5),
])
def test_sizes(given, answer):
    assert solve(given).answers["output"] == answer


def test_padding_question():
    sol = solve("{kind: padding, input: 32, output: 16, kernel: 3, stride: 2}")
    # P_min = (16-1)*2 + 3 - 32 = 1 -> p = 1/2, totals 1..2 work, symmetric p = 1
    assert sol.answers["exact_padding"] == Fraction(1, 2) and sol.answers["padding"] == 1
    assert sol.answers["symmetric_padding"] == 1


@pytest.mark.parametrize("given,fragment", [
    ("{input: 5, kernel: 3}", "missing required option 'kind'"),
    ("{kind: deconv, input: 5, kernel: 3}", "expected one of conv, pool, transposed, padding"),
    ("{kind: conv, input: 5, kernel: 9}", "larger than the padded input"),
    ("{kind: conv, input: 5, kernel: 3, stride: 0}", "given.stride"),
    ("{kind: conv, input: 5, kernel: 3, strides: 2}", "unknown option 'strides'"),
    ("{kind: pool, input: 5, kernel: 2, padding: 2}", "more than half the kernel"),
])
def test_bad_size_questions(given, fragment):
    with pytest.raises(Exception) as info:
        solve(given)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_checker_names_floor_ceil_slips(tmp_path):
    from calc.check import answers_from_text, check

    for given, wrong, slip in (("{kind: conv, input: 6, kernel: 3, stride: 2}", 3, "ceil instead of floor"),
                               ("{kind: pool, input: 112, kernel: 3, stride: 2, ceil_mode: true}", 55,
                                "floor instead of ceil")):
        problem = problem_from_text(f"type: size\ngiven: {given}\nexpected: {{output: 0}}\n", "q.yaml")
        report = check(problem, answers_from_text(f"output: {wrong}\n"))
        verdict = report.verdicts[0]
        assert verdict.status == "wrong" and slip in verdict.diagnosis
