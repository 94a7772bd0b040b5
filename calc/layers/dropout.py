"""Inverted dropout: rate = probability of DROPPING; survivors scaled by 1/(1 - rate) in
training, identity at test time (PyTorch/Keras). The original paper kept units with
probability p and scaled at test time instead; conventions.md asks us to say which."""

from __future__ import annotations

from calc.layers.base import Layer, register
from calc.spec.options import Options


@register
class Dropout(Layer):
    kind = "dropout"
    prefix = "dropout"
    summary = "dropout: rate (probability of dropping, default 0.5); identity at test time"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        key = "p" if opts.has("p") and not opts.has("rate") else "rate"
        layer.rate = opts.number(key, 0.5, minimum=0.0, maximum=1.0, open_max=True)
        opts.finish()
        return layer

    def forward(self, x, ctx):
        if not ctx.training or self.rate == 0:
            self.mask = None
            return x
        keep = ctx.rng.random(x.shape) >= self.rate  # drawn on the host: same mask on every backend
        scale = 1 / (1 - ctx.scalar(self.rate))
        self.mask = ctx.backend.asarray(keep.astype(float)) * scale
        return x * self.mask

    def backward(self, dy, ctx):
        return dy if self.mask is None else dy * self.mask

    def describe(self) -> str:
        return f"rate {self.rate:g}"
