"""nncalc check on the course's handwritten answers (examples/handwritten/).

Every verdict asserted here is decided by this file's own arithmetic (math, Fractions, PyTorch),
never by nncalc: a number is "rounded" when the true value rounds to it at the decimals written,
"carried" when the learner's own earlier numbers give it, and a slip is named when the slip's
formula, worked out here, gives it. Then nncalc check must say the same.
"""

from __future__ import annotations

import math
from fractions import Fraction as F
from pathlib import Path

import pytest
import torch

from calc.check import check, read_answers
from calc.problems_io import load_problem

HANDWRITTEN = Path(__file__).resolve().parents[1] / "examples" / "handwritten"
FILES = {  # answers file -> problem
    "softmax-jacobian": "softmax/softmax-jacobian",
    "softmax-worksheet": "softmax/softmax-worksheet",
    "cs231n-scores": "softmax/cs231n-scores",
    "batchnorm-z": "batchnorm/z-4-8-6-10",
    "batchnorm-x": "batchnorm/x-2-to-10-pytorch",
    "sigmoid-chain": "networks/sigmoid-chain",
    "dnn-example": "networks/dnn-example",
    "sigmoid-neuron-graph": "graphs/sigmoid-neuron",
    "x-plus-y-squared": "graphs/x-plus-y-squared",
    "max-gate": "graphs/max-gate",
    "feature-map-padding": "cnn/feature-map-padding",
    "max-pool-3x3-stride-1": "cnn/max-pool-3x3-stride-1",
    "conv-backward-exercise": "cnn/conv-backward-exercise",
    "cnn-forward-backward": "cnn/cnn-forward-backward",
    "ewma-temperatures": "optimizers/ewma-temperatures",
    "dropout": "dropout/four-samples",
    "counting-bottleneck": "counting/bottleneck-multiplications",
    "counting-conv-5x5": "counting/conv-5x5-multiplications",
    "counting-conv-10-filters": "counting/conv-10-filters-280",
    "categorical-ce": "losses/categorical-ce-batch",
    "and-perceptron": "perceptrons/and",
}


# -- the rules, stated independently --------------------------------------------------------
def unit(text: str) -> F:
    mantissa = str(text).lower().split("e")[0].lstrip("+-")
    return F(1, 10 ** len(mantissa.split(".")[1])) if "." in mantissa else F(1)


def rounds(text: str, true) -> bool:
    """The true value rounds to what was written."""
    return abs(F(text) - F(true)) <= unit(text) / 2


def within(text: str, value, units=1) -> bool:
    return abs(F(text) - F(value)) <= units * unit(text)


def trunc(value: float, decimals: int) -> F:
    return F(math.trunc(F(value) * 10**decimals), 10**decimals)


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def report(name: str):
    # the transcriptions hold what the student wrote, not every quantity of the worked solution
    return check(load_problem(FILES[name]), read_answers(HANDWRITTEN / f"{name}.yaml"), allow_blank=True)


def statuses(rep) -> dict:
    return {v.name: v.status for v in rep.verdicts}


def verdict(rep, name):
    return next(v for v in rep.verdicts if v.name == name)


def test_every_handwritten_file_is_listed_and_names_its_source():
    assert {p.stem for p in HANDWRITTEN.glob("*.yaml")} == set(FILES)
    for path in HANDWRITTEN.glob("*.yaml"):
        text = path.read_text()
        assert "transcribed from the" in text and "../shared" not in text and "# Verdict:" in text and FILES[path.stem] in text, path.name


# -- softmax and its Jacobian ---------------------------------------------------------------
def softmax(z):
    e = [math.exp(v) for v in z]
    return [v / sum(e) for v in e]


