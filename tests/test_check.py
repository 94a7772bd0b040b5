"""nncalc check's rules, one test per rule: written precision, tolerances, every named slip,
carried errors and bad answers. Each expected value is worked out here (math, Fractions,
PyTorch), never taken from nncalc."""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest
import torch

from calc.check import Tolerance, answers_from_text, check
from calc.check.answers import ItemError, written
from calc.errors import InputError
from calc.problems_io import load_problem, problem_from_text


def run(problem, text: str, tol: Tolerance = Tolerance(), allow_blank: bool = True):
    """The rules' tests write a few answers only: the others are not asked (allow_blank)."""
    prob = load_problem(problem) if isinstance(problem, str) else problem
    return check(prob, answers_from_text(text, "mine.yaml"), tol, allow_blank=allow_blank)


def one(problem, text: str, tol: Tolerance = Tolerance()):
    (v,) = run(problem, text, tol).verdicts
    return v


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# -- how numbers are read ---------------------------------------------------------------------
@pytest.mark.parametrize("text,value,unit", [
    ("0.66", F(66, 100), F(1, 100)), ("7", F(7), None), ("-3", F(-3), None), ("1/3", F(1, 3), None),
    ("0.00", F(0), F(1, 100)), ("2.3891544e-01", F("0.23891544"), F(1, 10**8)), ("1e-5", F(1, 10**5), F(1, 10**5)),
    ("164.0", F(164), F(1, 10)), ("-1.265", F("-1.265"), F(1, 1000)), ("62,378,344", F(62378344), None),
])
def test_written_precision(text, value, unit):
    w = written(text)
    assert (w.value, w.unit) == (value, unit)


@pytest.mark.parametrize("text", ["abc", "0.5.1", "", "1/0", ".inf", "nan", "12 apples", "0,66", "3,77,64,42,464"])
def test_text_is_not_a_number(text):
    with pytest.raises(ItemError):
        written(text)


def test_shapes_written_as_text_and_yaml_floats_keep_their_text():
    answers = answers_from_text("shape: 13x13x256\np: 0.660\n")
    assert [w.value for w in answers[0].value] == [13, 13, 256]
    assert answers[1].value.text == "0.660" and answers[1].value.unit == F(1, 1000)


@pytest.mark.parametrize("text,message", [
    ("", "empty"), ("- 1\n- 2\n", "mapping"), ("a: [1, 2\n", "YAML syntax error"), ("just text\n", "mapping"),
])
def test_unusable_answers_are_one_error(text, message):
    with pytest.raises(InputError, match=message):
        answers_from_text(text, "mine.yaml")


# -- precision and tolerances ----------------------------------------------------------------
SOFTMAX = "softmax/softmax-jacobian"
P1 = math.exp(2) / (math.exp(2) + math.exp(1) + math.exp(0.1))  # 0.65900...


@pytest.mark.parametrize("text,status", [
    ("0.659001138886", "correct"),  # within the default relative 1e-6
    ("0.66", "rounded"), ("0.7", "rounded"), ("0.659", "rounded"), ("0.6590", "rounded"),
    ("0.658", "wrong"), ("0.6591", "wrong"), ("1", "wrong"),  # an integer is an exact claim
])
def test_written_precision_decides(text, status):
    assert abs(P1 - 0.659001138886) < 1e-12
    assert one(SOFTMAX, f"p1: {text}").status == status


def test_decimals_option_asks_for_that_many_decimals():
    tol = Tolerance(decimals=2)
    assert one(SOFTMAX, "p1: 0.6594", tol).status == "rounded"  # |0.6594 - 0.6590| <= 0.005
    v = one(SOFTMAX, "p1: 0.7", tol)
    assert v.status == "wrong" and "2 are asked" in v.diagnosis  # right to 1 decimal only
    assert one(SOFTMAX, "p1: 0.66", Tolerance(decimals=3)).status == "wrong"  # 0.659 asked


def test_relative_and_absolute_tolerances():
    assert one(SOFTMAX, "p1: 0.65").status == "wrong"
    assert one(SOFTMAX, "p1: 0.65", Tolerance(rel=F(2, 100))).status == "correct"  # |0.65 - 0.659| < 2% of 0.659
    assert one(SOFTMAX, "p1: 0.65", Tolerance(abs=F(1, 100))).status == "correct"


