"""Initialisers: the limits/standard deviations against torch.nn.init's own gains and fans, the
statistics of drawn samples against those formulas, fans against
torch.nn.init._calculate_fan_in_and_fan_out, seeds, defaults of BN/PReLU, and bad names."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import init as tinit

from calc.engine import init
from calc.engine.context import Ctx
from calc.errors import InputError
from tests.engine_util import make_model


def torch_scale(name: str, fan_in: int, fan_out: int) -> float:
    """The uniform limit or normal std torch.nn.init uses for the same rule."""
    gain = tinit.calculate_gain
    return {
        "glorot_uniform": gain("linear") * math.sqrt(6.0 / (fan_in + fan_out)),
        "glorot_normal": gain("linear") * math.sqrt(2.0 / (fan_in + fan_out)),
        "he_uniform": gain("relu") * math.sqrt(3.0 / fan_in),
        "he_normal": gain("relu") / math.sqrt(fan_in),
        "lecun_uniform": gain("linear") * math.sqrt(3.0 / fan_in),  # kaiming with the linear gain
        "lecun_normal": gain("linear") / math.sqrt(fan_in),
        "torch_default": gain("leaky_relu", math.sqrt(5)) * math.sqrt(3.0 / fan_in),  # nn.Linear's reset
    }[name]


@pytest.mark.parametrize("name", sorted(init.RULES))
def test_formula_matches_torch_gains(name):
    for fan_in, fan_out in ((3, 7), (300, 400), (1, 1)):
        assert init.RULES[name].scale(fan_in, fan_out) == pytest.approx(torch_scale(name, fan_in, fan_out), rel=1e-14)


@pytest.mark.parametrize("name", sorted(init.RULES))
def test_drawn_weights_have_the_formula_statistics(name):
    """A 400 x 300 dense weight (fan_in 300, fan_out 400): 120,000 draws."""
    model = make_model("input: [300]\nlayers:\n  - dense: {units: 400}\n", init=name, seed=3)
    w = model.layers[0].params["weight"]
    assert w.shape == (400, 300)
    scale = torch_scale(name, 300, 400)
    n = w.size
    if init.RULES[name].dist == "uniform":
        assert np.abs(w).max() <= scale and np.abs(w).max() > 0.999 * scale
        std = scale / math.sqrt(3)
    else:
        std = scale
    assert w.std() == pytest.approx(std, rel=0.01)
    assert abs(w.mean()) < 4 * std / math.sqrt(n)


def test_biases_follow_pytorch_default_or_zeros():
    default = make_model("input: [50]\nlayers:\n  - dense: {units: 2000}\n").layers[0].params["bias"]
    assert np.abs(default).max() <= 1 / math.sqrt(50) and np.abs(default).max() > 0.99 / math.sqrt(50)
    glorot = make_model("input: [50]\nlayers:\n  - dense: {units: 20}\n", init="glorot_uniform").layers[0]
    assert not glorot.params["bias"].any()


@pytest.mark.parametrize("shape", [(10, 3), (7, 1), (16, 3, 5, 5), (6, 2, 3, 1), (64, 1, 3, 3)])
def test_fans_match_torch(shape):
    from calc.layers.base import Layer

    class Weighted(Layer):
        def param_shapes(self):
            return {"weight": shape}

    assert Weighted().fans() == tinit._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("spec", ["input: [12]\nlayers:\n  - dense: {units: 5}\n",
                                  "input: [9, 9, 4]\nlayers:\n  - conv: {filters: 6, kernel: [3, 2], groups: 2}\n",
                                  "input: [5, 5, 4]\nlayers:\n  - conv_transpose: {filters: 6, kernel: 3, groups: 2}\n"])
def test_layer_fans_match_torch(spec):
    layer = make_model(spec).layers[0]
    assert layer.fans() == tinit._calculate_fan_in_and_fan_out(torch.empty(layer.param_shapes()["weight"]))


def test_seed_reproducible_and_distinct():
    spec = "input: [4]\nlayers:\n  - dense: {units: 3}\n  - dense: {units: 2}\n"
    a, b, c = (make_model(spec, seed=s).state() for s in (1, 1, 2))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["fc1.weight"], c["fc1.weight"])


def test_layer_defaults_whatever_the_initialiser():
    model = make_model("input: [2, 2, 3]\nlayers:\n  - batchnorm\n  - prelu: {per: channel, init: 0.1}\n",
                       init="he_normal")
    bn, prelu = model.layers
    assert bn.params["weight"].tolist() == [1, 1, 1] and bn.params["bias"].tolist() == [0, 0, 0]
    assert bn.buffers["running_mean"].tolist() == [0, 0, 0] and bn.buffers["running_var"].tolist() == [1, 1, 1]
    assert prelu.params["weight"].tolist() == [0.1, 0.1, 0.1]


def test_constant_initialisers():
    model = make_model("input: [2]\nlayers:\n  - dense: {units: 2}\n", init="ones")
    assert model.layers[0].params["weight"].tolist() == [[1, 1], [1, 1]]


@pytest.mark.parametrize("name,fragment", [("glorot_uniformm", "did you mean 'glorot_uniform'"),
                                           ("orthogonal", "unknown initialiser 'orthogonal'")])
def test_unknown_initialiser(name, fragment):
    with pytest.raises(InputError, match=fragment):
        make_model("input: [2]\nlayers:\n  - dense: {units: 2}\n", init=name)
    with pytest.raises(InputError, match="valid: "):
        init.check(name)


def test_aliases():
    for alias, name in (("xavier_uniform", "glorot_uniform"), ("kaiming-normal", "he_normal"), ("Xavier_Normal", "glorot_normal")):
        assert init.rule(alias).name == name
    assert Ctx(init="he_uniform").init == "he_uniform"