def test_softmax_jacobian():
    p = softmax([2.0, 1.0, 0.1])
    jac = [[p[i] * ((i == j) - p[j]) for j in range(3)] for i in range(3)]
    mine = [["0.2249", "-0.1889", "-0.066"], ["-0.1889", "0.1829", "-0.024"], ["0.066", "-0.024", "0.09"]]
    assert rounds("0.66", p[0]) and rounds("0.24", p[1]) and rounds("0.1", p[2])
    own = [F("0.66"), F("0.24"), F("0.1")]  # the learner's probabilities
    expect = []
    for i in range(3):
        for j in range(3):
            text, from_own = mine[i][j], own[i] * ((i == j) - own[j])
            if rounds(text, jac[i][j]):
                expect.append(("rounded", ""))
            elif rounds(text, from_own):
                expect.append(("carried", ""))
            elif F(text) == -from_own:
                expect.append(("wrong", "sign"))
            else:
                assert not within(text, from_own) and not within(text, jac[i][j])
                expect.append(("wrong", ""))
    assert expect[2] == ("carried", "") and expect[6] == ("wrong", "sign") and expect[1] == ("wrong", "")
    rep = report("softmax-jacobian")
    assert statuses(rep) == {"p1": "rounded", "p2": "rounded", "p3": "rounded", "jacobian": "wrong"}
    got = [(e.status, "sign" if "sign" in e.diagnosis else "") for e in verdict(rep, "jacobian").elements]
    assert got == expect
    assert verdict(rep, "jacobian").elements[2].upstream == ["p1", "p3"]
    assert rep.exit_code == 1


def test_softmax_worksheet():
    p = softmax([2.0, 1.0, 0.1])
    e = [math.exp(v) for v in (2.0, 1.0, 0.1)]
    assert all(rounds(t, v) for t, v in zip(("7.39", "2.72", "1.11"), e))
    assert not rounds("11.22", sum(e)) and F("7.39") + F("2.72") + F("1.11") == F("11.22")  # carried
    assert not rounds("0.65", p[0]) and trunc(p[0], 2) == F("0.65")  # truncated
    assert rounds("0.24", p[1]) and not within("0.91", p[2], 10)
    rep = report("softmax-worksheet")
    assert statuses(rep) == {"e1": "rounded", "e2": "rounded", "e3": "rounded", "sum_e": "carried", "p1": "wrong",
                             "p2": "rounded", "p3": "wrong"}
    assert verdict(rep, "sum_e").upstream == ["e1", "e2", "e3"]
    assert "truncated" in verdict(rep, "p1").diagnosis and verdict(rep, "p3").diagnosis == ""


def test_cs231n_scores_are_right():
    e = [math.exp(v) for v in (3.2, 5.1, -1.7)]
    p = [v / sum(e) for v in e]
    assert rounds("24.5", e[0]) and rounds("164.0", e[1]) and rounds("0.18", e[2])
    assert not rounds("188.68", sum(e)) and F("24.5") + F("164.0") + F("0.18") == F("188.68")
    assert rounds("0.13", p[0]) and rounds("0.87", p[1]) and rounds("0.00", p[2])
    rep = report("cs231n-scores")
    assert statuses(rep) == {"e1": "rounded", "e2": "rounded", "e3": "rounded", "sum_e": "carried", "p1": "rounded",
                             "p2": "rounded", "p3": "rounded"}
    assert rep.exit_code == 0


# -- batch norm -------------------------------------------------------------------------------
def test_batchnorm_std_is_the_variance():
    z = [4, 8, 6, 10]
    var = sum((v - 7) ** 2 for v in z) / 4
    assert var == 5 and math.sqrt(var) != 5  # the learner's "sigma = 5" is var
    rep = report("batchnorm-z")
    assert statuses(rep) == {"mean": "correct", "std": "wrong"}
    assert "var" in verdict(rep, "std").diagnosis


