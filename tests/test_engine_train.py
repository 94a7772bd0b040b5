"""The training loop: loss per epoch against a PyTorch loop over the same batches, seeded
shuffling, fused losses finite at extreme logits, and the course's AND/OR/XOR examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from calc.engine.api import TrainSettings, train_network
from calc.engine.data import Dataset
from calc.engine.losses import get_loss
from calc.engine.optim import make_optimizer
from calc.engine.train import train
from calc.errors import InputError
from tests.engine_util import assert_close, make_model
from tests.torch_ref import copy_params, to_torch

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SPEC = "input: [3]\nlayers:\n  - dense: {units: 4}\n  - tanh\n  - dense: {units: 1}\n  - sigmoid\n"


def _data(n: int = 6, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    t = (x.sum(axis=1, keepdims=True) > 0).astype(float)
    return Dataset(x, t, None, "targets", "memory")


@pytest.mark.parametrize("batch_size", [None, 2, 4])
def test_epoch_losses_match_a_torch_loop(batch_size):
    """Batches in file order (no shuffle): the weighted mean of the batch losses per epoch."""
    data = _data()
    model = make_model(SPEC, seed=4)
    twin = to_torch(model.network.root)
    copy_params(twin)
    result = train(model, data, get_loss("bce"), make_optimizer("momentum", lr=0.3), epochs=5,
                   batch_size=batch_size, shuffle=False)
    opt = torch.optim.SGD(twin.parameters(), lr=0.3, momentum=0.9)
    size = batch_size or len(data)
    for epoch in result.epochs:
        total = 0.0
        for start in range(0, len(data), size):
            x, t = torch.tensor(data.x[start:start + size]), torch.tensor(data.t[start:start + size])
            opt.zero_grad()
            loss = F.binary_cross_entropy(twin(x), t)
            loss.backward()
            opt.step()
            total += loss.item() * len(x)
        assert_close(epoch.loss, total / len(data), f"epoch {epoch.number}")
    with torch.no_grad():
        final = F.binary_cross_entropy(twin(torch.tensor(data.x)), torch.tensor(data.t)).item()
    assert_close(result.final.loss, final, "final evaluation")


def test_shuffling_is_seeded():
    def losses(seed):
        model = make_model(SPEC, seed=0)
        return [e.loss for e in train(model, _data(8), get_loss("mse"), make_optimizer("sgd", lr=0.5), 3,
                                      batch_size=3, seed=seed).epochs]

    assert losses(1) == losses(1)
    assert losses(1) != losses(2)


def test_sum_reduction_epoch_loss_is_the_sum_of_batch_losses():
    model = make_model(SPEC, seed=0)
    result = train(model, _data(4), get_loss("mse", "half_sum"), make_optimizer("sgd", lr=0.0), 1, batch_size=2)
    with torch.no_grad():
        twin = to_torch(model.network.root)
        copy_params(twin)
        want = 0.5 * ((twin(torch.tensor(_data(4).x)) - torch.tensor(_data(4).t)) ** 2).sum().item()
    assert_close(result.epochs[0].loss, want, "1/2 SSE over the epoch")


def test_fused_cross_entropy_finite_at_extreme_logits():
    """Weights large enough for logits of about +-1000: loss and update stay finite (and right)."""
    model = make_model("input: [2]\nlayers:\n  - dense: {units: 3, weights: [[500, 500], [-500, -500], [0, 0]], "
                       "bias: 0}\n  - softmax\n")
    data = Dataset(np.asarray([[1.0, 1.0]]), np.asarray([[0.0, 1.0, 0.0]]), [1], "targets", "memory")
    result = train(model, data, get_loss("cross_entropy"), make_optimizer("sgd", lr=0.1), 1)
    assert result.epochs[0].loss == pytest.approx(2000.0)
    assert np.isfinite(model.state()["fc1.weight"]).all()
    np.testing.assert_allclose(model.state()["fc1.weight"], [[499.9, 499.9], [-499.9, -499.9], [0, 0]])


@pytest.mark.parametrize("kwargs,fragment", [
    ({"epochs": 0}, "--epochs must be at least 1"),
    ({"epochs": 1, "batch_size": 0}, "--batch-size must be at least 1"),
])
def test_bad_training_settings(kwargs, fragment):
    with pytest.raises(InputError, match=fragment):
        train(make_model(SPEC), _data(), get_loss("mse"), make_optimizer("sgd"), **kwargs)


def test_bce_targets_must_be_probabilities():
    data = _data()
    data.t[0, 0] = 2.0
    with pytest.raises(InputError, match=r"targets must lie in \[0, 1\]"):
        train(make_model(SPEC), data, get_loss("bce"), make_optimizer("sgd"), 1)


# The examples the README shows: each trains to zero errors with its fixed seed.
COURSE = [("and", 1000, 1.0, 0), ("or", 1000, 1.0, 0), ("xor", 2000, 1.0, 1)]


@pytest.mark.parametrize("name,epochs,lr,seed", COURSE)
def test_course_logic_gates_train_to_zero_errors(name, epochs, lr, seed):
    result = train_network(str(EXAMPLES / f"{name}.yaml"), str(EXAMPLES / f"{name}.csv"),
                           TrainSettings(epochs=epochs, lr=lr, seed=seed))
    assert result.final.errors == 0 and result.final.accuracy == 1.0
    assert result.epochs[-1].loss < result.epochs[0].loss / 10
    predicted = (result.final.outputs > 0.5).astype(float)
    np.testing.assert_array_equal(predicted, result.data.t)


def test_softmax_classifier_on_class_labels(tmp_path):
    """Three separable classes given as a label column (0, 1, 2): one-hot targets, CE, Adam."""
    rng = np.random.default_rng(0)
    centres = np.asarray([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    labels = rng.integers(0, 3, size=60)
    x = centres[labels] + rng.normal(scale=0.4, size=(60, 2))
    path = tmp_path / "blobs.csv"
    path.write_text("a,b,class\n" + "".join(f"{a},{b},{k}\n" for (a, b), k in zip(x, labels)))
    spec = tmp_path / "net.yaml"
    spec.write_text("input: [2]\nlayers:\n  - dense: {units: 8, activation: relu}\n  - dense: {units: 3}\n  - softmax\n")
    result = train_network(str(spec), str(path), TrainSettings(epochs=60, optimizer="adam", lr=0.05, batch_size=16))
    assert result.final.accuracy == 1.0 and result.epochs[-1].accuracy >= 0.95
    assert any("class index 0..2, one-hot" in c for c in result.conventions)
    assert any("fused" in c for c in result.conventions)


def test_accuracy_rules():
    """Cross-entropies: arg-max; BCE: each output at 0.5 (0 on logits), all outputs of a sample right."""
    from calc.engine.train import Trainer

    model = make_model("input: [2]\nlayers:\n  - dense: {units: 2}\n")
    y = np.asarray([[-0.2, 0.9], [0.6, 0.4], [-0.1, 0.3]])
    t = np.asarray([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    for loss, want in (("softmax_ce", 2), ("bce", 1), ("bce_logits", 2), ("mse", None)):
        got = Trainer(model, get_loss(loss), make_optimizer("sgd")).classify(y, t)
        assert (got[0] if got else None) == want, loss
