"""Dropout: inverted scaling and gradients against torch's own dropout on the same mask, the
drop rate of drawn masks, the identity at test time, and the spec's explicit mask (exercises)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from calc.errors import NNCalcError
from tests.engine_util import assert_close, backends, make_model, random_input, run_pair


@backends
@pytest.mark.parametrize("shape", [(7,), (3, 4, 2)])
@pytest.mark.parametrize("rate", [0.2, 0.5, 0.9])
def test_same_mask_as_torch_gives_the_same_values_and_gradients(device, shape, rate):
    """torch draws a mask; the spec is given that mask; outputs and dL/dx must agree exactly."""
    rng = np.random.default_rng(int(rate * 10))
    x = random_input(shape, 4, rng)
    dy = rng.normal(size=x.shape)
    torch.manual_seed(3)
    keep = (F.dropout(torch.ones(x.shape, dtype=torch.float64), rate, training=True) != 0).numpy()
    torch.manual_seed(3)
    xt = torch.tensor(x, requires_grad=True)
    yt = F.dropout(xt, rate, training=True)
    yt.backward(torch.tensor(dy))
    mask = keep.astype(int).tolist()
    model = make_model(f"input: {list(shape)}\nlayers:\n  - dropout: {{rate: {rate}, mask: {mask}}}\n", device)
    be = model.backend
    y = be.to_numpy(model.forward(be.asarray(x), training=True))
    dx = be.to_numpy(model.backward(be.asarray(dy)))
    assert_close(y, yt.detach().numpy(), "output")
    assert_close(dx, xt.grad.numpy(), "dx")


@backends
def test_identity_at_test_time_as_torch_eval(device):
    rng = np.random.default_rng(0)
    model = make_model("input: [5]\nlayers:\n  - dropout: {rate: 0.5}\n  - dense: {units: 2}\n", device)
    run_pair(model, random_input((5,), 3, rng), training=False, rng=rng).check()


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.75])
def test_drawn_masks_drop_with_probability_rate(rate):
    model = make_model(f"input: [1000]\nlayers:\n  - dropout: {{rate: {rate}}}\n", seed=5)
    x = np.ones((100, 1000))
    y = model.forward(x, training=True)
    dropped = (y == 0).mean()
    sigma = (rate * (1 - rate) / y.size) ** 0.5
    assert abs(dropped - rate) < 5 * sigma
    assert np.all((y == 0) | (y == 1 / (1 - rate)))  # survivors scaled by 1/(1 - rate), exactly
    dx = model.backward(np.full(x.shape, 2.0))
    np.testing.assert_array_equal(dx, 2 * y)  # gradient flows through the kept units, scaled alike


def test_seeded_masks_repeat():
    spec = "input: [50]\nlayers:\n  - dropout: {rate: 0.3}\n"
    a, b, c = (make_model(spec, seed=s).forward(np.ones((2, 50)), training=True) for s in (1, 1, 2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_course_example_four_samples_one_mask():
    """rate 0.5, mask [1, 0, 1, 1] for every sample: kept values doubled, the second dropped."""
    model = make_model("input: [4]\nlayers:\n  - dropout: {rate: 0.5, mask: [1, 0, 1, 1]}\n", "exact")
    be = model.backend
    x = be.asarray([[1, 2, 3, 4], [0.5, 0.5, 0.5, 0.5], [-1, 0, 1, 2], [4, 3, 2, 1]])
    y = model.forward(x, training=True)
    assert y.tolist() == [[2, 0, 6, 8], [1, 0, 1, 1], [-2, 0, 2, 4], [8, 0, 4, 2]]
    assert model.forward(x).tolist() == x.tolist()  # test time: identity


def test_mask_per_sample_and_exact_scaling():
    model = make_model("input: [2]\nlayers:\n  - dropout: {rate: 0.25, mask: [[1, 0], [0, 1]]}\n", "exact")
    be = model.backend
    y = model.forward(be.asarray([[3, 3], [6, 6]]), training=True)
    assert y.tolist() == [[4, 0], [0, 8]]
    assert model.backward(be.asarray([[3, 3], [3, 3]])).tolist() == [[4, 0], [0, 4]]
    assert isinstance(y[0, 0], Fraction)


@pytest.mark.parametrize("options,fragment", [
    ("{mask: [1, 0]}", "mask: expected shape 3 (one 0/1 per value, shared by every sample) or N x 3"),
    ("{mask: [1, 0, 2]}", "expected 1 (keep) or 0 (drop) only"),
    ("{rate: 1}", "< 1.0"),
])
def test_bad_dropout_options(options, fragment):
    with pytest.raises(NNCalcError) as info:
        make_model(f"input: [3]\nlayers:\n  - dropout: {options}\n")
    assert fragment in str(info.value) and "layers[0].dropout" in str(info.value)


def test_mask_rows_must_match_the_batch():
    model = make_model("input: [2]\nlayers:\n  - dropout: {mask: [[1, 0], [0, 1]]}\n")
    with pytest.raises(NNCalcError, match="the spec's mask has 2 rows .* but the batch has 3 samples"):
        model.forward(np.ones((3, 2)), training=True)