def test_batchnorm_n_minus_one():
    x, eps = [2, 4, 6, 8, 10], 1e-5
    biased, unbiased = 40 / 5, 40 / 4
    xhat = [(v - 6) / math.sqrt(biased + eps) for v in x]
    y = [2 * h + 1 for h in xhat]
    mine_hat = ["-1.265", "-0.633", "0", "0.633", "1.265"]
    own_hat = [(v - 6) / math.sqrt(unbiased + eps) for v in x]  # from the learner's var = 10
    for t, h, o in zip(mine_hat, xhat, own_hat):
        assert t == "0" or (not rounds(t, h) and within(t, o))
    mine_y = ["-1.83", "-0.26", "-1", "-2.66", "-3.53"]
    assert rounds(mine_y[0], y[0])
    assert not rounds(mine_y[1], y[1]) and within(mine_y[1], 2 * F("-0.633") + 1)  # carried from x_hat
    assert F(mine_y[2]) == -F(y[2])  # sign
    assert F(mine_y[4]) == -(2 * F("1.265") + 1)  # sign of what the learner's x_hat gives
    rep = report("batchnorm-x")
    assert statuses(rep) == {"mean": "correct", "squares": "correct", "var": "wrong", "x_hat": "carried", "y": "wrong"}
    assert "n - 1" in verdict(rep, "var").diagnosis
    assert verdict(rep, "x_hat").upstream == ["var"]
    ys = verdict(rep, "y").elements
    assert [e.status for e in ys] == ["rounded", "carried", "wrong", "wrong", "wrong"]
    assert "sign" in ys[2].diagnosis and "sign" in ys[4].diagnosis and ys[3].diagnosis == ""


# -- dense backward passes ----------------------------------------------------------------------
def test_sigmoid_chain_derivative_at_z():
    z1 = 0.25
    a1 = sigmoid(z1)
    z2 = 0.5 * a1
    a2 = sigmoid(z2)
    z3 = 0.5 * a2
    a3 = sigmoid(z3)
    assert rounds("0.562", a1) and rounds("0.28", z2) and rounds("0.285", z3)
    assert not rounds("0.569", a2) and trunc(a2, 3) == F("0.569") and not rounds("0.569", sigmoid(0.28))
    assert not within("0.590", a3, 10)
    # the slip: the derivative a(1 - a) evaluated at z, z(1 - z)
    assert rounds("0.204", F("0.285") * (1 - F("0.285"))) and not within("0.204", a3 * (1 - a3), 10)
    assert within("0.1018", 0.5 * z3 * (1 - z3)) and not within("0.1018", F("0.204") * F("0.5"))
    assert rounds("0.0205", F("0.1018") * F("0.28") * F("0.72"))  # the learner's own values, at z
    assert F("0.0205") * F("0.5") == F("0.01025")  # dy/da1 carried
    assert abs(F("0.001924") - F("0.01025") * F("0.25") * F("0.75")) < F("0.001924") / 100  # at z, 0.1% off
    assert rounds("0.00096", F("0.001924") * F("0.5"))  # dy/da0 carried
    rep = report("sigmoid-chain")
    assert statuses(rep) == {"z1": "correct", "a1": "rounded", "z2": "rounded", "a2": "wrong", "z3": "rounded",
                             "a3": "wrong", "dy/dz3": "wrong", "dy/da2": "wrong", "dy/dz2": "wrong",
                             "dy/da1": "carried", "dy/dz1": "wrong", "dy/da0": "carried"}
    for name in ("dy/dz3", "dy/da2", "dy/dz2", "dy/dz1"):
        assert "z(1 - z)" in verdict(rep, name).diagnosis, name
    assert "truncated" in verdict(rep, "a2").diagnosis and verdict(rep, "a3").diagnosis == ""
    assert verdict(rep, "dy/da1").upstream == ["dy/dz2"] and verdict(rep, "dy/da0").upstream == ["dy/dz1"]


