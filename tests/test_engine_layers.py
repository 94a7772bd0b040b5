"""Every computing layer (activations, dense, flatten, containers) against PyTorch autograd:
forward output, input gradient and every parameter gradient, float64, relative error <= 1e-10,
on seeded random shapes and values (including exact zeros and +-1000)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import yaml

from tests.engine_util import assert_close, backends, make_model, random_input, run_pair


def catalogue() -> list[str]:
    """Every row of the activations' test catalogue (tests/specgen_layers.py ACTIVATIONS) as a spec
    entry, so a new activation is tested here by its one row there; plus variants only this test needs."""
    from tests.specgen_layers import ACTIVATIONS as ROWS

    rows = [e if isinstance(e, str) else yaml.safe_dump(e, default_flow_style=True).strip() for _, e in ROWS]
    return list(dict.fromkeys(rows + ["leaky_relu", "prelu: {per: channel, init: 0.1}"]))


ACTIVATIONS = catalogue()
SEEDS = range(4)


def random_shape(rng, kind: str) -> tuple:
    if kind == "vector":
        return (int(rng.integers(1, 8)),)
    return tuple(int(v) for v in rng.integers(1, 5, size=3))


def tricky_input(shape, rng, batch: int = 3):
    """Normal values with exact zeros (derivative conventions at 0) and +-1000 (overflow)."""
    x = random_input(shape, batch, rng, scale=3.0)
    flat = x.reshape(-1)
    picks = rng.choice(flat.size, size=min(flat.size, 3), replace=False)
    flat[picks[:1]] = 0.0
    flat[picks[1:2]] = 1000.0
    flat[picks[2:3]] = -1000.0
    return x


def randomise(model, rng) -> None:
    """Random parameter values (so that e.g. every PReLU slope differs) on the model's backend."""
    for _, layer, name in model.parameters():
        layer.params[name] = model.backend.asarray(rng.normal(size=layer.params[name].shape))


def spec_for(shape, *layers: str) -> str:
    return f"input: {list(shape)}\nlayers:\n" + "".join(f"  - {entry}\n" for entry in layers)


@backends
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["vector", "map"])
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_activation_matches_torch(device, act, kind, seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng, kind)
    model = make_model(spec_for(shape, act), device)
    randomise(model, rng)
    pair = run_pair(model, tricky_input(shape, rng), rng=rng)
    pair.check()
    assert np.isfinite(pair.y).all() and np.isfinite(pair.dx).all()


@backends
def test_activation_derivatives_at_zero(device):
    """ReLU'(0) = 0 (PyTorch), leaky slope at 0, ELU alpha at 0, sigmoid 1/4, tanh 1."""
    x = np.zeros((1, 1))
    for act, want in (("relu", 0.0), ("leaky_relu", 0.01), ("elu: {alpha: 0.5}", 0.5), ("sigmoid", 0.25),
                      ("tanh", 1.0), ("step", 0.0), ("prelu", 0.25)):
        model = make_model(spec_for((1,), act), device)
        model.forward(model.backend.asarray(x))
        dx = model.backend.to_numpy(model.backward(model.backend.asarray(np.ones((1, 1)))))
        assert dx[0, 0] == want, act


@backends
@pytest.mark.parametrize("logits", [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 999.0, -5.0]])
def test_softmax_extreme_values_finite(device, logits):
    model = make_model(spec_for((3,), "softmax"), device)
    be = model.backend
    x = np.asarray([logits])
    y = be.to_numpy(model.forward(be.asarray(x)))
    assert_close(y, torch.softmax(torch.tensor(x), -1).numpy(), "softmax")
    dx = be.to_numpy(model.backward(be.asarray(np.asarray([[1.0, 2.0, 3.0]]))))
    assert np.isfinite(dx).all()


@backends
def test_softmax_on_maps_is_per_pixel_over_channels(device):
    rng = np.random.default_rng(5)
    model = make_model(spec_for((2, 3, 4), "softmax"), device)
    x = rng.normal(size=(2, 2, 3, 4))
    y = model.backend.to_numpy(model.forward(model.backend.asarray(x)))
    want = torch.softmax(torch.tensor(x).permute(0, 3, 1, 2), dim=1).permute(0, 2, 3, 1).numpy()
    assert_close(y, want, "channel softmax")
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-14)


# -- dense ------------------------------------------------------------------------------------
@backends
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("options", ["", ", bias: false", ", shared_bias: true"])
def test_dense_random_matches_torch(device, seed, options):
    rng = np.random.default_rng(seed)
    n_in, n_out = (int(v) for v in rng.integers(1, 9, size=2))
    model = make_model(spec_for((n_in,), f"dense: {{units: {n_out}{options}}}"), device, seed=seed)
    randomise(model, rng)
    run_pair(model, random_input((n_in,), int(rng.integers(1, 6)), rng), rng=rng).check()


W = [[0.15, 0.20], [0.25, 0.30], [-0.5, 1.0]]  # one row per neuron: 3 neurons, 2 inputs


def _torch_linear(x, w, b):
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    y = F.linear(xt, wt, bt)
    return y, xt, wt, bt


