"""Layer normalisation and RMS normalisation: statistics of each position's own feature vector.

Unlike batch norm, nothing is taken over the batch: every sample (and every position of a
sequence, every pixel of a map) is normalised over its last axis alone, the same in training
and eval mode, with no running statistics.

- ``layernorm`` (Ba, Kiros & Hinton 2016; torch.nn.LayerNorm): y = gamma (x - mean) / sqrt(var +
  eps) + beta, var biased (divided by F); eps 1e-5, elementwise_affine and bias as torch.
- ``rmsnorm`` (Zhang & Sennrich 2019; Llama; torch.nn.RMSNorm): y = gamma x / sqrt(mean(x^2) +
  eps), no centring and no bias. eps defaults to 1e-6 (Llama 2's rms_norm_eps and Hugging Face's
  LlamaRMSNorm), not torch's eps=None (the dtype's machine epsilon): a stated number gives the same
  answer in float32, float64 and exact arithmetic.
"""

from __future__ import annotations

from math import prod

from calc.layers.base import Layer, Shape, register
from calc.spec.options import Options


def _values(opts: Options, keys: tuple[str, ...]) -> dict:
    return {key: (opts.raw(key), opts.at(key)) for key in keys if opts.has(key)}


class _LastAxisNorm(Layer):
    """What both norms share: options, per-feature weight (and bias), explicit values."""

    receptive = "identity"  # each pixel/position is normalised over its own features
    value_keys: tuple[str, ...] = ("gamma",)
    default_eps = 1e-5

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.eps = opts.number("eps", cls.default_eps, minimum=0.0)
        layer.affine = opts.flag("elementwise_affine", True)
        layer.use_bias = layer.affine and cls._reads_bias(opts)
        layer.trainable = opts.flag("trainable", True)
        layer.values = _values(opts, cls.value_keys)
        opts.finish()
        for key in layer.values:
            if not layer.affine:
                opts.fail(key, f"{key} is given but elementwise_affine is false (no learnable scale)")
            if key == "beta" and not layer.use_bias:
                opts.fail(key, "beta is given but bias is false")
        return layer

    @classmethod
    def _reads_bias(cls, opts: Options) -> bool:
        return False

    def compute_shape(self, in_shape: Shape) -> Shape:
        self.features = in_shape[-1]  # the normalised axis: features of a vector or a position, channels of a map
        return in_shape

    def param_shapes(self) -> dict[str, Shape]:
        f = self.features
        shapes = {"weight": (f,)} if self.affine else {}
        if self.use_bias:
            shapes["bias"] = (f,)
        return shapes

    def fans(self) -> tuple[int, int]:
        return (0, 0)  # gamma and beta start at 1 and 0 whatever the initialiser

    def param_symbols(self, pname: str) -> list[str]:
        return ["F"]

    def describe(self) -> str:
        parts = [f"eps {self.eps:g}"] if self.eps != self.default_eps else []
        if not self.affine:
            parts.append("no affine")
        return " ".join(parts)

    def default_param(self, name, shape):
        """gamma = 1, beta = 0 (torch.nn.LayerNorm, torch.nn.RMSNorm)."""
        return [1.0 if name == "weight" else 0.0] * shape[0]

    def explicit_values(self, ctx) -> dict:
        """gamma / beta from the spec: one number, or one per feature."""
        from calc.spec.values import to_array

        out = {}
        for key, (raw, where) in self.values.items():
            if not isinstance(raw, list):
                raw = [raw] * self.features
            out["weight" if key == "gamma" else "bias"] = to_array(
                raw, where, ctx.backend, (self.features,), key, f"one number, or one per feature: {self.features}")
        return out

    def _scale_shift(self, xhat):
        if not self.affine:
            return xhat
        y = xhat * self.params["weight"]
        return y + self.params["bias"] if self.use_bias else y

    def _affine_grads(self, dy):
        """dL/dgamma, dL/dbeta (summed over every axis but the features); returns dL/dx-hat."""
        if not self.affine:
            return dy
        axes = tuple(range(dy.ndim - 1))
        self.grads["weight"] = (dy * self.xhat).sum(axis=axes)
        if self.use_bias:
            self.grads["bias"] = dy.sum(axis=axes)
        return dy * self.params["weight"]


def _inverse_sqrt(value, xp, s):
    """1 / sqrt(value), with 0 where value = 0 (eps = 0 and a row of equal values for layer norm,
    or of zeros for RMS norm): x-hat is then 0/0 and its limit as eps -> 0+ is 0, as batch norm's
    convention (calc.layers.norm). PyTorch computes nan there."""
    root = xp.sqrt(value)
    zero = root == 0
    if not bool(zero.any()):
        return 1 / root
    return xp.where(zero, s(0), 1 / xp.where(zero, s(1), root))


@register
class LayerNorm(_LastAxisNorm):
    kind = "layernorm"
    prefix = "ln"
    aliases = ("layer_norm", "ln", "layer_normalization")
    summary = "layer norm over the last axis: eps (1e-5), elementwise_affine (true), bias (true)"
    default_text = "layer norm: gamma 1, beta 0"
    value_keys = ("gamma", "beta")

    @classmethod
    def _reads_bias(cls, opts: Options) -> bool:
        return opts.flag("bias", True)

    def costs(self) -> dict[str, int]:
        # fvcore's norm count: mean, centring, variance, normalising (4 per element), +1 for the affine
        return {"norm": prod(self.out_shape) * (5 if self.affine else 4)}

    def forward(self, x, ctx):
        """mean and biased variance over the last axis; x-hat = (x - mean) / sqrt(var + eps)."""
        xp, s = ctx.xp, ctx.scalar
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=-1, keepdims=True)
        self.mean, self.var = mean, var  # kept for worked solutions (calc.solve.layernorm)
        self.inv_std = _inverse_sqrt(var + s(self.eps), xp, s)
        self.xhat = centred * self.inv_std
        return self._scale_shift(self.xhat)

    def backward(self, dy, ctx):
        """dx = (1/sigma) (g - mean(g) - x-hat mean(g x-hat)), g = dL/dx-hat = dy gamma (per row)."""
        g = self._affine_grads(dy)
        mean_g = g.mean(axis=-1, keepdims=True)
        mean_gx = (g * self.xhat).mean(axis=-1, keepdims=True)
        return self.inv_std * (g - mean_g - self.xhat * mean_gx)


@register
class RMSNorm(_LastAxisNorm):
    kind = "rmsnorm"
    prefix = "rms"
    aliases = ("rms_norm",)
    summary = "RMS norm over the last axis (Llama): eps (1e-6), elementwise_affine (true); no bias"
    default_text = "RMS norm: gamma 1"
    default_eps = 1e-6

    def costs(self) -> dict[str, int]:
        # square-and-mean, 1/sqrt, scaling (3 per element), +1 for the weight
        return {"norm": prod(self.out_shape) * (4 if self.affine else 3)}

    def forward(self, x, ctx):
        """x-hat = x / sqrt(mean(x^2) + eps) over the last axis."""
        xp, s = ctx.xp, ctx.scalar
        self.inv_rms = _inverse_sqrt((x * x).mean(axis=-1, keepdims=True) + s(self.eps), xp, s)
        self.xhat = x * self.inv_rms
        return self._scale_shift(self.xhat)

    def backward(self, dy, ctx):
        """dx = (1/rms) (g - x-hat mean(g x-hat)), g = dy gamma (per row)."""
        g = self._affine_grads(dy)
        return self.inv_rms * (g - self.xhat * (g * self.xhat).mean(axis=-1, keepdims=True))
