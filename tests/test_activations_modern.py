"""GELU, SiLU/swish, ReLU6, hardswish, hardsigmoid, softplus and mish: values derived by hand on the
exact backend, PyTorch's derivative at every kink (taken from torch autograd, float64), the exact
erf and log1p against mpmath, and the default names that no longer read like another layer type.

Forward and backward on random values (zeros and +-1000 included) against torch autograd are in
tests/test_engine_layers.py (ACTIVATIONS); this file holds what a random draw would not hit.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import torch

from calc.errors import SpecError
from calc.exact import is_approx

F = torch.nn.functional


def exact_layer(entry: str):
    from calc.network import network_from_text

    return network_from_text(f"input: [1]\nlayers:\n  - {entry}\n").leaves()[0]


def exact_at(entry: str, z):
    """(f(z), f'(z)) of a layer on the exact backend, z a Fraction."""
    from calc.backend import get_backend

    be = get_backend("exact")
    layer = exact_layer(entry)
    zs = be.asarray([z])
    a = layer.function(zs, be)
    return a[0], layer.derivative(zs, a, be)[0]


# hand-derived: relu6(7) = min(max(0, 7), 6) = 6; hardswish(1) = 1 * (1 + 3)/6 = 2/3, hardswish'(1) =
# 1/3 + 1/2 = 5/6; hardswish(-1) = -1 * 2/6 = -1/3; hardsigmoid(0) = 3/6 = 1/2, slope 1/6 inside;
# silu(0) = 0 * 1/2, silu'(0) = s(1 + 0) = 1/2; gelu(0) = 0 * Phi(0) = 0, gelu'(0) = Phi(0) + 0 = 1/2;
# softplus'(0) = sigmoid(0) = 1/2; mish(0) = 0; softplus(20.5) with beta 1 = 20.5 (above the threshold)
EXACT = [
    ("relu6", 7, 6, 0), ("relu6", Fraction(5, 2), Fraction(5, 2), 1), ("relu6", -1, 0, 0),
    ("hardswish", 1, Fraction(2, 3), Fraction(5, 6)), ("hardswish", -1, Fraction(-1, 3), Fraction(1, 6)),
    ("hardswish", 4, 4, 1), ("hardswish", -4, 0, 0),
    ("hardsigmoid", 0, Fraction(1, 2), Fraction(1, 6)), ("hardsigmoid", Fraction(3, 2), Fraction(3, 4), Fraction(1, 6)),
    ("hardsigmoid", 5, 1, 0), ("hardsigmoid", -5, 0, 0),
    ("silu", 0, 0, Fraction(1, 2)), ("swish", 0, 0, Fraction(1, 2)),
    ("gelu", 0, 0, Fraction(1, 2)), ("gelu: {approximate: tanh}", 0, 0, Fraction(1, 2)),
    ("softplus", Fraction(41, 2), Fraction(41, 2), 1), ("mish", 0, 0, None),
]


@pytest.mark.parametrize("entry, z, f, d", EXACT)
def test_exact_values_by_hand(entry, z, f, d):
    """Rational answers come out exact (a Fraction, not a 50-digit approximation)."""
    a, da = exact_at(entry, Fraction(z))
    assert a == f and not is_approx(a), (entry, z, a)
    if d is not None:
        assert da == d and not is_approx(da), (entry, z, da)


def close(value, reference, digits: int = 45) -> bool:
    ref = Fraction(str(reference))
    return abs(Fraction(value) - ref) <= abs(ref) * Fraction(1, 10 ** digits) + Fraction(1, 10 ** 60)


def test_exact_transcendental_values_against_mpmath():
    """softplus(0) = ln 2; mish'(0) = tanh(ln 2) = 3/5; GELU(1) = Phi(1) and GELU'(1) = Phi(1) + phi(1);
    SiLU(1) = 1/(1 + e^-1): each to 45 digits (mpmath at 60 digits, independent of calc)."""
    mpmath.mp.dps = 60
    one = mpmath.mpf(1)
    a, da = exact_at("softplus", Fraction(0))
    assert close(a, mpmath.log(2)) and da == Fraction(1, 2)
    assert close(exact_at("mish", Fraction(0))[1], mpmath.mpf(3) / 5)
    a, da = exact_at("gelu", Fraction(1))
    assert close(a, mpmath.ncdf(one)) and close(da, mpmath.ncdf(one) + mpmath.npdf(one))
    k = mpmath.sqrt(2 / mpmath.pi)
    t = mpmath.tanh(k * (1 + mpmath.mpf("0.044715")))
    a, da = exact_at("gelu: {approximate: tanh}", Fraction(1))
    assert close(a, (1 + t) / 2)
    assert close(da, (1 + t) / 2 + (1 - t * t) / 2 * k * (1 + 3 * mpmath.mpf("0.044715")))
    assert close(exact_at("silu", Fraction(1))[0], 1 / (1 + mpmath.exp(-1)))
    a, da = exact_at("mish", Fraction(-2))
    sp = mpmath.log1p(mpmath.exp(-2))
    assert close(a, -2 * mpmath.tanh(sp))
    assert close(da, mpmath.tanh(sp) - 2 / (1 + mpmath.exp(2)) * (1 - mpmath.tanh(sp) ** 2))


@pytest.mark.parametrize("q", ["1/2", "-3", "11.5", "7/100", "1e-30", "-12", "25"])
def test_exact_erf_against_mpmath(q):
    from calc.exact_functions import erf

    mpmath.mp.dps = 70
    value = Fraction(q)
    assert close(erf(value), mpmath.erf(mpmath.mpf(value.numerator) / value.denominator), 48)
    assert erf(Fraction(0)) == 0 and not is_approx(erf(Fraction(0)))


@pytest.mark.parametrize("q", ["1e-40", "-1/2", "3", "1e-7"])
def test_exact_log1p_keeps_tiny_arguments(q):
    """ln(1 + 1e-40) = 1e-40 - 5e-81: 1 + q at 50 digits would give 0."""
    from calc.exact_functions import log1p

    mpmath.mp.dps = 70
    value = Fraction(q)
    assert close(log1p(value), mpmath.log1p(mpmath.mpf(value.numerator) / value.denominator), 48)


def torch_grad(fn, z: float) -> tuple[float, float]:
    x = torch.tensor([z], dtype=torch.float64, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return float(y.detach()[0]), float(x.grad[0])


# at each kink the value the derivative takes is a convention: PyTorch's, read from torch autograd
KINKS = [("relu6", F.relu6, 0.0), ("relu6", F.relu6, 6.0), ("hardswish", F.hardswish, -3.0),
         ("hardswish", F.hardswish, 3.0), ("hardsigmoid", F.hardsigmoid, -3.0), ("hardsigmoid", F.hardsigmoid, 3.0)]


@pytest.mark.parametrize("kind, fn, z", KINKS)
def test_derivative_at_each_kink_is_pytorchs(kind, fn, z):
    from tests.engine_util import make_model
    from tests.test_engine_layers import spec_for

    model = make_model(spec_for((1,), kind))
    y = model.forward(np.array([[z]]))
    dx = model.backward(np.ones((1, 1)))
    want_y, want_d = torch_grad(fn, z)
    assert (y[0, 0], dx[0, 0]) == (want_y, want_d)
    layer = exact_layer(kind)
    assert z in layer.kink_points()  # the worked solution says so at this point


def test_stated_kink_derivatives_by_hand():
    """What the conventions say: ReLU6'(0) = ReLU6'(6) = 0, hardswish'(-3) = 0 and hardswish'(3) = 1
    (the outer pieces), hardsigmoid'(+-3) = 0."""
    expected = {("relu6", 0): 0, ("relu6", 6): 0, ("hardswish", -3): 0, ("hardswish", 3): 1,
                ("hardsigmoid", -3): 0, ("hardsigmoid", 3): 0}
    for (kind, z), d in expected.items():
        assert exact_at(kind, Fraction(z))[1] == d, (kind, z)


def test_torch_hardsigmoid_backward_uses_a_float32_one_sixth():
    """Why tests/torch_ref.py builds hardsigmoid from hardtanh: nn.Hardsigmoid's float64 backward
    multiplies by 1/6 rounded to float32 (0.1666666716...), 3e-8 off; nncalc's slope is 1/6."""
    from tests.engine_util import make_model
    from tests.test_engine_layers import spec_for

    _, theirs = torch_grad(F.hardsigmoid, 0.5)
    assert theirs == float(np.float32(1) / np.float32(6))
    model = make_model(spec_for((1,), "hardsigmoid"))
    model.forward(np.array([[0.5]]))
    assert model.backward(np.ones((1, 1)))[0, 0] == 1 / 6


def test_softplus_threshold_as_pytorch():
    """z itself where beta z > threshold (and derivative 1); below, ln(1 + e^(beta z)) / beta."""
    from tests.engine_util import make_model
    from tests.test_engine_layers import spec_for

    for opts, beta, thr in (("softplus", 1.0, 20.0), ("softplus: {beta: 2, threshold: 5}", 2.0, 5.0)):
        for z in (thr / beta - 1e-9, thr / beta, thr / beta + 1e-9, -30.0):
            model = make_model(spec_for((1,), opts))
            y = model.forward(np.array([[z]]))
            dx = model.backward(np.ones((1, 1)))
            want = torch_grad(lambda x, beta=beta, thr=thr: F.softplus(x, beta, thr), z)
            assert abs(y[0, 0] - want[0]) <= 1e-15 * abs(want[0]) and abs(dx[0, 0] - want[1]) <= 1e-15, (opts, z)


def test_numpy_erf_keeps_float32():
    from calc.backend import get_backend

    be = get_backend("cpu", "float32")
    out = be.erf(be.asarray([0.5, -2.0]))
    assert out.dtype == np.float32 and abs(float(out[0]) - 0.5204998778) < 1e-7


@pytest.mark.parametrize("entry, message", [
    ("softplus: {beta: 0}", "beta: expected a number > 0"),
    ("gelu: {approximate: erf}", "approximate"),
    ("silu: {beta: 2}", "beta"),
])
def test_bad_options_name_the_option(entry, message):
    with pytest.raises(SpecError, match=message):
        exact_layer(entry)


def test_default_names_never_read_like_another_type():
    """The sixth ReLU is relu6 and a ReLU6 layer is relu6_1: a stem ending in a digit gets an
    underscore before its counter (one rule), so no default name is shared or misread."""
    from calc.network import network_from_text

    text = "input: [4]\nlayers:\n" + "".join(f"  - {k}\n" for k in ["relu6"] + ["relu"] * 6 + ["relu6", "gelu"])
    names = [leaf.name for leaf in network_from_text(text).leaves()]
    assert names == ["relu6_1", "relu1", "relu2", "relu3", "relu4", "relu5", "relu6", "relu6_2", "gelu1"]


@pytest.mark.parametrize("entry, z, tex", [
    ("gelu", 1, r"1\,\Phi(1)"),
    ("gelu: {approximate: tanh}", 2, r"\frac{2}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(2 + 0.044715\,2^3)\right)\right)"),
    ("silu", -1, r"\frac{(-1)}{1 + e^{-(-1)}}"),
    ("hardswish", 1, r"1\,\frac{\min(\max(0, 1 + 3), 6)}{6}"),
    ("mish", 0, r"0\tanh\left(\ln(1 + e^{0})\right)"),
])
def test_substituted_latex_puts_z_in_every_place(entry, z, tex):
    """A network's Markdown shows f with the numbers in LaTeX; every %s of tex_body is z."""
    from calc.solve.text import Writer

    assert exact_layer(entry).narrated(Fraction(z), Fraction(0), Writer(4)).f_tex == tex