# -- the named slips, each reproduced here -----------------------------------------------------
def mazur_forward(w, b1=0.35, b2=0.60):
    h1 = sigmoid(w[0] * 0.05 + w[1] * 0.10 + b1)
    h2 = sigmoid(w[2] * 0.05 + w[3] * 0.10 + b1)
    o1 = sigmoid(w[4] * h1 + w[5] * h2 + b2)
    o2 = sigmoid(w[6] * h1 + w[7] * h2 + b2)
    return 0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2


def test_mse_convention_factor_2():
    half = mazur_forward([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55])
    v = one("networks/mazur", f"E_total: {2 * half:.9f}")  # sum (t - o)^2 without the 1/2
    assert v.status == "wrong" and "plain sum of squares" in v.diagnosis and "2x ours" in v.explanation


LOSS = """type: loss
given: {loss: mse, reduction: half_sum, output: [0.2, 0.5, 0.9], target: [0, 1, 1]}
"""


def test_mse_conventions_in_a_loss_problem():
    sq = [0.2**2, 0.5**2, 0.1**2]
    assert abs(0.5 * sum(sq) - 0.15) < 1e-12
    problem = problem_from_text(LOSS)
    assert one(problem, f"loss: {sum(sq) / 3:.4f}").diagnosis.startswith("the mean")
    v = one(problem, f"loss: {sum(sq):.4f}")
    assert "plain sum" in v.diagnosis and "2x ours" in v.explanation
    assert one(problem, "loss: 0.15").status == "correct"
    mean = problem_from_text(LOSS.replace("half_sum", "mean"))  # (1/n) sum (o - t)^2 with n = 3 outputs
    v = one(mean, f"loss: {sum(sq):.4f}")
    assert "plain sum" in v.diagnosis and "3x ours" in v.explanation  # a factor n


def test_sign_twice_half_decimal_point_and_another_quantity():
    # f = (x + y) z at x = -2, y = 5, z = -4: q = 3, f = -12, df/dx = df/dy = z = -4, df/dz = q = 3
    graph = "graphs/cs231n-add-multiply"
    assert one(graph, "df/dx: 4").diagnosis == "sign flipped"
    assert one(graph, "f: -24").diagnosis.startswith("twice ours")
    assert one(graph, "df/dz: 1.5").diagnosis.startswith("half of ours")
    assert "1/10" in one(graph, "df/dz: 0.3").diagnosis
    assert "df/dz" in one(graph, "df/dx: 3").diagnosis  # 3 is df/dz (and q): another quantity


def test_truncated_and_swapped_digits():
    assert "truncated" in one(SOFTMAX, "p1: 0.65").diagnosis  # 0.6590 cut after 2 decimals
    assert "swapped" in one(SOFTMAX, "p1: 0.6509").diagnosis  # 0.6590 with 9 and 0 exchanged


def test_variance_n_minus_1_and_missing_eps():
    x, eps = [1, 2, 3, 4], 0.5
    biased, unbiased = 1.25, 5 / 3  # sum of squares 5 over 4 and over 3
    problem = problem_from_text("type: batchnorm\ngiven: {x: [1, 2, 3, 4], eps: 0.5}\n")
    assert "n - 1" in one(problem, f"var: {unbiased:.4f}").diagnosis
    no_eps = [(v - 2.5) / math.sqrt(biased) for v in x]
    assert no_eps != [(v - 2.5) / math.sqrt(biased + eps) for v in x]
    v = one(problem, "x_hat: [" + ", ".join(f"{h:.4f}" for h in no_eps) + "]")
    assert v.status == "wrong" and v.diagnosis.startswith("eps left out")


def test_derivative_at_z_instead_of_at_a():
    z = [0.25, 0.285]
    at_z = [v * (1 - v) for v in z]  # the slip
    assert all(abs(s - sigmoid(v) * (1 - sigmoid(v))) > 0.01 for s, v in zip(at_z, z))
    v = one("activations/sigmoid-derivative", "df/dz: [" + ", ".join(f"{d:.4f}" for d in at_z) + "]")
    assert v.status == "wrong" and "z(1 - z)" in v.diagnosis


def adam(steps=3, correct=True, lr=0.1, b1=0.9, b2=0.99, eps=1e-8):
    w, m, v, out = 1.0, 0.0, 0.0, []
    for t in range(1, steps + 1):
        g = 2 * w  # f(w) = w^2
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        mh, vh = (m / (1 - b1**t), v / (1 - b2**t)) if correct else (m, v)
        w -= lr * mh / (math.sqrt(vh) + eps)
        out.append(w)
    return out