def test_dnn_example_grad_w2():
    i1, i2, w, b1, b2 = 0.05, 0.10, [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55], 0.35, 0.60
    h1, h2 = sigmoid(w[0] * i1 + w[1] * i2 + b1), sigmoid(w[2] * i1 + w[3] * i2 + b1)
    o1, o2 = sigmoid(w[4] * h1 + w[5] * h2 + b2), sigmoid(w[6] * h1 + w[7] * h2 + b2)
    d1, d2 = (o1 - 0.01) * o1 * (1 - o1), (o2 - 0.99) * o2 * (1 - o2)
    d11 = (w[4] * d1 + w[6] * d2) * h1 * (1 - h1)
    right = {"h1": h1, "o2": o2, "grad_d11": d11, "grad_w1": d11 * i1, "grad_w4": 0}
    answers = {a.name: a.value for a in read_answers(HANDWRITTEN / "dnn-example.yaml")}
    for name in ("h1", "o2", "grad_d11", "grad_w1"):
        assert abs(answers[name].value - F(right[name])) <= abs(F(right[name])) * F(1, 10**6)
    assert abs(answers["grad_w2"].value - F(d11 * i2)) > F(d11 * i2) / 3  # it is grad_w1 = d11 i1
    assert answers["grad_w2"].value == answers["grad_w1"].value
    assert abs(answers["w2+"].value - (F("0.20") - F("0.5") * answers["grad_w2"].value)) < F(1, 10**15)  # carried
    rep = report("dnn-example")
    wrong = {k: s for k, s in statuses(rep).items() if s != "correct"}
    assert wrong == {"grad_w2": "wrong", "w2+": "carried"}
    assert "dL/dfc1.w11" in verdict(rep, "grad_w2").diagnosis  # grad_w1's name in the solution
    assert verdict(rep, "w2+").upstream == ["grad_w2"]


# -- computational graphs ---------------------------------------------------------------------
def test_sigmoid_neuron_graph():
    f0, f1 = 2 * -1, -3 * -2
    f2 = f0 + f1
    f3 = f2 + -3
    f5 = math.exp(-f3)
    f6 = 1 + f5
    d6 = -1 / f6**2  # df7/df6
    d4 = d6 * f5  # df7/df4 (exp gate: local gradient e^f4 = f5)
    d3 = -d4  # through the negation
    assert f2 == 4 and F("0.4") * 10 == f2  # decimal point
    assert not rounds("0.367", f5) and trunc(f5, 3) == F("0.367")
    assert rounds("1.37", f6) and rounds("0.73", 1 / f6)
    assert rounds("0.53", -d6)  # sign dropped
    assert abs(F("0.1961") + F(d4)) < abs(F(d4)) / 100  # sign again (0.53 x 0.37 by hand)
    assert not within("0.5883", d3, 10)  # the add gate passes d3 on; 3 x 0.1961 is no rule
    assert trunc(d3, 2) == F("0.19") and not rounds("0.19", d3)
    for text, local in (("-0.19", -1), ("0.38", 2), ("-0.38", -2)):  # from the learner's 0.19
        assert F(text) == F("0.19") * local and not rounds(text, d3 * local)
    assert F("-0.19") != F("0.19") * -3  # df7/dx1: w1 = -3 is the local gradient
    rep = report("sigmoid-neuron-graph")
    assert statuses(rep) == {
        "f0": "correct", "f1": "correct", "f2": "wrong", "f3": "correct", "f4": "correct", "f5": "wrong",
        "f6": "rounded", "f7": "rounded", "df7/df6": "wrong", "df7/df5": "carried", "df7/df4": "wrong",
        "df7/df3": "carried", "df7/df2": "wrong", "df7/df1": "wrong", "df7/df0": "wrong", "df7/dw0": "carried",
        "df7/dx0": "carried", "df7/dw1": "carried", "df7/dx1": "wrong"}
    slips = {v.name: v.diagnosis for v in rep.verdicts}
    assert "decimal point" in slips["f2"] and "truncated" in slips["f5"] and "truncated" in slips["df7/df0"]
    assert "sign" in slips["df7/df6"] and "sign" in slips["df7/df4"] and slips["df7/df2"] == ""
    assert verdict(rep, "df7/df5").upstream == ["df7/df6"] and verdict(rep, "df7/dx0").upstream == ["df7/df0"]


def test_x_plus_y_squared():
    x, y, z = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (2.0, 5.0, -4.0))
    (x + y**2).backward()
    grads = {"df/dx": float(x.grad), "df/dy": float(y.grad), "df/dz": 0.0 if z.grad is None else float(z.grad)}
    mine = {"df/dx": 1, "df/dy": 2, "df/dz": 5}
    assert {k: mine[k] == v for k, v in grads.items()} == {"df/dx": True, "df/dy": False, "df/dz": False}
    rep = report("x-plus-y-squared")
    assert statuses(rep) == {"df/dx": "correct", "df/dy": "wrong", "df/dz": "wrong"}


