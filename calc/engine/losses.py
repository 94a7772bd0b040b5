"""Losses: value and gradient dL/dy, written once with the backend's xp (works exactly too).

Conventions (conventions.md, "Losses"), each named in output:
- mse, reduction 'half_sum' (textbook E = sum 1/2 (t - o)^2, dE/do = o - t), 'mean' (PyTorch:
  mean over all elements, dL/do = 2(o - t)/n) or 'sum';
- bce on probabilities (PyTorch BCELoss) and bce_logits (BCEWithLogitsLoss; dL/dz = sigma(z) - y);
- cross_entropy on probabilities (textbook -sum y log p) and softmax_ce on logits (PyTorch
  CrossEntropyLoss; dL/dz = p - y, divided by N for the batch mean). Logits of +-1000 stay finite.
Batch reduction: 'mean' as PyTorch (BCE and MSE over every element; the cross-entropies over
every distribution: N samples, N*H*W for maps) unless reduction says 'sum'.
"""

from __future__ import annotations

from dataclasses import dataclass

from calc.errors import InputError

REDUCTIONS = ("mean", "sum", "half_sum")


@dataclass(frozen=True)
class Loss:
    name: str
    reduction: str = "mean"
    formula: str = ""
    gradient_formula: str = ""

    def describe(self) -> str:
        """'bce = -[...], mean over every output (PyTorch); dL/dy = ...' for 'Conventions'."""
        over = "every distribution" if self.name in ("cross_entropy", "softmax_ce") else "every output"
        how = {"mean": f"mean over {over} (PyTorch)", "sum": "summed over the batch",
               "half_sum": "1/2 of the sum of squares (textbook)"}[self.reduction]
        return f"{self.name} = {self.formula}, {how}; gradient {self.gradient_formula}"

    def _check(self, y, t):
        if tuple(y.shape) != tuple(t.shape):
            raise InputError(f"{self.name}: targets have shape {tuple(t.shape)}, outputs {tuple(y.shape)}")

    def value(self, y, t, be):
        raise NotImplementedError

    def grad(self, y, t, be):
        raise NotImplementedError

    def per_sample(self, y, t, be):
        """Loss of each sample (summed over its outputs), before the batch reduction."""
        raise NotImplementedError


def _count(y) -> int:
    n = 1
    for d in y.shape:
        n *= d
    return n


class MSE(Loss):
    def per_sample(self, y, t, be):
        d = y - t
        sq = (d * d).reshape(y.shape[0], -1).sum(axis=1)
        return sq / 2 if self.reduction == "half_sum" else sq

    def value(self, y, t, be):
        self._check(y, t)
        d = y - t
        total = (d * d).sum()
        if self.reduction == "mean":
            return total / _count(y)
        return total / 2 if self.reduction == "half_sum" else total

    def grad(self, y, t, be):
        d = y - t
        if self.reduction == "mean":
            return 2 * d / _count(y)
        return d if self.reduction == "half_sum" else 2 * d


def _rows(y) -> int:
    """Number of distributions a softmax-type loss averages over: every position but the class
    axis (N for vectors, N*H*W for maps, as PyTorch's CrossEntropyLoss)."""
    return _count(y) // y.shape[-1]


def _batch(values, n: int, reduction: str):
    total = values.sum()
    return total / n if reduction == "mean" else total


def _log_sigmoid(z, be):
    """log sigma(z) = -softplus(-z), stable for |z| large."""
    xp = be.xp
    return xp.minimum(z, 0 * z) - xp.log(1 + xp.exp(-abs(z)))


class BCE(Loss):
    """-[t log p + (1 - t) log(1 - p)] on probabilities p (clamped like PyTorch: log >= -100)."""

    def _logs(self, p, be, t):
        xp = be.xp
        if be.exact:  # 0 log 0 = 0: take no log where its factor (t or 1 - t) is 0
            one = 1 + 0 * p
            return xp.log(xp.where(t == 0, one, p)), xp.log(xp.where(t == 1, one, 1 - p))
        floor = -100.0
        with _quiet(xp):
            return xp.maximum(xp.log(p), floor), xp.maximum(xp.log(1 - p), floor)

    def per_sample(self, p, t, be):
        lp, lq = self._logs(p, be, t)
        return -(t * lp + (1 - t) * lq).reshape(p.shape[0], -1).sum(axis=1)

    def value(self, p, t, be):
        self._check(p, t)
        lp, lq = self._logs(p, be, t)
        return _batch(-(t * lp + (1 - t) * lq), _count(p), self.reduction)

    def grad(self, p, t, be):
        """(p - t) / (p (1 - p)); the denominator kept >= 1e-12 as PyTorch does (finite at p = 0, 1;
        PyTorch's constant is 1e-12 rounded to float32, used here too so that gradients agree).
        Exact: -t/p + (1-t)/(1-p), a term whose factor is 0 being 0 (p = 0 or 1 allowed)."""
        if be.exact:
            xp, one = be.xp, 1 + 0 * p
            g = (1 - t) / xp.where(t == 1, one, 1 - p) - t / xp.where(t == 0, one, p)
        else:
            g = (p - t) / be.xp.maximum(p * (1 - p), 9.999999960041972e-13)
        return g / _count(p) if self.reduction == "mean" else g