def test_adam_without_bias_correction():
    p = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.1, betas=(0.9, 0.99))
    ref = []
    for _ in range(3):
        opt.zero_grad()
        (p**2).backward()
        opt.step()
        ref.append(float(p.detach()))
    assert max(abs(a - b) for a, b in zip(adam(), ref)) < 1e-12  # this file's Adam is PyTorch's
    slip = adam(correct=False)
    v = one("optimizers/adam", "w: [" + ", ".join(f"{x:.6f}" for x in slip) + "]")
    assert v.status == "wrong" and "no bias correction" in v.diagnosis


def test_updated_weights_in_the_hidden_deltas():
    # Mazur's published weights after the update give the textbook error 0.291027774...
    textbook = mazur_forward([0.149780716, 0.19956143, 0.24975114, 0.29950229,
                              0.35891648, 0.408666186, 0.511301270, 0.561370121])
    assert abs(textbook - 0.291027774) < 2e-9
    # ... his published 0.291027924 is the error with w5+..w8+ in the hidden deltas
    assert one("networks/mazur", "E_total+: 0.291027924").status == "correct"  # within the default rel 1e-6
    v = one("networks/mazur", "E_total+: 0.291027924", Tolerance(rel=F(1, 10**9)))
    assert v.status == "wrong" and "updated weights" in v.diagnosis


VALID = [[51, 66, 20], [31, 49, 101], [15, 53, -2]]


def conv(x, k, flip=False):
    if flip:
        k = [row[::-1] for row in k[::-1]]
    n, m = len(x) - len(k) + 1, len(x[0]) - len(k[0]) + 1
    return [[sum(x[i + u][j + v] * k[u][v] for u in range(len(k)) for v in range(len(k[0]))) for j in range(m)]
            for i in range(n)]


def test_transposed_and_flipped_kernel():
    given = load_problem("cnn/feature-map-valid").given
    x, k = [list(r) for r in given["input"]], [list(r) for r in given["kernel"]]
    assert conv(x, k) == VALID
    transposed = [list(c) for c in zip(*VALID)]
    assert "transposed" in run("cnn/feature-map-valid", f"output: {transposed}").verdicts[0].diagnosis
    true_conv = conv(x, k, flip=True)
    assert true_conv != VALID
    assert "flipped" in run("cnn/feature-map-valid", f"output: {true_conv}").verdicts[0].diagnosis


def test_kernel_not_rotated_in_dl_dx():
    x = [[1, 0, -1], [1, 0, 1], [0, 1, 1]]
    k, do = [[-1, 2], [3, 1]], [[F("-0.2"), F("0.2")], [F("0.1"), F("-0.1")]]
    right = [[sum(do[i][j] * k[r - i][q - j] for i in range(2) for j in range(2) if 0 <= r - i < 2 and 0 <= q - j < 2)
              for q in range(3)] for r in range(3)]
    slip = [[sum(do[i][j] * k[1 - (r - i)][1 - (q - j)] for i in range(2) for j in range(2)
                 if 0 <= r - i < 2 and 0 <= q - j < 2) for q in range(3)] for r in range(3)]
    assert right == [[F("0.2"), F("-0.6"), F("0.4")], [F("-0.7"), F("0.7"), 0], [F("0.3"), F("-0.2"), F("-0.1")]]
    assert x and slip != right
    text = "dL/dX: [" + ", ".join("[" + ", ".join(str(float(v)) for v in row) + "]" for row in slip) + "]"
    v = one("cnn/conv-backward-exercise", text)
    assert v.status == "wrong" and "not rotated" in v.diagnosis


def test_dropping_versus_keeping_probability():
    problem = problem_from_text("type: dropout\ngiven: {values: [4, 8, 12], rate: 0.25, mask: [1, 0, 1]}\n")
    right = [F(4) / F(3, 4), 0, F(12) / F(3, 4)]
    assert one(problem, "output: [5.3333, 0, 16]").status == "rounded" and right[2] == 16
    v = one(problem, f"output: [{4 / 0.25}, 0, {12 / 0.25}]")  # divided by p, not 1 - p
    assert "probability of keeping" in v.diagnosis


def test_ceil_instead_of_floor():
    assert math.floor((28 + 2 - 3) / 2) + 1 == 14 and math.ceil((28 + 2 - 3) / 2) + 1 == 15
    assert "ceil instead of floor" in one("counting/strided-output-size", "conv1.output_size: 15").diagnosis
    pool = problem_from_text("type: pool\ngiven: {input: [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5], "
                             "[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]], type: max, kernel: 2}\n")
    assert math.floor((5 - 2) / 2) + 1 == 2 and math.ceil((5 - 2) / 2) + 1 == 3
    assert one(pool, "output_size: 2").status == "correct"
    assert "ceil" in one(pool, "output_size: 3").diagnosis


