"""Batch norm against PyTorch (BatchNorm1d/2d, train and eval, running statistics over several
steps) and against hand-derived values (exact fractions, the n-1 variance convention)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from calc.errors import InputError, SpecError
from tests.engine_util import assert_close, backends, make_model, random_input, run_pair

SHAPES = [(5,), (1,), (3, 4, 2), (1, 1, 3), (2, 5, 1)]
OPTIONS = ["", "{momentum: 0.3}", "{eps: 0.001}", "{affine: false}", "{momentum: 1.0, eps: 0.1}"]


def _spec(shape, options: str, extra: str = "") -> str:
    return f"input: {list(shape)}\nlayers:\n  - batchnorm: {options or '{}'}\n{extra}"


def _randomise(model, rng):
    for layer in model.layers:
        for name in getattr(layer, "params", {}):
            layer.params[name] = model.backend.asarray(rng.normal(size=layer.params[name].shape))
        if layer.kind == "batchnorm":
            c = layer.channels
            layer.buffers["running_mean"] = model.backend.asarray(rng.normal(size=c))
            layer.buffers["running_var"] = model.backend.asarray(rng.uniform(0.5, 2.0, size=c))


@backends
@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_matches_torch(device, shape, options, training):
    rng = np.random.default_rng(len(shape) * 10 + len(options))
    model = make_model(_spec(shape, options), device)
    _randomise(model, rng)
    batch = 4 if len(shape) == 1 else 3
    x = random_input(shape, batch, rng, scale=2.0) + 1.5
    run_pair(model, x, training=training, steps=3, rng=rng).check()


@backends
def test_batchnorm_inside_a_network_over_steps(device):
    """Running statistics after several training steps, then eval mode with them."""
    rng = np.random.default_rng(3)
    spec = _spec((6,), "{}", "  - relu\n  - dense: {units: 4}\n  - batchnorm: {momentum: 0.2}\n  - tanh\n")
    model = make_model(spec, device)
    x = random_input((6,), 8, rng)
    run_pair(model, x, training=True, steps=5, rng=rng).check()
    pair = run_pair(model, x, training=False, rng=rng)  # fresh twin gets the accumulated buffers
    pair.check()


def test_batchnorm_train_by_hand_exact():
    """x = [0, 0, 2, 2]: mean 1, biased var 1 -> x_hat = [-1, -1, 1, 1] (eps 0);
    running_mean = 0.1 * 1, running_var = 0.9 * 1 + 0.1 * 4/3 (unbiased n-1) = 31/30."""
    model = make_model(_spec((1,), "{eps: 0, gamma: 2, beta: 0.5}"), "exact")
    x = model.backend.asarray([[0], [0], [2], [2]])
    y = model.forward(x, training=True)
    assert y.ravel().tolist() == [Fraction(-3, 2), Fraction(-3, 2), Fraction(5, 2), Fraction(5, 2)]
    bn = model.layers[0]
    assert bn.buffers["running_mean"].tolist() == [Fraction(1, 10)]
    assert bn.buffers["running_var"].tolist() == [Fraction(31, 30)]
    # dy = [1, 0, 0, 0]: dgamma = sum dy x_hat = -1, dbeta = 1,
    # dx = gamma/(n sigma) (n dy - sum dy - x_hat sum(dy x_hat)) = 2/4 ([4,0,0,0] - 1 - x_hat * -1)
    dx = model.backward(model.backend.asarray([[1], [0], [0], [0]]))
    assert dx.ravel().tolist() == [Fraction(1), Fraction(-1), 0, 0]
    assert bn.grads["weight"].tolist() == [-1] and bn.grads["bias"].tolist() == [1]


def test_batchnorm_eval_explicit_values_by_hand():
    """Eval uses the running statistics given in the spec: (x - 1) / sqrt(4 + 0) * 3 + 1."""
    model = make_model(_spec((2,), "{eps: 0, gamma: [3, 1], beta: [1, 0], running_mean: [1, 0], running_var: [4, 1]}"),
                       "exact")
    y = model.forward(model.backend.asarray([[5, 2], [-1, -3]]))
    assert y.tolist() == [[7, 2], [-2, -3]]


@backends
def test_batchnorm_unbiased_variance_option(device):
    """variance: unbiased (hand solutions dividing by n-1), forward and backward, against torch
    autograd on the formula written with torch.var(unbiased=True)."""
    rng = np.random.default_rng(9)
    model = make_model(_spec((3, 2, 2), "{variance: unbiased, eps: 0.01}"), device)
    _randomise(model, rng)
    be, bn = model.backend, model.layers[0]
    x = rng.normal(size=(2, 3, 2, 2))
    dy = rng.normal(size=x.shape)
    y = be.to_numpy(model.forward(be.asarray(x), training=True))
    dx = be.to_numpy(model.backward(be.asarray(dy)))
    xt = torch.tensor(x, requires_grad=True)
    gamma = torch.tensor(be.to_numpy(bn.params["weight"]), requires_grad=True)
    beta = torch.tensor(be.to_numpy(bn.params["bias"]), requires_grad=True)
    mean = xt.mean(dim=(0, 1, 2))
    var = xt.var(dim=(0, 1, 2), unbiased=True)
    yt = gamma * (xt - mean) / torch.sqrt(var + 0.01) + beta
    yt.backward(torch.tensor(dy))
    assert_close(y, yt.detach().numpy(), "output")
    assert_close(dx, xt.grad.numpy(), "dx")
    assert_close(be.to_numpy(bn.grads["weight"]), gamma.grad.numpy(), "dgamma")
    assert_close(be.to_numpy(bn.grads["bias"]), beta.grad.numpy(), "dbeta")


def test_batchnorm_training_needs_two_values_per_channel():
    model = make_model(_spec((3,), ""))
    with pytest.raises(InputError, match="more than one value per channel"):
        model.forward(np.ones((1, 3)), training=True)
    model.forward(np.ones((1, 3)))  # eval mode is fine with one sample


@pytest.mark.parametrize("options,fragment", [
    ("{gamma: [1, 2]}", "gamma: expected shape 3 (one number, or one per channel: 3), got 2"),
    ("{running_var: [1, -1, 1]}", "running_var: a variance cannot be negative"),
    ("{affine: false, beta: 0}", "beta is given but affine is false"),
    ("{beta: .nan}", "NaN/inf"),
    ("{variance: n-1}", "expected one of biased, unbiased"),
])
def test_batchnorm_bad_values(options, fragment):
    with pytest.raises((SpecError, InputError)) as info:
        make_model(_spec((3,), options))
    assert fragment in str(info.value) and "layers[0].batchnorm" in str(info.value)


def test_staged_backward_matches_hand_derivation_exactly():
    """Ioffe & Szegedy's stages for x = [1, 2, 3, 4], gamma 2, dL/dy = [1, 0, 0, 0], eps 0, worked
    by hand: mean 5/2, var 5/4, std sqrt(5)/2; dL/dx_hat = [2, 0, 0, 0]."""
    from fractions import Fraction as F

    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.exact_functions import sqrt
    from calc.layers.norm import BatchNorm

    be = get_backend("exact")
    layer = BatchNorm()
    layer.eps, layer.momentum, layer.affine, layer.variance, layer.values, layer.name = 0, F(1, 10), True, "biased", {}, "bn"
    layer.build((1,))
    layer.params = {"weight": be.asarray([2]), "bias": be.asarray([0])}
    layer.buffers, layer.grads = {"running_mean": be.asarray([0]), "running_var": be.asarray([1])}, {}
    ctx = Ctx(backend=be, training=True)
    layer.forward(be.asarray([[1], [2], [3], [4]]), ctx)
    dx = [F(v) for v in layer.backward(be.asarray([[1], [0], [0], [0]]), ctx).ravel()]
    inv = 1 / sqrt(F(5, 4))
    centred = [F(-3, 2), F(-1, 2), F(1, 2), F(3, 2)]
    dvar = 2 * centred[0] * F(-1, 2) * inv ** 3  # only dL/dx_hat_1 = 2 is non-zero
    dmean = -2 * inv
    assert F(layer.stages["dL/dvar"][0]) == dvar and F(layer.stages["dL/dmean"][0]) == dmean
    assert dx == [g * inv + dvar * 2 * c / 4 + dmean / 4 for g, c in zip([2, 0, 0, 0], centred)]
    assert sum(dx) == 0


def test_exact_asarray_of_one_number():
    from fractions import Fraction as F

    from calc.backend import get_backend

    a = get_backend("exact").asarray(0.1)
    assert a.shape == () and a[()] == F(1, 10)