def test_max_gate_is_right():
    x, y, z, w = 3, -4, 2, -1
    f3 = x * y + max(z, w)
    assert 2 * f3 == -20 and (2 * y, 2 * x, 2 * (z > w), 2 * (w > z)) == (-8, 6, 2, 0)
    rep = report("max-gate")
    assert set(statuses(rep).values()) == {"correct"} and rep.exit_code == 0


# -- convolution and pooling ---------------------------------------------------------------------
def test_feature_map_padding_is_right():
    image = [[2, 4, 9, 1, 4], [2, 1, 4, 4, 6], [1, 1, 2, 9, 2], [7, 3, 5, 1, 3], [2, 3, 4, 8, 5]]
    kernel = [[1, 2, 3], [-4, 7, 4], [2, -5, 1]]
    given = load_problem(FILES["feature-map-padding"]).given
    assert given["input"] == image and given["kernel"] == kernel
    padded = [[0] * 7] + [[0] + r + [0] for r in image] + [[0] * 7]
    out = [[sum(padded[i + u][j + v] * kernel[u][v] for u in range(3) for v in range(3)) for j in range(5)]
           for i in range(5)]
    answers = {a.name: a.value for a in read_answers(HANDWRITTEN / "feature-map-padding.yaml")}
    assert [[w.value for w in row] for row in answers["output"]] == out
    assert report("feature-map-padding").exit_code == 0


def test_max_pool_3x3_two_slips():
    x = load_problem(FILES["max-pool-3x3-stride-1"]).given["input"]
    pooled = [[max(x[i + u][j + v] for u in range(3) for v in range(3)) for j in range(3)] for i in range(3)]
    mine = [[1, 9, 5], [9, 9, 5], [8, 6, 9]]
    wrong = [(i, j) for i in range(3) for j in range(3) if pooled[i][j] != mine[i][j]]
    assert wrong == [(0, 0), (2, 0)]
    rep = report("max-pool-3x3-stride-1")
    assert statuses(rep) == {"output_size": "correct", "pool_output": "wrong"}
    assert [e.index for e in verdict(rep, "pool_output").elements if e.status == "wrong"] == wrong


def test_conv_backward_exercise_is_right():
    x = torch.tensor([[1., 0, -1], [1, 0, 1], [0, 1, 1]], requires_grad=True)
    k = torch.tensor([[-1., 2], [3, 1]], requires_grad=True)
    out = torch.nn.functional.conv2d(x[None, None], k[None, None])[0, 0]
    out.backward(torch.tensor([[-0.2, 0.2], [0.1, -0.1]]))
    answers = {a.name: a.value for a in read_answers(HANDWRITTEN / "conv-backward-exercise.yaml")}
    for name, grad in (("dL/dF", k.grad), ("dL/dX", x.grad)):
        mine = torch.tensor([[float(w.value) for w in row] for row in answers[name]])
        assert torch.allclose(mine, grad, atol=1e-12), name
    assert report("conv-backward-exercise").exit_code == 0


def cnn_reference():
    """The CNN example in PyTorch (float64): forward, cross-entropy, backward."""
    t = torch.float64
    x = torch.tensor([[1., 0, 1], [0, 1, 0], [1, 0, 1]], dtype=t)
    f = torch.tensor([[0.9, 0.1], [0.1, 0.9]], dtype=t, requires_grad=True)
    b = torch.tensor([0.1], dtype=t, requires_grad=True)
    wh = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]], dtype=t, requires_grad=True)
    bh = torch.tensor([0.2, 0.2], dtype=t, requires_grad=True)
    wo = torch.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=t, requires_grad=True)
    bo = torch.tensor([0.3, 0.3], dtype=t, requires_grad=True)
    xin = x.clone().requires_grad_(True)
    c = torch.relu(torch.nn.functional.conv2d(xin[None, None], f[None, None], b)).reshape(4)
    c.retain_grad()
    h = torch.relu(wh @ c + bh)
    o = torch.softmax(wo @ h + bo, 0)
    loss = -torch.log(o[0])
    loss.backward()
    return {"O": o.detach(), "dwo": wo.grad, "dbo": bo.grad, "dwh": wh.grad, "dC": c.grad, "dF": f.grad,
            "db": b.grad, "dX": xin.grad, "wo+": wo.detach() - 0.5 * wo.grad, "bo+": bo.detach() - 0.5 * bo.grad,
            "wh+": wh.detach() - 0.5 * wh.grad, "F+": f.detach() - 0.5 * f.grad}