def test_bias_corrected_ewma_where_plain_is_asked():
    theta, beta = [25, 13, 17, 31, 43], F("0.9")
    v, corrected = F(0), []
    for t, x in enumerate(theta, start=1):
        v = beta * v + (1 - beta) * x
        corrected.append(v / (1 - beta**t))
    assert corrected[0] == 25
    text = "V: [" + ", ".join(f"{float(c):.4f}" for c in corrected) + "]"
    plain = problem_from_text("type: ewma\ngiven: {values: [25, 13, 17, 31, 43], beta: 0.9}\n")
    assert "bias correction" in one(plain, text).diagnosis
    # where both are asked, the corrected list given for V is another answer
    assert one("optimizers/ewma-temperatures", text).diagnosis == "that is our V_corrected: another quantity"


def test_reversed_vector():
    # PyTorch momentum (lr 0.1, mu 0.9) on w^2 from 1: b = mu b + g, w -= lr b
    w, b, ws = 1.0, 0.0, []
    for _ in range(3):
        g = 2 * w
        b = 0.9 * b + g
        w -= 0.1 * b
        ws.append(w)
    text = "w: [" + ", ".join(f"{x:.4f}" for x in reversed(ws)) + "]"
    assert one("optimizers/momentum", text).diagnosis == "in reverse order"


# -- carried errors ------------------------------------------------------------------------------
def test_one_early_slip_in_a_sequence_is_reported_once():
    # momentum as PyTorch: b1 = g1 = 2 at w0 = 1; the learner writes w1 = 0.7 (0.8 is right) and
    # goes on correctly from it: g2 = 1.4, b2 = 0.9(2) + 1.4 = 3.2, w2 = 0.7 - 0.32 = 0.38 ...
    w, b, mine = 0.7, 2.0, [0.7]
    for _ in range(2):
        g = 2 * w
        b = 0.9 * b + g
        w -= 0.1 * b
        mine.append(w)
    assert abs(mine[1] - 0.38) < 1e-12
    v = one("optimizers/momentum", "w: [" + ", ".join(f"{x:.6f}" for x in mine) + "]")
    assert v.status == "wrong" and [e.status for e in v.elements] == ["wrong", "carried", "carried"]
    assert v.elements[1].upstream == ["w"]


def test_carried_needs_the_learners_own_value_not_ours():
    # sum_e from the learner's rounded e's is carried; the same 11.22 without them is wrong
    e = [math.exp(2), math.exp(1), math.exp(0.1)]
    assert round(sum(e), 2) == 11.21
    worksheet = "softmax/softmax-worksheet"  # e_i = e^(z_i), not shifted by max z
    rep = run(worksheet, "e1: 7.39\ne2: 2.72\ne3: 1.11\nsum_e: 11.22\n")
    assert [v.status for v in rep.verdicts] == ["rounded", "rounded", "rounded", "carried"]
    assert rep.exit_code == 0  # carried from rounded values: the method is right
    alone = one(worksheet, "sum_e: 11.22")  # without them: e_i rounded to 2 decimals, not written down
    assert alone.status == "carried" and alone.elements[0].rounding == 2 and not alone.upstream
    assert round(7.39 + 2.72 + 1.11, 2) == 11.22 and one(worksheet, "sum_e: 11.23").status == "wrong"


# -- bad answers are reported per item ----------------------------------------------------------
def test_bad_items_are_reported_and_the_rest_is_checked():
    rep = run(SOFTMAX, """p1: 0.66
p4: 0.1
jacobain: [[1]]
p2: abc
p3: [0.1, 0.2]
max_z: {a: 1}
sum_e: true
jacobian: [[0.2247, -0.1598], [-0.1598, 0.1837]]
J11: null
""")
    by = {v.name: v for v in rep.verdicts}
    assert by["p1"].status == "rounded" and by["J11"].status == "blank"
    assert by["p4"].status == "invalid" and "(did you mean 'p" in by["p4"].explanation
    assert "did you mean 'jacobian'" in by["jacobain"].explanation
    assert "expected a number" in by["p2"].explanation and "'abc'" in by["p2"].explanation
    assert "expected a single number, got a list of 2" == by["p3"].explanation
    assert "mapping" in by["max_z"].explanation and "expected a number" in by["sum_e"].explanation
    assert "expected a 3 x 3 matrix, got a 2 x 2 matrix" == by["jacobian"].explanation
    assert by["p2"].line == 4 and rep.exit_code == 1
    assert rep.counts()["invalid"] == 7 and rep.counts()["right"] == 1 and rep.counts()["checked"] == 1


