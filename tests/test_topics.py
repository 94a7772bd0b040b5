"""Worked solutions of issue 4 part B against independent references: torch.optim, torch.nn.init,
torch batch norm and activations, and formulas written out by hand here."""

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from calc.errors import InputError

RNG = np.random.default_rng(4)


def fr(values):
    return [Fraction(repr(float(v))) for v in values]


def close(got, want, rel=1e-9, abs_=1e-12):
    got = np.asarray([float(v) for v in np.ravel(np.asarray(got, dtype=object))])
    np.testing.assert_allclose(got, np.ravel(np.asarray(want, dtype=float)), rtol=rel, atol=abs_)


# -- optimizers -----------------------------------------------------------------------------
TORCH_OPTIMIZERS = [
    ("sgd", {"lr": 0.1}, torch.optim.SGD, {"lr": 0.1}),
    ("momentum", {"lr": 0.05, "momentum": 0.8}, torch.optim.SGD, {"lr": 0.05, "momentum": 0.8}),
    ("nesterov", {"lr": 0.05}, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adagrad", {"lr": 0.3}, torch.optim.Adagrad, {"lr": 0.3}),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9}, torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9}),
    ("adam", {"lr": 0.1, "beta1": 0.8, "beta2": 0.95}, torch.optim.Adam, {"lr": 0.1, "betas": (0.8, 0.95)}),
]


@pytest.mark.parametrize("name,settings,cls,kwargs", TORCH_OPTIMIZERS, ids=[c[0] for c in TORCH_OPTIMIZERS])
def test_optimizer_table_matches_torch_optim_on_given_gradients(name, settings, cls, kwargs):
    from calc.solve.optimizer import solve_optimizer

    grads = RNG.normal(size=6).round(3)
    sol = solve_optimizer(name, 6, Fraction("0.7"), fr(grads), **{k: Fraction(str(v)) for k, v in settings.items()})
    p = torch.tensor([0.7], dtype=torch.float64, requires_grad=True)
    opt, want = cls([p], **kwargs), []
    for g in grads:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        want.append(p.item())
    close(sol.answers["w"], want)
    assert sol.answers["w_final"] == sol.answers["w"][-1]


@pytest.mark.parametrize("name,settings,cls,kwargs", TORCH_OPTIMIZERS, ids=[c[0] for c in TORCH_OPTIMIZERS])
def test_optimizer_on_a_function_matches_torch(name, settings, cls, kwargs):
    from calc.solve.optimizer import solve_optimizer

    sol = solve_optimizer(name, 5, Fraction(2), function="w^2 + exp(w/2)",
                          **{k: Fraction(str(v)) for k, v in settings.items()})
    p = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    opt, want, grads = cls([p], **kwargs), [], []
    for _ in range(5):
        opt.zero_grad()
        (p ** 2 + torch.exp(p / 2)).sum().backward()
        grads.append(p.grad.item())
        opt.step()
        want.append(p.item())
    close(sol.answers["g"], grads)
    close(sol.answers["w"], want)


def test_adam_state_columns_follow_the_formulas():
    from calc.solve.optimizer import solve_optimizer

    sol = solve_optimizer("adam", 2, Fraction(1), [Fraction(1, 2), Fraction(-1)], lr=Fraction(1, 10))
    # by hand: m1 = 0.05, v1 = 0.00025; m2 = 0.9*0.05 - 0.1 = -0.055, v2 = 0.999*0.00025 + 0.001
    assert sol.answers["m"] == [Fraction(1, 20), Fraction(-11, 200)]
    assert sol.answers["v"] == [Fraction(1, 4000), Fraction(999, 4000000) + Fraction(1, 1000)]
    assert sol.answers["m_hat"][1] == Fraction(-11, 200) / (1 - Fraction(81, 100))


@pytest.mark.parametrize("kwargs,fragment", [
    ({"grads": None, "function": None}, "either the gradients"),
    ({"grads": [Fraction(1)], "function": "w^2"}, "not both"),
    ({"grads": None, "function": "x*y"}, "one variable"),
    ({"grads": None, "function": "w^2"}, "--start"),
    ({"grads": [Fraction(1)], "function": None, "steps": 3}, "3 steps need 3 gradients"),
])
def test_optimizer_input_errors(kwargs, fragment):
    from calc.solve.optimizer import solve_optimizer

    steps = kwargs.pop("steps", 1)
    with pytest.raises(InputError, match=fragment):
        solve_optimizer("sgd", steps, None, **kwargs)


def test_ewma_matches_the_closed_form():
    from calc.solve.ewma import solve_ewma

    theta, beta = fr(RNG.normal(size=7).round(2)), Fraction(3, 4)
    sol = solve_ewma(theta, beta, bias_correction=True)
    for t in range(1, 8):  # V_t = sum_i beta^(t-i) (1 - beta) theta_i
        closed = sum(beta ** (t - i) * (1 - beta) * theta[i - 1] for i in range(1, t + 1))
        assert sol.answers["V"][t - 1] == closed
        assert sol.answers["V_corrected"][t - 1] == closed / (1 - beta ** t)


# -- initialisers -----------------------------------------------------------------------------
def _torch_scale(name, fan_in, fan_out):
    """std or bound as torch.nn.init documents them (gain from calculate_gain)."""
    relu, linear = torch.nn.init.calculate_gain("relu"), torch.nn.init.calculate_gain("linear")
    return {
        "glorot_uniform": math.sqrt(3) * linear * math.sqrt(2 / (fan_in + fan_out)),  # xavier_uniform_
        "glorot_normal": linear * math.sqrt(2 / (fan_in + fan_out)),  # xavier_normal_
        "he_uniform": math.sqrt(3) * relu / math.sqrt(fan_in),  # kaiming_uniform_(nonlinearity='relu')
        "he_normal": relu / math.sqrt(fan_in),  # kaiming_normal_
        "lecun_uniform": math.sqrt(3) * linear / math.sqrt(fan_in),
        "lecun_normal": linear / math.sqrt(fan_in),
    }[name]


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                                  "lecun_uniform", "lecun_normal"])
def test_init_scale_matches_torch_nn_init(name):
    from calc.solve.init import solve_init

    weight = torch.empty(64, 32, 3, 3)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(weight)
    sol = solve_init(name, fan_in, fan_out)
    key = "limit" if "uniform" in name else "std"
    assert float(sol.answers[key]) == pytest.approx(_torch_scale(name, fan_in, fan_out), rel=1e-12)
    # and what torch.nn.init actually draws
    torch.manual_seed(0)
    big = torch.empty(400, 400, dtype=torch.float64)
    fill = {"glorot_uniform": torch.nn.init.xavier_uniform_, "glorot_normal": torch.nn.init.xavier_normal_,
            "he_uniform": lambda w: torch.nn.init.kaiming_uniform_(w, nonlinearity="relu"),
            "he_normal": lambda w: torch.nn.init.kaiming_normal_(w, nonlinearity="relu"),
            "lecun_uniform": lambda w: torch.nn.init.kaiming_uniform_(w, nonlinearity="linear"),
            "lecun_normal": lambda w: torch.nn.init.kaiming_normal_(w, nonlinearity="linear")}[name]
    fill(big)
    std = float(solve_init(name, 400, 400).answers["std"])
    assert big.std().item() == pytest.approx(std, rel=0.01)