def test_cnn_forward_backward_example():
    r = cnn_reference()
    val = lambda tensor, *i: float(tensor[i])  # noqa: E731
    assert rounds("0.295", val(r["O"], 0)) and rounds("0.705", val(r["O"], 1))
    # carried: the slides' own rounded deltas -0.705 / 0.705 and dC values
    assert not rounds("-0.9165", val(r["dwo"], 0, 0)) and F("-0.705") * F("1.3") == F("-0.9165")
    assert not rounds("2.157", val(r["dwo"], 1, 1)) and rounds("2.157", F("0.705") * F("3.06"))
    assert not rounds("0.652", val(r["bo+"], 0)) and rounds("0.652", F("0.3") + F("0.5") * F("0.705"))
    assert not rounds("-0.678", val(r["wo+"], 1, 1)) and rounds("-0.678", F("0.4") - F("0.5") * F("2.157"))
    assert not rounds("0.2538", val(r["dF"], 0, 1)) and F("0.1128") + F("0.141") == F("0.2538")
    assert not rounds("0.5076", val(r["db"], 0)) and F("0.0846") + F("0.1128") + F("0.141") + F("0.1692") == F("0.5076")
    assert not rounds("-0.1538", val(r["db"], 0) * -0.5 + 0.1) and F("0.1") - F("0.5") * F("0.5076") == F("-0.1538")
    # wrong
    assert not rounds("-0.352", val(r["bo+"], 1)) and not within("-0.352", F("0.3") - F("0.5") * F("0.705"), 10)
    assert not rounds("0.3645", val(r["wh+"], 1, 0)) and not within("0.3645", F("0.5") - F("0.5") * F("0.268"))
    assert not rounds("0.5238", val(r["dF"], 0, 0)) and rounds("0.2538", F("0.0846") + F("0.1692"))  # 52 <-> 25
    assert not rounds("1.278", val(r["wo+"], 0, 1)) and trunc(val(r["wo+"], 0, 1), 3) == F("1.278")
    own = F("0.2") + F("0.5") * F("2.1573")  # from the slide's dwo2: 1.27865, the same as ours at 3 decimals
    assert not rounds("1.278", own) and abs(own - F(val(r["wo+"], 0, 1))) <= F("0.0005")
    dx = r["dX"]
    assert not rounds("0.0765", val(dx, 0, 0)) and not within("0.0765", F("0.9") * F("0.0846"))
    assert not rounds("0.1356", val(dx, 1, 0)) and not within("0.1356", F("0.1") * F("0.0846") + F("0.9") * F("0.141"))
    rep = report("cnn-forward-backward")
    got = statuses(rep)
    assert {k for k, s in got.items() if s == "wrong"} == {"wo2+", "bo2+", "wh5+", "dF1", "dL/dconv.input"}
    assert {k for k, s in got.items() if s == "carried"} == {
        "dwo1", "dwo2", "bo1+", "dL/dout.w21", "dL/dout.w22", "wo4+", "dF2", "dF3", "dF4", "grad_b1", "b1+"}
    assert "swapped" in verdict(rep, "dF1").diagnosis and "truncated" in verdict(rep, "wo2+").diagnosis
    assert verdict(rep, "dF2").upstream == ["dC2", "dC3"] and verdict(rep, "b1+").upstream == ["grad_b1"]
    assert verdict(rep, "grad_b1").upstream == ["dC1", "dC2", "dC3", "dC4"]
    grid = [e.status for e in verdict(rep, "dL/dconv.input").elements]
    assert grid[0] == "wrong" and grid[3] == "wrong" and grid[4] == "carried"
    for e, (i, j) in zip(verdict(rep, "dL/dconv.input").elements, [(i, j) for i in range(3) for j in range(3)]):
        if e.status == "rounded":
            assert rounds(e.learner.text, val(dx, i, j))
        else:
            assert not rounds(e.learner.text, val(dx, i, j))


