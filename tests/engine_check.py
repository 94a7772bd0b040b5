"""Helpers for engine tests: one-layer networks from options, runs on a backend. The relative
error they are judged by is tests/engine_util.rel_err (one rule for every engine test).

The reference side (torch autograd, hand values) stays in each test; nothing here computes an
expected value.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from calc.backend import available_backends, get_backend
from calc.engine.context import Ctx
from calc.engine.model import Model
from calc.network import network_from_text

# cpu always; gpu runs where CuPy and a GPU are present and is reported as skipped elsewhere.
BACKENDS = [pytest.param(name, marks=pytest.mark.skipif(name not in available_backends(),
                                                        reason="no CuPy/GPU on this machine"))
            for name in ("cpu", "gpu")]


def network(in_shape, *layers):
    """A network from layer entries such as {"conv": {"filters": 2, "kernel": 3}}."""
    text = yaml.safe_dump({"input": list(in_shape), "layers": list(layers)}, sort_keys=False)
    return network_from_text(text, "test.yaml")


def run(net, x, dy, device: str = "cpu", dtype: str = "float64", seed: int = 0):
    """Forward and backward on a backend; host arrays back: (y, dx, {name: grad}, {name: param})."""
    be = get_backend(device, dtype)
    model = Model(net, Ctx(backend=be, seed=seed))
    y = model.forward(be.asarray(x))
    dx = model.backward(be.asarray(dy))
    grads = {q: be.to_numpy(layer.grads[p]) for q, layer, p in model.parameters()}
    params = {q: np.ascontiguousarray(be.to_numpy(layer.params[p])) for q, layer, p in model.parameters()}
    return be.to_numpy(y), be.to_numpy(dx), grads, params


def nhwc(t):
    """A torch NCHW tensor as a NumPy NHWC array."""
    return t.detach().permute(0, 2, 3, 1).cpu().numpy()
