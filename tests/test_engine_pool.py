"""Pooling against PyTorch autograd (float64, relative 1e-10), the max-pool tie rule, PyTorch's
average-pool divisors, and exact values by hand."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from calc.backend import get_backend
from calc.engine.context import Ctx
from calc.engine.model import Model
from tests.engine_check import BACKENDS, network, nhwc, run
from tests.engine_util import rel_err  # the one relative-error rule
from tests.torch_ref import AsymmetricPool

TOL = 1e-10


def pool_case(seed: int, kind: str):
    """Random window options; pooling pads stay <= kernel // 2 (PyTorch's rule)."""
    rng = np.random.default_rng((3000 if kind == "maxpool" else 4000) + seed)
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    dh, dw = (int(v) for v in rng.integers(1, 3, 2)) if kind == "maxpool" else (1, 1)
    opts = {"kernel": [kh, kw]}
    if rng.random() < 0.7:
        opts["stride"] = [int(v) for v in rng.integers(1, 4, 2)]
    if kind == "maxpool":
        opts["dilation"] = [dh, dw]
    form = int(rng.integers(0, 3))
    if form == 0:
        opts["padding"] = [int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1))]
    elif form == 1:
        opts["padding"] = [int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kh // 2 + 1)),
                           int(rng.integers(0, kw // 2 + 1)), int(rng.integers(0, kw // 2 + 1))]
    opts["ceil_mode"] = bool(rng.random() < 0.5)
    if kind == "avgpool":
        opts["count_include_pad"] = bool(rng.random() < 0.5)
    h = int(rng.integers(dh * (kh - 1) + 1, dh * (kh - 1) + 9))
    w = int(rng.integers(dw * (kw - 1) + 1, dw * (kw - 1) + 9))
    return opts, (h, w, int(rng.integers(1, 5))), int(rng.integers(1, 4))


def torch_input(x, channels_last: bool):
    t = torch.tensor(x)
    if channels_last:  # NHWC memory seen as NCHW: PyTorch's channels-last kernels
        return t.permute(0, 3, 1, 2).detach().requires_grad_()
    return t.permute(0, 3, 1, 2).contiguous().requires_grad_()


def torch_pool(layer, xt):
    """PyTorch's pooling on NCHW; asymmetric pads via tests.torch_ref.AsymmetricPool."""
    top, bottom, left, right = layer.pad
    if top != bottom or left != right:
        return AsymmetricPool(layer)(xt)
    if layer.kind == "maxpool":
        return F.max_pool2d(xt, layer.kernel, layer.stride, (top, left), layer.dilation, layer.ceil_mode)
    return F.avg_pool2d(xt, layer.kernel, layer.stride, (top, left), layer.ceil_mode, layer.count_include_pad)


@pytest.mark.parametrize("device", BACKENDS)
@pytest.mark.parametrize("kind", ["maxpool", "avgpool"])
@pytest.mark.parametrize("case", range(60))
def test_pool_matches_torch(case, kind, device):
    opts, in_shape, n = pool_case(case, kind)
    net = network(in_shape, {kind: opts})
    layer = net.leaves()[0]
    rng = np.random.default_rng(case)
    # maxpool: even cases use integers in {-1, 0, 1}, so windows are full of ties
    x = rng.integers(-1, 2, (n, *in_shape)).astype(float) if kind == "maxpool" and case % 2 == 0 \
        else rng.standard_normal((n, *in_shape))
    dy = rng.standard_normal((n, *layer.out_shape))
    y, dx, _, _ = run(net, x, dy, device)
    for channels_last in (False, True):
        xt = torch_input(x, channels_last)
        yt = torch_pool(layer, xt)
        yt.backward(torch.tensor(dy).permute(0, 3, 1, 2))
        assert y.shape == nhwc(yt).shape
        assert rel_err(y, nhwc(yt)) <= TOL
        assert rel_err(dx, nhwc(xt.grad)) <= TOL, f"channels_last={channels_last}"


def test_maxpool_tie_rule_by_hand():
    """All-equal windows: the top-left element takes the gradient; [[1, 2], [2, 1]]: the first 2
    in row-major order, (0, 1), not (1, 0). PyTorch agrees (checked on both memory layouts)."""
    net = network((4, 4, 1), {"maxpool": {"kernel": 2}})
    layer = net.leaves()[0]
    assert "row-major" in layer.tie_rule and "first" in layer.tie_rule
    x = np.array([[0, 0, 1, 2], [0, 0, 2, 1], [5, 5, 3, 3], [5, 5, 3, 3]], dtype=float)[None, :, :, None]
    _, dx, _, _ = run(net, x, np.ones((1, 2, 2, 1)))
    want = [[1, 0, 0, 1], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    assert dx[0, :, :, 0].tolist() == want
    for channels_last in (False, True):
        xt = torch_input(x, channels_last)
        F.max_pool2d(xt, 2).sum().backward()
        assert xt.grad[0, 0].tolist() == want


def test_maxpool_cs231n_example_exactly():
    """cs231n / the LAPENNA Unit 7 slides 'single depth slice': 2x2 filters, stride 2 -> [[6, 8], [3, 4]]."""
    net = network((4, 4, 1), {"maxpool": {"kernel": 2, "stride": 2}})
    model = Model(net, Ctx(backend=get_backend("exact")))
    x = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
    y = model.forward(model.backend.asarray(np.array(x)[None, :, :, None]))
    assert y[0, :, :, 0].tolist() == [[6, 8], [3, 4]]
    dx = model.backward(model.backend.asarray(np.array([[1, 2], [3, 4]])[None, :, :, None]))
    assert dx[0, :, :, 0].tolist() == [[0, 0, 0, 0], [0, 1, 0, 2], [3, 0, 0, 0], [0, 0, 0, 4]]
    assert all(isinstance(v, Fraction) for v in dx.flat)


@pytest.mark.parametrize("include, want", [
    (False, [[1, Fraction(3, 2), 2], [2, Fraction(5, 2), 3], [3, Fraction(7, 2), 4]]),
    (True, [[Fraction(1, 4), Fraction(3, 4), Fraction(1, 2)], [1, Fraction(5, 2), Fraction(3, 2)],
            [Fraction(3, 4), Fraction(7, 4), 1]]),
])
def test_avgpool_padding_exactly(include, want):
    """[[1, 2], [3, 4]], 2x2 windows, stride 1, padding 1: by hand, with and without the pads counted."""
    net = network((2, 2, 1), {"avgpool": {"kernel": 2, "stride": 1, "padding": 1, "count_include_pad": include}})
    model = Model(net, Ctx(backend=get_backend("exact")))
    y = model.forward(model.backend.asarray(np.array([[1, 2], [3, 4]])[None, :, :, None]))
    assert y[0, :, :, 0].tolist() == want
    dx = model.backward(model.backend.asarray(np.ones((1, 3, 3, 1), dtype=int)))
    # every input cell lies in 4 windows, each passing 1/divisor back: 4 * 1/4, or 1 + 1/2 + 1/2 + 1/4
    cell = 1 if include else Fraction(9, 4)
    assert dx[0, :, :, 0].tolist() == [[cell, cell], [cell, cell]]


@pytest.mark.parametrize("size, include, want", [
    (5, True, [3, 3, 3]), (5, False, [2, 3, 2]),
    (6, True, [3, 3, 3, 2]),  # the ceil-mode window [5, 8) is cut at input + pad = 7
    (6, False, [2, 3, 3, 1]),
])
def test_avgpool_ceil_mode_divisors_by_hand(size, include, want):
    net = network((size, size, 1), {"avgpool": {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                                                "count_include_pad": include}})
    layer = net.leaves()[0]
    assert layer.divisors() == [[a * b for b in want] for a in want]


@pytest.mark.parametrize("device", BACKENDS)
@pytest.mark.parametrize("h, w, out", [(7, 5, [3, 2]), (6, 6, [4, 4]), (3, 5, [5, 7]), (9, 4, [1, 1]), (5, 5, [5, 5])])
def test_adaptive_avgpool_matches_torch(h, w, out, device):
    net = network((h, w, 3), {"adaptive_avgpool": {"output": out}})
    rng = np.random.default_rng(h * w)
    x = rng.standard_normal((2, h, w, 3))
    dy = rng.standard_normal((2, *out, 3))
    y, dx, _, _ = run(net, x, dy, device)
    xt = torch_input(x, False)
    yt = F.adaptive_avg_pool2d(xt, out)
    yt.backward(torch.tensor(dy).permute(0, 3, 1, 2))
    assert rel_err(y, nhwc(yt)) <= TOL and rel_err(dx, nhwc(xt.grad)) <= TOL


@pytest.mark.parametrize("device", BACKENDS)
def test_global_avgpool_matches_torch(device):
    net = network((5, 3, 4), {"global_avgpool": None})
    rng = np.random.default_rng(1)
    x, dy = rng.standard_normal((3, 5, 3, 4)), rng.standard_normal((3, 1, 1, 4))
    y, dx, _, _ = run(net, x, dy, device)
    xt = torch_input(x, False)
    yt = F.adaptive_avg_pool2d(xt, 1)
    yt.backward(torch.tensor(dy).permute(0, 3, 1, 2))
    assert rel_err(y, nhwc(yt)) <= TOL and rel_err(dx, nhwc(xt.grad)) <= TOL


def test_exact_adaptive_and_global_pools():
    net = network((3, 2, 1), {"adaptive_avgpool": {"output": [2, 1]}}, {"global_avgpool": None})
    model = Model(net, Ctx(backend=get_backend("exact")))
    x = np.array([[1, 2], [3, 4], [5, 7]])[None, :, :, None]
    y = model.forward(model.backend.asarray(x))
    # rows [0, 2) and [1, 3): means 10/4 and 19/4; their global mean 29/8
    assert y[0, 0, 0, 0] == Fraction(29, 8)
    dx = model.backward(model.backend.asarray(np.ones((1, 1, 1, 1), dtype=int)))
    assert dx[0, :, :, 0].tolist() == [[Fraction(1, 8)] * 2, [Fraction(1, 4)] * 2, [Fraction(1, 8)] * 2]
