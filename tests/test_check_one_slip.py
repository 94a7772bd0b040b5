"""One slip is reported once, from every intermediate (issue 9): a wrong value followed by values
the learner computed correctly from it gives one WRONG and the rest *carried*, with the slip
named as their upstream. Each scenario is a real bundled problem; every number the learner
writes is worked out here by hand arithmetic (math, floats), never taken from nncalc."""

from __future__ import annotations

import math

from calc.check import answers_from_text, check
from calc.problems_io import load_problem

MAZUR = "networks/mazur"  # 2-2-2 sigmoid, 1/2 SSE, lr 0.5, biases 0.35 and 0.60 not updated


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# Mazur's forward pass, by hand
H1, H2 = sigmoid(0.15 * 0.05 + 0.20 * 0.10 + 0.35), sigmoid(0.25 * 0.05 + 0.30 * 0.10 + 0.35)
O1 = sigmoid(0.40 * H1 + 0.45 * H2 + 0.60)
O2 = sigmoid(0.50 * H1 + 0.55 * H2 + 0.60)
DL_DO1 = O1 - 0.01  # d/do1 of 1/2 (t1 - o1)^2


def run(problem: str, text: str):
    rep = check(load_problem(problem), answers_from_text(text, "mine.yaml"), allow_blank=True)
    return rep, {v.name: v for v in rep.verdicts}


def test_hand_values_are_mazurs_published_ones():
    assert round(H1, 9) == 0.593269992 and round(O1, 8) == 0.75136507 and round(O2, 9) == 0.772928465


def test_wrong_local_derivative_then_a_delta_from_it_is_one_slip():
    ours = O1 * (1 - O1)  # 0.1868
    assert round(ours, 4) == 0.1868
    mine = 0.1968  # a digit slip
    delta = round(DL_DO1 * mine, 4)  # the learner's own product: 0.74136507 x 0.1968
    assert delta == 0.1459 and round(DL_DO1 * ours, 4) == 0.1385
    rep, by = run(MAZUR, f"fc2.da1/dz1: {mine}\nfc2.delta1: {delta}\n")
    assert by["fc2.da1/dz1"].status == "wrong"
    assert by["fc2.delta1"].status == "carried" and by["fc2.delta1"].upstream == ["fc2.da1/dz1"]
    assert by["fc2.delta1"].diagnosis == ""
    assert rep.counts()["wrong"] == 1 and rep.exit_code == 1


def test_wrong_z_then_its_activation():
    z = 0.3875  # 0.3775 with a digit slip
    rep, by = run(MAZUR, f"fc1.z1: {z}\nfc1.a1: {round(sigmoid(z), 6)}\n")
    assert by["fc1.z1"].status == "wrong" and by["fc1.a1"].status == "carried"
    assert by["fc1.a1"].upstream == ["fc1.z1"]


def test_wrong_activation_then_the_next_layers_z():
    a = 0.6033  # out_h1 = 0.5933 with a digit slip
    z = round(0.40 * a + 0.45 * H2 + 0.60, 4)
    rep, by = run(MAZUR, f"fc1.a1: {a}\nfc2.z1: {z}\n")
    assert by["fc1.a1"].status == "wrong" and by["fc2.z1"].status == "carried"


def test_wrong_upstream_gradient_then_the_delta():
    dl_da = 0.7514  # the output o1 instead of o1 - t1
    rep, by = run(MAZUR, f"dL/dfc2.a1: {dl_da}\nfc2.delta1: {round(dl_da * O1 * (1 - O1), 4)}\n")
    assert by["dL/dfc2.a1"].status == "wrong" and "fc2.a1" in by["dL/dfc2.a1"].diagnosis
    assert by["fc2.delta1"].status == "carried" and by["fc2.delta1"].upstream == ["dL/dfc2.a1"]


def test_wrong_delta_then_the_weight_gradient_and_the_hidden_gradient():
    delta = 0.1485  # 0.1385 with a digit slip
    delta2 = (O2 - 0.99) * O2 * (1 - O2)
    text = (f"fc2.delta1: {delta}\ndL/dfc2.w11: {round(delta * H1, 4)}\n"
            f"dL/dfc1.a1: {round(0.40 * delta + 0.50 * delta2, 4)}\n")
    rep, by = run(MAZUR, text)
    assert by["fc2.delta1"].status == "wrong"
    assert by["dL/dfc2.w11"].status == "carried" and by["dL/dfc2.w11"].upstream == ["fc2.delta1"]
    assert by["dL/dfc1.a1"].status == "carried" and by["dL/dfc1.a1"].upstream == ["fc2.delta1"]


def test_wrong_gradient_then_the_update():
    ours = DL_DO1 * O1 * (1 - O1) * H1  # dE/dw5 = 0.082167041
    assert round(ours, 9) == 0.082167041
    g = 0.0922
    rep, by = run(MAZUR, f"dL/dfc2.w11: {g}\nfc2.w11+: {round(0.40 - 0.5 * g, 4)}\n")
    assert by["dL/dfc2.w11"].status == "wrong" and by["fc2.w11+"].status == "carried"


