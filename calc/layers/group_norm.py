"""Group and instance normalisation (torch.nn.GroupNorm, torch.nn.InstanceNorm2d), channels last.

Both normalise each sample on its own, so they compute the same in training and eval (unless an
instance norm tracks running statistics). GroupNorm splits the C channels into G groups of C/G
consecutive channels and takes the mean and the biased variance of each group over its H x W x
C/G values; InstanceNorm is the case G = C (each channel over its H x W values). Then
y = gamma_c (x - mean) / sqrt(var + eps) + beta_c with one gamma and beta per channel.
Defaults as PyTorch: eps 1e-5; GroupNorm affine true; InstanceNorm affine false and
track_running_stats false (with it: running statistics as batch norm's, momentum 0.1, the
running variance from the unbiased (n - 1) variance, averaged over the batch).
"""

from __future__ import annotations

from math import prod

from calc.layers.base import Layer, Shape, register
from calc.layers.norm import _inverse
from calc.shapes import fmt_shape, is_map
from calc.spec.options import Options


class _SampleNorm(Layer):
    """Per-sample normalisation over groups of channels; subclasses fix the groups."""

    receptive = "identity"
    default_text = "gamma 1, beta 0"
    affine_default = True

    def read_common(self, opts: Options) -> None:
        self.eps = opts.number("eps", 1e-5, minimum=0.0)
        self.affine = opts.flag("affine", self.affine_default)

    def group_count(self, channels: int) -> int:
        raise NotImplementedError

    def compute_shape(self, in_shape: Shape) -> Shape:
        if not (is_map(in_shape) or self.vectors_ok and len(in_shape) == 1):
            what = "a feature map (height x width x channels)" + (" or a vector" if self.vectors_ok else "")
            self.fail(f"needs {what}, got {fmt_shape(in_shape)}")
        self.channels = in_shape[-1]
        self.groups_used = self.group_count(self.channels)
        per_group = prod(in_shape) // self.groups_used
        if per_group < 2:  # torch refuses it too ("Expected more than 1 value per channel")
            self.fail(f"each {self.group_noun} has 1 value, whose normalised value is always 0 "
                      f"(needs more than one value per {self.group_noun})")
        return in_shape

    vectors_ok = False
    group_noun = "group"

    def param_shapes(self) -> dict[str, Shape]:
        return {"weight": (self.channels,), "bias": (self.channels,)} if self.affine else {}

    def costs(self) -> dict[str, int]:
        # statistics per sample at inference too: the per-sample norms' rule (layer norm's, as fvcore)
        return {"norm": prod(self.out_shape) * (5 if self.affine else 4)}

    def count_note(self) -> str:
        return ("groupnorm/instancenorm: 0 MACs; --include norm counts 5 operations per element (4 "
                "without affine), as for layer norm")

    def default_param(self, name, shape):
        """gamma = 1, beta = 0 (PyTorch), whatever the weight initialiser."""
        return [1.0 if name == "weight" else 0.0] * shape[0]

    # -- running --------------------------------------------------------------------------
    def _grouped(self, x):
        """x (N, ..., C) as (N, S, G, C/G), S the positions; statistics over axes (1, 3)."""
        g = self.groups_used
        return x.reshape(x.shape[0], -1, g, x.shape[-1] // g)

    def statistics(self, xg, ctx):
        """Mean and biased variance of each sample's groups, shaped (N, 1, G, 1)."""
        m = ctx.scalar(xg.shape[1] * xg.shape[3])
        mean = xg.sum(axis=(1, 3), keepdims=True) / m
        centred = xg - mean
        return mean, (centred * centred).sum(axis=(1, 3), keepdims=True) / m

    def forward(self, x, ctx):
        """x_hat = (x - mean) / sqrt(var + eps) per sample and group; y = gamma x_hat + beta."""
        xp, s = ctx.xp, ctx.scalar
        xg = self._grouped(x)
        mean, var = self.normalising_stats(xg, ctx)
        self.batch_stats = self.uses_input_stats(ctx)
        self.inv_std = _inverse(xp.sqrt(var + s(self.eps)), xp, s)
        self.xhat = ((xg - mean) * self.inv_std).reshape(x.shape)
        if not self.affine:
            return self.xhat
        return self.params["weight"] * self.xhat + self.params["bias"]

    def normalising_stats(self, xg, ctx):
        return self.statistics(xg, ctx)

    def uses_input_stats(self, ctx) -> bool:
        return True

    def backward(self, dy, ctx):
        """dL/dx_hat = dy gamma; with input statistics over m values per group,
        dx = (dL/dx_hat - mean(dL/dx_hat) - x_hat mean(dL/dx_hat x_hat)) / sqrt(var + eps)
        (the means over the group); with running statistics dx = dL/dx_hat / sqrt(var + eps)."""
        axes = tuple(range(dy.ndim - 1))
        if self.affine:
            self.grads["weight"] = (dy * self.xhat).sum(axis=axes)
            self.grads["bias"] = dy.sum(axis=axes)
            dxhat = dy * self.params["weight"]
        else:
            dxhat = dy
        dg, xhat = self._grouped(dxhat), self._grouped(self.xhat)
        if not self.batch_stats:
            return (dg * self.inv_std).reshape(dy.shape)
        m = ctx.scalar(dg.shape[1] * dg.shape[3])
        mean_d = dg.sum(axis=(1, 3), keepdims=True) / m
        mean_dx = (dg * xhat).sum(axis=(1, 3), keepdims=True) / m
        return ((dg - mean_d - xhat * mean_dx) * self.inv_std).reshape(dy.shape)


@register
class GroupNorm(_SampleNorm):
    """GroupNorm: groups of C/G consecutive channels, statistics per sample over H x W x C/G."""

    kind = "groupnorm"
    prefix = "gn"
    aliases = ("group_norm", "groupnormalization", "group_normalization")
    summary = "group normalisation per sample (torch.nn.GroupNorm): groups, eps (1e-5), affine (true)"
    vectors_ok = True

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.groups = opts.int("groups")
        layer.read_common(opts)
        layer.trainable = opts.flag("trainable", True)
        opts.finish()
        return layer

    def group_count(self, channels: int) -> int:
        if channels % self.groups:
            self.fail(f"channels ({channels}) must be divisible by groups ({self.groups})")
        return self.groups

    def describe(self) -> str:
        return f"{self.groups} groups" + (f" eps {self.eps:g}" if self.eps != 1e-5 else "") \
            + ("" if self.affine else " no affine")


@register
class InstanceNorm(_SampleNorm):
    """InstanceNorm2d: each channel of each sample over its H x W values."""

    kind = "instancenorm"
    prefix = "in"
    aliases = ("instance_norm", "instancenorm2d", "instance_normalization")
    summary = ("instance normalisation per sample and channel (torch.nn.InstanceNorm2d): eps (1e-5), "
               "affine (false), track_running_stats (false), momentum (0.1)")
    affine_default = False
    group_noun = "channel"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.read_common(opts)
        layer.track = opts.flag("track_running_stats", False)
        layer.momentum = opts.number("momentum", 0.1, minimum=0.0, maximum=1.0)
        layer.trainable = opts.flag("trainable", True)
        opts.finish()
        layer.mode_dependent = layer.track  # eval mode then normalises with the running statistics
        return layer

    def group_count(self, channels: int) -> int:
        return channels

    def buffer_shapes(self) -> dict[str, Shape]:
        c = self.channels
        return {"running_mean": (c,), "running_var": (c,)} if self.track else {}

    def default_buffer(self, name, shape):
        """running_mean = 0, running_var = 1."""
        return [1.0 if name == "running_var" else 0.0] * shape[0]

    def uses_input_stats(self, ctx) -> bool:
        return ctx.training or not self.track

    def normalising_stats(self, xg, ctx):
        """Instance statistics; in training with tracking, the running ones move towards their
        batch average (torch: momentum times the mean over samples of each instance's mean and
        unbiased variance). Eval with tracking: the running statistics."""
        if not self.uses_input_stats(ctx):
            c = self.channels
            return (self.buffers["running_mean"].reshape(1, 1, c, 1), self.buffers["running_var"].reshape(1, 1, c, 1))
        mean, var = self.statistics(xg, ctx)
        if self.track and ctx.training:
            s, n, m = ctx.scalar, xg.shape[1], ctx.scalar(self.momentum)
            unbiased = var * s(n) / s(n - 1)
            batch = s(xg.shape[0])
            self.buffers["running_mean"] = (1 - m) * self.buffers["running_mean"] + m * mean.sum(axis=0).ravel() / batch
            self.buffers["running_var"] = (1 - m) * self.buffers["running_var"] + m * unbiased.sum(axis=0).ravel() / batch
        return mean, var

    def describe(self) -> str:
        parts = [f"eps {self.eps:g}"] if self.eps != 1e-5 else []
        parts += ["affine"] if self.affine else []
        parts += ["running stats"] if self.track else []
        return " ".join(parts)