# -- an optimizer's sequence, dropout, counting ------------------------------------------------------
def test_ewma_started_at_the_second_value():
    theta, beta = [25, 13, 17, 31, 43], F("0.9")
    v1 = (1 - beta) * theta[0]
    v2 = beta * v1 + (1 - beta) * theta[1]
    assert (v1, v2) == (F("2.5"), F("3.55"))
    shifted1 = (1 - beta) * theta[1]
    assert shifted1 == F("1.3") and beta * shifted1 + (1 - beta) * theta[2] == F("2.87")
    assert beta * F("1.3") + (1 - beta) * theta[1] != F("2.87")  # V2 does not follow from the learner's V1
    rep = report("ewma-temperatures")
    assert statuses(rep) == {"V1": "wrong", "V2": "wrong"}
    assert all("second value" in v.diagnosis for v in rep.verdicts)


def test_dropout():
    x, mask, p = [10, 10, 15, 15], [1, 0, 0, 1], F(1, 2)
    inverted = [v * m / (1 - p) for v, m in zip(x, mask)]
    assert inverted == [20, 0, 0, 30] and [5, 0, 0, F("7.5")] != inverted
    original_test = [v * (1 - p) for v in x]
    assert original_test == [5, 5, F("7.5"), F("7.5")]  # the learner's S1..S4: the paper's convention
    rep = report("dropout")
    assert statuses(rep) == {"output": "wrong", "test_output": "wrong", "sum_out": "carried", "test_sum": "carried"}
    assert "original paper" in verdict(rep, "test_output").diagnosis
    assert verdict(rep, "sum_out").upstream == ["output"]


@pytest.mark.parametrize("name,expected", [
    ("counting-bottleneck", {"conv1.multiplications": 28 * 28 * 16 * 192, "conv2.multiplications": 28 * 28 * 32 * 5 * 5 * 16,
                             "multiplications": 28 * 28 * 16 * 192 + 28 * 28 * 32 * 5 * 5 * 16}),
    ("counting-conv-5x5", {"multiplications": 28 * 28 * 32 * 5 * 5 * 192}),
    ("counting-conv-10-filters", {"conv1.params": 3 * 3 * 3 * 10 + 10, "total_params": 3 * 3 * 3 * 10 + 10}),
])
def test_counting(name, expected):
    answers = {a.name: a.value.value for a in read_answers(HANDWRITTEN / f"{name}.yaml")}
    right = {k: answers[k] == v for k, v in expected.items()}
    rep = report(name)
    assert statuses(rep) == {k: "correct" if ok else "wrong" for k, ok in right.items()}
    assert rep.exit_code == (0 if all(right.values()) else 1)


def test_categorical_cross_entropy_truncates_once():
    p_true = [0.2, 1.0, 0.7, 0.9, 0.9, 1.0, 1.0, 1.0, 0.9, 1.0]  # each image's probability of its label
    mine = ["1.61", "0", "0.356", "0.105", "0.105", "0", "0", "0", "0.105", "0"]
    right = [rounds(t, -math.log(p)) for t, p in zip(mine, p_true)]
    assert right == [True, True, False] + [True] * 7 and trunc(-math.log(0.7), 3) == F("0.356")
    rep = report("categorical-ce")
    assert [v.status != "wrong" for v in rep.verdicts] == right
    assert "truncated" in verdict(rep, "sample3.loss").diagnosis


def test_and_perceptron_is_right():
    rows = [(0, 0), (0, 1), (1, 0), (1, 1)]
    z = [x1 + x2 - 1 for x1, x2 in rows]
    assert z == [-1, 0, 0, 1] and [int(v > 0) for v in z] == [0, 0, 0, 1]
    rep = report("and-perceptron")
    assert set(statuses(rep).values()) == {"correct"} and rep.exit_code == 0
