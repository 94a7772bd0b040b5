"""Batch normalisation: y = gamma (x - mean) / sqrt(var + eps) + beta, per channel or feature.

Statistics are taken per channel over (N, H, W) for maps and per feature over N for vectors.
Training mode normalises with the batch mean and the biased variance (divided by n, PyTorch)
and updates the running statistics as PyTorch does: running = (1 - momentum) running +
momentum * batch, with the unbiased (n - 1) variance. Eval mode normalises with the running
statistics. Hand solutions that divide by n - 1 or drop eps are reproduced with
``variance: unbiased`` and ``eps: 0``.
"""

from __future__ import annotations

from math import prod

from calc.errors import InputError
from calc.layers.base import Layer, Shape, register
from calc.spec.options import Options

# option name in the spec -> (tensor name, default value); gamma/beta are params, the rest buffers
VALUE_OPTIONS = {"gamma": ("weight", 1), "beta": ("bias", 0), "running_mean": ("running_mean", 0),
                 "running_var": ("running_var", 1)}


@register
class BatchNorm(Layer):
    """gamma, beta learnable (2C); running mean/var are buffers (2C), Keras counts them as
    non-trainable parameters. eps 1e-5 and momentum 0.1 as PyTorch (Keras: 1e-3, 0.99 =
    PyTorch momentum 0.01)."""

    kind = "batchnorm"
    receptive = "identity"
    mode_dependent = True
    batch_statistics = True
    default_text = "batch norm: gamma 1, beta 0"
    prefix = "bn"
    aliases = ("batch_norm", "bn", "batchnorm2d", "batchnorm1d", "batch_normalization")
    summary = "batch normalisation: eps (1e-5), momentum (0.1), affine (true)"  # more options: docs/networks.md

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.eps = opts.number("eps", 1e-5, minimum=0.0)
        layer.momentum = opts.number("momentum", 0.1, minimum=0.0, maximum=1.0)
        layer.affine = opts.flag("affine", True)
        layer.variance = opts.choice("variance", ("biased", "unbiased"), "biased")
        layer.trainable = opts.flag("trainable", True)
        layer.values = {key: (opts.raw(key), opts.at(key)) for key in VALUE_OPTIONS if opts.has(key)}
        opts.finish()
        if not layer.affine:
            for key in ("gamma", "beta"):
                if key in layer.values:
                    opts.fail(key, f"{key} is given but affine is false (no gamma/beta)")
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        self.channels = in_shape[-1]  # channels of a map, features of a vector
        return in_shape

    def param_shapes(self) -> dict[str, Shape]:
        c = self.channels
        return {"weight": (c,), "bias": (c,)} if self.affine else {}  # gamma, beta

    def buffer_shapes(self) -> dict[str, Shape]:
        c = self.channels
        return {"running_mean": (c,), "running_var": (c,)}

    def costs(self) -> dict[str, int]:
        return {"bn": prod(self.out_shape)}  # eval mode: one fused multiply-add per element

    def describe(self) -> str:
        parts = [f"eps {self.eps:g}"] if self.eps != 1e-5 else []
        if self.variance != "biased":
            parts.append("unbiased var")
        return " ".join(parts)

    # -- values ---------------------------------------------------------------------------
    def default_param(self, name, shape):
        """gamma = 1, beta = 0 (PyTorch and Keras), whatever the weight initialiser."""
        return [1.0 if name == "weight" else 0.0] * shape[0]

    def default_buffer(self, name, shape):
        """running_mean = 0, running_var = 1."""
        return [1.0 if name == "running_var" else 0.0] * shape[0]

    def explicit_values(self, ctx) -> dict:
        """gamma / beta / running_mean / running_var from the spec: one number or one per channel."""
        from calc.spec.values import to_array

        out = {}
        for key, (raw, where) in self.values.items():
            name = VALUE_OPTIONS[key][0]
            if not isinstance(raw, list):
                raw = [raw] * self.channels
            out[name] = to_array(raw, where, ctx.backend, (self.channels,), key,
                                 f"one number, or one per channel: {self.channels}")
            if key == "running_var" and bool((out[name] < 0).any()):
                raise InputError(f"{key}: a variance cannot be negative", where)
        return out

    # -- running --------------------------------------------------------------------------
    def _axes(self, x):
        return tuple(range(x.ndim - 1))  # every axis but the channel (last) one

    def forward(self, x, ctx):
        """Named stages (kept in ``stages``, shown to ctx.stage): mean, x_minus_mean, squares,
        var_biased, var_unbiased, var, std, x_hat; y = gamma x_hat + beta."""
        xp, s = ctx.xp, ctx.scalar
        axes = self._axes(x)
        n = prod(x.shape[:-1])  # values per channel
        self.n, self.stages = n, {}

        def stage(name, value):
            return self._stage(ctx, name, value)

        if ctx.training:
            if n < 2:
                raise InputError(f"batchnorm '{self.name}': training needs more than one value per channel "
                                 f"(got a batch of {x.shape[0]} with {n} value(s) per channel)")
            mean = stage("mean", x.mean(axis=axes))
            centred = stage("x_minus_mean", x - mean)
            squares = stage("squares", centred * centred)
            biased = stage("var_biased", squares.mean(axis=axes))
            unbiased = stage("var_unbiased", squares.sum(axis=axes) / s(n - 1))
            var = stage("var", unbiased if self.variance == "unbiased" else biased)
            m = s(self.momentum)
            self.buffers["running_mean"] = (1 - m) * self.buffers["running_mean"] + m * mean
            self.buffers["running_var"] = (1 - m) * self.buffers["running_var"] + m * unbiased
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
            centred = x - mean
        self.batch_stats = ctx.training
        self.mean, self.var, self.centred = mean, var, centred
        self.inv_std = _inverse(stage("std", xp.sqrt(var + s(self.eps))), xp, s)
        self.degenerate = bool((var + s(self.eps) == 0).any())  # 0/0 in x-hat: see _inverse
        if self.degenerate and bool(((var + s(self.eps) == 0) & (centred != 0)).any()):
            raise InputError(f"batchnorm '{self.name}': running_var + eps = 0 while x differs from running_mean: "
                             "x-hat = (x - mean)/0 is infinite (give eps > 0)")
        self.xhat = stage("x_hat", centred * self.inv_std)
        if not self.affine:
            return self.xhat
        return self.params["weight"] * self.xhat + self.params["bias"]

    def _stage(self, ctx, name: str, value):
        """Keep a named intermediate value for worked solutions; pass on what ctx's observer
        returns (nncalc check may put a learner's value there, so later stages follow from it)."""
        self.stages[name] = value
        return ctx.stage(self, name, value)

    def backward(self, dy, ctx):
        """(With var + eps = 0 the true gradient is infinite or undefined: solvers check
        ``degenerate`` and say so; the values here then use 1/sqrt(var + eps) = 0.)

        Eval: dx = dy gamma / sqrt(var + eps). Train, staged as Ioffe & Szegedy (mean and var
        depend on the batch): dL/dx_hat = dy gamma; dL/dvar = sum dL/dx_hat (x - mean) (-1/2)
        (var + eps)^(-3/2); dL/dmean = -sum dL/dx_hat / sqrt(var + eps) (its dL/dvar term has
        sum (x - mean) = 0); dx = dL/dx_hat / sqrt(var + eps) + dL/dvar 2 (x - mean)/d + dL/dmean / n,
        d = n (biased variance) or n - 1 (unbiased)."""
        axes = self._axes(dy)
        s = ctx.scalar
        if self.affine:
            self.grads["weight"] = (dy * self.xhat).sum(axis=axes)
            self.grads["bias"] = dy.sum(axis=axes)
            dxhat = self._stage(ctx, "dL/dx_hat", dy * self.params["weight"])
        else:
            dxhat = self._stage(ctx, "dL/dx_hat", dy)
        if not self.batch_stats:
            return dxhat * self.inv_std
        n = s(self.n)
        d = n if self.variance == "biased" else s(self.n - 1)
        inv = self.inv_std
        dvar = self._stage(ctx, "dL/dvar", (dxhat * self.centred).sum(axis=axes) * s(-0.5) * inv * inv * inv)
        dmean = self._stage(ctx, "dL/dmean", -dxhat.sum(axis=axes) * inv)
        return dxhat * inv + dvar * 2 * self.centred / d + dmean / n


def _inverse(std, xp, s):
    """1 / std, with 0 where std = 0. That happens only when var + eps = 0 (eps = 0 and a channel
    whose values are all equal, as hand exercises have): x - mean is then 0 too, x-hat = 0/0, and
    the convention is its limit as eps -> 0+, x-hat = 0 (so y = beta). PyTorch computes nan."""
    zero = std == 0
    if not bool(zero.any()):
        return 1 / std
    return xp.where(zero, s(0), 1 / xp.where(zero, s(1), std))
