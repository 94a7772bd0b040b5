"""Training: epochs of mini-batches, each step forward (training mode), loss gradient, backward,
and one optimizer update of every trainable parameter. Returns data (losses per epoch); the CLI
prints it.

A cross-entropy right after the network's final softmax (or BCE after a final sigmoid) is taken
from the logits (calc.engine.losses.fused): the same value and gradient, dL/dz = p - y, finite
for any logits. The epoch loss is the mean of the batch losses weighted by batch size (what Keras
prints during an epoch; the sum over batches for 'sum' reductions); accuracy counts the training
outputs of the epoch. After the last epoch the whole data set is evaluated once in eval mode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from calc.engine.losses import Loss, check_targets, fused, get_loss
from calc.engine.optim import Optimizer
from calc.errors import InputError

CLASSIFIERS = ("bce", "bce_logits", "cross_entropy", "softmax_ce")


@dataclass
class Epoch:
    number: int
    loss: float
    accuracy: float | None = None  # fraction correct, classification only


@dataclass
class Evaluation:
    loss: float
    accuracy: float | None
    errors: int | None  # misclassified samples
    outputs: object  # host array (N, *output_shape)


@dataclass
class TrainResult:
    epochs: list[Epoch]
    final: Evaluation
    conventions: list[str] = field(default_factory=list)
    saved: str | None = None
    network: str = ""
    data: object = None  # the calc.engine.data.Dataset trained on
    weights: object = None  # calc.engine.api.WeightsOrigin (worded after the arithmetic)
    diverged: int | None = None  # first epoch whose loss is inf or nan (worded by calc.render.wording.train_conventions)


def default_loss(model) -> Loss:
    """cross_entropy after a final softmax, bce after a final sigmoid, else mse (PyTorch's mean)."""
    return get_loss(getattr(final_layer(model), "paired_loss", "") or "mse")


def final_layer(model):
    """The network's last layer when it is a leaf, else None (a container ends in no one layer)."""
    last = model.network.root.layers[-1]
    return None if last.is_container else last


class Trainer:
    """One model, one loss, one optimizer, and the optimizer's state per parameter."""

    def __init__(self, model, loss: Loss, optimizer: Optimizer):
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.logits_loss = fused(loss, final_layer(model))
        self.states: dict[str, dict] = {}

    def loss_and_grad(self, y, t):
        """Loss value and, when fused, dL/d(logits) else dL/dy."""
        be = self.model.backend
        if self.logits_loss is None:
            return self.loss.value(y, t, be), self.loss.grad(y, t, be)
        z = self.model.network.root.layers[-1].z  # the final activation's input
        return self.logits_loss.value(z, t, be), self.logits_loss.grad(z, t, be)

    def step(self, x, t):
        """One training step on a batch; returns (loss value, outputs)."""
        model = self.model
        y = model.forward(x, training=True)
        value, grad = self.loss_and_grad(y, t)
        if self.logits_loss is None:
            model.backward(grad)
        else:
            model.backward(grad, skip_last=True)
        self.update()
        return value, y

    def update(self) -> None:
        be = self.model.backend
        for qname, layer, name in self.model.parameters():
            if layer.trainable:
                state = self.states.setdefault(qname, {})
                layer.params[name] = self.optimizer.update(layer.params[name], layer.grads[name], state, be)

    def classify(self, y, t):
        """(correct, counted) for classification losses, else None. Cross-entropies: the arg-max
        class; binary cross-entropies: every output thresholded (0 on logits, 0.5 on probabilities)
        and a sample right when all its outputs are."""
        import numpy as np

        if self.loss.name not in CLASSIFIERS or y.ndim != 2:
            return None
        be = self.model.backend
        y, t = np.asarray(be.to_numpy(y), dtype=float), np.asarray(be.to_numpy(t), dtype=float)
        if self.loss.name in ("cross_entropy", "softmax_ce"):
            return int((y.argmax(axis=1) == t.argmax(axis=1)).sum()), len(y)
        threshold = 0.0 if self.loss.name == "bce_logits" else 0.5
        return int(((y > threshold) == (t > 0.5)).all(axis=1).sum()), len(y)

    def evaluate(self, x, t) -> Evaluation:
        """Eval mode over the whole data set, in batches of budget.DEFAULT_BATCH when it is larger
        (eval mode treats samples independently, so only the memory differs)."""
        import numpy as np

        from calc.engine.budget import DEFAULT_BATCH

        be, n = self.model.backend, len(x)
        total, ys, correct, counted = 0, [], 0, 0
        for start in range(0, n, DEFAULT_BATCH if n > DEFAULT_BATCH else max(n, 1)):
            xb, tb = be.asarray(x[start:start + DEFAULT_BATCH]), be.asarray(t[start:start + DEFAULT_BATCH])
            y = self.model.forward(xb, training=False)
            value, _ = self.loss_and_grad(y, tb)
            total = value if n <= DEFAULT_BATCH else total + (
                value * len(xb) / n if self.loss.reduction == "mean" else value)
            hits = self.classify(y, tb)
            if hits:
                correct, counted = correct + hits[0], counted + hits[1]
            ys.append(be.to_numpy(y))
        accuracy = correct / counted if counted else None
        errors = counted - correct if counted else None
        return Evaluation(float(be.to_numpy(total)), accuracy, errors, ys[0] if len(ys) == 1 else np.concatenate(ys))


def train(*args, **kwargs) -> TrainResult:
    """:func:`_train` with NumPy's overflow warnings off: a diverging run is reported once, in
    the result's notes, not as a screen of RuntimeWarnings."""
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _train(*args, **kwargs)


def _train(model, data, loss: Loss, optimizer: Optimizer, epochs: int, batch_size: int | None = None,
          shuffle: bool = True, seed: int = 0, on_epoch=None) -> TrainResult:
    """Train ``model`` on ``data`` (a calc.engine.data.Dataset of host arrays) in place."""
    import numpy as np

    if epochs < 1:
        raise InputError(f"--epochs must be at least 1, got {epochs}")
    n = len(data)
    size = n if batch_size is None else batch_size
    if size < 1:
        raise InputError(f"--batch-size must be at least 1, got {batch_size}")
    size = min(size, n)
    be = model.backend
    check_targets(loss, be.asarray(data.t), be)
    trainer = Trainer(model, loss, optimizer)
    rng = np.random.default_rng([seed, 1])  # its own stream: shuffling does not change the initial weights
    history = []
    for number in range(1, epochs + 1):
        order = rng.permutation(n) if shuffle and size < n else np.arange(n)
        total, correct, counted = 0, 0, 0
        for start in range(0, n, size):
            idx = order[start:start + size]
            value, y = trainer.step(be.asarray(data.x[idx]), t := be.asarray(data.t[idx]))
            total = total + (value * len(idx) if loss.reduction == "mean" else value)
            hits = trainer.classify(y, t)
            if hits:
                correct, counted = correct + hits[0], counted + hits[1]
        mean = total / n if loss.reduction == "mean" else total
        epoch = Epoch(number, float(be.to_numpy(mean)), correct / counted if counted else None)
        history.append(epoch)
        if on_epoch is not None:
            on_epoch(epoch)
    final = trainer.evaluate(data.x, data.t)
    notes = conventions(trainer, size, n, shuffle, seed, data)
    diverged = next((e.number for e in history if not math.isfinite(e.loss)), None)  # nan without a word: wrong
    return TrainResult(history, final, notes, diverged=diverged)


def conventions(trainer: Trainer, size: int, n: int, shuffle: bool, seed: int, data) -> list[str]:
    loss, model = trainer.loss, trainer.model
    out = [f"loss: {loss.describe()}"]
    if trainer.logits_loss is not None:
        kind = final_layer(model).kind
        out.append(f"{loss.name} after the final {kind} is computed from its input z (fused, "
                   f"{trainer.logits_loss.name}): dL/dz = {trainer.logits_loss.gradient_formula}, finite for any z")
    out.append(f"optimizer: {trainer.optimizer.describe()}")
    batches = "full batch" if size == n else f"batches of {size}" + (f", shuffled each epoch (seed {seed})"
                                                                    if shuffle else ", in file order")
    total = "sum" if loss.reduction != "mean" else "mean weighted by batch size"
    out.append(f"{n} samples, {batches}; epoch loss = each batch's loss before its update, {total}")
    out.append(data.target)
    if any(layer.mode_dependent for layer in model.layers):
        out.append("training mode: dropout active (rate = P(drop), survivors x 1/(1-rate)), batch norm on batch "
                   "statistics; the final evaluation runs in eval mode")
    frozen = [layer.name for layer in model.layers if layer.params and not layer.trainable]
    if frozen:
        out.append(f"not updated (trainable: false): {', '.join(frozen)}")
    return out