def test_init_fans_from_a_conv_layer_match_torch():
    from calc.solve.init import solve_init

    sol = solve_init("he_normal", spec="alexnet", layer="conv2")
    conv = torch.nn.Conv2d(96, 256, 5)
    assert (sol.answers["fan_in"], sol.answers["fan_out"]) == torch.nn.init._calculate_fan_in_and_fan_out(conv.weight)
    with pytest.raises(InputError, match="no weight"):
        solve_init("he_normal", spec="alexnet", layer="pool1")
    with pytest.raises(InputError, match="needs fan_out"):
        solve_init("glorot_normal", 10)


# -- batch norm ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 7])
def test_batchnorm_matches_torch_biased(n):
    from calc.solve.batchnorm import solve_batchnorm

    x, dy = RNG.normal(size=n).round(3), RNG.normal(size=n).round(3)
    sol = solve_batchnorm(fr(x), Fraction("1.5"), Fraction("-0.5"), Fraction(1, 10**5), "n", fr(dy))
    xt = torch.tensor(x.reshape(n, 1), requires_grad=True)
    g = torch.tensor([1.5], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([-0.5], dtype=torch.float64, requires_grad=True)
    y = F.batch_norm(xt, None, None, g, b, training=True, eps=1e-5)
    y.backward(torch.tensor(dy.reshape(n, 1)))
    close(sol.answers["y"], y.detach().ravel(), abs_=1e-10)
    close(sol.answers["dL/dx"], xt.grad.ravel(), rel=1e-7, abs_=1e-10)
    close([sol.answers["dL/dgamma"], sol.answers["dL/dbeta"]], [g.grad.item(), b.grad.item()], abs_=1e-10)


def test_batchnorm_unbiased_matches_hand_formula_and_autograd():
    from calc.solve.batchnorm import solve_batchnorm

    x, dy = RNG.normal(size=5).round(2), RNG.normal(size=5).round(2)
    sol = solve_batchnorm(fr(x), Fraction(2), Fraction(1), Fraction(0), "n-1", fr(dy))
    xt = torch.tensor(x, requires_grad=True)
    y = 2 * (xt - xt.mean()) / torch.sqrt(xt.var(unbiased=True)) + 1  # the hand solution's formula
    y.backward(torch.tensor(dy))
    assert float(sol.answers["var"]) == pytest.approx(np.var(x, ddof=1), rel=1e-12)
    close(sol.answers["y"], y.detach(), abs_=1e-10)
    close(sol.answers["dL/dx"], xt.grad, rel=1e-7, abs_=1e-10)


def test_batchnorm_input_errors():
    from calc.solve.batchnorm import solve_batchnorm

    with pytest.raises(InputError, match="at least 2"):
        solve_batchnorm([Fraction(1)])
    with pytest.raises(InputError, match="expected 3 values of dL/dy"):
        solve_batchnorm(fr([1, 2, 3]), grad=fr([1]))
    with pytest.raises(InputError, match="variance"):
        solve_batchnorm(fr([1, 2, 3]), variance="n+1")


# -- activations --------------------------------------------------------------------------------
ACTIVATIONS = [
    ("sigmoid", None, torch.sigmoid), ("tanh", None, torch.tanh), ("relu", None, torch.relu),
    ("leaky_relu", "0.2", lambda x: F.leaky_relu(x, 0.2)), ("elu", "0.7", lambda x: F.elu(x, 0.7)),
    ("selu", None, F.selu), ("prelu", "0.25", lambda x: F.prelu(x, torch.tensor([0.25], dtype=torch.float64))),
]


@pytest.mark.parametrize("name,param,fn", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_and_derivative_match_torch(name, param, fn):
    from calc.solve.activation import solve_activation

    points = [-3.5, -1, -0.25, 0, 0.5, 2]
    sol = solve_activation(name, fr(points), param=Fraction(param) if param else None)
    x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    close(sol.answers["f"], y.detach())
    close(sol.answers["df/dz"], x.grad)


def test_softmax_and_jacobian_match_torch():
    from calc.solve.activation import solve_activation

    z = [2.0, 1.0, 0.1]
    sol = solve_activation("softmax", fr(z))
    x = torch.tensor(z, dtype=torch.float64)
    close(sol.answers["f"], torch.softmax(x, 0))
    close(sol.answers["jacobian"], torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), x))


