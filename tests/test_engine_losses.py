"""Every loss (value and dL/dy) against torch.nn.functional with autograd, float64, relative error
<= 1e-10, on seeded random shapes; extreme logits stay finite; exact values by hand."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from calc.backend import get_backend
from calc.engine.losses import fused, get_loss
from calc.errors import InputError
from tests.engine_util import BACKENDS, assert_close, backends


def _mse_half(y, t, reduction):
    return 0.5 * F.mse_loss(y, t, reduction="sum")


def _ce_probs(p, t, reduction):
    per_row = -(t * torch.log(p)).sum(-1)
    return per_row.mean() if reduction == "mean" else per_row.sum()


def _softmax_ce(z, t, reduction):
    if z.dim() == 4:  # NHWC -> NCHW: torch's class axis is 1
        z, t = z.permute(0, 3, 1, 2), t.permute(0, 3, 1, 2)
    return F.cross_entropy(z, t, reduction=reduction)


# name, reduction, torch reference, output kind: 'real' | 'prob' (outputs in (0, 1)) | 'logit'; target kind
CASES = [
    ("mse", "mean", lambda y, t, r: F.mse_loss(y, t, reduction="mean"), "real", "real"),
    ("mse", "sum", lambda y, t, r: F.mse_loss(y, t, reduction="sum"), "real", "real"),
    ("mse", "half_sum", _mse_half, "real", "real"),
    ("bce", "mean", lambda p, t, r: F.binary_cross_entropy(p, t, reduction=r), "prob", "prob"),
    ("bce", "sum", lambda p, t, r: F.binary_cross_entropy(p, t, reduction=r), "prob", "prob"),
    ("bce_logits", "mean", lambda z, t, r: F.binary_cross_entropy_with_logits(z, t, reduction=r), "logit", "prob"),
    ("bce_logits", "sum", lambda z, t, r: F.binary_cross_entropy_with_logits(z, t, reduction=r), "logit", "prob"),
    ("cross_entropy", "mean", _ce_probs, "dist", "dist"),
    ("cross_entropy", "sum", _ce_probs, "dist", "dist"),
    ("softmax_ce", "mean", _softmax_ce, "logit", "dist"),
    ("softmax_ce", "sum", _softmax_ce, "logit", "dist"),
]


def _values(kind: str, shape, rng):
    if kind == "real":
        return rng.normal(scale=2.0, size=shape)
    if kind == "logit":
        return rng.normal(scale=4.0, size=shape)
    if kind == "prob":
        return rng.uniform(0.02, 0.98, size=shape)
    e = rng.uniform(0.1, 1.0, size=shape)  # 'dist': each row a probability distribution
    return e / e.sum(axis=-1, keepdims=True)


def _compare(name, reduction, reference, y, t, device):
    be = get_backend(device)
    loss = get_loss(name, reduction)
    value = float(be.to_numpy(loss.value(be.asarray(y), be.asarray(t), be)))
    grad = be.to_numpy(loss.grad(be.asarray(y), be.asarray(t), be))
    yt = torch.tensor(y, requires_grad=True)
    ref = reference(yt, torch.tensor(t), reduction)
    ref.backward()
    assert_close(value, ref.item(), f"{name} {reduction} value")
    assert_close(grad, yt.grad.numpy(), f"{name} {reduction} gradient")
    return value, grad


@backends
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("name,reduction,reference,ykind,tkind", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_loss_matches_torch(device, name, reduction, reference, ykind, tkind, seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 7)), int(rng.integers(2, 6))
    shape = (n, k) if seed % 2 == 0 else (n, 2, 3, k)  # vectors and maps (class axis last)
    _compare(name, reduction, reference, _values(ykind, shape, rng), _values(tkind, shape, rng), device)


@backends
def test_cross_entropy_with_one_hot_equals_nll(device):
    """Class-index form: F.cross_entropy(z, labels) = softmax_ce with one-hot rows."""
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    be = get_backend(device)
    loss = get_loss("softmax_ce")
    value = float(be.to_numpy(loss.value(be.asarray(z), be.asarray(np.eye(4)[labels]), be)))
    assert_close(value, F.cross_entropy(torch.tensor(z), torch.tensor(labels)).item(), "CE")


EXTREME = np.asarray([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [-1000.0, -1000.0, -1000.0]])
TARGET = np.asarray([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


@backends
@pytest.mark.parametrize("name,reference", [("softmax_ce", _softmax_ce),
                                            ("bce_logits", lambda z, t, r: F.binary_cross_entropy_with_logits(z, t))])
def test_logits_of_1000_are_finite_and_right(device, name, reference):
    value, grad = _compare(name, "mean", reference, EXTREME, TARGET, device)
    assert math.isfinite(value) and np.isfinite(grad).all()
    if name == "softmax_ce":
        # -log p_target = logsumexp(z) - z_target: 2000, 2000 + log(1 + e^-1), log 3
        assert value == pytest.approx((4000 + math.log(1 + math.exp(-1)) + math.log(3)) / 3, rel=1e-12)


@backends
def test_bce_on_saturated_probabilities_matches_torch_clamps(device):
    """p exactly 0 or 1: log clamped at -100 and the gradient's denominator at 1e-12 (PyTorch)."""
    p = np.asarray([[0.0, 1.0, 1.0, 0.5]])
    t = np.asarray([[1.0, 0.0, 1.0, 0.5]])
    value, grad = _compare("bce", "mean", lambda a, b, r: F.binary_cross_entropy(a, b), p, t, device)
    assert math.isfinite(value) and np.isfinite(grad).all()


