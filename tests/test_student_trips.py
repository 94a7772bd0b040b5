"""What a new user tripped over, one test each (issue 10's walk-through as a student).

Expected values are worked out by hand here, never read from nncalc's output.
"""

from __future__ import annotations

import pytest

from calc.check import check
from calc.check.answers import answers_from_text
from calc.problems_io import bundled_problems, load_problem, solve_problem
from calc.render.template import answer_template


@pytest.mark.parametrize("name", ["softmax/softmax-worksheet", "perceptrons/and", "optimizers/adam",
                                  "networks/mazur-published-error"])
def test_template_fits_80_columns(name):
    """The template is printed to the terminal before it is edited: its comments wrap."""
    text = answer_template(solve_problem(load_problem(name)))
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert "--allow-blank" in text  # a null left in the file is blank, and blank fails


def test_every_bundled_template_fits_80_columns():
    long = [(n, line) for n in bundled_problems()
            for line in answer_template(solve_problem(load_problem(n))).splitlines() if len(line) > 80]
    assert not long


# momentum 0.9, lr 0.1 on f = w^2 from w0 = 1, PyTorch form b_t = 0.9 b_(t-1) + g_t, w_t = w_(t-1) - 0.1 b_t:
# g1 = 2, b1 = 2, w1 = 0.8; g2 = 1.6, b2 = 3.4, w2 = 0.46; g3 = 0.92, b3 = 3.98, w3 = 0.062.
MOMENTUM_RIGHT = "g1: 2\nb1: 2\nw1: 0.8\ng2: 1.6\nb2: 3.4\nw2: 0.46\ng3: 0.92\nb3: 3.98\nw3: 0.062\nf_final: 0.003844\n"


def _momentum(text: str, allow_blank: bool = False):
    return check(load_problem("optimizers/momentum"), answers_from_text(text, "mine.yaml"), allow_blank=allow_blank)


def test_momentum_steps_shown_by_solve_are_checkable_and_complete():
    """solve shows g1, b1, w1 ...: those names are answers, and answering every step answers
    the vectors w, g, b and w_final too (nothing reported missing)."""
    report = _momentum(MOMENTUM_RIGHT)
    assert {v.name: v.status for v in report.verdicts} == {k: "correct" for k in
                                                           ["g1", "b1", "w1", "g2", "b2", "w2", "g3", "b3", "w3",
                                                            "f_final"]}
    assert report.missing == [] and report.ok and report.exit_code == 0
    template = answer_template(solve_problem(load_problem("optimizers/momentum")))
    assert "g1: null" in template and "w3: null" in template


def test_momentum_slip_carried_through_later_steps():
    """w2 written 0.56 (ours 0.46): from it g3 = 2 * 0.56 = 1.12, b3 = 0.9 * 3.4 + 1.12 = 4.18,
    w3 = 0.56 - 0.1 * 4.18 = 0.142 and f = 0.142^2 = 0.020164 all follow: carried, not wrong."""
    text = MOMENTUM_RIGHT.replace("w2: 0.46", "w2: 0.56").replace("g3: 0.92", "g3: 1.12") \
        .replace("b3: 3.98", "b3: 4.18").replace("w3: 0.062", "w3: 0.142").replace("f_final: 0.003844", "f_final: 0.020164")
    status = {v.name: v.status for v in _momentum(text).verdicts}
    assert status["w2"] == "wrong"
    assert [status[k] for k in ("g3", "b3", "w3", "f_final")] == ["carried"] * 4
