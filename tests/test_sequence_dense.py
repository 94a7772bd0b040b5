"""A dense layer on an (L, F) sequence acts per position on the last axis, as torch.nn.Linear:
counts by hand, values and gradients against torch autograd in float64."""

from __future__ import annotations

import numpy as np
import pytest

from tests.engine_check import BACKENDS, network, run
from tests.engine_util import rel_err


def test_counts_by_hand():
    net = network((128, 768), {"dense": {"units": 3072}})
    (leaf,) = net.leaves()
    assert leaf.out_shape == (128, 3072)
    assert leaf.param_count() == 768 * 3072 + 3072
    assert leaf.macs() == 128 * 768 * 3072  # once per position
    assert leaf.costs()["bias"] == 128 * 3072


@pytest.mark.parametrize("device", BACKENDS)
def test_forward_backward_against_torch(device):
    torch = pytest.importorskip("torch")
    net = network((5, 4), {"dense": {"units": 3}})
    rng = np.random.default_rng(0)
    x, dy = rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 3))
    y, dx, grads, params = run(net, x, dy, device)
    lin = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(params["fc1.weight"]))
        lin.bias.copy_(torch.tensor(params["fc1.bias"]))
    tx = torch.tensor(x, requires_grad=True)
    ty = lin(tx)
    ty.backward(torch.tensor(dy))
    assert rel_err(y, ty.detach().numpy()) < 1e-10
    assert rel_err(dx, tx.grad.numpy()) < 1e-10
    assert rel_err(grads["fc1.weight"], lin.weight.grad.numpy()) < 1e-10
    assert rel_err(grads["fc1.bias"], lin.bias.grad.numpy()) < 1e-10
