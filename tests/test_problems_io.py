"""The problem-file envelope: tolerances, questions and notes shown, bundled networks by name."""

import pytest

from calc.errors import SpecError
from calc.problems_io import problem_from_text, solve_problem

SOFTMAX = """
type: softmax
title: t
question: |
  Compute the softmax
  of three logits.
notes: The printed P(y=2) = 0.91 is wrong.
given: {z: [2.0, 1.0, 0.1]}
expected: {p1: 0.659}
"""


def test_tolerance_written_as_yaml_text_is_read_as_a_number():
    p = problem_from_text(SOFTMAX + "tolerance: {rel: 1e-9, abs: 1e-12}\n")
    assert p.tolerance == {"rel": 1e-9, "abs": 1e-12}


@pytest.mark.parametrize("tol,fragment", [("{rel: lots}", "tolerance.rel"), ("{rell: 1}", "unknown tolerance 'rell'"),
                                          ("{abs: -1}", "abs must be >= 0"), ("0.1", "expected {rel")])
def test_bad_tolerance_is_located(tol, fragment):
    with pytest.raises(SpecError, match=fragment.replace("{", r"\{")):
        problem_from_text(SOFTMAX + f"tolerance: {tol}\n")


def test_question_and_notes_reach_every_renderer():
    from calc.render.jsonout import solution_data
    from calc.render.markdown import solution_markdown

    sol = solve_problem(problem_from_text(SOFTMAX))
    assert sol.question.startswith("Compute the softmax") and "0.91 is wrong" in sol.notes
    assert "0.91 is wrong" in solution_markdown(sol)
    assert solution_data(sol)["question"] == sol.question


def test_bundled_network_by_name_in_a_problem(tmp_path):
    """`network: lenet5` means the bundled spec, even from a problem file in another folder."""
    from calc.errors import Where
    from calc.solve.network.given import read_network

    net = read_network({"network": "lenet5"}, Where(str(tmp_path / "p.yaml")), str(tmp_path / "p.yaml"))
    assert net.name == "lenet5"
