"""Gates, splits, shuffles and named references against PyTorch autograd (float64, 1e-10): the
forward output, the input gradient and every parameter gradient (tests/torch_ref.py builds the
twin: torch.split, torch.cat, broadcasting products, and autograd adding every use of a named
output)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.engine_util import backends, make_model, random_input, run_pair


def randomise(model, rng) -> None:
    for _, layer, name in model.parameters():
        layer.params[name] = model.backend.asarray(rng.normal(size=layer.params[name].shape))


SPECS = [
    # a gate broadcast over H x W, and GLU on vectors
    ("[3, 4, 5]", ["multiply: [[], [global_avgpool, conv: {filters: 5, kernel: 1}, sigmoid]]"]),
    ("[6]", ["multiply: [[dense: {units: 4}], [dense: {units: 4}, sigmoid]]", "tanh"]),
    ("[3, 3, 2]", ["multiply: [[conv: {filters: 3, kernel: 1}], [conv: {filters: 3, kernel: 1}], [tanh, "
                   "conv: {filters: 3, kernel: 1}]]"]),
    ("[3, 3, 4]", ["se: {reduction: 2}", "relu"]),
    ("[2, 3, 8]", ["se: {squeeze: 3, activation: tanh, gate: sigmoid}"]),
    ("[4, 4, 6]", ["split: [[], [conv: {filters: 3, kernel: 3, padding: 1}, relu]]", "channel_shuffle: {groups: 2}"]),
    ("[3, 3, 6]", ["split: {sizes: [1, 2, 3], branches: [[sigmoid], [], [conv: {filters: 4, kernel: 1}]]}",
                   "channel_shuffle: {groups: 7}"]),
    ("[2, 2, 6]", ["channel_shuffle: {groups: 3}", "conv: {filters: 2, kernel: 1}"]),
    ("[5]", ["add: [[dense: {units: 3}], [dense: {units: 3}, relu], [dense: {units: 3}]]"]),
    # named references: a skip that does not nest, fan-out to several users, the input itself
    ("[4, 4, 3]", ["conv: {filters: 4, kernel: 3, padding: 1}\n    name: a", "relu", "conv: {filters: 4, kernel: 1}",
                   "add: {with: a}\n    name: s", "conv: {filters: 2, kernel: 1, from: a}\n    name: b",
                   "concat: {from: [b, s, a, input]}"]),
    ("[6]", ["dense: {units: 5}\n    name: h", "tanh: {name: t}", "dense: {units: 5}", "multiply: {with: [t, h]}",
             "dense: {units: 2}"]),
    ("[4, 4, 2]", ["sequential: [conv: {filters: 3, kernel: 1}, relu]\n    name: stage",
                   "maxpool: {kernel: 2}", "conv: {filters: 3, kernel: 1}",
                   "conv_transpose: {filters: 3, kernel: 2, stride: 2}", "concat: {with: stage}",
                   "residual: {body: [conv: {filters: 6, kernel: 1}]}", "conv: {filters: 3, kernel: 1}",
                   "add: {with: stage}"]),
    # a branch taking a named output of an earlier branch (gradients flow back in reverse order)
    ("[3, 3, 2]", ["concat: [[conv: {filters: 2, kernel: 1, name: a}, tanh], [relu, add: {with: a}]]"]),
    ("[5]", ["residual: {body: [dense: {units: 5, name: b}, sigmoid], shortcut: [tanh, multiply: {with: b}]}"]),
    ("[2, 2, 4]", ["split: [[conv: {filters: 2, kernel: 1, name: c}], [relu, add: {with: c}]]"]),
]


@backends
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("shape,layers", SPECS)
def test_matches_torch(device, shape, layers, training):
    rng = np.random.default_rng(5)
    model = make_model(f"input: {shape}\nlayers:\n" + "".join(f"  - {e}\n" for e in layers), device)
    randomise(model, rng)
    x = random_input(model.network.input_shape, 3, rng)
    run_pair(model, x, training=training, rng=rng).check()


def test_channel_shuffle_by_hand():
    """6 channels in 2 groups: [0 1 2 | 3 4 5] -> 0 3 1 4 2 5 (ShuffleNet, Fig. 1c)."""
    model = make_model("input: [1, 1, 6]\nlayers:\n  - channel_shuffle: {groups: 2}\n")
    y = model.forward(np.arange(6.0).reshape(1, 1, 1, 6))
    assert y.reshape(-1).tolist() == [0, 3, 1, 4, 2, 5]
    dx = model.backward(np.arange(6.0).reshape(1, 1, 1, 6))
    assert dx.reshape(-1).tolist() == [0, 2, 4, 1, 3, 5]


def test_exact_backend_gate():
    """A hand-checkable gate: x = [2, 4] on one position, gate sigmoid(0) = 1/2 -> [1, 2] exactly."""
    from fractions import Fraction

    model = make_model("input: [1, 1, 2]\nlayers:\n  - multiply: [[], [linear, step]]\n", "exact")
    y = model.forward(model.backend.asarray(np.array([[[[2, -4]]]])))
    assert y.reshape(-1).tolist() == [Fraction(2), Fraction(0)]


@pytest.mark.parametrize("gate", ["sigmoid", "tanh"])
def test_se_is_torchvisions_squeeze_excitation(gate):
    """The se block against tests/zoo_torch.SqueezeExcitation (torchvision's, copied): the same
    fc1/fc2 tensors, NCHW in torch, forward and input gradient through autograd."""
    import torch

    from tests.engine_util import assert_close
    from tests.zoo_torch import SqueezeExcitation

    rng = np.random.default_rng(3)
    model = make_model(f"input: [4, 5, 8]\nlayers:\n  - se: {{squeeze: 3, gate: {gate}}}\n")
    randomise(model, rng)
    convs = [leaf for leaf in model.layers if leaf.kind == "conv"]
    ref = SqueezeExcitation(8, 3, gate=torch.nn.Sigmoid if gate == "sigmoid" else torch.nn.Tanh).double()
    with torch.no_grad():
        for conv, fc in zip(convs, (ref.fc1, ref.fc2)):
            fc.weight.copy_(torch.from_numpy(conv.params["weight"]))
            fc.bias.copy_(torch.from_numpy(conv.params["bias"]))
    x = rng.normal(size=(2, 4, 5, 8))
    dy = rng.normal(size=(2, 4, 5, 8))
    y, dx = model.forward(x), model.backward(dy)
    xt = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    yt = ref(xt)
    yt.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    assert_close(y, yt.detach().numpy().transpose(0, 2, 3, 1), "output")
    assert_close(dx, xt.grad.numpy().transpose(0, 2, 3, 1), "input gradient")
    assert_close(convs[0].grads["weight"], ref.fc1.weight.grad.numpy(), "fc1 weight gradient")


def test_fused_loss_backward_routes_references():
    """Training's fused softmax + cross-entropy starts below the last layer (Model.backward with
    skip_last): the named skip must still get its gradient. Torch: autograd of the mean
    cross-entropy through the twin's softmax."""
    import torch

    from tests.engine_util import assert_close
    from tests.torch_ref import copy_params, to_torch, torch_grads

    rng = np.random.default_rng(8)
    model = make_model("input: [4]\nlayers:\n  - dense: {units: 5, name: h}\n  - tanh\n  - dense: {units: 5}\n"
                       "  - add: {with: h}\n  - dense: {units: 3}\n  - softmax\n")
    randomise(model, rng)
    x, target = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
    p = model.forward(x)
    onehot = np.eye(3)[target]
    model.backward((p - onehot) / 6, skip_last=True)
    twin = to_torch(model.network.root)
    copy_params(twin, model.backend)
    out = twin(torch.tensor(x))
    loss = -torch.log(out[torch.arange(6), torch.tensor(target)]).mean()
    loss.backward()
    theirs = torch_grads(twin)
    for qname, layer, pname in model.parameters():
        assert_close(layer.grads[pname], theirs[qname], qname)
