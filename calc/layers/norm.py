"""Batch normalisation: y = gamma (x - mean) / sqrt(var + eps) + beta, per channel or feature."""

from __future__ import annotations

from calc.layers.base import Layer, Shape, register
from calc.spec.options import Options


@register
class BatchNorm(Layer):
    """gamma, beta learnable (2C); running mean/var are buffers (2C), Keras counts them as
    non-trainable parameters. eps 1e-5 and momentum 0.1 as PyTorch (Keras: 1e-3, 0.99)."""

    kind = "batchnorm"
    prefix = "bn"
    aliases = ("batch_norm", "bn", "batchnorm2d", "batchnorm1d", "batch_normalization")
    summary = "batch normalisation: eps (1e-5), momentum (0.1), affine (true)"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.eps = opts.number("eps", 1e-5, minimum=0.0)
        layer.momentum = opts.number("momentum", 0.1, minimum=0.0, maximum=1.0)
        layer.affine = opts.flag("affine", True)
        layer.trainable = opts.flag("trainable", True)
        opts.finish()
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
        n = 1
        for d in self.out_shape:
            n *= d
        return {"bn": n}  # eval mode: one fused multiply-add per element

    def describe(self) -> str:
        return f"eps {self.eps:g}" if self.eps != 1e-5 else ""