@backends
def test_cross_entropy_on_zero_probabilities_is_finite(device):
    """A softmax that underflowed: -t log p with log clamped at -100; 0 where t = 0 (not 0 * inf)."""
    be = get_backend(device)
    loss = get_loss("cross_entropy")
    p, t = be.asarray([[1.0, 0.0, 0.0]]), be.asarray([[0.0, 1.0, 0.0]])
    assert float(be.to_numpy(loss.value(p, t, be))) == 100.0
    grad = be.to_numpy(loss.grad(p, t, be))
    assert np.isfinite(grad).all() and grad[0, 0] == 0 and grad[0, 2] == 0


def test_losses_exact_by_hand():
    be = get_backend("exact")
    y, t = be.asarray([[Fraction(1, 2), Fraction(1, 4)]]), be.asarray([[0, 1]])
    # half_sum: 1/2 (1/4 + 9/16) = 13/32, gradient o - t; mean: (1/4 + 9/16)/2, gradient 2(o - t)/2
    assert get_loss("mse", "half_sum").value(y, t, be) == Fraction(13, 32)
    assert get_loss("mse", "half_sum").grad(y, t, be).tolist() == [[Fraction(1, 2), Fraction(-3, 4)]]
    assert get_loss("mse", "mean").value(y, t, be) == Fraction(13, 32)
    assert get_loss("mse", "sum").grad(y, t, be).tolist() == [[1, Fraction(-3, 2)]]
    # softmax of equal logits is uniform: loss log 2, dL/dz = p - y
    z = be.asarray([[0, 0], [0, 0]])
    ce = get_loss("softmax_ce")
    assert float(ce.value(z, be.asarray([[1, 0], [0, 1]]), be)) == pytest.approx(math.log(2), rel=1e-15)
    assert ce.grad(z, be.asarray([[1, 0], [0, 1]]), be).tolist() == [[Fraction(-1, 4), Fraction(1, 4)],
                                                                   [Fraction(1, 4), Fraction(-1, 4)]]
    # BCE with sigmoid on logits at z = 0: sigma = 1/2, gradient (1/2 - 1) / 1
    assert get_loss("bce_logits", "sum").grad(be.asarray([[0]]), be.asarray([[1]]), be).tolist() == [[Fraction(-1, 2)]]
    assert get_loss("bce", "sum").grad(be.asarray([[Fraction(1, 4)]]), be.asarray([[1]]), be).tolist() == [[-4]]


@pytest.mark.parametrize("device", BACKENDS)
def test_fused_losses_equal_the_unfused_ones(device):
    """softmax + cross_entropy == softmax_ce on the logits; sigmoid + bce == bce_logits."""
    from calc.layers.activation.saturating import Sigmoid
    from calc.layers.activation.softmax import Softmax

    be = get_backend(device)
    rng = np.random.default_rng(4)
    z = be.asarray(rng.normal(size=(5, 3)))
    t = be.asarray(np.eye(3)[rng.integers(0, 3, size=5)])
    for layer, name in ((Softmax(), "cross_entropy"), (Sigmoid(), "bce")):
        loss = get_loss(name)
        logits_loss = fused(loss, layer)
        p = layer.function(z, be)
        assert_close(be.to_numpy(logits_loss.value(z, t, be)), be.to_numpy(loss.value(p, t, be)), name)
        layer.forward(z, type("C", (), {"backend": be, "xp": be.xp})())
        assert_close(be.to_numpy(logits_loss.grad(z, t, be)),
                     be.to_numpy(layer.backward(loss.grad(p, t, be), type("C", (), {"backend": be, "xp": be.xp})())),
                     f"{name} gradient through the layer")
    assert fused(get_loss("mse"), Sigmoid()) is None and fused(get_loss("bce"), Softmax()) is None


@pytest.mark.parametrize("name,reduction,fragment", [
    ("hinge", None, "unknown loss 'hinge'"),
    ("msee", None, "did you mean 'mse'"),
    ("bce", "half_sum", "reduction must be one of mean, sum"),
])
def test_bad_loss_names(name, reduction, fragment):
    with pytest.raises(InputError, match=fragment):
        get_loss(name, reduction)