def test_blank_template_is_not_wrong_but_does_not_pass():
    from calc.problems_io import solve_problem
    from calc.render.template import answer_template
    from calc.render.verdicts import summary_line

    text = answer_template(solve_problem(load_problem(SOFTMAX)))
    assert "jacobian: null" in text
    rep = run(SOFTMAX, text, allow_blank=False)
    # max_z, e1..e3, sum_e, p1..p3, J11..J33, jacobian: 18 quantities, none answered
    assert {v.status for v in rep.verdicts} == {"blank"} and len(rep.verdicts) == 18
    assert rep.exit_code == 1 and rep.missing == []
    assert summary_line(rep) == "0 of 0 right; 18 blank; not all answered"
    assert run(SOFTMAX, text, allow_blank=True).exit_code == 0  # --allow-blank


def test_missing_answers_are_not_answered():
    e = [math.exp(2.0), math.exp(1.0), math.exp(0.1)]
    p1 = e[0] / sum(e)
    assert round(p1, 4) == 0.659
    text = "p1: 0.6590\np2: null\n"  # one right, one blank, the other 16 not in the file
    rep = run(SOFTMAX, text, allow_blank=False)
    assert [v.status for v in rep.verdicts] == ["rounded", "blank"]
    assert len(rep.missing) == 16 and "p3" in rep.missing and "p1" not in rep.missing and "p2" not in rep.missing
    assert rep.exit_code == 1 and rep.unanswered == 17
    allowed = run(SOFTMAX, text, allow_blank=True)
    assert allowed.exit_code == 0 and allowed.unanswered == 0


def test_a_source_alias_answers_its_quantity():
    # Mazur's names: net_h1 is fc1.z1 = 0.15(0.05) + 0.20(0.10) + 0.35 = 0.3775
    rep = run("networks/mazur", "net_h1: 0.3775\n", allow_blank=False)
    assert "fc1.z1" not in rep.missing and "net_h1" not in rep.missing and "fc1.z2" in rep.missing



# -- every bundled problem ------------------------------------------------------------------------
def as_written(value, scale=1):
    from calc.check.answers import Written
    from calc.check.compare import exact

    if isinstance(value, list):
        return [as_written(v, scale) for v in value]
    if isinstance(value, bool):
        return value
    number = exact(value) * scale
    return Written(number, None, str(float(number)))


@pytest.mark.parametrize("name", sorted(__import__("calc.problems_io", fromlist=["x"]).bundled_problems()))
def test_our_own_values_pass_and_others_fail_without_a_crash(name):
    from calc.check import Answer
    from calc.check.compare import nested
    from calc.problems_io import solve_problem

    problem = load_problem(name)
    answers = solve_problem(problem).answers
    mine = [Answer(k, None, as_written(nested(v))) for k, v in answers.items()]
    assert check(problem, mine).exit_code == 0
    if len(answers) <= 40:  # every number 10% off: wrong or carried, never right, never a traceback
        rep = check(problem, [Answer(k, None, as_written(nested(v), F(11, 10))) for k, v in answers.items()])
        assert rep.exit_code == 1 and rep.counts()["invalid"] == 0


def test_a_matrix_answers_its_elements_and_the_elements_the_matrix():
    e = [math.exp(2.0), math.exp(1.0), math.exp(0.1)]
    p = [v / sum(e) for v in e]
    jac = [[p[i] * ((i == j) - p[j]) for j in range(3)] for i in range(3)]  # J_ij = p_i(delta_ij - p_j)
    whole = run(SOFTMAX, "jacobian: [" + ", ".join("[" + ", ".join(f"{v:.6f}" for v in row) + "]" for row in jac) + "]\n",
                allow_blank=False)
    assert whole.verdicts[0].status == "rounded"
    assert not any(name.startswith("J") or name == "jacobian" for name in whole.missing) and "p1" in whole.missing
    parts = run(SOFTMAX, "".join(f"J{i + 1}{j + 1}: {jac[i][j]:.6f}\n" for i in range(3) for j in range(3)),
                allow_blank=False)
    assert "jacobian" not in parts.missing and len(parts.missing) == 8  # max_z, e1..e3, sum_e, p1..p3