class BCELogits(Loss):
    """BCE on logits z with p = sigma(z): stable, dL/dz = sigma(z) - t."""

    def per_sample(self, z, t, be):
        v = -(t * _log_sigmoid(z, be) + (1 - t) * _log_sigmoid(-z, be))
        return v.reshape(z.shape[0], -1).sum(axis=1)

    def value(self, z, t, be):
        self._check(z, t)
        v = -(t * _log_sigmoid(z, be) + (1 - t) * _log_sigmoid(-z, be))
        return _batch(v, _count(z), self.reduction)

    def grad(self, z, t, be):
        from calc.layers.activation.saturating import Sigmoid

        g = Sigmoid().function(z, be) - t
        return g / _count(z) if self.reduction == "mean" else g


class CrossEntropy(Loss):
    """-sum_i y_i log p_i on probabilities (after a softmax layer); mean over samples."""

    def per_sample(self, p, t, be):
        xp = be.xp
        with _quiet(xp):
            logs = xp.log(xp.where(t == 0, 1 + 0 * p, p)) if be.exact else xp.maximum(xp.log(p), -100.0)
        return -(t * logs).reshape(p.shape[0], -1).sum(axis=1)

    def value(self, p, t, be):
        self._check(p, t)
        return _batch(self.per_sample(p, t, be), _rows(p), self.reduction)

    def grad(self, p, t, be):
        """-t / p; 0 where t = 0 (also at p = 0), p kept >= e^-100 like the log (finite)."""
        xp = be.xp
        # exact: no division by p where t = 0 (a Fraction 0/0 raises, it is not a NaN to mask)
        safe = xp.where(t == 0, 1 + 0 * p, p) if be.exact else xp.maximum(p, 3.720075976020836e-44)  # e^-100
        with _quiet(xp):
            g = xp.where(t == 0, 0 * p, -t / safe)
        return g / _rows(p) if self.reduction == "mean" else g


class SoftmaxCE(Loss):
    """Fused softmax + cross-entropy on logits (PyTorch CrossEntropyLoss): dL/dz = p - y."""

    def per_sample(self, z, t, be):
        xp = be.xp
        shifted = z - xp.max(z, axis=-1, keepdims=True)
        log_sum = xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
        return -(t * (shifted - log_sum)).reshape(z.shape[0], -1).sum(axis=1)

    def value(self, z, t, be):
        self._check(z, t)
        return _batch(self.per_sample(z, t, be), _rows(z), self.reduction)

    def grad(self, z, t, be):
        from calc.layers.activation.softmax import Softmax

        g = Softmax().function(z, be) - t
        return g / _rows(z) if self.reduction == "mean" else g


class _quiet:
    """Silence numpy's divide-by-zero warnings where the result is clamped anyway."""

    def __init__(self, xp):
        self.errstate = getattr(xp, "errstate", None)

    def __enter__(self):
        self.ctx = self.errstate(divide="ignore", invalid="ignore") if self.errstate else None
        if self.ctx:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx:
            self.ctx.__exit__(*exc)


LOSSES = {
    "mse": (MSE, "half_sum|mean|sum", "E = sum 1/2 (t - o)^2 (half_sum) or mean (o - t)^2",
            "dE/do = o - t (half_sum); 2(o - t)/n (mean)"),
    "bce": (BCE, "mean|sum", "-[t log p + (1-t) log(1-p)]", "(p - t) / (p(1 - p))"),
    "bce_logits": (BCELogits, "mean|sum", "-[t log sigma(z) + (1-t) log(1 - sigma(z))]", "sigma(z) - t"),
    "cross_entropy": (CrossEntropy, "mean|sum", "-sum_i y_i log p_i", "-y / p"),
    "softmax_ce": (SoftmaxCE, "mean|sum", "-sum_i y_i log softmax(z)_i", "p - y"),
}


def get_loss(name: str, reduction: str | None = None) -> Loss:
    """A loss by name or alias (calc.vocabulary.LOSSES); MSE defaults to PyTorch's mean, the others
    to the batch mean. The reduction too is a name or alias ('half' = half_sum)."""
    from calc import vocabulary

    key = vocabulary.LOSSES.resolve(name)
    cls, allowed, formula, grad = LOSSES[key]
    reduction = vocabulary.REDUCTIONS.resolve(reduction) if reduction else "mean"
    if reduction not in allowed.split("|"):
        raise InputError(f"loss {key}: reduction must be one of {allowed.replace('|', ', ')}, got '{reduction}'")
    return cls(key, reduction, formula, grad)


# A loss on probabilities right after the layer that made them is computed from that layer's
# input (the logits) instead: the same value and gradient, but finite for any logits, and the
# gradient is the textbook dL/dz = p - y (softmax + cross-entropy) or sigma(z) - y (sigmoid + BCE).
# The layer says which pair it makes (Activation.paired_loss, logits_loss).
def fused(loss: Loss, last) -> Loss | None:
    """The loss on logits that replaces ``loss`` after a final layer ``last``, or None."""
    key = getattr(last, "logits_loss", "") if loss.name == getattr(last, "paired_loss", None) else ""
    return get_loss(key, loss.reduction) if key else None


def check_targets(loss: Loss, t, be) -> None:
    """Targets the loss can take: probabilities in [0, 1] for the cross-entropies."""
    if loss.name == "mse":
        return
    lo, hi = be.to_numpy(t.min()), be.to_numpy(t.max())
    if lo < 0 or hi > 1:
        raise InputError(f"loss {loss.name}: targets must lie in [0, 1] (class probabilities or 0/1 labels), "
                         f"got values from {float(lo):g} to {float(hi):g}")