@backends
@pytest.mark.parametrize("layout,bias,bias_want", [
    ("out_in", "[0.35, 0.6, -1]", [0.35, 0.6, -1.0]),
    ("in_out", "[0.35, 0.6, -1]", [0.35, 0.6, -1.0]),
    ("out_in", "0.35", [0.35, 0.35, 0.35]),
])
def test_dense_explicit_weights(device, layout, bias, bias_want):
    weights = W if layout == "out_in" else np.asarray(W).T.tolist()
    model = make_model(spec_for((2,), f"dense: {{units: 3, weights: {weights}, bias: {bias}, weight_layout: {layout}}}"),
                       device)
    be = model.backend
    x = np.asarray([[0.05, 0.10], [1.0, -2.0]])
    dy = np.asarray([[1.0, -1.0, 0.5], [0.2, 0.3, 0.4]])
    y = be.to_numpy(model.forward(be.asarray(x)))
    dx = be.to_numpy(model.backward(be.asarray(dy)))
    yt, xt, wt, bt = _torch_linear(x, W, bias_want)
    yt.backward(torch.tensor(dy))
    layer = model.layers[0]
    assert_close(be.to_numpy(layer.params["weight"]), np.asarray(W), "weight stored (out, in)")
    assert_close(y, yt.detach().numpy(), "output")
    assert_close(dx, xt.grad.numpy(), "dx")
    assert_close(be.to_numpy(layer.grads["weight"]), wt.grad.numpy(), "dW")
    assert_close(be.to_numpy(layer.grads["bias"]), bt.grad.numpy(), "db")


@backends
def test_dense_shared_bias_gradient_is_the_sum(device):
    """One bias for all neurons (Mazur's example): dL/db = sum over neurons and samples."""
    model = make_model(spec_for((2,), f"dense: {{units: 3, weights: {W}, bias: 0.35, shared_bias: true}}"), device)
    be = model.backend
    x = np.asarray([[0.05, 0.10]])
    dy = np.asarray([[1.0, -1.0, 0.5]])
    y = be.to_numpy(model.forward(be.asarray(x)))
    model.backward(be.asarray(dy))
    xt = torch.tensor(x)
    b = torch.tensor([0.35], dtype=torch.float64, requires_grad=True)
    yt = xt @ torch.tensor(W, dtype=torch.float64).T + b
    yt.backward(torch.tensor(dy))
    assert_close(y, yt.detach().numpy(), "output")
    assert model.layers[0].params["bias"].shape == (1,)
    assert_close(be.to_numpy(model.layers[0].grads["bias"]), b.grad.numpy(), "shared db")


@backends
def test_dense_on_one_by_one_map(device):
    rng = np.random.default_rng(2)
    model = make_model(spec_for((1, 1, 5), "dense: {units: 3}"), device)
    run_pair(model, random_input((1, 1, 5), 4, rng), rng=rng).check()


# -- flatten ----------------------------------------------------------------------------------
@backends
@pytest.mark.parametrize("order", ["hwc", "chw"])
def test_flatten_order_matches_torch(device, order):
    rng = np.random.default_rng(7)
    model = make_model(spec_for((2, 3, 4), f"flatten: {{order: {order}}}", "dense: {units: 5}"), device)
    randomise(model, rng)
    x = random_input((2, 3, 4), 3, rng)
    pair = run_pair(model, x, rng=rng)
    pair.check()
    want = x.reshape(3, -1) if order == "hwc" else x.transpose(0, 3, 1, 2).reshape(3, -1)
    be = model.backend
    model.forward(be.asarray(x), record=True)
    flat = be.to_numpy(model.activations["flatten1"])
    np.testing.assert_array_equal(flat, want)


def test_flatten_hwc_order_by_hand():
    """A 2 x 2 x 2 map flattens row by row, channels innermost (H x W x C); chw channel by channel."""
    x = np.arange(8.0).reshape(1, 2, 2, 2)  # x[0, h, w, c] = 4h + 2w + c
    for order, want in (("hwc", [0, 1, 2, 3, 4, 5, 6, 7]), ("chw", [0, 2, 4, 6, 1, 3, 5, 7])):
        model = make_model(spec_for((2, 2, 2), f"flatten: {{order: {order}}}"))
        assert model.forward(x).tolist() == [want]


# -- containers -------------------------------------------------------------------------------
CONTAINERS = [
    ("[6]", ["residual: {body: [dense: {units: 6}, tanh, dense: {units: 6}]}", "relu"]),
    ("[6]", ["residual: {body: [dense: {units: 4}, sigmoid], shortcut: [dense: {units: 4}]}"]),
    ("[5]", ["concat: [[dense: {units: 3}, relu], [dense: {units: 2}], []]", "dense: {units: 2}"]),
    ("[2, 2, 3]", ["concat: [[prelu: {per: channel}], [softmax], [batchnorm]]", "flatten", "dense: {units: 3}"]),
    ("[4]", ["residual: {body: [concat: [[dense: {units: 2}], [dense: {units: 2}, elu]]]}", "sigmoid"]),
]


@backends
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("shape,layers", CONTAINERS)
def test_containers_match_torch(device, shape, layers, training):
    rng = np.random.default_rng(11)
    model = make_model(f"input: {shape}\nlayers:\n" + "".join(f"  - {e}\n" for e in layers), device)
    randomise(model, rng)
    x = random_input(model.network.input_shape, 4, rng)
    run_pair(model, x, training=training, rng=rng).check()
