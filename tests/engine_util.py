"""Helpers for engine tests: backends to run on, a relative-error check, and one call that runs a
network in nncalc and in its PyTorch twin (tests/torch_ref.py) and returns both sides.

Relative error is norm-wise: max|a - b| / max|b|, the usual measure for comparing two float64
computations of the same quantity. The scale max|b| is taken as at least 1e-3, so that a quantity
that is zero in theory (e.g. the gradient of a bias feeding a batch norm, rounding noise of
1e-16 on both sides) is compared absolutely, to 1e-13.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

from calc.backend import available_backends, get_backend
from calc.engine.context import Ctx
from calc.engine.model import Model
from tests.conftest import net_from
from tests.torch_ref import copy_params, to_torch, torch_grads, torch_leaves

REL = 1e-10  # the tolerance for float64
SCALE_FLOOR = 1e-3

BACKENDS = available_backends()
backends = pytest.mark.parametrize("device", BACKENDS)


def rel_err(a, b) -> float:
    """max |a - b| / max(max |b|, SCALE_FLOOR): the one relative-error rule of the engine tests (a
    reference near zero is judged on the absolute error / SCALE_FLOOR, never divided by ~0)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(b))), SCALE_FLOOR)
    return float(np.max(np.abs(a - b))) / scale


def assert_close(a, b, what: str = "", rel: float = REL) -> None:
    err = rel_err(a, b)
    assert err <= rel, f"{what}: relative error {err:.3g} > {rel:g}"


@dataclass
class Pair:
    """What nncalc and torch computed for the same network, input and upstream gradient."""

    y: np.ndarray
    y_torch: np.ndarray
    dx: np.ndarray
    dx_torch: np.ndarray
    grads: dict = field(default_factory=dict)  # qualified name -> (nncalc, torch)
    buffers: dict = field(default_factory=dict)

    def check(self, rel: float = REL) -> None:
        assert_close(self.y, self.y_torch, "output", rel)
        assert_close(self.dx, self.dx_torch, "input gradient", rel)
        for name, (mine, theirs) in self.grads.items():
            assert_close(mine, theirs, f"gradient of {name}", rel)
        for name, (mine, theirs) in self.buffers.items():
            assert_close(mine, theirs, f"buffer {name}", rel)


def make_model(spec: str, device: str = "cpu", seed: int = 0, **ctx) -> Model:
    network = net_from(spec) if isinstance(spec, str) else spec
    return Model(network, Ctx(get_backend(device, "float64"), seed=seed, **ctx))


def run_pair(model: Model, x, dy=None, training: bool = False, steps: int = 1, rng=None) -> Pair:
    """Forward (and backward with ``dy``, random when None) in nncalc and in torch, ``steps`` times
    on the same input (running statistics accumulate); returns the last step's results."""
    be = model.backend
    rng = rng or np.random.default_rng(123)
    twin = to_torch(model.network.root)
    copy_params(twin, be)
    twin.train(training)
    for _ in range(steps):
        y = be.to_numpy(model.forward(be.asarray(x), training=training))
        upstream = rng.normal(size=y.shape) if dy is None else np.asarray(dy, dtype=np.float64)
        dx = be.to_numpy(model.backward(be.asarray(upstream)))
        xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
        twin.zero_grad()
        yt = twin(xt)
        if yt.requires_grad:  # not for a network of step functions only
            yt.backward(torch.tensor(upstream))
    dx_t = xt.grad.numpy() if xt.grad is not None else np.zeros_like(x, dtype=np.float64)
    pair = Pair(y, yt.detach().numpy(), dx, dx_t)
    theirs = torch_grads(twin)
    for qname, layer, pname in model.parameters():
        want = theirs.get(qname)
        if want is None:  # torch computed no gradient (e.g. the step function)
            want = np.zeros(layer.params[pname].shape)
        pair.grads[qname] = (be.to_numpy(layer.grads[pname]), want)
    for layer, module in torch_leaves(twin):
        inner = getattr(module, "inner", module)
        for name in getattr(layer, "buffers", {}):
            pair.buffers[f"{layer.name}.{name}"] = (be.to_numpy(layer.buffers[name]),
                                                    getattr(inner, name).detach().numpy())
    return pair


def random_input(shape, batch: int, rng, scale: float = 1.0):
    return rng.normal(scale=scale, size=(batch, *shape))
