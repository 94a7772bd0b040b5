"""The exact backend (Fractions) runs the very same layer code: hand-derived values, Matt Mazur's
published backpropagation figures, and agreement with PyTorch on random networks."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from calc.engine.losses import get_loss
from calc.network import load_network
from tests.engine_util import make_model, random_input, run_pair
from tests.test_engine_networks import random_spec

ROOT = Path(__file__).resolve().parents[1]


def test_dense_relu_exact_by_hand():
    """z = [1/3 1/2] x + 1/6 at x = (3, -2): 1 - 1 + 1/6 = 1/6; dz/dW = x, dz/dx = W."""
    model = make_model("input: [2]\nlayers:\n  - dense: {units: 1, weights: [[1/3, 0.5]], bias: [1/6]}\n  - relu\n",
                       "exact")
    be = model.backend
    y = model.forward(be.asarray([[3, -2]]))
    assert y.tolist() == [[Fraction(1, 6)]]
    dx = model.backward(be.asarray([[2]]))
    assert dx.tolist() == [[Fraction(2, 3), 1]]
    assert model.layers[0].grads["weight"].tolist() == [[6, -4]] and model.layers[0].grads["bias"].tolist() == [2]


def test_activations_exact_values():
    be = make_model("input: [1]\nlayers: [relu]\n", "exact").backend
    for act, z, want in (("sigmoid", 0, Fraction(1, 2)), ("tanh", 0, 0), ("leaky_relu", -2, Fraction(-2, 100)),
                         ("elu", 0, 0), ("softmax", 5, 1)):
        model = make_model(f"input: [1]\nlayers: [{act}]\n", "exact")
        assert model.forward(be.asarray([[z]])).tolist() == [[want]], act
    model = make_model("input: [3]\nlayers: [softmax]\n", "exact")
    p = model.forward(be.asarray([[7, 7, 7]]))
    assert p.tolist() == [[Fraction(1, 3)] * 3]
    # dp/dz . dy for dy = e1: p_1 (1 - p_1) on the diagonal, -p_1 p_j off it
    assert model.backward(be.asarray([[1, 0, 0]])).tolist() == [[Fraction(2, 9), Fraction(-1, 9), Fraction(-1, 9)]]


# Published figures of https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/
MAZUR_FORWARD = {"out_h1": 0.593269992, "out_h2": 0.596884378, "out_o1": 0.75136507, "out_o2": 0.772928465}
MAZUR_E_TOTAL = 0.298371109
MAZUR_UPDATED = {  # lr 0.5, biases not updated
    "fc2.weight": [[0.35891648, 0.408666186], [0.511301270, 0.561370121]],
    "fc1.weight": [[0.149780716, 0.19956143], [0.24975114, 0.29950229]],
}


def test_mazur_backpropagation_exact():
    model = make_model(load_network(str(ROOT / "examples" / "mazur.yaml")), "exact")
    be = model.backend
    y = model.forward(be.asarray([["0.05", "0.10"]]), record=True)
    hidden = model.activations["sigmoid1"].tolist()[0]
    got = {"out_h1": hidden[0], "out_h2": hidden[1], "out_o1": y[0, 0], "out_o2": y[0, 1]}
    for name, want in MAZUR_FORWARD.items():
        assert float(got[name]) == pytest.approx(want, abs=5e-9), name
    t = be.asarray([["0.01", "0.99"]])
    loss = get_loss("mse", "half_sum")
    assert float(loss.value(y, t, be)) == pytest.approx(MAZUR_E_TOTAL, abs=5e-10)
    model.backward(loss.grad(y, t, be))
    for qname, want in MAZUR_UPDATED.items():
        layer = model.network.layer(qname.split(".")[0])
        new = layer.params["weight"] - Fraction(1, 2) * layer.grads["weight"]
        assert all(isinstance(v, Fraction) for v in new.ravel())
        np.testing.assert_allclose(new.astype(float), want, atol=5e-9)


@pytest.mark.parametrize("seed", [0, 5, 8])
@pytest.mark.parametrize("training", [False, True])
def test_exact_backend_agrees_with_torch(seed, training):
    model = make_model(random_spec(seed), "exact", seed=seed)
    rng = np.random.default_rng(seed)
    run_pair(model, random_input(model.network.input_shape, 3, rng), training=training, rng=rng).check()