def test_wrong_loss_term_then_the_total():
    e1, e2 = 0.5 * (0.01 - O1) ** 2, 0.5 * (0.99 - O2) ** 2  # 0.274811083, 0.023560026
    assert round(e1, 9) == 0.274811083 and round(e1 + e2, 9) == 0.298371109
    slip = 0.2848  # 0.2748 with a digit slip
    rep, by = run(MAZUR, f"loss.1: {slip}\nloss: {round(slip + e2, 4)}\n")
    assert by["loss.1"].status == "wrong" and by["loss"].status == "carried"
    assert by["loss"].upstream == ["loss.1"]


def test_softmax_exponential_then_sum_then_probability():
    e = [math.exp(2.0), math.exp(1.0), math.exp(0.1)]  # the worksheet writes e^z without the shift
    slip = 7.29  # e^2 = 7.389: a digit dropped
    total = round(slip + round(e[1], 2) + round(e[2], 2), 2)
    text = f"e1: {slip}\ne2: {round(e[1], 2)}\ne3: {round(e[2], 2)}\nsum_e: {total}\np1: {round(slip / total, 4)}\n"
    rep, by = run("softmax/softmax-worksheet", text)
    assert by["e1"].status == "wrong"
    assert by["sum_e"].status == "carried" and by["p1"].status == "carried"
    assert by["p1"].upstream == ["sum_e"] or by["p1"].upstream == ["e1", "sum_e"]
    assert rep.counts()["wrong"] == 1


def test_batchnorm_mean_then_centred_values_and_variance_then_std():
    x = [2, 4, 6, 8, 10]  # mean 6, biased variance 8
    mean = 5  # a slip
    rep, by = run("batchnorm/x-2-to-10-pytorch",
                  f"mean: {mean}\nx_minus_mean: {[v - mean for v in x]}\n")
    assert by["mean"].status == "wrong" and by["x_minus_mean"].status == "carried"
    var = 9  # a slip: 8 is right
    rep, by = run("batchnorm/x-2-to-10-pytorch", f"var_biased: {var}\nstd: {round(math.sqrt(var + 1e-5), 5)}\n")
    assert by["var_biased"].status == "wrong" and by["std"].status == "carried"


def test_adam_bias_corrected_moment_then_the_weight_of_the_same_step():
    # f = w^2 from w = 1: lr 0.1, beta1 0.9, beta2 0.99, eps 1e-8 (PyTorch)
    lr, b1, b2, eps = 0.1, 0.9, 0.99, 1e-8
    w, m, v = 1.0, 0.0, 0.0
    mine_mhat, mine_w = [], []
    for t in (1, 2, 3):
        g = 2 * w
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        if t == 1:
            assert round(m_hat, 6) == 2.0
            m_hat = 2.2  # the slip: only m^_1 is wrong
        mine_mhat.append(round(m_hat, 6))
        w = round(w - lr * m_hat / (math.sqrt(v_hat) + eps), 6)  # the learner carries on from their own w
        mine_w.append(w)
    rep, by = run("optimizers/adam", f"m_hat: {mine_mhat}\nw: {mine_w}\n")
    assert [e.status for e in by["m_hat"].elements] == ["wrong", "carried", "carried"]
    assert [e.status for e in by["w"].elements] == ["carried"] * 3
    # (upstream is not named here: answers are ordered by name, w before m_hat, not by step)
    assert rep.counts()["wrong"] == 1


def test_batchnorm_backward_stage_then_the_variance_gradient():
    x, grad, gamma = [2, 4, 6, 8, 10], [1, -2, 0, 3, 0.5], 2  # mean 6, biased variance 8, eps 1e-5
    ours = [gamma * g for g in grad]  # dL/dx_hat = gamma dL/dy
    mine = grad  # gamma forgotten
    dvar = sum(d * (v - 6) for d, v in zip(mine, x)) * -0.5 * (8 + 1e-5) ** -1.5
    assert round(dvar, 4) == -0.1768 and ours != mine
    rep, by = run("batchnorm/x-2-to-10-pytorch", f"dL/dx_hat: {mine}\ndL/dvar: {round(dvar, 4)}\n")
    assert by["dL/dx_hat"].status == "wrong" and by["dL/dvar"].status == "carried"
    assert by["dL/dvar"].upstream == ["dL/dx_hat"]


def test_perceptron_row_slip_carried_to_the_output():
    # XOR with a ReLU hidden layer: h = relu(x1 + x2 + 0), relu(x1 + x2 - 1); y = relu(h1 - 2 h2)
    x1, x2 = 0, 1  # row 2
    z2 = x1 + x2  # the bias -1 forgotten (right: 0)
    a2 = max(0, z2)
    a1 = max(0, x1 + x2)
    out = a1 - 2 * a2
    assert (z2, a2, out, max(0, out)) == (1, 1, -1, 0)
    rep, by = run("perceptrons/xor-relu",
                  f"row2.fc1.z2: {z2}\nrow2.fc1.a2: {a2}\nrow2.fc2.z1: {out}\nrow2.y: {max(0, out)}\n")
    assert [by[k].status for k in by] == ["wrong", "carried", "carried", "carried"]
    assert by["row2.fc1.a2"].upstream == ["row2.fc1.z2"]
