"""A generated variant's `id:` travels with the learner: the answers template carries it, `nncalc
check` reads it as the variant's name (not as an answer), and `nncalc grade` matches it."""

from __future__ import annotations

from calc.check.answers import answers_from_text
from calc.problems_io import problem_from_text, solve_problem
from calc.render.template import answer_template

PROBLEM = """\
id: size-s1-001
type: size
given: {kind: conv, input: 7, kernel: 3, stride: 2, padding: 1}
"""


def test_template_carries_the_id_and_check_skips_it():
    problem = problem_from_text(PROBLEM, "variant.yaml")
    assert problem.id == "size-s1-001"
    template = answer_template(solve_problem(problem))
    assert 'id: "size-s1-001"' in template.splitlines()
    answers = answers_from_text(template.replace("null", "4"))
    assert "id" not in [a.name for a in answers] and answers  # the answers themselves are still read


def test_a_problem_without_id_gives_no_id_line():
    problem = problem_from_text(PROBLEM.replace("id: size-s1-001\n", ""), "plain.yaml")
    assert not any(line.startswith("id:") for line in answer_template(solve_problem(problem)).splitlines())