def test_activation_errors():
    from calc.solve.activation import solve_activation

    with pytest.raises(InputError, match="did you mean 'selu'"):
        solve_activation("sellu", [Fraction(1)])
    with pytest.raises(InputError, match="no parameter"):
        solve_activation("tanh", [Fraction(1)], param=Fraction(1))


# -- dropout ------------------------------------------------------------------------------------
def test_dropout_seeded_mask_is_numpys_and_expectation_is_kept():
    from calc.solve.dropout import solve_dropout

    values = fr([1, 2, 3, 4, 5, 6, 7, 8])
    sol = solve_dropout(values, Fraction(1, 4), seed=3)
    keep = np.random.default_rng(3).random((1, 8)) >= 0.25
    assert sol.answers["mask"] == [int(k) for k in keep[0]]
    assert sol.answers["output"] == [v * k * Fraction(4, 3) for v, k in zip(values, keep[0])]
    assert sol.answers["test_output"] == values == sol.answers["expected_output"]


@pytest.mark.parametrize("kwargs,fragment", [
    ({"rate": Fraction(1)}, "0 <= p < 1"),
    ({"mask": [Fraction(1), Fraction(2)]}, r"0 \(dropped\) or 1"),
    ({"mask": [Fraction(1)]}, "expected 2 values"),
    ({"mask": [Fraction(1), Fraction(0)], "seed": 1}, "not both"),
    ({"scaling": "sometimes"}, "scaling"),
])
def test_dropout_errors(kwargs, fragment):
    from calc.solve.dropout import solve_dropout

    args = {"rate": Fraction(1, 2), **kwargs}
    with pytest.raises(InputError, match=fragment):
        solve_dropout([Fraction(1), Fraction(2)], **args)


def test_hand_rounding_in_tables():
    from calc.solve.ewma import solve_ewma
    from calc.solve.optimizer import solve_optimizer
    from calc.solve.registry import SolveOptions

    hand = SolveOptions(decimals=2, hand_rounding=True)
    # EWMA beta 0.9 of 25, 13, 17: 2.5, 3.55, 4.895 -> 4.90 when every V is rounded to 2 decimals
    assert solve_ewma(fr([25, 13, 17]), Fraction(9, 10), options=hand).answers["V"] == fr([2.5, 3.55, 4.9])
    # Adam on w^2 from 1 (lr 0.1, beta2 0.99): w2 = 0.8004 exactly, 0.80 when rounded as it goes
    sol = solve_optimizer("adam", 2, Fraction(1), function="w^2", options=hand, lr=Fraction(1, 10),
                          beta2=Fraction(99, 100))
    assert sol.answers["w"] == fr([0.9, 0.8])
    assert all(v == round(v, 2) for v in sol.answers["v_hat"])
