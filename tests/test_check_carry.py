"""Solvers honour SolveOptions.learner: its values (a learner's own values carried on),
derivative_of and size_rounding, what nncalc check re-solves with. Each recomputation is checked against
this file's own arithmetic; carrying our own values must change nothing."""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest

from calc.check.compare import elements, exact, nested
from calc.problems_io import bundled_problems, load_problem, solve_problem
from calc.solve.carry import NO_LEARNER, Learner
from calc.solve.registry import SolveOptions


def solve(name: str, **learner):
    """The bundled problem solved for a Learner with these fields (values, derivative_of, ...)."""
    return solve_problem(load_problem(name), SolveOptions(learner=Learner(**learner)))


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def close(a, b, tol=1e-12) -> bool:
    return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(b)))


@pytest.mark.parametrize("name", sorted(bundled_problems()))
def test_carrying_our_own_values_changes_nothing(name):
    plain = solve(name)
    ours = {k: nested(v) for k, v in plain.answers.items() if k not in plain.aliases
            and not any(isinstance(x, bool) for _, x in elements(nested(v)))}
    again = solve(name, values=ours)
    for key, value in plain.answers.items():
        if isinstance(value, bool) or any(isinstance(x, bool) for _, x in elements(nested(value))):
            continue
        for (_, a), (_, b) in zip(elements(nested(value)), elements(nested(again.answers[key]))):
            assert abs(exact(a) - exact(b)) <= F(1, 10**40) * max(1, abs(exact(a))), (key, a, b)


def test_network_forward_backward_and_update_follow_the_learners_values():
    w = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    h2 = sigmoid(w[2] * 0.05 + w[3] * 0.10 + 0.35)
    sol = solve("networks/mazur", values={"fc1.a1": F("0.6"), "fc2.delta1": F("0.1"), "dL/dfc2.w11": F("0.2")})
    assert close(sol.answers["fc2.z1"], 0.40 * 0.6 + 0.45 * h2 + 0.60)  # net_o1 from out_h1 = 0.6
    assert close(sol.answers["dL/dfc2.w11"], 0.1 * 0.6)  # dE/dw5 = delta_o1 out_h1, both the learner's
    assert close(sol.answers["dL/dfc2.w12"], 0.1 * h2)
    assert sol.answers["fc2.w11+"] == F("0.4") - F("0.5") * F("0.2")  # w5+ from the learner's dE/dw5
    # the hidden delta reads the learner's output delta
    o2 = sigmoid(w[6] * 0.6 + w[7] * h2 + 0.60)
    delta2 = (o2 - 0.99) * o2 * (1 - o2)
    assert close(sol.answers["dL/dfc1.a1"], 0.40 * 0.1 + 0.50 * delta2)


def test_network_derivative_at_z():
    sol = solve("networks/sigmoid-chain", derivative_of="input")
    z1 = 0.25
    z2 = 0.5 * sigmoid(z1)
    z3 = 0.5 * sigmoid(z2)
    assert close(sol.answers["fc3.da1/dz1"], z3 * (1 - z3)) and close(sol.answers["fc3.delta1"], z3 * (1 - z3))
    assert close(sol.answers["fc2.delta1"], z3 * (1 - z3) * 0.5 * z2 * (1 - z2))
    assert close(sol.answers["fc3.a1"], sigmoid(z3))  # the forward pass is untouched


def test_softmax_from_the_learners_exponentials():
    sol = solve("softmax/softmax-worksheet", values={"e1": F("7.39"), "e2": F("2.72"), "e3": F("1.11")})
    assert sol.answers["sum_e"] == F("11.22")
    assert sol.answers["p1"] == F("7.39") / F("11.22") and sol.answers["p3"] == F("1.11") / F("11.22")


def test_batchnorm_from_the_learners_variance():
    sol = solve("batchnorm/x-2-to-10-pytorch", values={"var": F(10)})
    assert sol.answers["var"] == 8  # its own value is recorded
    xhat = [(v - 6) / math.sqrt(10 + 1e-5) for v in (2, 4, 6, 8, 10)]
    assert all(close(a, b) for a, b in zip(sol.answers["x_hat"], xhat))
    assert all(close(a, 2 * b + 1) for a, b in zip(sol.answers["y"], xhat))


def test_graph_forward_and_backward_from_the_learners_values():
    sol = solve("graphs/sigmoid-neuron", values={"f2": F(10), "df7/df6": F(1)})
    assert sol.answers["f2"] == 4 and sol.answers["f3"] == 10 - 3  # f3 = f2 + w2 with the learner's f2
    assert sol.answers["df7/df5"] == 1  # the +1 gate passes the learner's df7/df6 on
    f5 = math.exp(-(10 - 3))
    assert close(sol.answers["df7/df4"], f5)  # exp gate: local gradient e^f4


def test_activation_derivative_from_the_learners_values_or_at_z():
    sol = solve("activations/sigmoid-derivative", values={"f": [F("0.5"), F("0.6")]})
    assert sol.answers["df/dz"] == [F("0.25"), F("0.24")]  # a(1 - a) of the learner's a
    sol = solve("activations/sigmoid-derivative", derivative_of="input")
    assert sol.answers["df/dz"] == [F("0.1875"), F("0.285") * F("0.715")]


def test_optimizer_and_ewma_steps_from_the_learners_previous_step():
    sol = solve("optimizers/momentum", values={"w": [F("0.7"), F("0.38"), F(0)]})
    assert sol.answers["g"] == [2, F("1.4"), F("0.76")]  # g_t = 2 w_(t-1), the learner's w
    sol = solve("optimizers/ewma-temperatures", values={"V1": F("1.3")})
    assert sol.answers["V"][:2] == [F("2.5"), F("0.9") * F("1.3") + F("0.1") * 13]


def test_counting_totals_and_dropout_sums_add_the_learners_values():
    sol = solve("counting/bottleneck-multiplications", values={"conv1.multiplications": 100})
    assert sol.answers["multiplications"] == 100 + 28 * 28 * 32 * 5 * 5 * 16
    sol = solve("dropout/four-samples", values={"output": [5, 0, 0, F("7.5")]})
    assert sol.answers["sum_out"] == F("12.5")


def test_size_rounding_ceil():
    sol = solve("counting/strided-output-size", size_rounding="ceil")
    assert sol.answers["conv1.output_size"] == math.ceil((28 + 2 - 3) / 2) + 1 == 15
    assert solve("counting/strided-output-size").answers["conv1.output_size"] == 14


def test_plain_options_see_no_learner():
    """A plain solve carries nothing and keeps every convention (the checker's fields are absent)."""
    plain = SolveOptions()
    assert plain.learner == NO_LEARNER and plain.learner.values is None
    assert plain.learner.derivative_of == "output" and plain.learner.size_rounding is None
    assert not plain.learner.carry()
    assert not hasattr(plain, "overrides") and not hasattr(plain, "size_rounding")
