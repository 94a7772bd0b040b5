"""Optimizer update rules over several steps: PyTorch style against torch.optim, Keras style and
Adam without bias correction against the formulas of conventions.md written out element by
element in plain Python here; exact Fractions by hand."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from calc.backend import get_backend
from calc.engine.optim import make_optimizer
from calc.errors import InputError
from tests.engine_util import assert_close, backends

STEPS = 6

TORCH_CASES = [  # (nncalc name, settings, torch optimizer class, torch kwargs)
    ("sgd", {"lr": 0.1}, torch.optim.SGD, {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "weight_decay": 0.05}, torch.optim.SGD, {"lr": 0.1, "weight_decay": 0.05}),
    ("momentum", {"lr": 0.05}, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    ("momentum", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}, torch.optim.SGD,
     {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("nesterov", {"lr": 0.05}, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adagrad", {"lr": 0.1}, torch.optim.Adagrad, {"lr": 0.1}),
    ("adagrad", {"lr": 0.1, "initial_accumulator": 0.1}, torch.optim.Adagrad,
     {"lr": 0.1, "initial_accumulator_value": 0.1}),
    ("rmsprop", {"lr": 0.01}, torch.optim.RMSprop, {"lr": 0.01}),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}, torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}),
    ("adam", {"lr": 0.01}, torch.optim.Adam, {"lr": 0.01}),
    ("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1}, torch.optim.Adam,
     {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("adamw", {"lr": 0.01}, torch.optim.AdamW, {"lr": 0.01}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1, "beta2": 0.9}, torch.optim.AdamW,
     {"lr": 0.01, "weight_decay": 0.1, "betas": (0.9, 0.9)}),
]


def _run_nncalc(opt, w0, grads, device):
    be = get_backend(device)
    w, state, path = be.asarray(w0), {}, []
    for g in grads:
        w = opt.update(w, be.asarray(g), state, be)
        path.append(be.to_numpy(w))
    return path


@backends
@pytest.mark.parametrize("name,settings,cls,kwargs", TORCH_CASES,
                         ids=[f"{c[0]}-{'-'.join(c[1])}" for c in TORCH_CASES])
def test_pytorch_style_matches_torch_optim(device, name, settings, cls, kwargs):
    rng = np.random.default_rng(len(settings))
    w0 = rng.normal(size=(3, 4))
    grads = [rng.normal(size=(3, 4)) for _ in range(STEPS)]
    mine = _run_nncalc(make_optimizer(name, **settings), w0, grads, device)
    p = torch.nn.Parameter(torch.tensor(w0))
    opt = cls([p], **kwargs)
    for step, g in enumerate(grads):
        p.grad = torch.tensor(g)
        opt.step()
        assert_close(mine[step], p.detach().numpy(), f"{name} step {step + 1}")


# -- formulas of conventions.md, one element at a time, for what torch.optim does not do -------
def _keras_momentum(w, gs, lr, mu, nesterov):
    v, out = 0.0, []
    for g in gs:
        v = mu * v - lr * g
        w = w + (mu * v - lr * g if nesterov else v)
        out.append(w)
    return out


def _adagrad(w, gs, lr, eps, start):
    """Keras: eps inside the square root (keras/src/optimizers/adagrad.py: lr g / sqrt(acc + eps))."""
    s, out = start, []
    for g in gs:
        s += g * g
        w -= lr * g / math.sqrt(s + eps)
        out.append(w)
    return out


def _rmsprop(w, gs, lr, rho, eps):
    """Keras: eps inside the square root (keras/src/optimizers/rmsprop.py: lr g / sqrt(v + eps))."""
    v, out = 0.0, []
    for g in gs:
        v = rho * v + (1 - rho) * g * g
        w -= lr * g / math.sqrt(v + eps)
        out.append(w)
    return out


def _adam(w, gs, lr, b1, b2, eps, correct, keras, decay=0.0):
    m = v = 0.0
    out = []
    for t, g in enumerate(gs, start=1):
        w -= lr * decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if keras and correct:  # epsilon hat: added to sqrt(v) before the bias correction
            w -= lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (math.sqrt(v) + eps)
        elif correct:
            w -= lr * (m / (1 - b1 ** t)) / (math.sqrt(v / (1 - b2 ** t)) + eps)
        else:
            w -= lr * m / (math.sqrt(v) + eps)
        out.append(w)
    return out


HAND_CASES = [  # (name, style, settings, formula over one element's gradient sequence)
    ("momentum", "keras", {"lr": 0.05}, lambda w, gs: _keras_momentum(w, gs, 0.05, 0.9, False)),
    ("nesterov", "keras", {"lr": 0.05, "momentum": 0.8}, lambda w, gs: _keras_momentum(w, gs, 0.05, 0.8, True)),
    ("adagrad", "keras", {}, lambda w, gs: _adagrad(w, gs, 0.001, 1e-7, 0.1)),
    ("rmsprop", "keras", {}, lambda w, gs: _rmsprop(w, gs, 0.001, 0.9, 1e-7)),
    ("adam", "keras", {"lr": 0.01}, lambda w, gs: _adam(w, gs, 0.01, 0.9, 0.999, 1e-7, True, True)),
    ("adamw", "keras", {"lr": 0.01}, lambda w, gs: _adam(w, gs, 0.01, 0.9, 0.999, 1e-7, True, True, 0.004)),
    ("adam", "pytorch", {"lr": 0.01, "bias_correction": False},
     lambda w, gs: _adam(w, gs, 0.01, 0.9, 0.999, 1e-8, False, False)),
    ("adam", "keras", {"lr": 0.01, "bias_correction": False},
     lambda w, gs: _adam(w, gs, 0.01, 0.9, 0.999, 1e-7, False, True)),
    ("adamw", "pytorch", {"lr": 0.01, "bias_correction": False},
     lambda w, gs: _adam(w, gs, 0.01, 0.9, 0.999, 1e-8, False, False, 0.01)),
]


@backends
@pytest.mark.parametrize("name,style,settings,formula", HAND_CASES,
                         ids=[f"{c[0]}-{c[1]}-{'-'.join(c[2])}" for c in HAND_CASES])
def test_keras_style_and_no_bias_correction_match_hand_formulas(device, name, style, settings, formula):
    rng = np.random.default_rng(7)
    w0 = rng.normal(size=(2, 3))
    grads = [rng.normal(size=(2, 3)) for _ in range(STEPS)]
    mine = _run_nncalc(make_optimizer(name, style=style, **settings), w0, grads, device)
    for i in np.ndindex(w0.shape):
        want = formula(float(w0[i]), [float(g[i]) for g in grads])
        assert_close([m[i] for m in mine], want, f"{name} {style} element {i}")


def test_optimizers_exact_by_hand():
    be = get_backend("exact")
    w, g = be.asarray([1]), be.asarray([Fraction(1, 2)])
    assert make_optimizer("sgd", lr=0.1).update(w, g, {}, be).tolist() == [Fraction(19, 20)]
    # PyTorch momentum: b1 = g, b2 = 0.9 b1 + g -> w2 = 1 - 0.1 (1/2) - 0.1 (0.95) = 0.855
    opt, state = make_optimizer("momentum", lr=0.1), {}
    w1 = opt.update(w, g, state, be)
    assert opt.update(w1, g, state, be).tolist() == [Fraction(855, 1000)]
    # Adam step 1: m_hat = g, v_hat = g^2 -> w - lr g / (|g| + eps), rational
    step = make_optimizer("adam", lr=0.001).update(w, g, {}, be).tolist()[0]
    assert step == 1 - Fraction(1, 1000) * Fraction(1, 2) / (Fraction(1, 2) + Fraction(1, 10**8))
    # Adagrad: s = 1/4, w - lr g / (1/2 + eps)
    step = make_optimizer("adagrad", lr=0.5, eps=0).update(w, g, {}, be).tolist()[0]
    assert step == Fraction(1, 2)


@pytest.mark.parametrize("name,settings,fragment", [
    ("adamm", {}, "unknown optimizer 'adamm'"),
    ("adamm", {}, "did you mean 'adam'"),
    ("sgd", {"lr": -1}, "lr must be >= 0, got -1"),
    ("momentum", {"momentum": 1.5}, "momentum must be in [0, 1)"),
    ("adam", {"beta1": 1.0}, "beta1 must be in [0, 1)"),
    ("adam", {"betta1": 0.9}, "unknown setting 'betta1' (did you mean 'beta1'?)"),
    ("nesterov", {"momentum": 0}, "Nesterov needs a momentum > 0"),
])
def test_bad_optimizer_settings(name, settings, fragment):
    with pytest.raises(InputError) as info:
        make_optimizer(name, **settings)
    assert fragment in str(info.value)
