"""Whole conv/pool networks through calc.engine.model.Model against their PyTorch twins
(tests.torch_ref): output, input gradient and every parameter gradient, float64, relative 1e-10."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from calc.backend import get_backend
from calc.errors import SpecError
from calc.network import load_network
from tests.engine_check import BACKENDS, network, run
from tests.engine_util import rel_err  # the one relative-error rule
from tests.torch_ref import copy_params, to_torch, torch_grads

TOL = 1e-10


def check_against_torch(net, n: int, device: str = "cpu", seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *net.input_shape))
    dy = rng.standard_normal((n, *net.output_shape))
    y, dx, grads, _ = run(net, x, dy, device, seed=seed)  # initialises the params it copies below
    twin = to_torch(net.root)
    copy_params(twin, get_backend(device))  # the params initialised on the layers by run()
    xt = torch.tensor(x, requires_grad=True)
    yt = twin(xt)
    yt.backward(torch.tensor(dy))
    assert rel_err(y, yt.detach().numpy()) <= TOL
    assert rel_err(dx, xt.grad.numpy()) <= TOL
    want = torch_grads(twin)
    assert set(grads) == set(want)
    for name, g in grads.items():
        assert rel_err(g, want[name]) <= TOL, name


@pytest.mark.parametrize("name, n", [("lenet5", 3), ("mnist-cnn", 2), ("inception-bottleneck", 1)])
def test_zoo_networks_match_torch(name, n):
    check_against_torch(load_network(name), n)


def random_layers(rng, channels: int) -> list:
    """A random stack of conv / pool / transposed conv / branches with activations."""
    out = []
    for _ in range(int(rng.integers(2, 6))):
        pick = rng.random()
        k = int(rng.integers(1, 4))
        if pick < 0.35:
            out.append({"conv": {"filters": int(rng.integers(1, 5)), "kernel": [k, int(rng.integers(1, 4))],
                                 "stride": int(rng.integers(1, 3)), "padding": str(rng.choice(["same", "valid"])),
                                 "dilation": int(rng.integers(1, 3)), "activation": str(rng.choice(["relu", "tanh"]))}})
        elif pick < 0.55:
            kind = str(rng.choice(["maxpool", "avgpool"]))
            opts = {"kernel": k + 1, "stride": int(rng.integers(1, 3)), "ceil_mode": bool(rng.random() < 0.5),
                    "padding": [int(v) for v in rng.integers(0, (k + 1) // 2 + 1, 4)]}
            if kind == "avgpool":
                opts["count_include_pad"] = bool(rng.random() < 0.5)
            out.append({kind: opts})
        elif pick < 0.7:
            out.append({"conv_transpose": {"filters": int(rng.integers(1, 4)), "kernel": k + 1, "stride": 2,
                                           "padding": int(rng.integers(0, 2)), "activation": "sigmoid"}})
        elif pick < 0.85:
            out.append({"concat": [[{"conv": {"filters": 2, "kernel": 1, "bias": False}}],
                                   [{"conv": {"filters": 3, "kernel": 3, "padding": 1, "groups": 1}}, "relu"],
                                   [{"maxpool": {"kernel": 3, "stride": 1, "padding": 1}}]]})
        elif channels:  # depthwise-style grouped conv, one group per input channel
            out.append({"conv": {"filters": 2 * channels, "kernel": 3, "padding": [0, 1, 1, 0], "groups": channels}})
            channels *= 2
            continue
        channels = 0  # unknown after this layer: grouped convs need it
    return out


@pytest.mark.parametrize("device", BACKENDS)
@pytest.mark.parametrize("case", range(25))
def test_random_conv_pool_networks_match_torch(case, device):
    for attempt in range(50):
        rng = np.random.default_rng(10_000 * case + attempt)
        c = int(rng.integers(1, 4))
        layers = random_layers(rng, c)
        head = [{"adaptive_avgpool": {"output": [2, 3]}}, "flatten", {"dense": {"units": 3}}] if rng.random() < 0.5 \
            else ["global_avgpool", "flatten", {"dense": {"units": 2}}, "softmax"]
        try:
            net = network((int(rng.integers(6, 14)), int(rng.integers(6, 14)), c), *layers, *head)
            break
        except SpecError:
            continue  # the map shrank below a kernel: draw again
    check_against_torch(net, int(rng.integers(1, 4)), device, seed=case)
